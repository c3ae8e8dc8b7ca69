//! Conversions at the boundary: JavaScript numbers and bigints to `u64`,
//! dimension indexes to [`Dim`], and [`Verdict`] to its small integer code.
//!
//! Values are validated, never coerced: a fractional, negative, NaN,
//! infinite or unsafe number and a bigint outside `0..=2^64-1` are refused
//! instead of being truncated or wrapped.

use budgetkernel::{Dim, Verdict, MAX_DIMS};
use napi::bindgen_prelude::BigInt;

/// `Number.MAX_SAFE_INTEGER`: the largest number amount accepted, so that
/// every accepted number is exactly the integer the caller meant.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[cfg(test)]
/// Number of distinct verdicts: `Continue`, and `Warn`/`Exhausted` for each
/// of the [`MAX_DIMS`] dimensions.
pub const VERDICT_COUNT: u32 = 1 + 2 * MAX_DIMS_U32;

const MAX_DIMS_U32: u32 = 8;
const _: () = assert!(MAX_DIMS_U32 as usize == MAX_DIMS);

/// The dimension at `index` in [`Dim::ALL`] order, or `None` past the end.
pub fn dim_at(index: u32) -> Option<Dim> {
    Dim::ALL.get(usize::try_from(index).ok()?).copied()
}

/// Encodes a verdict as `0` (continue), `1 + i` (warn on dimension `i`) or
/// `1 + MAX_DIMS + i` (exhausted on dimension `i`). The facade turns the
/// code back into one of its 17 shared verdict objects.
#[allow(
    clippy::cast_possible_truncation,
    reason = "Dim::index() is below MAX_DIMS = 8"
)]
pub const fn verdict_code(verdict: Verdict) -> u32 {
    match verdict {
        Verdict::Continue => 0,
        Verdict::Warn(dim) => 1 + dim.index() as u32,
        Verdict::Exhausted(dim) => 1 + MAX_DIMS_U32 + dim.index() as u32,
    }
}

/// A number amount as `u64`, if it is an integer in `0..=MAX_SAFE_INTEGER`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "after the range test the value is in 0..=2^53-1, where the round trip is exact for integers"
)]
#[allow(
    clippy::float_cmp,
    reason = "an exact integrality test, not a tolerance"
)]
#[inline]
pub fn amount_from_f64(value: f64) -> Option<u64> {
    // NaN fails the range test. Within the range, converting to an integer
    // and back gives the value itself exactly when it is an integer: two
    // conversion instructions, where `f64::trunc` is a libm call on baseline
    // x86-64.
    if !(0.0..=MAX_SAFE_INTEGER).contains(&value) {
        return None;
    }
    // Through i64, whose conversions are single instructions on x86-64
    // (u64's need several); the range test makes both exact.
    let integer = value as i64;
    if integer as f64 == value {
        u64::try_from(integer).ok()
    } else {
        None
    }
}

/// A bigint amount as `u64`, if it is in `0..=2^64-1`.
pub fn amount_from_bigint(value: &BigInt) -> Option<u64> {
    let (negative, low_word, lossless) = value.get_u64();
    if negative || !lossless {
        None
    } else {
        Some(low_word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_codes_are_dense_and_distinct() {
        let mut seen = [false; VERDICT_COUNT as usize];
        let all = core::iter::once(Verdict::Continue)
            .chain(Dim::ALL.iter().map(|d| Verdict::Warn(*d)))
            .chain(Dim::ALL.iter().map(|d| Verdict::Exhausted(*d)));
        for verdict in all {
            let code = verdict_code(verdict) as usize;
            assert!(code < seen.len(), "code {code} out of range");
            if let Some(slot) = seen.get_mut(code) {
                assert!(!*slot, "code {code} used twice");
                *slot = true;
            }
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn number_amounts_are_validated_not_coerced() {
        assert_eq!(amount_from_f64(0.0), Some(0));
        assert_eq!(amount_from_f64(-0.0), Some(0));
        assert_eq!(
            amount_from_f64(MAX_SAFE_INTEGER),
            Some(9_007_199_254_740_991)
        );
        assert_eq!(
            amount_from_f64(4_503_599_627_370_495.0),
            Some(4_503_599_627_370_495)
        );
        for bad in [
            -1.0,
            -0.5,
            0.5,
            1.5,
            4_503_599_627_370_495.5,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            MAX_SAFE_INTEGER + 1.0,
        ] {
            assert_eq!(amount_from_f64(bad), None, "{bad}");
        }
    }

    #[test]
    fn dim_indexes_stop_at_max_dims() {
        assert_eq!(dim_at(0), Some(Dim::Tokens));
        assert_eq!(dim_at(7), Some(Dim::Custom2));
        assert_eq!(dim_at(8), None);
        assert_eq!(dim_at(u32::MAX), None);
    }
}

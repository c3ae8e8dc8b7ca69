//! Conversions at the boundary.
//!
//! JavaScript numbers and bigints to `u64`, dimension indexes to [`Dim`], [`Verdict`] to its small integer code,
//! budget handles to and from their (generation, index) parts, and the
//! packed fields of `charge_few`.
//!
//! Values are validated, never coerced: a fractional, negative, NaN,
//! infinite or unsafe number and a bigint outside `0..=2^64-1` are refused
//! instead of being truncated or wrapped.
//!
//! This module is deliberately free of napi types (it depends on the kernel
//! only), so that the fuzz target `fuzz/fuzz_targets/conversions.rs`
//! compiles this very file (`#[path]`) and exercises the functions the addon
//! calls, not a copy of them. The napi-typed wrappers live in `lib.rs`.

use budgetkernel::{Dim, Verdict, MAX_DIMS};

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
///
/// From the parts napi-rs's `BigInt` holds: the sign bit and the little-endian 64-bit
/// words of the magnitude (napi-rs stores `[0]` for `0n`, and V8 never
/// leaves high zero words). Exactly one word and a clear sign bit is a
/// `u64`; anything else (negative, wider, or no word at all) is refused.
#[inline]
pub fn amount_from_words(negative: bool, words: &[u64]) -> Option<u64> {
    match words {
        [word] if !negative => Some(*word),
        _ => None,
    }
}

/// Bits of a handle that hold the slot index.
const INDEX_BITS: u32 = 32;
/// Generations wrap below 2^21 so that every handle, `generation << 32 |
/// index`, stays a safe integer in JavaScript (below 2^53).
pub const GENERATION_LIMIT: u32 = 1 << 21;

/// A budget handle (see `table.rs`) from its slot's generation, which must
/// be below [`GENERATION_LIMIT`], and index: `generation << 32 | index`.
#[allow(
    clippy::cast_precision_loss,
    reason = "generation < 2^21 and index < 2^32, so the value is below 2^53 and exact as f64"
)]
pub fn encode_handle(generation: u32, index: u32) -> f64 {
    debug_assert!(generation < GENERATION_LIMIT, "generation out of range");
    ((u64::from(generation) << INDEX_BITS) | u64::from(index)) as f64
}

/// Splits a handle back into (generation, index). Anything that is not a
/// value [`encode_handle`] can produce (negative, fractional, NaN, too
/// large) is `None`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the value is checked to be an integer in 0..2^53 first, so the cast is exact"
)]
pub fn decode_handle(handle: f64) -> Option<(u32, u32)> {
    if !(handle >= 0.0 && handle < f64::from(GENERATION_LIMIT) * 4_294_967_296.0) {
        return None;
    }
    #[allow(
        clippy::float_cmp,
        reason = "an exact integrality test, not a tolerance"
    )]
    if handle.trunc() != handle {
        return None;
    }
    let bits = handle as u64;
    let generation = u32::try_from(bits >> INDEX_BITS).ok()?;
    let index = u32::try_from(bits & u64::from(u32::MAX)).ok()?;
    Some((generation, index))
}

/// Most entries `charge_few` takes: the usual checkpoint (tokens, millis,
/// calls). Each extra number argument costs about 5 ns to cross.
pub const FEW: usize = 3;
/// Bits per field of `charge_few`'s `packed` argument.
const FIELD_BITS: usize = 3;

/// Field `i` of a `charge_few` packed word.
///
/// Field 0 is the entry count, field `1 + k` entry `k`'s dimension index (`count | d0 << 3 | d1 << 6 |
/// d2 << 9`). Bits above the fields a call uses are ignored. Every field is
/// 3 bits, so a dimension field always names one of the 8 dimensions.
#[inline]
pub const fn packed_field(packed: u32, i: usize) -> u32 {
    let shift = FIELD_BITS * i;
    if shift >= u32::BITS as usize {
        0
    } else {
        (packed >> shift) & 0b111
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
    fn bigint_words_are_validated_not_truncated() {
        assert_eq!(amount_from_words(false, &[0]), Some(0));
        assert_eq!(amount_from_words(false, &[u64::MAX]), Some(u64::MAX));
        assert_eq!(amount_from_words(true, &[1]), None);
        assert_eq!(amount_from_words(true, &[0]), None);
        assert_eq!(amount_from_words(false, &[0, 1]), None);
        assert_eq!(amount_from_words(false, &[]), None);
    }

    #[test]
    fn packed_fields_are_three_bits_each() {
        let packed = 3 | 7 << 3 | 1 << 6 | 5 << 9 | 1 << 31;
        assert_eq!(packed_field(packed, 0), 3);
        assert_eq!(packed_field(packed, 1), 7);
        assert_eq!(packed_field(packed, 2), 1);
        assert_eq!(packed_field(packed, 3), 5);
        assert_eq!(packed_field(u32::MAX, 10), 0b11);
        assert_eq!(packed_field(u32::MAX, 11), 0);
    }

    #[test]
    fn dim_indexes_stop_at_max_dims() {
        assert_eq!(dim_at(0), Some(Dim::Tokens));
        assert_eq!(dim_at(7), Some(Dim::Custom2));
        assert_eq!(dim_at(8), None);
        assert_eq!(dim_at(u32::MAX), None);
    }
}

//! What a charge means for the caller.
//!
//! Every accepted charge yields exactly one [`Verdict`]:
//!
//! - [`Verdict::Continue`]: the dimension is at or below its limit and not
//!   above its warn threshold (if it has one).
//! - [`Verdict::Warn`]: the dimension is above its warn threshold but still
//!   at or below its limit. Reported on *every* such charge, including zero
//!   charges: the kernel keeps no "already warned" state, so a verdict
//!   depends only on the current totals.
//! - [`Verdict::Exhausted`]: the dimension is above its limit. Exhaustion
//!   takes precedence over a warning.

use crate::Dim;

/// The outcome of an accepted charge.
///
/// ```
/// use budgetkernel::{Budget, Dim, Verdict};
///
/// let mut budget = Budget::builder()
///     .limit_with_warn(Dim::Tokens, 10, 5)
///     .build()
///     .map_err(|_| "invalid budget")?;
/// assert_eq!(budget.charge(Dim::Tokens, 5), Ok(Verdict::Continue));
/// assert_eq!(budget.charge(Dim::Tokens, 5), Ok(Verdict::Warn(Dim::Tokens)));
/// assert_eq!(budget.charge(Dim::Tokens, 1), Ok(Verdict::Exhausted(Dim::Tokens)));
/// # Ok::<(), &str>(())
/// ```
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum Verdict {
    /// Within the limit and not above the warn threshold.
    Continue,
    /// Above the warn threshold of the named dimension, still within its
    /// limit (limits are inclusive: `spent == limit` is not exhausted).
    Warn(Dim),
    /// Above the limit of the named dimension (`spent > limit`).
    Exhausted(Dim),
}

impl Verdict {
    /// The more severe of two verdicts.
    ///
    /// # Semantics
    ///
    /// Severity is `Exhausted` > `Warn` > `Continue`. When both have the
    /// same severity, `self` is returned (left bias), so folding a sequence
    /// of verdicts reports the *first* dimension that reached the worst
    /// severity. This only combines verdicts that already happened; it does
    /// not make separate charges atomic (see
    /// [`Budget::charge_many`](crate::Budget::charge_many) for that).
    ///
    /// ```
    /// use budgetkernel::{Dim, Verdict};
    ///
    /// let warn = Verdict::Warn(Dim::Bytes);
    /// let out = Verdict::Exhausted(Dim::Calls);
    /// assert_eq!(warn.worst(out), out);
    /// assert_eq!(Verdict::Continue.worst(warn), warn);
    /// assert_eq!(warn.worst(Verdict::Warn(Dim::Tokens)), warn);
    /// ```
    #[inline]
    #[must_use]
    pub const fn worst(self, other: Self) -> Self {
        match (self, other) {
            (Self::Exhausted(_), _) | (Self::Warn(_), Self::Warn(_) | Self::Continue) => self,
            (_, Self::Exhausted(_)) | (Self::Continue, Self::Warn(_)) => other,
            (Self::Continue, Self::Continue) => Self::Continue,
        }
    }

    /// `true` for `Continue` and `Warn`: the budget still has headroom.
    ///
    /// ```
    /// use budgetkernel::{Dim, Verdict};
    ///
    /// assert!(Verdict::Warn(Dim::Millis).is_continuing());
    /// assert!(!Verdict::Exhausted(Dim::Millis).is_continuing());
    /// ```
    #[inline]
    #[must_use]
    pub const fn is_continuing(self) -> bool {
        !self.is_exhausted()
    }

    /// `true` only for `Exhausted`.
    ///
    /// ```
    /// use budgetkernel::{Dim, Verdict};
    ///
    /// assert!(Verdict::Exhausted(Dim::Bytes).is_exhausted());
    /// assert!(!Verdict::Continue.is_exhausted());
    /// ```
    #[inline]
    #[must_use]
    pub const fn is_exhausted(self) -> bool {
        matches!(self, Self::Exhausted(_))
    }

    /// The dimension a `Warn` or `Exhausted` verdict names; `None` for
    /// `Continue`.
    ///
    /// ```
    /// use budgetkernel::{Dim, Verdict};
    ///
    /// assert_eq!(Verdict::Warn(Dim::Memory).dimension(), Some(Dim::Memory));
    /// assert_eq!(Verdict::Continue.dimension(), None);
    /// ```
    #[inline]
    #[must_use]
    pub const fn dimension(self) -> Option<Dim> {
        match self {
            Self::Continue => None,
            Self::Warn(dim) | Self::Exhausted(dim) => Some(dim),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict;
    use crate::Dim;

    /// Severity rank written out independently of `worst`.
    const fn rank(verdict: Verdict) -> u8 {
        match verdict {
            Verdict::Continue => 0,
            Verdict::Warn(_) => 1,
            Verdict::Exhausted(_) => 2,
        }
    }

    fn all_verdicts() -> impl Iterator<Item = Verdict> {
        core::iter::once(Verdict::Continue)
            .chain(Dim::ALL.into_iter().map(Verdict::Warn))
            .chain(Dim::ALL.into_iter().map(Verdict::Exhausted))
    }

    #[test]
    fn worst_picks_higher_severity_and_left_on_ties() {
        for left in all_verdicts() {
            for right in all_verdicts() {
                let expected = if rank(right) > rank(left) {
                    right
                } else {
                    left
                };
                assert_eq!(left.worst(right), expected, "{left:?}.worst({right:?})");
            }
        }
    }

    #[test]
    fn worst_is_associative() {
        for a in all_verdicts() {
            for b in all_verdicts() {
                for c in all_verdicts() {
                    assert_eq!(a.worst(b).worst(c), a.worst(b.worst(c)));
                }
            }
        }
    }

    #[test]
    fn predicates_and_dimension() {
        assert!(Verdict::Continue.is_continuing());
        assert!(!Verdict::Continue.is_exhausted());
        assert_eq!(Verdict::Continue.dimension(), None);
        for dim in Dim::ALL {
            assert!(Verdict::Warn(dim).is_continuing());
            assert!(!Verdict::Warn(dim).is_exhausted());
            assert_eq!(Verdict::Warn(dim).dimension(), Some(dim));
            assert!(!Verdict::Exhausted(dim).is_continuing());
            assert!(Verdict::Exhausted(dim).is_exhausted());
            assert_eq!(Verdict::Exhausted(dim).dimension(), Some(dim));
        }
    }

    #[test]
    fn const_fns_work_in_const_context() {
        const W: Verdict = Verdict::Warn(Dim::Bytes).worst(Verdict::Continue);
        const DIM: Option<Dim> = Verdict::Exhausted(Dim::Bytes).dimension();
        assert_eq!(W, Verdict::Warn(Dim::Bytes));
        assert_eq!(DIM, Some(Dim::Bytes));
    }
}

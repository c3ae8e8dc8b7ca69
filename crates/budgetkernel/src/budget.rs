//! Declaring a budget and charging it.
//!
//! A [`Budget`] is built once with [`Budget::builder`], which validates the
//! whole declaration, and then charged with [`Budget::charge`] (one
//! dimension) or [`Budget::charge_many`] (an atomic checkpoint over several).
//! Its state is three internal fixed maps: limits (presence means "declared"),
//! optional warn thresholds, and spent totals. All of it lives inline in the
//! `Budget` value: cloning it copies a few hundred bytes and allocates
//! nothing.

use crate::fixed_map::FixedMap;
use crate::{BuilderError, ChargeError, Dim, Verdict};

/// A validated set of per-dimension limits with running spent totals.
///
/// Construct it with [`Budget::builder`]. A common pattern is to build one
/// template at start-up and [`clone`](Clone::clone) it for every request:
/// clones are independent and cloning never allocates.
///
/// ```
/// use budgetkernel::{Budget, Dim, Verdict};
///
/// let template = Budget::builder()
///     .limit_with_warn(Dim::Tokens, 1_000, 800)
///     .limit(Dim::Calls, 3)
///     .build()
///     .map_err(|_| "invalid budget")?;
///
/// let mut request = template.clone();
/// assert_eq!(request.charge(Dim::Tokens, 900), Ok(Verdict::Warn(Dim::Tokens)));
/// assert_eq!(request.remaining(Dim::Tokens), Some(100));
/// assert_eq!(template.spent(Dim::Tokens), Some(0));
/// # Ok::<(), &str>(())
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    /// Declared limits. Presence here is what "declared" means.
    limits: FixedMap,
    /// Warn thresholds; present only for declared dimensions that have one.
    warns: FixedMap,
    /// Spent totals. Present exactly for the declared dimensions (set to `0`
    /// by `build`, never removed), so the charging path does a single
    /// lookup per map and no insertion.
    spent: FixedMap,
}

/// Collects a declaration for [`Budget`]; [`build`](Self::build) validates it.
///
/// The builder methods never fail: problems are recorded and reported by
/// `build`, so a declaration reads as one fluent chain. After a dimension
/// has been declared twice, which of its values the builder keeps is
/// unspecified, because `build` rejects such a declaration in any case.
///
/// ```
/// use budgetkernel::{Budget, BuilderError, Dim};
///
/// let duplicate = Budget::builder()
///     .limit(Dim::Millis, 100)
///     .limit(Dim::Millis, 200)
///     .build();
/// assert_eq!(duplicate.err(), Some(BuilderError::DuplicateDimension(Dim::Millis)));
/// ```
#[derive(Debug, Clone)]
pub struct BudgetBuilder {
    /// Declared limits.
    limits: FixedMap,
    /// Declared warn thresholds.
    warns: FixedMap,
    /// First dimension declared more than once, reported by `build`.
    duplicate: Option<Dim>,
}

impl BudgetBuilder {
    /// An empty declaration.
    const fn new() -> Self {
        Self {
            limits: FixedMap::new(),
            warns: FixedMap::new(),
            duplicate: None,
        }
    }

    /// Records `dim` as declared, remembering the first repeated dimension.
    const fn declare(&mut self, dim: Dim, limit: u64) {
        if self.duplicate.is_none() && self.limits.contains(dim) {
            self.duplicate = Some(dim);
        }
        self.limits.insert(dim, limit);
    }

    /// Declare `dim` with an inclusive `limit` and no warn threshold.
    ///
    /// # Semantics
    ///
    /// Charges report [`Verdict::Continue`] while the total spent on `dim`
    /// is at most `limit`, and [`Verdict::Exhausted`] once it is above.
    /// A zero `limit` or a second declaration of `dim` makes
    /// [`build`](Self::build) fail.
    ///
    /// ```
    /// use budgetkernel::{Budget, Dim, Verdict};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit(Dim::Calls, 2)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    /// assert_eq!(budget.charge(Dim::Calls, 2), Ok(Verdict::Continue));
    /// assert_eq!(budget.charge(Dim::Calls, 1), Ok(Verdict::Exhausted(Dim::Calls)));
    /// # Ok::<(), &str>(())
    /// ```
    #[must_use]
    pub const fn limit(mut self, dim: Dim, limit: u64) -> Self {
        self.declare(dim, limit);
        self
    }

    /// Declare `dim` with an inclusive `limit` and a `warn` threshold.
    ///
    /// # Semantics
    ///
    /// Charges report [`Verdict::Warn`] whenever the total spent on `dim`
    /// is above `warn` (strictly) and at most `limit`, on every such charge.
    /// `warn` must be strictly below `limit`, otherwise
    /// [`build`](Self::build) fails with
    /// [`BuilderError::WarnNotBelowLimit`]. `warn = 0` is valid and means
    /// any positive total warns; a zero charge on a fresh budget still
    /// reports [`Verdict::Continue`].
    ///
    /// ```
    /// use budgetkernel::{Budget, Dim, Verdict};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit_with_warn(Dim::Bytes, 100, 0)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    /// assert_eq!(budget.charge(Dim::Bytes, 0), Ok(Verdict::Continue));
    /// assert_eq!(budget.charge(Dim::Bytes, 1), Ok(Verdict::Warn(Dim::Bytes)));
    /// assert_eq!(budget.charge(Dim::Bytes, 0), Ok(Verdict::Warn(Dim::Bytes)));
    /// # Ok::<(), &str>(())
    /// ```
    #[must_use]
    pub const fn limit_with_warn(mut self, dim: Dim, limit: u64, warn: u64) -> Self {
        self.declare(dim, limit);
        self.warns.insert(dim, warn);
        self
    }

    /// Validate the declaration and produce a [`Budget`] with nothing spent.
    ///
    /// # Errors
    ///
    /// The first problem found, checked in this fixed order:
    ///
    /// 1. [`BuilderError::DuplicateDimension`] for the first dimension that
    ///    was declared a second time;
    /// 2. [`BuilderError::NoDimensions`] if nothing was declared;
    /// 3. for each declared dimension in [`Dim::ALL`] order:
    ///    [`BuilderError::ZeroLimit`] if its limit is `0`, then
    ///    [`BuilderError::WarnNotBelowLimit`] if its warn threshold is not
    ///    strictly below its limit.
    ///
    /// ```
    /// use budgetkernel::{Budget, BuilderError, Dim};
    ///
    /// // Custom0 comes after Tokens in `Dim::ALL`, so Tokens is reported.
    /// let err = Budget::builder()
    ///     .limit(Dim::Custom0, 0)
    ///     .limit_with_warn(Dim::Tokens, 10, 10)
    ///     .build()
    ///     .err();
    /// assert_eq!(err, Some(BuilderError::WarnNotBelowLimit(Dim::Tokens)));
    /// assert_eq!(Budget::builder().build().err(), Some(BuilderError::NoDimensions));
    /// ```
    pub const fn build(self) -> Result<Budget, BuilderError> {
        if let Some(dim) = self.duplicate {
            return Err(BuilderError::DuplicateDimension(dim));
        }
        if self.limits.is_empty() {
            return Err(BuilderError::NoDimensions);
        }
        let mut spent = FixedMap::new();
        // A `while let` over the slice, since `for` is not allowed in a
        // `const fn`.
        let mut rest: &[Dim] = &Dim::ALL;
        while let [dim, tail @ ..] = rest {
            let dim = *dim;
            rest = tail;
            let Some(limit) = self.limits.get(dim) else {
                debug_assert!(!self.warns.contains(dim), "warn without a limit");
                continue;
            };
            if limit == 0 {
                return Err(BuilderError::ZeroLimit(dim));
            }
            if matches!(self.warns.get(dim), Some(warn) if warn >= limit) {
                return Err(BuilderError::WarnNotBelowLimit(dim));
            }
            spent.insert(dim, 0);
        }
        Ok(Budget {
            limits: self.limits,
            warns: self.warns,
            spent,
        })
    }
}

impl Budget {
    /// Start a declaration.
    ///
    /// ```
    /// use budgetkernel::{Budget, Dim};
    ///
    /// let budget = Budget::builder()
    ///     .limit(Dim::Tokens, 4_096)
    ///     .limit_with_warn(Dim::Millis, 30_000, 25_000)
    ///     .build();
    /// assert!(budget.is_ok());
    /// ```
    #[must_use]
    pub const fn builder() -> BudgetBuilder {
        BudgetBuilder::new()
    }

    /// Add `amount` to the total of a dimension known to be declared and
    /// return the verdict; `None` (with nothing changed) if it is not.
    #[inline]
    const fn apply(&mut self, dim: Dim, amount: u64) -> Option<Verdict> {
        let Some(limit) = self.limits.get(dim) else {
            return None;
        };
        let Some(total) = self.spent.saturating_add(dim, amount) else {
            return None;
        };
        if total > limit {
            return Some(Verdict::Exhausted(dim));
        }
        match self.warns.get(dim) {
            Some(warn) if total > warn => Some(Verdict::Warn(dim)),
            _ => Some(Verdict::Continue),
        }
    }

    /// Charge `amount` to `dim` and report where the budget stands.
    ///
    /// # Semantics
    ///
    /// - The total becomes `spent.saturating_add(amount)`: it saturates at
    ///   `u64::MAX` and never overflows or panics. It is updated even when
    ///   the charge exhausts the budget, so overruns remain visible through
    ///   [`spent`](Self::spent).
    /// - The verdict is [`Verdict::Exhausted`] if the new total is above the
    ///   limit (limits are inclusive), else [`Verdict::Warn`] if a warn
    ///   threshold exists and the total is above it, else
    ///   [`Verdict::Continue`]. It depends only on the current totals: a
    ///   dimension above its threshold warns on every charge.
    /// - A zero `amount` changes nothing and polls the current verdict.
    /// - Constant time; no allocation, clock or I/O.
    ///
    /// # Errors
    ///
    /// [`ChargeError::UnknownDimension`] if `dim` was not declared; the
    /// budget is then left unchanged.
    ///
    /// ```
    /// use budgetkernel::{Budget, ChargeError, Dim, Verdict};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit(Dim::Tokens, 100)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    /// assert_eq!(budget.charge(Dim::Tokens, 100), Ok(Verdict::Continue));
    /// assert_eq!(budget.charge(Dim::Tokens, u64::MAX), Ok(Verdict::Exhausted(Dim::Tokens)));
    /// assert_eq!(budget.spent(Dim::Tokens), Some(u64::MAX));
    /// assert_eq!(budget.charge(Dim::Tokens, 0), Ok(Verdict::Exhausted(Dim::Tokens)));
    /// assert_eq!(budget.charge(Dim::Millis, 1), Err(ChargeError::UnknownDimension(Dim::Millis)));
    /// # Ok::<(), &str>(())
    /// ```
    #[inline]
    pub const fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        match self.apply(dim, amount) {
            Some(verdict) => Ok(verdict),
            None => Err(ChargeError::UnknownDimension(dim)),
        }
    }

    /// Charge several dimensions as one all-or-nothing checkpoint.
    ///
    /// # Semantics
    ///
    /// First every dimension in `charges` is checked to be declared. If all
    /// are, the charges are applied in order, exactly as that sequence of
    /// [`charge`](Self::charge) calls would, and the verdicts are reduced
    /// with [`Verdict::worst`] (so the first dimension reaching the worst
    /// severity is reported). An empty slice returns [`Verdict::Continue`].
    /// The same dimension may appear several times. Work is linear in
    /// `charges.len()`; nothing is allocated.
    ///
    /// # Errors
    ///
    /// [`ChargeError::UnknownDimension`] for the first undeclared dimension
    /// in `charges`; then **no** charge is applied.
    ///
    /// ```
    /// use budgetkernel::{Budget, ChargeError, Dim, Verdict};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit_with_warn(Dim::Tokens, 1_000, 500)
    ///     .limit(Dim::Calls, 10)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    ///
    /// let step = [(Dim::Calls, 1), (Dim::Tokens, 600)];
    /// assert_eq!(budget.charge_many(&step), Ok(Verdict::Warn(Dim::Tokens)));
    ///
    /// // Millis is not declared: nothing is charged, not even Calls.
    /// let bad = [(Dim::Calls, 1), (Dim::Millis, 5)];
    /// assert_eq!(budget.charge_many(&bad), Err(ChargeError::UnknownDimension(Dim::Millis)));
    /// assert_eq!(budget.spent(Dim::Calls), Some(1));
    /// # Ok::<(), &str>(())
    /// ```
    pub const fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError> {
        // `while let` over the slice: iterators are not usable in a `const fn`.
        let mut rest = charges;
        while let [(dim, _), tail @ ..] = rest {
            if !self.limits.contains(*dim) {
                return Err(ChargeError::UnknownDimension(*dim));
            }
            rest = tail;
        }
        let mut verdict = Verdict::Continue;
        let mut rest = charges;
        while let [(dim, amount), tail @ ..] = rest {
            // Every dimension was validated above and declarations never
            // change after `build`, so `apply` cannot return `None` here.
            if let Some(step) = self.apply(*dim, *amount) {
                verdict = verdict.worst(step);
            }
            rest = tail;
        }
        Ok(verdict)
    }

    /// Headroom left on `dim`: `limit.saturating_sub(spent)`, so `Some(0)`
    /// once exhausted; `None` if `dim` is not declared.
    ///
    /// ```
    /// use budgetkernel::{Budget, Dim};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit(Dim::Bytes, 10)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    /// assert_eq!(budget.remaining(Dim::Bytes), Some(10));
    /// let _ = budget.charge(Dim::Bytes, 25);
    /// assert_eq!(budget.remaining(Dim::Bytes), Some(0));
    /// assert_eq!(budget.remaining(Dim::Tokens), None);
    /// # Ok::<(), &str>(())
    /// ```
    #[inline]
    #[must_use]
    pub const fn remaining(&self, dim: Dim) -> Option<u64> {
        match (self.limits.get(dim), self.spent.get(dim)) {
            (Some(limit), Some(spent)) => Some(limit.saturating_sub(spent)),
            _ => None,
        }
    }

    /// Total charged to `dim` since build or the last [`reset`](Self::reset):
    /// `Some(0)` for a declared dimension never charged, `None` if `dim` is
    /// not declared.
    ///
    /// ```
    /// use budgetkernel::{Budget, Dim};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit(Dim::Calls, 5)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    /// assert_eq!(budget.spent(Dim::Calls), Some(0));
    /// let _ = budget.charge(Dim::Calls, 2);
    /// assert_eq!(budget.spent(Dim::Calls), Some(2));
    /// assert_eq!(budget.spent(Dim::Memory), None);
    /// # Ok::<(), &str>(())
    /// ```
    #[inline]
    #[must_use]
    pub const fn spent(&self, dim: Dim) -> Option<u64> {
        self.spent.get(dim)
    }

    /// Set every spent total back to zero; limits and warn thresholds stay.
    ///
    /// ```
    /// use budgetkernel::{Budget, Dim, Verdict};
    ///
    /// let mut budget = Budget::builder()
    ///     .limit(Dim::Calls, 1)
    ///     .build()
    ///     .map_err(|_| "invalid budget")?;
    /// assert_eq!(budget.charge(Dim::Calls, 2), Ok(Verdict::Exhausted(Dim::Calls)));
    /// budget.reset();
    /// assert_eq!(budget.spent(Dim::Calls), Some(0));
    /// assert_eq!(budget.charge(Dim::Calls, 1), Ok(Verdict::Continue));
    /// # Ok::<(), &str>(())
    /// ```
    pub const fn reset(&mut self) {
        let mut rest: &[Dim] = &Dim::ALL;
        while let [dim, tail @ ..] = rest {
            // Only declared dimensions have a spent total; `overwrite`
            // leaves the others absent.
            let _ = self.spent.overwrite(*dim, 0);
            rest = tail;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Budget, BudgetBuilder};
    use crate::{BuilderError, ChargeError, Dim, Verdict};

    /// Builds or fails the test (asserting first, then unpacking, so no
    /// `unwrap` is needed).
    fn built(builder: BudgetBuilder) -> Option<Budget> {
        let result = builder.build();
        assert!(result.is_ok(), "build failed: {result:?}");
        result.ok()
    }

    fn build_error(builder: BudgetBuilder) -> Option<BuilderError> {
        let result = builder.build();
        assert!(result.is_err(), "build unexpectedly succeeded");
        result.err()
    }

    /// Every observable number of a budget, for before/after comparisons.
    fn snapshot(budget: &Budget) -> [(Option<u64>, Option<u64>); 8] {
        Dim::ALL.map(|dim| (budget.spent(dim), budget.remaining(dim)))
    }

    // ---- build validation -------------------------------------------------

    #[test]
    fn empty_declaration_is_rejected() {
        assert_eq!(
            build_error(Budget::builder()),
            Some(BuilderError::NoDimensions)
        );
    }

    #[test]
    fn zero_limit_is_rejected_with_or_without_warn() {
        assert_eq!(
            build_error(Budget::builder().limit(Dim::Bytes, 0)),
            Some(BuilderError::ZeroLimit(Dim::Bytes))
        );
        // Zero limit is checked before the warn threshold of the same dim.
        assert_eq!(
            build_error(Budget::builder().limit_with_warn(Dim::Bytes, 0, 0)),
            Some(BuilderError::ZeroLimit(Dim::Bytes))
        );
    }

    #[test]
    fn warn_must_be_strictly_below_limit() {
        for warn in [100, 101, u64::MAX] {
            assert_eq!(
                build_error(Budget::builder().limit_with_warn(Dim::Calls, 100, warn)),
                Some(BuilderError::WarnNotBelowLimit(Dim::Calls))
            );
        }
        assert!(built(Budget::builder().limit_with_warn(Dim::Calls, 100, 99)).is_some());
        assert!(
            built(Budget::builder().limit_with_warn(Dim::Calls, u64::MAX, u64::MAX - 1)).is_some()
        );
        assert!(built(Budget::builder().limit_with_warn(Dim::Calls, 1, 0)).is_some());
    }

    #[test]
    fn every_kind_of_duplicate_is_rejected() {
        let cases = [
            Budget::builder()
                .limit(Dim::Tokens, 1)
                .limit(Dim::Tokens, 1),
            Budget::builder()
                .limit(Dim::Tokens, 5)
                .limit_with_warn(Dim::Tokens, 5, 1),
            Budget::builder()
                .limit_with_warn(Dim::Tokens, 5, 1)
                .limit(Dim::Tokens, 9),
        ];
        for builder in cases {
            assert_eq!(
                build_error(builder),
                Some(BuilderError::DuplicateDimension(Dim::Tokens))
            );
        }
    }

    #[test]
    fn first_repeated_declaration_wins_over_everything_else() {
        // Bytes is declared first, but Tokens is the first one repeated;
        // the zero limit and bad warn are not reported.
        let builder = Budget::builder()
            .limit(Dim::Bytes, 0)
            .limit_with_warn(Dim::Tokens, 1, 5)
            .limit(Dim::Tokens, 1)
            .limit(Dim::Bytes, 3);
        assert_eq!(
            build_error(builder),
            Some(BuilderError::DuplicateDimension(Dim::Tokens))
        );
    }

    #[test]
    fn per_dimension_checks_follow_dim_order_not_declaration_order() {
        let builder = Budget::builder()
            .limit(Dim::Custom2, 0)
            .limit_with_warn(Dim::Memory, 10, 10)
            .limit(Dim::Millis, 0);
        assert_eq!(
            build_error(builder),
            Some(BuilderError::ZeroLimit(Dim::Millis))
        );

        let builder = Budget::builder()
            .limit(Dim::Custom2, 0)
            .limit_with_warn(Dim::Memory, 10, 10);
        assert_eq!(
            build_error(builder),
            Some(BuilderError::WarnNotBelowLimit(Dim::Memory))
        );
    }

    #[test]
    fn builder_is_a_const_fn() {
        const BUILDER: BudgetBuilder = Budget::builder();
        assert_eq!(build_error(BUILDER), Some(BuilderError::NoDimensions));
    }

    // ---- charging -----------------------------------------------------------

    #[test]
    fn fresh_budget_reports_zero_spent_and_full_remaining() {
        let Some(budget) = built(Budget::builder().limit(Dim::Tokens, 7).limit(Dim::Calls, 1))
        else {
            return;
        };
        assert_eq!(budget.spent(Dim::Tokens), Some(0));
        assert_eq!(budget.remaining(Dim::Tokens), Some(7));
        assert_eq!(budget.spent(Dim::Calls), Some(0));
        assert_eq!(budget.remaining(Dim::Calls), Some(1));
        for dim in [
            Dim::Millis,
            Dim::Bytes,
            Dim::Memory,
            Dim::Custom0,
            Dim::Custom1,
            Dim::Custom2,
        ] {
            assert_eq!(budget.spent(dim), None);
            assert_eq!(budget.remaining(dim), None);
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let Some(mut budget) = built(Budget::builder().limit(Dim::Tokens, 100)) else {
            return;
        };
        assert_eq!(budget.charge(Dim::Tokens, 60), Ok(Verdict::Continue));
        assert_eq!(budget.charge(Dim::Tokens, 40), Ok(Verdict::Continue));
        assert_eq!(budget.remaining(Dim::Tokens), Some(0));
        assert_eq!(
            budget.charge(Dim::Tokens, 1),
            Ok(Verdict::Exhausted(Dim::Tokens))
        );
        assert_eq!(budget.spent(Dim::Tokens), Some(101));
        assert_eq!(budget.remaining(Dim::Tokens), Some(0));
    }

    #[test]
    fn warn_is_strict_and_repeats_on_every_charge() {
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Millis, 10, 5)) else {
            return;
        };
        assert_eq!(budget.charge(Dim::Millis, 5), Ok(Verdict::Continue));
        assert_eq!(
            budget.charge(Dim::Millis, 1),
            Ok(Verdict::Warn(Dim::Millis))
        );
        assert_eq!(
            budget.charge(Dim::Millis, 0),
            Ok(Verdict::Warn(Dim::Millis))
        );
        assert_eq!(
            budget.charge(Dim::Millis, 4),
            Ok(Verdict::Warn(Dim::Millis))
        );
        assert_eq!(budget.spent(Dim::Millis), Some(10));
        assert_eq!(
            budget.charge(Dim::Millis, 1),
            Ok(Verdict::Exhausted(Dim::Millis))
        );
    }

    #[test]
    fn exhaustion_beats_warning_in_one_jump() {
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Bytes, 10, 5)) else {
            return;
        };
        assert_eq!(
            budget.charge(Dim::Bytes, 11),
            Ok(Verdict::Exhausted(Dim::Bytes))
        );
    }

    #[test]
    fn warn_zero_warns_on_any_positive_total() {
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Calls, 3, 0)) else {
            return;
        };
        assert_eq!(budget.charge(Dim::Calls, 0), Ok(Verdict::Continue));
        assert_eq!(budget.charge(Dim::Calls, 1), Ok(Verdict::Warn(Dim::Calls)));
        assert_eq!(budget.charge(Dim::Calls, 0), Ok(Verdict::Warn(Dim::Calls)));
    }

    #[test]
    fn zero_charge_is_a_pure_poll() {
        let Some(mut budget) = built(Budget::builder().limit(Dim::Tokens, 5)) else {
            return;
        };
        assert_eq!(budget.charge(Dim::Tokens, 0), Ok(Verdict::Continue));
        assert_eq!(budget.spent(Dim::Tokens), Some(0));
        assert_eq!(
            budget.charge(Dim::Tokens, 9),
            Ok(Verdict::Exhausted(Dim::Tokens))
        );
        assert_eq!(
            budget.charge(Dim::Tokens, 0),
            Ok(Verdict::Exhausted(Dim::Tokens))
        );
        assert_eq!(budget.spent(Dim::Tokens), Some(9));
    }

    #[test]
    fn u64_max_charges_saturate_without_panicking() {
        let Some(mut budget) = built(
            Budget::builder()
                .limit(Dim::Tokens, 10)
                .limit(Dim::Bytes, u64::MAX),
        ) else {
            return;
        };
        assert_eq!(
            budget.charge(Dim::Tokens, u64::MAX),
            Ok(Verdict::Exhausted(Dim::Tokens))
        );
        assert_eq!(
            budget.charge(Dim::Tokens, u64::MAX),
            Ok(Verdict::Exhausted(Dim::Tokens))
        );
        assert_eq!(budget.spent(Dim::Tokens), Some(u64::MAX));
        assert_eq!(budget.remaining(Dim::Tokens), Some(0));

        // A limit of u64::MAX can never be exceeded: saturation stops at it.
        assert_eq!(budget.charge(Dim::Bytes, u64::MAX), Ok(Verdict::Continue));
        assert_eq!(budget.charge(Dim::Bytes, u64::MAX), Ok(Verdict::Continue));
        assert_eq!(budget.spent(Dim::Bytes), Some(u64::MAX));
        assert_eq!(budget.remaining(Dim::Bytes), Some(0));
    }

    #[test]
    fn near_max_sum_saturates_exactly() {
        let Some(mut budget) =
            built(Budget::builder().limit_with_warn(Dim::Memory, u64::MAX, u64::MAX - 1))
        else {
            return;
        };
        assert_eq!(
            budget.charge(Dim::Memory, u64::MAX - 1),
            Ok(Verdict::Continue)
        );
        assert_eq!(
            budget.charge(Dim::Memory, 2),
            Ok(Verdict::Warn(Dim::Memory))
        );
        assert_eq!(budget.spent(Dim::Memory), Some(u64::MAX));
    }

    #[test]
    fn repeated_charges_after_exhaustion_stay_exhausted() {
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Calls, 2, 1)) else {
            return;
        };
        assert_eq!(
            budget.charge(Dim::Calls, 3),
            Ok(Verdict::Exhausted(Dim::Calls))
        );
        for round in 1..=1_000_u64 {
            assert_eq!(
                budget.charge(Dim::Calls, 1),
                Ok(Verdict::Exhausted(Dim::Calls))
            );
            assert_eq!(budget.spent(Dim::Calls), Some(3 + round));
        }
        assert_eq!(budget.remaining(Dim::Calls), Some(0));
    }

    #[test]
    fn undeclared_dimension_is_an_error_and_changes_nothing() {
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Tokens, 10, 5)) else {
            return;
        };
        assert_eq!(
            budget.charge(Dim::Tokens, 7),
            Ok(Verdict::Warn(Dim::Tokens))
        );
        let before = snapshot(&budget);
        for dim in Dim::ALL.into_iter().filter(|&dim| dim != Dim::Tokens) {
            for amount in [0, 1, u64::MAX] {
                assert_eq!(
                    budget.charge(dim, amount),
                    Err(ChargeError::UnknownDimension(dim))
                );
                assert_eq!(snapshot(&budget), before);
            }
        }
        assert_eq!(
            budget.charge(Dim::Tokens, 0),
            Ok(Verdict::Warn(Dim::Tokens))
        );
    }

    #[test]
    fn dimensions_accumulate_independently() {
        let mut builder = Budget::builder();
        for dim in Dim::ALL {
            builder = builder.limit(dim, 1_000);
        }
        let Some(mut budget) = built(builder) else {
            return;
        };
        for (step, dim) in Dim::ALL.into_iter().enumerate() {
            let amount = u64::try_from(step).unwrap_or(u64::MAX) * 10;
            assert_eq!(budget.charge(dim, amount), Ok(Verdict::Continue));
        }
        for (step, dim) in Dim::ALL.into_iter().enumerate() {
            let amount = u64::try_from(step).unwrap_or(u64::MAX) * 10;
            assert_eq!(budget.spent(dim), Some(amount));
            assert_eq!(budget.remaining(dim), Some(1_000 - amount));
        }
    }

    #[test]
    fn reset_zeroes_spent_and_keeps_limits_and_warns() {
        let Some(mut budget) = built(
            Budget::builder()
                .limit_with_warn(Dim::Tokens, 10, 4)
                .limit(Dim::Custom0, 2),
        ) else {
            return;
        };
        let fresh = snapshot(&budget);
        assert_eq!(
            budget.charge(Dim::Tokens, 50),
            Ok(Verdict::Exhausted(Dim::Tokens))
        );
        assert_eq!(budget.charge(Dim::Custom0, 1), Ok(Verdict::Continue));
        budget.reset();
        assert_eq!(snapshot(&budget), fresh);
        // Limits and the warn threshold behave as declared after reset.
        assert_eq!(budget.charge(Dim::Tokens, 4), Ok(Verdict::Continue));
        assert_eq!(
            budget.charge(Dim::Tokens, 1),
            Ok(Verdict::Warn(Dim::Tokens))
        );
        assert_eq!(
            budget.charge(Dim::Custom0, 3),
            Ok(Verdict::Exhausted(Dim::Custom0))
        );
        assert_eq!(
            budget.charge(Dim::Bytes, 1),
            Err(ChargeError::UnknownDimension(Dim::Bytes))
        );
    }

    #[test]
    fn clones_are_independent() {
        let Some(mut original) = built(Budget::builder().limit(Dim::Calls, 5)) else {
            return;
        };
        assert_eq!(original.charge(Dim::Calls, 2), Ok(Verdict::Continue));
        let mut copy = original.clone();
        assert_eq!(copy.spent(Dim::Calls), Some(2));
        assert_eq!(
            copy.charge(Dim::Calls, 4),
            Ok(Verdict::Exhausted(Dim::Calls))
        );
        assert_eq!(original.spent(Dim::Calls), Some(2));
        original.reset();
        assert_eq!(copy.spent(Dim::Calls), Some(6));
    }

    // ---- charge_many --------------------------------------------------------

    #[test]
    fn charge_many_of_nothing_is_continue_and_changes_nothing() {
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Tokens, 10, 0)) else {
            return;
        };
        assert_eq!(
            budget.charge(Dim::Tokens, 1),
            Ok(Verdict::Warn(Dim::Tokens))
        );
        let before = snapshot(&budget);
        assert_eq!(budget.charge_many(&[]), Ok(Verdict::Continue));
        assert_eq!(snapshot(&budget), before);
    }

    #[test]
    fn charge_many_is_all_or_nothing() {
        let Some(mut budget) = built(
            Budget::builder()
                .limit(Dim::Tokens, 10)
                .limit(Dim::Calls, 10),
        ) else {
            return;
        };
        let before = snapshot(&budget);
        let charges = [
            (Dim::Tokens, 3),
            (Dim::Calls, 1),
            (Dim::Bytes, 1),
            (Dim::Millis, 1),
        ];
        // The first undeclared dimension in slice order is reported.
        assert_eq!(
            budget.charge_many(&charges),
            Err(ChargeError::UnknownDimension(Dim::Bytes))
        );
        assert_eq!(snapshot(&budget), before);
    }

    #[test]
    fn charge_many_reports_first_dimension_of_worst_severity() {
        let Some(mut budget) = built(
            Budget::builder()
                .limit_with_warn(Dim::Tokens, 100, 10)
                .limit_with_warn(Dim::Calls, 100, 10)
                .limit(Dim::Bytes, 5),
        ) else {
            return;
        };
        let warns = [(Dim::Calls, 11), (Dim::Tokens, 11)];
        assert_eq!(budget.charge_many(&warns), Ok(Verdict::Warn(Dim::Calls)));
        let mixed = [(Dim::Tokens, 1), (Dim::Bytes, 6), (Dim::Calls, 200)];
        assert_eq!(
            budget.charge_many(&mixed),
            Ok(Verdict::Exhausted(Dim::Bytes))
        );
        // Every charge was applied, not only up to the first exhaustion.
        assert_eq!(budget.spent(Dim::Tokens), Some(12));
        assert_eq!(budget.spent(Dim::Bytes), Some(6));
        assert_eq!(budget.spent(Dim::Calls), Some(211));
    }

    #[test]
    fn charge_many_equals_the_same_sequence_of_charges() {
        let Some(template) = built(
            Budget::builder()
                .limit_with_warn(Dim::Tokens, 20, 10)
                .limit(Dim::Millis, 8),
        ) else {
            return;
        };
        let charges = [
            (Dim::Tokens, 6),
            (Dim::Millis, 8),
            (Dim::Tokens, 6),
            (Dim::Millis, 0),
            (Dim::Tokens, u64::MAX),
        ];
        let mut one_call = template.clone();
        let mut step_by_step = template;
        let mut folded = Verdict::Continue;
        for &(dim, amount) in &charges {
            let verdict = step_by_step.charge(dim, amount);
            assert!(verdict.is_ok());
            if let Ok(verdict) = verdict {
                folded = folded.worst(verdict);
            }
        }
        assert_eq!(folded, Verdict::Exhausted(Dim::Tokens));
        assert_eq!(one_call.charge_many(&charges), Ok(folded));
        assert_eq!(snapshot(&one_call), snapshot(&step_by_step));
    }

    #[test]
    fn debug_output_names_declared_dimensions_only() {
        extern crate std;
        let Some(mut budget) = built(Budget::builder().limit_with_warn(Dim::Custom1, 9, 3)) else {
            return;
        };
        assert_eq!(budget.charge(Dim::Custom1, 2), Ok(Verdict::Continue));
        let text = std::format!("{budget:?}");
        assert_eq!(
            text,
            "Budget { limits: {Custom1: 9}, warns: {Custom1: 3}, spent: {Custom1: 2} }"
        );
    }
}

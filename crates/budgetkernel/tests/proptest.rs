//! Property tests of the public API against a reference model.
//!
//! The model below is written for clarity, not speed: a list of declared
//! entries searched linearly, `u128` arithmetic clamped to `u64::MAX`
//! instead of `saturating_add`, and its own severity ranking instead of
//! `Verdict::worst`. Each property states one guarantee of the security
//! model (numbered as in the crate's README), plus `charge_many` atomicity
//! and `Clone` independence, and a whole-lifecycle equivalence check.

use budgetkernel::{Budget, BuilderError, ChargeError, Dim, Verdict, MAX_DIMS};
use proptest::prelude::*;
use proptest::sample::select;

// ---- reference model --------------------------------------------------------

/// One declaration as passed to the builder.
#[derive(Clone, Copy, Debug)]
struct Decl {
    dim: Dim,
    limit: u64,
    warn: Option<u64>,
}

#[derive(Clone, Debug)]
struct Entry {
    dim: Dim,
    limit: u64,
    warn: Option<u64>,
    spent: u64,
}

#[derive(Clone, Debug)]
struct Model {
    entries: Vec<Entry>,
}

/// Validation as specified: first repeated declaration, then emptiness,
/// then per dimension in `Dim::ALL` order, zero limit before warn.
fn model_build(decls: &[Decl]) -> Result<Model, BuilderError> {
    for (position, decl) in decls.iter().enumerate() {
        if decls
            .iter()
            .take(position)
            .any(|earlier| earlier.dim == decl.dim)
        {
            return Err(BuilderError::DuplicateDimension(decl.dim));
        }
    }
    if decls.is_empty() {
        return Err(BuilderError::NoDimensions);
    }
    for dim in Dim::ALL {
        if let Some(decl) = decls.iter().find(|decl| decl.dim == dim) {
            if decl.limit == 0 {
                return Err(BuilderError::ZeroLimit(dim));
            }
            if decl.warn.is_some_and(|warn| warn >= decl.limit) {
                return Err(BuilderError::WarnNotBelowLimit(dim));
            }
        }
    }
    let entries = decls
        .iter()
        .map(|decl| Entry {
            dim: decl.dim,
            limit: decl.limit,
            warn: decl.warn,
            spent: 0,
        })
        .collect();
    Ok(Model { entries })
}

/// Severity rank, independent of `Verdict::worst`.
const fn severity(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Continue => 0,
        Verdict::Warn(_) => 1,
        Verdict::Exhausted(_) => 2,
    }
}

impl Model {
    fn entry(&self, dim: Dim) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.dim == dim)
    }

    fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        let Some(entry) = self.entries.iter_mut().find(|entry| entry.dim == dim) else {
            return Err(ChargeError::UnknownDimension(dim));
        };
        let total = (u128::from(entry.spent) + u128::from(amount)).min(u128::from(u64::MAX));
        entry.spent = u64::try_from(total).unwrap_or(u64::MAX);
        if total > u128::from(entry.limit) {
            Ok(Verdict::Exhausted(dim))
        } else if entry.warn.is_some_and(|warn| total > u128::from(warn)) {
            Ok(Verdict::Warn(dim))
        } else {
            Ok(Verdict::Continue)
        }
    }

    fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError> {
        if let Some(&(dim, _)) = charges.iter().find(|(dim, _)| self.entry(*dim).is_none()) {
            return Err(ChargeError::UnknownDimension(dim));
        }
        let mut result = Verdict::Continue;
        for &(dim, amount) in charges {
            let verdict = self.charge(dim, amount)?;
            if severity(verdict) > severity(result) {
                result = verdict;
            }
        }
        Ok(result)
    }

    fn spent(&self, dim: Dim) -> Option<u64> {
        self.entry(dim).map(|entry| entry.spent)
    }

    fn remaining(&self, dim: Dim) -> Option<u64> {
        self.entry(dim).map(|entry| {
            let headroom = i128::from(entry.limit) - i128::from(entry.spent);
            u64::try_from(headroom.max(0)).unwrap_or(0)
        })
    }

    fn reset(&mut self) {
        for entry in &mut self.entries {
            entry.spent = 0;
        }
    }

    fn snapshot(&self) -> Snapshot {
        Dim::ALL.map(|dim| (self.spent(dim), self.remaining(dim)))
    }
}

type Snapshot = [(Option<u64>, Option<u64>); MAX_DIMS];

fn snapshot(budget: &Budget) -> Snapshot {
    Dim::ALL.map(|dim| (budget.spent(dim), budget.remaining(dim)))
}

fn builder_for(decls: &[Decl]) -> budgetkernel::BudgetBuilder {
    decls
        .iter()
        .fold(Budget::builder(), |builder, decl| match decl.warn {
            Some(warn) => builder.limit_with_warn(decl.dim, decl.limit, warn),
            None => builder.limit(decl.dim, decl.limit),
        })
}

// ---- strategies -------------------------------------------------------------

fn dim() -> impl Strategy<Value = Dim> {
    select(Dim::ALL.to_vec())
}

/// Amounts that hit the interesting regions: small, arbitrary, and at the
/// top of the range where saturation happens.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..=20_u64,
        2 => any::<u64>(),
        1 => (u64::MAX - 20)..=u64::MAX,
        1 => Just(u64::MAX),
        1 => Just(0_u64),
    ]
}

/// Any declaration, valid or not.
fn decl() -> impl Strategy<Value = Decl> {
    (dim(), amount(), proptest::option::of(amount())).prop_map(|(dim, limit, warn)| Decl {
        dim,
        limit,
        warn,
    })
}

/// A declaration list that always builds: distinct dims, limit >= 1,
/// warn < limit.
fn valid_decls() -> impl Strategy<Value = Vec<Decl>> {
    proptest::sample::subsequence(Dim::ALL.to_vec(), 1..=MAX_DIMS)
        .prop_flat_map(|dims| {
            let count = dims.len();
            (
                Just(dims),
                proptest::collection::vec((1..=200_u64, any::<bool>(), any::<u64>()), count),
            )
        })
        .prop_map(|(dims, params)| {
            dims.into_iter()
                .zip(params)
                .map(|(dim, (limit, has_warn, seed))| Decl {
                    dim,
                    limit,
                    warn: has_warn.then_some(seed % limit),
                })
                .collect()
        })
        .prop_shuffle()
}

#[derive(Clone, Debug)]
enum Op {
    Charge(Dim, u64),
    ChargeMany(Vec<(Dim, u64)>),
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (dim(), amount()).prop_map(|(dim, amount)| Op::Charge(dim, amount)),
        3 => proptest::collection::vec((dim(), amount()), 0..6).prop_map(Op::ChargeMany),
        1 => Just(Op::Reset),
    ]
}

fn build(decls: &[Decl]) -> Result<(Budget, Model), TestCaseError> {
    let model = model_build(decls).map_err(|err| TestCaseError::fail(format!("{err}")))?;
    let budget = builder_for(decls)
        .build()
        .map_err(|err| TestCaseError::fail(format!("{err}")))?;
    Ok((budget, model))
}

/// Applies `op` to both and checks they answer and end up the same.
fn step(budget: &mut Budget, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Charge(dim, amount) => {
            prop_assert_eq!(budget.charge(*dim, *amount), model.charge(*dim, *amount));
        }
        Op::ChargeMany(charges) => {
            prop_assert_eq!(budget.charge_many(charges), model.charge_many(charges));
        }
        Op::Reset => {
            budget.reset();
            model.reset();
        }
    }
    prop_assert_eq!(snapshot(budget), model.snapshot());
    Ok(())
}

// ---- properties -------------------------------------------------------------

proptest! {
    /// Build accepts and rejects exactly what the specification says, with
    /// the specified error.
    #[test]
    fn build_validation_matches_model(decls in proptest::collection::vec(decl(), 0..6)) {
        let expected = model_build(&decls).map(|model| model.snapshot());
        let actual = builder_for(&decls).build().map(|budget| snapshot(&budget));
        prop_assert_eq!(actual, expected);
    }

    /// Whole lifecycles (charges, checkpoints, resets) agree with the model
    /// on every verdict, error, spent and remaining value.
    #[test]
    fn random_lifecycles_match_model(
        decls in valid_decls(),
        ops in proptest::collection::vec(op(), 0..40),
    ) {
        let (mut budget, mut model) = build(&decls)?;
        for op in &ops {
            step(&mut budget, &mut model, op)?;
        }
    }

    /// Property 1: the spent total is the sum of the charges, clamped to
    /// `u64::MAX`.
    #[test]
    fn p1_accumulation_is_a_saturating_sum(
        amounts in proptest::collection::vec(amount(), 0..30),
    ) {
        let (mut budget, _) = build(&[Decl { dim: Dim::Tokens, limit: u64::MAX, warn: None }])?;
        let mut exact: u128 = 0;
        for &amount in &amounts {
            prop_assert!(budget.charge(Dim::Tokens, amount).is_ok());
            exact += u128::from(amount);
        }
        let expected = u64::try_from(exact).unwrap_or(u64::MAX);
        prop_assert_eq!(budget.spent(Dim::Tokens), Some(expected));
    }

    /// Property 2: without a reset, no spent total ever decreases, whatever
    /// is charged (including undeclared dimensions and checkpoints).
    #[test]
    fn p2_spent_never_decreases_without_reset(
        decls in valid_decls(),
        ops in proptest::collection::vec(op(), 0..40),
    ) {
        let (mut budget, _) = build(&decls)?;
        let mut previous = snapshot(&budget);
        for op in ops.iter().filter(|op| !matches!(op, Op::Reset)) {
            match op {
                Op::Charge(dim, amount) => { let _ = budget.charge(*dim, *amount); }
                Op::ChargeMany(charges) => { let _ = budget.charge_many(charges); }
                Op::Reset => {}
            }
            let now = snapshot(&budget);
            for ((before, _), (after, _)) in previous.iter().zip(now.iter()) {
                prop_assert_eq!(before.is_some(), after.is_some());
                prop_assert!(after >= before);
            }
            previous = now;
        }
    }

    /// Property 3: charging one dimension changes no other dimension.
    #[test]
    fn p3_dimensions_accumulate_independently(
        decls in valid_decls(),
        ops in proptest::collection::vec(op(), 0..20),
        target in dim(),
        amount in amount(),
    ) {
        let (mut budget, _) = build(&decls)?;
        for op in &ops {
            match op {
                Op::Charge(dim, amount) => { let _ = budget.charge(*dim, *amount); }
                Op::ChargeMany(charges) => { let _ = budget.charge_many(charges); }
                Op::Reset => budget.reset(),
            }
        }
        let before = snapshot(&budget);
        let _ = budget.charge(target, amount);
        let after = snapshot(&budget);
        for ((dim, old), new) in Dim::ALL.iter().zip(before.iter()).zip(after.iter()) {
            if *dim != target {
                prop_assert_eq!(old, new, "{:?} changed when charging {:?}", dim, target);
            }
        }
    }

    /// Property 4: charging an undeclared dimension is an error and leaves
    /// every declared dimension untouched.
    #[test]
    fn p4_unknown_dimensions_do_not_mutate(
        decls in valid_decls(),
        warmup in proptest::collection::vec((dim(), amount()), 0..10),
        probe in dim(),
        amount in amount(),
    ) {
        let (mut budget, model) = build(&decls)?;
        prop_assume!(model.entry(probe).is_none());
        for (dim, amount) in warmup {
            let _ = budget.charge(dim, amount);
        }
        let before = snapshot(&budget);
        prop_assert_eq!(budget.charge(probe, amount), Err(ChargeError::UnknownDimension(probe)));
        prop_assert_eq!(snapshot(&budget), before);
    }

    /// Property 5: after a reset the budget is indistinguishable from a
    /// freshly built one, now and for any later operations.
    #[test]
    fn p5_reset_restores_initial_state(
        decls in valid_decls(),
        before_reset in proptest::collection::vec(op(), 0..20),
        after_reset in proptest::collection::vec(op(), 0..20),
    ) {
        let (fresh, _) = build(&decls)?;
        let (mut used, _) = build(&decls)?;
        for op in &before_reset {
            match op {
                Op::Charge(dim, amount) => { let _ = used.charge(*dim, *amount); }
                Op::ChargeMany(charges) => { let _ = used.charge_many(charges); }
                Op::Reset => used.reset(),
            }
        }
        used.reset();
        let mut fresh = fresh;
        prop_assert_eq!(snapshot(&used), snapshot(&fresh));
        for op in &after_reset {
            match op {
                Op::Charge(dim, amount) => {
                    prop_assert_eq!(used.charge(*dim, *amount), fresh.charge(*dim, *amount));
                }
                Op::ChargeMany(charges) => {
                    prop_assert_eq!(used.charge_many(charges), fresh.charge_many(charges));
                }
                Op::Reset => {
                    used.reset();
                    fresh.reset();
                }
            }
            prop_assert_eq!(snapshot(&used), snapshot(&fresh));
        }
    }

    /// Property 6: limits are inclusive: a dimension is exhausted exactly
    /// when its total is above the limit, never at it.
    #[test]
    fn p6_inclusive_limits(
        limit in prop_oneof![1..=50_u64, Just(u64::MAX)],
        amounts in proptest::collection::vec(prop_oneof![0..=10_u64, amount()], 1..20),
    ) {
        let (mut budget, _) = build(&[Decl { dim: Dim::Bytes, limit, warn: None }])?;
        for &amount in &amounts {
            let before = budget.spent(Dim::Bytes).unwrap_or(0);
            let total = before.saturating_add(amount);
            let verdict = budget.charge(Dim::Bytes, amount);
            if total > limit {
                prop_assert_eq!(verdict, Ok(Verdict::Exhausted(Dim::Bytes)));
            } else {
                prop_assert_eq!(verdict, Ok(Verdict::Continue));
            }
        }
        // Exactly at the limit is still fine.
        budget.reset();
        prop_assert_eq!(budget.charge(Dim::Bytes, limit), Ok(Verdict::Continue));
        prop_assert_eq!(budget.remaining(Dim::Bytes), Some(0));
    }

    /// Property 7: a warn threshold fires strictly before exhaustion:
    /// charging one unit at a time, every total in `warn+1..=limit` warns,
    /// totals up to `warn` continue, and only `limit+1` exhausts.
    #[test]
    fn p7_warn_fires_before_exhaustion(limit in 1..=60_u64, seed in any::<u64>()) {
        let warn = seed % limit;
        let (mut budget, _) = build(&[Decl { dim: Dim::Millis, limit, warn: Some(warn) }])?;
        for total in 1..=limit {
            let expected = if total > warn { Verdict::Warn(Dim::Millis) } else { Verdict::Continue };
            prop_assert_eq!(budget.charge(Dim::Millis, 1), Ok(expected));
        }
        prop_assert_eq!(budget.charge(Dim::Millis, 1), Ok(Verdict::Exhausted(Dim::Millis)));
    }

    /// `charge_many` is all-or-nothing: with an undeclared dimension
    /// anywhere it reports the first one and nothing moves; otherwise it
    /// equals the same charges made one by one, reduced by severity.
    #[test]
    fn charge_many_is_atomic(
        decls in valid_decls(),
        warmup in proptest::collection::vec((dim(), amount()), 0..10),
        charges in proptest::collection::vec((dim(), amount()), 0..8),
    ) {
        let (mut budget, _) = build(&decls)?;
        for &(dim, amount) in &warmup {
            let _ = budget.charge(dim, amount);
        }
        let before = snapshot(&budget);
        let first_unknown = charges.iter().find(|(dim, _)| budget.spent(*dim).is_none());
        let mut one_by_one = budget.clone();
        let result = budget.charge_many(&charges);
        if let Some(&(dim, _)) = first_unknown {
            prop_assert_eq!(result, Err(ChargeError::UnknownDimension(dim)));
            prop_assert_eq!(snapshot(&budget), before);
        } else {
            let mut expected = Verdict::Continue;
            for &(dim, amount) in &charges {
                let verdict = one_by_one.charge(dim, amount);
                prop_assert!(verdict.is_ok());
                if let Ok(verdict) = verdict {
                    if severity(verdict) > severity(expected) {
                        expected = verdict;
                    }
                }
            }
            prop_assert_eq!(result, Ok(expected));
            prop_assert_eq!(snapshot(&budget), snapshot(&one_by_one));
        }
    }

    /// A clone is an independent budget: what happens to one never shows
    /// in the other, in either direction.
    #[test]
    fn clones_are_independent(
        decls in valid_decls(),
        shared in proptest::collection::vec(op(), 0..10),
        on_clone in proptest::collection::vec(op(), 1..20),
        on_original in proptest::collection::vec(op(), 1..20),
    ) {
        let (mut original, mut model) = build(&decls)?;
        for op in &shared {
            step(&mut original, &mut model, op)?;
        }
        let mut copy = original.clone();
        let mut copy_model = model.clone();
        prop_assert_eq!(snapshot(&copy), snapshot(&original));
        for op in &on_clone {
            step(&mut copy, &mut copy_model, op)?;
        }
        prop_assert_eq!(snapshot(&original), model.snapshot());
        for op in &on_original {
            step(&mut original, &mut model, op)?;
        }
        prop_assert_eq!(snapshot(&copy), copy_model.snapshot());
    }
}

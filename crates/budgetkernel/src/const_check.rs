//! A compile-time proof run: the fixed map and the charge path, driven
//! through every path inside `const` evaluations.
//!
//! rustc evaluates the `const _` items at the bottom of this file on every
//! build of the crate (`cargo check` included), with its const evaluator:
//! Miri's own interpreter engine. Inside that evaluation, reading
//! uninitialized memory is not undefined behaviour that may go unnoticed
//! but a hard compile error (`error[E0080]: ... memory is uninitialized`),
//! and so is a failed `assert!`. Building the crate therefore proves, for
//! the operations below, that the default `MaybeUninit` map never reads an
//! absent slot: not even a read whose result is thrown away before the
//! presence check, the slip that valgrind and the memory sanitizer cannot see.
//! (With `safe-map` the same runs prove the two variants agree with the
//! same models.)
//!
//! What is driven:
//!
//! - [`fixed_map_paths`]: every path of every map operation, for every
//!   [`Dim`]: absent and present reads, inserts, overwrites, saturating
//!   additions (including the saturation itself), copies;
//! - [`fixed_map_random`]: [`MAP_STEPS`] pseudo-random map operations
//!   checked against a plain `[Option<u64>; MAX_DIMS]` model, every slot
//!   compared after every step;
//! - [`budget_random`]: pseudo-random declarations (valid and invalid) and
//!   [`BUDGET_STEPS`] charges, checkpoints, resets and reads of [`Budget`],
//!   checked against a plain model of the documented semantics.
//!
//! Each run counts what it exercised and asserts at the end that every
//! combination was reached (for example: a read of an absent slot, for
//! each `Dim`), so a change of seed or weights cannot silently hollow it
//! out. The random runs use `SplitMix64` with fixed seeds: the same
//! sequence on every build. They cost well under a second of compile time.
//!
//! This module is compile-time only: nothing in it is reachable at run
//! time, so its `assert!`s are not caller-triggerable panics.

// Test-like code evaluated by the compiler only. Its models index plain
// arrays with `Dim as usize` (in `0..MAX_DIMS` by construction), and an
// out-of-range index here would be a compile error, not a run-time panic.
// The `as` casts narrow values masked or reduced below `MAX_DIMS` first.
#![allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_lossless
)]

use crate::fixed_map::FixedMap;
use crate::{Budget, BuilderError, ChargeError, Dim, Verdict, MAX_DIMS};

/// Pseudo-random map operations in [`fixed_map_random`].
const MAP_STEPS: u32 = 4_096;
/// Pseudo-random budget operations in [`budget_random`].
const BUDGET_STEPS: u32 = 4_096;

/// `SplitMix64`: tiny, full-period, good enough to spread operations.
struct Rng(u64);

impl Rng {
    const fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` small, so the modulo bias is irrelevant).
    const fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    const fn dim(&mut self) -> Dim {
        Dim::ALL[(self.next() & 7) as usize]
    }

    /// Amounts biased towards the edges: zero, one, small, and the top of
    /// the range, where saturation happens.
    const fn amount(&mut self) -> u64 {
        let r = self.next();
        match r % 8 {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            3 => u64::MAX - (r >> 59),
            4 | 5 => (r >> 32) % 64,
            _ => r >> (r % 64),
        }
    }
}

const fn opt_eq(a: Option<u64>, b: Option<u64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        _ => false,
    }
}

const fn dim_eq(a: Dim, b: Dim) -> bool {
    a as u8 == b as u8
}

const fn verdict_eq(a: Verdict, b: Verdict) -> bool {
    match (a, b) {
        (Verdict::Continue, Verdict::Continue) => true,
        (Verdict::Warn(a), Verdict::Warn(b)) | (Verdict::Exhausted(a), Verdict::Exhausted(b)) => {
            dim_eq(a, b)
        }
        _ => false,
    }
}

const fn charge_eq(a: Result<Verdict, ChargeError>, b: Result<Verdict, ChargeError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => verdict_eq(a, b),
        (Err(ChargeError::UnknownDimension(a)), Err(ChargeError::UnknownDimension(b))) => {
            dim_eq(a, b)
        }
        _ => false,
    }
}

const fn builder_error_eq(a: BuilderError, b: BuilderError) -> bool {
    match (a, b) {
        (BuilderError::DuplicateDimension(a), BuilderError::DuplicateDimension(b))
        | (BuilderError::WarnNotBelowLimit(a), BuilderError::WarnNotBelowLimit(b))
        | (BuilderError::ZeroLimit(a), BuilderError::ZeroLimit(b)) => dim_eq(a, b),
        (BuilderError::NoDimensions, BuilderError::NoDimensions) => true,
        _ => false,
    }
}

/// Every slot of `map` (present or absent) agrees with `model`.
const fn assert_map_matches(map: &FixedMap, model: &[Option<u64>; MAX_DIMS]) {
    let mut empty = true;
    let mut i = 0;
    while i < MAX_DIMS {
        let dim = Dim::ALL[i];
        assert!(
            opt_eq(map.get(dim), model[i]),
            "FixedMap::get disagrees with the model"
        );
        assert!(
            map.contains(dim) == model[i].is_some(),
            "FixedMap::contains disagrees with the model"
        );
        empty &= model[i].is_none();
        i += 1;
    }
    assert!(
        map.is_empty() == empty,
        "FixedMap::is_empty disagrees with the model"
    );
}

/// Every operation's every path, for every `Dim`, with fixed values.
const fn fixed_map_paths() {
    let mut i = 0;
    while i < MAX_DIMS {
        let dim = Dim::ALL[i];
        let mut model = [None; MAX_DIMS];
        let mut map = FixedMap::new();
        // Absent: reads, a refused overwrite, a refused addition.
        assert_map_matches(&map, &model);
        assert!(!map.overwrite(dim, 5), "overwrite of an absent slot wrote");
        assert!(
            map.saturating_add(dim, 5).is_none(),
            "addition to an absent slot"
        );
        assert_map_matches(&map, &model);
        // Present: insert, read, replace, add, saturate, overwrite.
        map.insert(dim, 0);
        model[i] = Some(0);
        assert_map_matches(&map, &model);
        map.insert(dim, u64::MAX - 1);
        model[i] = Some(u64::MAX - 1);
        assert_map_matches(&map, &model);
        assert!(
            opt_eq(map.saturating_add(dim, 0), Some(u64::MAX - 1)),
            "add 0"
        );
        assert!(
            opt_eq(map.saturating_add(dim, 5), Some(u64::MAX)),
            "no saturation"
        );
        assert!(
            opt_eq(map.saturating_add(dim, u64::MAX), Some(u64::MAX)),
            "past MAX"
        );
        model[i] = Some(u64::MAX);
        assert_map_matches(&map, &model);
        assert!(map.overwrite(dim, 7), "overwrite of a present slot refused");
        model[i] = Some(7);
        assert_map_matches(&map, &model);
        // A copy is independent of its original, both ways.
        let mut copy = map;
        copy.insert(Dim::ALL[(i + 1) % MAX_DIMS], 9);
        assert!(copy.overwrite(dim, 8), "overwrite in a copy refused");
        assert_map_matches(&map, &model);
        let mut copy_model = model;
        copy_model[(i + 1) % MAX_DIMS] = Some(9);
        copy_model[i] = Some(8);
        assert_map_matches(&copy, &copy_model);
        i += 1;
    }
    // All slots present at once, distinct values including both extremes.
    let values = [0, 1, 7, 1 << 32, u64::MAX - 1, u64::MAX, 42, 9_999];
    let mut map = FixedMap::new();
    let mut model = [None; MAX_DIMS];
    let mut i = 0;
    while i < MAX_DIMS {
        map.insert(Dim::ALL[i], values[i]);
        model[i] = Some(values[i]);
        assert_map_matches(&map, &model);
        i += 1;
    }
}

/// What [`fixed_map_random`] exercised: `[operation][dim][slot present]`.
type MapCoverage = [[[u32; 2]; MAX_DIMS]; MAP_OPS];
/// Operation kinds of [`fixed_map_random`].
const MAP_OPS: usize = 6;

/// Pseudo-random map operations against `[Option<u64>; MAX_DIMS]`.
const fn fixed_map_random() {
    let mut rng = Rng(0x5EED_0F1E_D3A7_0001);
    let mut map = FixedMap::new();
    let mut model: [Option<u64>; MAX_DIMS] = [None; MAX_DIMS];
    let mut seen: MapCoverage = [[[0; 2]; MAX_DIMS]; MAP_OPS];
    let mut saturated = [false; MAX_DIMS];
    let mut step = 0;
    while step < MAP_STEPS {
        // Fresh maps now and then keep absent slots in play.
        if step % 256 == 0 {
            map = FixedMap::new();
            model = [None; MAX_DIMS];
        }
        let dim = rng.dim();
        let i = dim as usize;
        let op = rng.below(MAP_OPS as u64) as usize;
        seen[op][i][model[i].is_some() as usize] += 1;
        match op {
            0 => {
                let value = rng.amount();
                map.insert(dim, value);
                model[i] = Some(value);
            }
            1 => assert!(
                opt_eq(map.get(dim), model[i]),
                "get disagrees with the model"
            ),
            2 => {
                let amount = rng.amount();
                let expected = match model[i] {
                    Some(value) => {
                        if value.checked_add(amount).is_none() {
                            saturated[i] = true;
                        }
                        Some(value.saturating_add(amount))
                    }
                    None => None,
                };
                assert!(
                    opt_eq(map.saturating_add(dim, amount), expected),
                    "saturating_add disagrees with the model"
                );
                model[i] = expected;
            }
            3 => {
                let value = rng.amount();
                let wrote = map.overwrite(dim, value);
                assert!(
                    wrote == model[i].is_some(),
                    "overwrite disagrees with the model"
                );
                if wrote {
                    model[i] = Some(value);
                }
            }
            4 => {
                // Copy, change the copy: the original must not move.
                let mut copy = map;
                let mut copy_model = model;
                let value = rng.amount();
                copy.insert(dim, value);
                copy_model[i] = Some(value);
                assert_map_matches(&copy, &copy_model);
            }
            _ => assert!(
                map.contains(dim) == model[i].is_some(),
                "contains disagrees with the model"
            ),
        }
        // The touched slot after every step, every slot now and then.
        assert!(
            opt_eq(map.get(dim), model[i]),
            "FixedMap disagrees with the model"
        );
        if step % 32 == 31 {
            assert_map_matches(&map, &model);
        }
        step += 1;
    }
    let mut op = 0;
    while op < MAP_OPS {
        let mut i = 0;
        while i < MAX_DIMS {
            assert!(
                seen[op][i][0] > 0,
                "a map operation never met an absent slot"
            );
            assert!(
                seen[op][i][1] > 0,
                "a map operation never met a present slot"
            );
            i += 1;
        }
        op += 1;
    }
    let mut i = 0;
    while i < MAX_DIMS {
        assert!(saturated[i], "a dimension never saturated");
        i += 1;
    }
}

/// The documented semantics of a budget, written plainly.
#[derive(Clone, Copy)]
struct BudgetModel {
    limits: [Option<u64>; MAX_DIMS],
    warns: [Option<u64>; MAX_DIMS],
    spent: [u64; MAX_DIMS],
}

/// Severity order of verdicts, for the model's own fold.
const fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Continue => 0,
        Verdict::Warn(_) => 1,
        Verdict::Exhausted(_) => 2,
    }
}

impl BudgetModel {
    /// The verdict for the current total of declared `dim`.
    const fn verdict(&self, dim: Dim) -> Verdict {
        let i = dim as usize;
        let total = self.spent[i];
        match (self.limits[i], self.warns[i]) {
            (Some(limit), _) if total > limit => Verdict::Exhausted(dim),
            (_, Some(warn)) if total > warn => Verdict::Warn(dim),
            _ => Verdict::Continue,
        }
    }

    const fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        let i = dim as usize;
        if self.limits[i].is_none() {
            return Err(ChargeError::UnknownDimension(dim));
        }
        self.spent[i] = self.spent[i].saturating_add(amount);
        Ok(self.verdict(dim))
    }
}

/// Builder error the documented validation order gives, or `None` if the
/// declaration is valid. `decls` is `(dim, limit, warn)` in call order.
const fn expected_build(decls: &[(Dim, u64, Option<u64>)]) -> Option<BuilderError> {
    let mut declared = [false; MAX_DIMS];
    let mut limits = [0; MAX_DIMS];
    let mut warns: [Option<u64>; MAX_DIMS] = [None; MAX_DIMS];
    let mut any = false;
    let mut k = 0;
    while k < decls.len() {
        let (dim, limit, warn) = decls[k];
        let i = dim as usize;
        if declared[i] {
            return Some(BuilderError::DuplicateDimension(dim));
        }
        declared[i] = true;
        any = true;
        limits[i] = limit;
        warns[i] = warn;
        k += 1;
    }
    if !any {
        return Some(BuilderError::NoDimensions);
    }
    let mut i = 0;
    while i < MAX_DIMS {
        if declared[i] {
            if limits[i] == 0 {
                return Some(BuilderError::ZeroLimit(Dim::ALL[i]));
            }
            if let Some(warn) = warns[i] {
                if warn >= limits[i] {
                    return Some(BuilderError::WarnNotBelowLimit(Dim::ALL[i]));
                }
            }
        }
        i += 1;
    }
    None
}

/// Every observable number of `budget` agrees with `model`.
const fn assert_budget_matches(budget: &Budget, model: &BudgetModel) {
    let mut i = 0;
    while i < MAX_DIMS {
        let dim = Dim::ALL[i];
        let (spent, remaining) = match model.limits[i] {
            Some(limit) => (
                Some(model.spent[i]),
                Some(limit.saturating_sub(model.spent[i])),
            ),
            None => (None, None),
        };
        assert!(
            opt_eq(budget.spent(dim), spent),
            "Budget::spent disagrees with the model"
        );
        assert!(
            opt_eq(budget.remaining(dim), remaining),
            "Budget::remaining disagrees with the model"
        );
        i += 1;
    }
}

/// Budget outcomes [`budget_random`] must reach for every `Dim`.
const CONTINUE: usize = 0;
const WARN: usize = 1;
const EXHAUSTED: usize = 2;
const UNKNOWN: usize = 3;
const MANY_REFUSED: usize = 4;
const OUTCOMES: usize = 5;

/// Pseudo-random declarations and operations against [`BudgetModel`].
#[allow(clippy::too_many_lines)]
const fn budget_random() {
    let mut rng = Rng(0xB0D6_E7C4_EC4E_0002);
    let mut seen = [[0_u32; OUTCOMES]; MAX_DIMS];
    let mut build_errors = [0_u32; 4];
    let mut resets = 0_u32;
    let mut step = 0;
    while step < BUDGET_STEPS {
        // A declaration of up to 9 entries: duplicates, zero limits and
        // warn thresholds at or above the limit all happen sometimes.
        let mut decls = [(Dim::Tokens, 0_u64, None::<u64>); 9];
        let count = rng.below(10) as usize;
        let mut builder = Budget::builder();
        let mut k = 0;
        while k < count {
            let dim = rng.dim();
            let limit = match rng.below(16) {
                0 => 0,
                1 => u64::MAX,
                2 => 1,
                _ => 1 + rng.below(200),
            };
            let warn = match rng.below(4) {
                0 => None,
                1 => Some(limit.saturating_add(rng.below(2))),
                _ => Some(if limit == 0 { 0 } else { rng.below(limit) }),
            };
            builder = match warn {
                Some(warn) => builder.limit_with_warn(dim, limit, warn),
                None => builder.limit(dim, limit),
            };
            decls[k] = (dim, limit, warn);
            k += 1;
        }
        let decls = decls.split_at(count).0;
        let expected = expected_build(decls);
        let result = builder.build();
        assert!(
            result.is_ok() == expected.is_none(),
            "build accepted an invalid declaration or refused a valid one"
        );
        let mut budget = match result {
            Ok(budget) => budget,
            Err(err) => {
                if let Some(want) = expected {
                    assert!(
                        builder_error_eq(err, want),
                        "build reported the wrong error"
                    );
                }
                build_errors[match err {
                    BuilderError::DuplicateDimension(_) => 0,
                    BuilderError::WarnNotBelowLimit(_) => 1,
                    BuilderError::ZeroLimit(_) => 2,
                    BuilderError::NoDimensions => 3,
                }] += 1;
                step += 1;
                continue;
            }
        };
        let mut model = BudgetModel {
            limits: [None; MAX_DIMS],
            warns: [None; MAX_DIMS],
            spent: [0; MAX_DIMS],
        };
        k = 0;
        while k < decls.len() {
            let (dim, limit, warn) = decls[k];
            model.limits[dim as usize] = Some(limit);
            model.warns[dim as usize] = warn;
            k += 1;
        }
        assert_budget_matches(&budget, &model);
        // A run of operations on this budget.
        let ops = 8 + rng.below(56);
        let mut n = 0;
        while n < ops && step < BUDGET_STEPS {
            match rng.below(8) {
                0..=3 => {
                    let dim = rng.dim();
                    let amount = rng.amount() % if rng.below(4) == 0 { u64::MAX } else { 64 };
                    let want = model.charge(dim, amount);
                    let got = budget.charge(dim, amount);
                    assert!(
                        charge_eq(got, want),
                        "Budget::charge disagrees with the model"
                    );
                    seen[dim as usize][match got {
                        Ok(Verdict::Continue) => CONTINUE,
                        Ok(Verdict::Warn(_)) => WARN,
                        Ok(Verdict::Exhausted(_)) => EXHAUSTED,
                        Err(_) => UNKNOWN,
                    }] += 1;
                }
                4..=6 => {
                    let mut charges = [(Dim::Tokens, 0_u64); 4];
                    let len = rng.below(5) as usize;
                    let mut j = 0;
                    while j < len {
                        charges[j] = (rng.dim(), rng.amount() % 32);
                        j += 1;
                    }
                    let charges = charges.split_at(len).0;
                    // Model: the first undeclared dimension refuses all;
                    // otherwise apply in order, first of worst severity wins.
                    let mut want = Ok(Verdict::Continue);
                    j = 0;
                    while j < len {
                        if model.limits[charges[j].0 as usize].is_none() {
                            want = Err(ChargeError::UnknownDimension(charges[j].0));
                            break;
                        }
                        j += 1;
                    }
                    if want.is_ok() {
                        let mut worst = Verdict::Continue;
                        j = 0;
                        while j < len {
                            if let Ok(v) = model.charge(charges[j].0, charges[j].1) {
                                if rank(v) > rank(worst) {
                                    worst = v;
                                }
                            }
                            j += 1;
                        }
                        want = Ok(worst);
                    }
                    let got = budget.charge_many(charges);
                    assert!(
                        charge_eq(got, want),
                        "Budget::charge_many disagrees with the model"
                    );
                    if let Err(ChargeError::UnknownDimension(dim)) = got {
                        seen[dim as usize][MANY_REFUSED] += 1;
                    }
                }
                _ => {
                    budget.reset();
                    model.spent = [0; MAX_DIMS];
                    resets += 1;
                }
            }
            if n % 16 == 15 {
                assert_budget_matches(&budget, &model);
            }
            n += 1;
            step += 1;
        }
    }
    let mut i = 0;
    while i < MAX_DIMS {
        let mut outcome = 0;
        while outcome < OUTCOMES {
            assert!(
                seen[i][outcome] > 0,
                "a dimension never reached some verdict or error"
            );
            outcome += 1;
        }
        i += 1;
    }
    let mut kind = 0;
    while kind < build_errors.len() {
        assert!(
            build_errors[kind] > 0,
            "a kind of builder error never happened"
        );
        kind += 1;
    }
    assert!(resets > 0, "reset never ran");
}

const _: () = fixed_map_paths();
const _: () = fixed_map_random();
const _: () = budget_random();

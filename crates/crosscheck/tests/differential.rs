//! Differential test: this repository's kernel against the published
//! `budgetkernel` 0.1.2, on random operation sequences.
//!
//! Each sequence runs on both kernels side by side through
//! `crosscheck::engine` (results mapped to one common representation). After
//! every step the test asserts that the step's result is identical (verdict,
//! builder error, charge error, spent, remaining) and that `spent` and
//! `remaining` agree on all eight dimensions of every live budget: the active
//! one and, after a clone, the other copy, so state leaking between a budget
//! and its clone is caught too.
//!
//! Generated operations: builds (valid ones, and arbitrary ones that hit
//! duplicates, zero limits, `warn >= limit` and empty declarations), charges
//! with 0, 1, small, 2^53-1, `u64::MAX` and near-`u64::MAX` amounts,
//! undeclared dimensions, `charge_many` (empty, with undeclared dimensions,
//! with repeats), `spent`, `remaining`, `reset`, clone-then-diverge.

use crosscheck::engine::{
    BuildError, ChargeError, Dim, Kernel, LimitSpec, Ours, Upstream, Verdict,
};
use proptest::prelude::*;
use proptest::sample::select;

/// Number of random sequences of the main property (the second one, which
/// starts every sequence with a valid build, runs half as many); each has up
/// to `MAX_STEPS` operations.
const CASES: u32 = 2_000;
const MAX_STEPS: usize = 64;
const MAX_SAFE: u64 = (1 << 53) - 1;

#[derive(Clone, Debug)]
enum Step {
    Build(Vec<LimitSpec>),
    Charge(Dim, u64),
    ChargeMany(Vec<(Dim, u64)>),
    Spent(Dim),
    Remaining(Dim),
    Reset,
    /// The active budget is cloned; the copy becomes the other budget.
    Clone,
    /// The active and the other budget trade places, so that later steps
    /// drive the two copies apart.
    Swap,
}

/// What one step returned, in a form both kernels can be compared on.
#[derive(Debug, PartialEq, Eq)]
enum Observed {
    Built(Result<(), BuildError>),
    Charged(Result<Verdict, ChargeError>),
    Value(Option<u64>),
    Done,
    NoBudget,
}

fn dim() -> impl Strategy<Value = Dim> {
    select(Dim::ALL.to_vec())
}

/// Amounts concentrated on the edges the semantics care about.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => Just(0u64),
        3 => Just(1u64),
        6 => 0u64..=120,
        2 => 0u64..=10_000,
        1 => Just(MAX_SAFE),
        1 => Just(MAX_SAFE + 1),
        2 => Just(u64::MAX),
        2 => (u64::MAX - 64)..=u64::MAX,
        1 => ((1u64 << 63) - 2)..=((1u64 << 63) + 2),
        1 => any::<u64>(),
    ]
}

/// Limits: mostly small (so charges cross them often), plus the extremes,
/// including the refused zero.
fn limit() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        2 => Just(1u64),
        8 => 1u64..=100,
        1 => Just(MAX_SAFE),
        1 => Just(u64::MAX - 1),
        2 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

/// Warn thresholds: absent, or anything (below, equal to or above the limit).
fn warn() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        2 => Just(None),
        3 => (0u64..=110).prop_map(Some),
        1 => Just(Some(0)),
        1 => limit().prop_map(Some),
    ]
}

/// How a valid declaration picks its warn threshold.
#[derive(Clone, Copy, Debug)]
enum WarnChoice {
    None,
    /// `n % limit`, so always below the limit.
    Below(u64),
    /// Exactly `limit - 1`, the highest accepted threshold.
    Highest,
}

/// Builds that succeed: 1 to 8 distinct dimensions in random order, non-zero
/// limits, warns strictly below their limit. Written as a plain `prop_map`
/// (repeated dimensions dropped) so that failing cases shrink well.
fn valid_build() -> impl Strategy<Value = Vec<LimitSpec>> {
    let nonzero_limit = prop_oneof![
        8 => 1u64..=100,
        1 => Just(MAX_SAFE),
        1 => Just(u64::MAX - 1),
        2 => Just(u64::MAX),
        1 => 1u64..=u64::MAX,
    ];
    let warn = prop_oneof![
        2 => Just(WarnChoice::None),
        3 => (0u64..=110).prop_map(WarnChoice::Below),
        1 => any::<u64>().prop_map(WarnChoice::Below),
        1 => Just(WarnChoice::Highest),
    ];
    prop::collection::vec((dim(), nonzero_limit, warn), 1..=12).prop_map(|raw| {
        let mut specs: Vec<LimitSpec> = Vec::new();
        for (dim, limit, choice) in raw {
            if specs.iter().any(|s| s.dim == dim) {
                continue;
            }
            let warn = match choice {
                WarnChoice::None => None,
                WarnChoice::Below(n) => Some(n % limit),
                WarnChoice::Highest => Some(limit - 1),
            };
            specs.push(LimitSpec { dim, limit, warn });
        }
        specs
    })
}

/// Builds with no guarantee at all: duplicates, zero limits, warn >= limit,
/// and no declaration.
fn any_build() -> impl Strategy<Value = Vec<LimitSpec>> {
    prop::collection::vec(
        (dim(), limit(), warn()).prop_map(|(dim, limit, warn)| LimitSpec { dim, limit, warn }),
        0..=5,
    )
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => valid_build().prop_map(Step::Build),
        2 => any_build().prop_map(Step::Build),
        16 => (dim(), amount()).prop_map(|(d, a)| Step::Charge(d, a)),
        5 => prop::collection::vec((dim(), amount()), 0..=6).prop_map(Step::ChargeMany),
        3 => dim().prop_map(Step::Spent),
        3 => dim().prop_map(Step::Remaining),
        2 => Just(Step::Reset),
        2 => Just(Step::Clone),
        2 => Just(Step::Swap),
    ]
}

/// One kernel's live budgets: the active one and, after a clone, the other.
struct Side<K> {
    active: Option<K>,
    other: Option<K>,
}

impl<K: Kernel> Side<K> {
    const fn new() -> Self {
        Self {
            active: None,
            other: None,
        }
    }

    fn with_active(&mut self, f: impl FnOnce(&mut K) -> Observed) -> Observed {
        self.active.as_mut().map_or(Observed::NoBudget, f)
    }

    fn apply(&mut self, step: &Step) -> Observed {
        match step {
            Step::Build(specs) => Observed::Built(K::build(specs).map(|budget| {
                self.active = Some(budget);
            })),
            Step::Charge(dim, amount) => {
                self.with_active(|b| Observed::Charged(b.charge(*dim, *amount)))
            }
            Step::ChargeMany(charges) => {
                self.with_active(|b| Observed::Charged(b.charge_many(charges)))
            }
            Step::Spent(dim) => self.with_active(|b| Observed::Value(b.spent(*dim))),
            Step::Remaining(dim) => self.with_active(|b| Observed::Value(b.remaining(*dim))),
            Step::Reset => self.with_active(|b| {
                b.reset();
                Observed::Done
            }),
            Step::Clone => {
                let Some(active) = self.active.as_ref() else {
                    return Observed::NoBudget;
                };
                match active.try_clone() {
                    Ok(copy) => {
                        self.other = Some(copy);
                        Observed::Done
                    }
                    Err(e) => Observed::Built(Err(e)),
                }
            }
            Step::Swap => {
                core::mem::swap(&mut self.active, &mut self.other);
                Observed::Done
            }
        }
    }

    /// `(spent, remaining)` for every dimension of both budgets.
    fn snapshot(&self) -> [Vec<(Option<u64>, Option<u64>)>; 2] {
        let view = |budget: Option<&K>| {
            budget.map_or_else(Vec::new, |b| {
                Dim::ALL
                    .iter()
                    .map(|&d| (b.spent(d), b.remaining(d)))
                    .collect()
            })
        };
        [view(self.active.as_ref()), view(self.other.as_ref())]
    }
}

fn check_sequence(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut ours = Side::<Ours>::new();
    let mut upstream = Side::<Upstream>::new();
    for (i, step) in steps.iter().enumerate() {
        let got = ours.apply(step);
        let want = upstream.apply(step);
        prop_assert_eq!(&got, &want, "step {} {:?}: result differs", i, step);
        // A clone must never fail on either side.
        prop_assert!(
            !matches!(step, Step::Clone) || matches!(got, Observed::Done | Observed::NoBudget),
            "step {} clone failed: {:?}",
            i,
            got
        );
        prop_assert_eq!(
            ours.snapshot(),
            upstream.snapshot(),
            "step {} {:?}: state differs",
            i,
            step
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn ours_matches_upstream_on_random_sequences(
        steps in prop::collection::vec(step(), 1..=MAX_STEPS)
    ) {
        check_sequence(&steps)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES / 2,
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn ours_matches_upstream_after_a_valid_build(
        build in valid_build(),
        steps in prop::collection::vec(step(), 0..MAX_STEPS)
    ) {
        let mut all = vec![Step::Build(build)];
        all.extend(steps);
        check_sequence(&all)?;
    }
}

// ---------------------------------------------------------------------------
// Exhaustive checks of the small, pure parts of the API.

fn up_dim(d: Dim) -> upstream::Dim {
    let found = upstream::Dim::ALL
        .into_iter()
        .find(|u| u.name() == d.name());
    assert!(
        found.is_some(),
        "upstream has no dimension named {}",
        d.name()
    );
    found.unwrap_or(upstream::Dim::Tokens)
}

fn ours_verdicts() -> Vec<budgetkernel::Verdict> {
    let mut all = vec![budgetkernel::Verdict::Continue];
    for d in Dim::ALL {
        all.push(budgetkernel::Verdict::Warn(d));
        all.push(budgetkernel::Verdict::Exhausted(d));
    }
    all
}

fn to_up(v: budgetkernel::Verdict) -> upstream::Verdict {
    match v {
        budgetkernel::Verdict::Continue => upstream::Verdict::Continue,
        budgetkernel::Verdict::Warn(d) => upstream::Verdict::Warn(up_dim(d)),
        budgetkernel::Verdict::Exhausted(d) => upstream::Verdict::Exhausted(up_dim(d)),
    }
}

#[test]
fn dim_enums_agree_on_order_index_and_name() {
    assert_eq!(budgetkernel::MAX_DIMS, upstream::MAX_DIMS);
    assert_eq!(Dim::ALL.len(), upstream::Dim::ALL.len());
    for (ours, theirs) in Dim::ALL.into_iter().zip(upstream::Dim::ALL) {
        assert_eq!(ours.name(), theirs.name());
        assert_eq!(ours.index(), theirs.index());
        assert_eq!(ours as u8, theirs as u8);
    }
}

#[test]
fn verdict_helpers_agree_on_every_pair() {
    let all = ours_verdicts();
    assert_eq!(all.len(), 17);
    for &a in &all {
        assert_eq!(a.is_continuing(), to_up(a).is_continuing(), "{a:?}");
        assert_eq!(a.is_exhausted(), to_up(a).is_exhausted(), "{a:?}");
        assert_eq!(
            a.dimension().map(Dim::name),
            to_up(a).dimension().map(upstream::Dim::name),
            "{a:?}"
        );
        for &b in &all {
            assert_eq!(
                to_up(a.worst(b)),
                to_up(a).worst(to_up(b)),
                "{a:?} worst {b:?}"
            );
        }
    }
}

#[test]
fn the_generators_reach_every_interesting_case() {
    // Guards the differential test against generators that silently stop
    // producing a whole class of steps: run many sequences and require that
    // every kind of outcome was observed at least once.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(step(), 1..=MAX_STEPS);
    let mut seen = [false; 12];
    for _ in 0..300 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let mut side = Side::<Upstream>::new();
        for step in tree.current() {
            let slot = match side.apply(&step) {
                Observed::Built(Ok(())) => 0,
                Observed::Built(Err(BuildError::DuplicateDimension(_))) => 1,
                Observed::Built(Err(BuildError::ZeroLimit(_))) => 2,
                Observed::Built(Err(BuildError::WarnNotBelowLimit(_))) => 3,
                Observed::Built(Err(BuildError::NoDimensions)) => 4,
                Observed::Charged(Ok(Verdict::Continue)) => 5,
                Observed::Charged(Ok(Verdict::Warn(_))) => 6,
                Observed::Charged(Ok(Verdict::Exhausted(_))) => 7,
                Observed::Charged(Err(_)) => 8,
                Observed::Value(Some(_)) => 9,
                Observed::Value(None) => 10,
                Observed::Done | Observed::NoBudget => 11,
            };
            if let Some(flag) = seen.get_mut(slot) {
                *flag = true;
            }
        }
    }
    assert_eq!(seen, [true; 12]);
}

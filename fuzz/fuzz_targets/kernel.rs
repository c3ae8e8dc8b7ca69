//! The kernel against a plain model: arbitrary sequences of builds,
//! `charge`, `charge_many`, `spent`, `remaining`, `reset` and `clone`,
//! with every observable result compared after every operation.
//!
//! Up to four budgets are alive at once (clones included), so a clone that
//! shared state with its original would show up as a mismatch.
#![no_main]

use arbitrary::Arbitrary;
use budgetkernel::{Budget, BuilderError, ChargeError, Dim, Verdict, MAX_DIMS};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Decl {
    Limit(u8, u64),
    LimitWithWarn(u8, u64, u64),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Build(Vec<Decl>),
    Charge(u8, Amount),
    ChargeMany(Vec<(u8, Amount)>),
    Spent(u8),
    Remaining(u8),
    Reset,
    Clone,
    Select(u8),
}

/// Amounts: small ones reach limits quickly, raw ones reach saturation.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Amount {
    Small(u8),
    Raw(u64),
}

impl Amount {
    fn value(self) -> u64 {
        match self {
            Self::Small(v) => u64::from(v),
            Self::Raw(v) => v,
        }
    }
}

fn dim(byte: u8) -> Dim {
    Dim::ALL[usize::from(byte) % MAX_DIMS]
}

/// The documented semantics, written plainly.
#[derive(Clone, Debug)]
struct Model {
    limit: [Option<u64>; MAX_DIMS],
    warn: [Option<u64>; MAX_DIMS],
    spent: [u64; MAX_DIMS],
}

impl Model {
    /// The documented validation order of `build`.
    fn build(decls: &[Decl]) -> Result<Self, BuilderError> {
        let mut declared = [false; MAX_DIMS];
        let mut limit = [None; MAX_DIMS];
        let mut warn = [None; MAX_DIMS];
        for decl in decls {
            let (d, l, w) = match *decl {
                Decl::Limit(d, l) => (dim(d), l, None),
                Decl::LimitWithWarn(d, l, w) => (dim(d), l, Some(w)),
            };
            if declared[d.index()] {
                return Err(BuilderError::DuplicateDimension(d));
            }
            declared[d.index()] = true;
            limit[d.index()] = Some(l);
            warn[d.index()] = w;
        }
        if decls.is_empty() {
            return Err(BuilderError::NoDimensions);
        }
        for d in Dim::ALL {
            if let Some(l) = limit[d.index()] {
                if l == 0 {
                    return Err(BuilderError::ZeroLimit(d));
                }
                if warn[d.index()].is_some_and(|w| w >= l) {
                    return Err(BuilderError::WarnNotBelowLimit(d));
                }
            }
        }
        Ok(Self {
            limit,
            warn,
            spent: [0; MAX_DIMS],
        })
    }

    fn verdict(&self, d: Dim) -> Verdict {
        let total = self.spent[d.index()];
        if self.limit[d.index()].is_some_and(|l| total > l) {
            Verdict::Exhausted(d)
        } else if self.warn[d.index()].is_some_and(|w| total > w) {
            Verdict::Warn(d)
        } else {
            Verdict::Continue
        }
    }

    fn charge(&mut self, d: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        if self.limit[d.index()].is_none() {
            return Err(ChargeError::UnknownDimension(d));
        }
        self.spent[d.index()] = self.spent[d.index()].saturating_add(amount);
        Ok(self.verdict(d))
    }

    fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError> {
        if let Some(&(d, _)) = charges
            .iter()
            .find(|(d, _)| self.limit[d.index()].is_none())
        {
            return Err(ChargeError::UnknownDimension(d));
        }
        let rank = |v: Verdict| match v {
            Verdict::Continue => 0,
            Verdict::Warn(_) => 1,
            Verdict::Exhausted(_) => 2,
        };
        let mut worst = Verdict::Continue;
        for &(d, amount) in charges {
            let v = self.charge(d, amount)?;
            if rank(v) > rank(worst) {
                worst = v;
            }
        }
        Ok(worst)
    }

    fn spent(&self, d: Dim) -> Option<u64> {
        self.limit[d.index()].map(|_| self.spent[d.index()])
    }

    fn remaining(&self, d: Dim) -> Option<u64> {
        self.limit[d.index()].map(|l| l.saturating_sub(self.spent[d.index()]))
    }
}

fn assert_same(budget: &Budget, model: &Model) {
    for d in Dim::ALL {
        assert_eq!(budget.spent(d), model.spent(d), "spent({d:?})");
        assert_eq!(budget.remaining(d), model.remaining(d), "remaining({d:?})");
    }
}

const MAX_LIVE: usize = 4;

fuzz_target!(|ops: Vec<Op>| {
    let mut live: Vec<(Budget, Model)> = Vec::new();
    let mut current = 0;
    for op in ops {
        match op {
            Op::Build(decls) => {
                let builder = decls.iter().fold(Budget::builder(), |b, decl| match *decl {
                    Decl::Limit(d, l) => b.limit(dim(d), l),
                    Decl::LimitWithWarn(d, l, w) => b.limit_with_warn(dim(d), l, w),
                });
                match (builder.build(), Model::build(&decls)) {
                    (Ok(budget), Ok(model)) => {
                        assert_same(&budget, &model);
                        if live.len() < MAX_LIVE {
                            live.push((budget, model));
                            current = live.len() - 1;
                        } else {
                            live[current] = (budget, model);
                        }
                    }
                    (Err(got), Err(want)) => assert_eq!(got, want, "build error for {decls:?}"),
                    (got, want) => panic!("build: kernel {got:?}, model {want:?}"),
                }
            }
            Op::Select(i) => {
                if !live.is_empty() {
                    current = usize::from(i) % live.len();
                }
            }
            op => {
                let Some((budget, model)) = live.get_mut(current) else {
                    continue;
                };
                match op {
                    Op::Charge(d, amount) => {
                        let (d, amount) = (dim(d), amount.value());
                        assert_eq!(budget.charge(d, amount), model.charge(d, amount));
                    }
                    Op::ChargeMany(charges) => {
                        let charges: Vec<(Dim, u64)> =
                            charges.iter().map(|&(d, a)| (dim(d), a.value())).collect();
                        let before = budget.clone();
                        let got = budget.charge_many(&charges);
                        assert_eq!(got, model.charge_many(&charges));
                        if got.is_err() {
                            // A refused checkpoint changes nothing.
                            for d in Dim::ALL {
                                assert_eq!(budget.spent(d), before.spent(d));
                            }
                        }
                    }
                    Op::Spent(d) => assert_eq!(budget.spent(dim(d)), model.spent(dim(d))),
                    Op::Remaining(d) => {
                        assert_eq!(budget.remaining(dim(d)), model.remaining(dim(d)));
                    }
                    Op::Reset => {
                        budget.reset();
                        model.spent = [0; MAX_DIMS];
                    }
                    Op::Clone => {
                        let pair = (budget.clone(), model.clone());
                        if live.len() < MAX_LIVE {
                            live.push(pair);
                        } else {
                            let next = (current + 1) % live.len();
                            live[next] = pair;
                        }
                    }
                    Op::Build(_) | Op::Select(_) => unreachable!("handled above"),
                }
            }
        }
        // Every live budget, not only the one just used: clones and
        // originals must not leak into each other.
        for (budget, model) in &live {
            assert_same(budget, model);
        }
    }
});

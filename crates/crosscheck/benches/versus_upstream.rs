//! This repository's kernel ("ours") against the published `budgetkernel`
//! 0.1.2 ("upstream"), measured in the same run on the same machine, so the
//! ratio ours/upstream is meaningful even where absolute times are not.
//!
//! Cases (criterion group / function):
//! - `continuing/{ours,upstream}`: single-dimension charge that stays below
//!   the limit and any warn threshold;
//! - `warning/{ours,upstream}`: single-dimension charge above the warn
//!   threshold;
//! - `exhausted/{ours,upstream}`: charge on an already exhausted dimension;
//! - `three_sequential/{ours,upstream}`: three `charge` calls on three
//!   dimensions (the checkpoint pattern), plus `ours_charge_many`, the same
//!   checkpoint as one atomic `charge_many`;
//! - `per_request/{ours_clone,ours_builder}`: a per-request budget from a
//!   validated template's `clone()` against the builder path.
//!
//! The budget and every input go through `black_box`, so the compiler can
//! neither constant-fold the charge nor hoist it out of the loop. Each
//! verdict is passed to `black_box` on its own. An earlier version returned
//! the three checkpoint verdicts as one tuple; criterion then stored the tuple
//! and read it back, and because our inlined `charge` writes a result's tag
//! and dimension as separate bytes while 0.1.2's writes them as one 16-bit
//! word, the 16-bit reloads missed store-to-load forwarding on our side only.
//! That measured the harness, not the kernel (about 3x "slower"; same loop
//! body otherwise, checked in the disassembly).
//!
//! Run: `cargo bench -p crosscheck --bench versus_upstream`
//! (short: `-- --warm-up-time 1 --measurement-time 2`).

use std::fmt::Debug;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

/// Fixture set-up must not fail; if it does, the benchmark is meaningless.
fn or_exit<T, E: Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => {
            eprintln!("benchmark fixture could not be built: {e:?}");
            std::process::exit(1)
        }
    }
}

/// The same four charge cases for a kernel crate, which both share one API.
macro_rules! charge_cases {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::{black_box, or_exit, BenchmarkGroup, WallTime};
            use $krate::{Budget, Dim};

            pub fn continuing(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
                let mut budget = or_exit(
                    Budget::builder()
                        .limit(Dim::Tokens, black_box(u64::MAX))
                        .build(),
                );
                group.bench_function(name, |b| {
                    b.iter(|| black_box(&mut budget).charge(black_box(Dim::Tokens), black_box(1)));
                });
            }

            pub fn warning(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
                let mut budget = or_exit(
                    Budget::builder()
                        .limit_with_warn(Dim::Tokens, black_box(u64::MAX), black_box(0))
                        .build(),
                );
                group.bench_function(name, |b| {
                    b.iter(|| black_box(&mut budget).charge(black_box(Dim::Tokens), black_box(1)));
                });
            }

            pub fn exhausted(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
                let mut budget =
                    or_exit(Budget::builder().limit(Dim::Tokens, black_box(1)).build());
                let _ = budget.charge(Dim::Tokens, 2);
                group.bench_function(name, |b| {
                    b.iter(|| black_box(&mut budget).charge(black_box(Dim::Tokens), black_box(1)));
                });
            }

            pub fn three_budget() -> Budget {
                or_exit(
                    Budget::builder()
                        .limit(Dim::Tokens, black_box(u64::MAX))
                        .limit(Dim::Millis, black_box(u64::MAX))
                        .limit(Dim::Calls, black_box(u64::MAX))
                        .build(),
                )
            }

            pub fn three_sequential(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
                let mut budget = three_budget();
                group.bench_function(name, |b| {
                    b.iter(|| {
                        let budget = black_box(&mut budget);
                        // Each verdict is consumed on its own, as a caller
                        // does; see the module docs on why not as a tuple.
                        let _ = black_box(budget.charge(black_box(Dim::Tokens), black_box(1)));
                        let _ = black_box(budget.charge(black_box(Dim::Millis), black_box(1)));
                        let _ = black_box(budget.charge(black_box(Dim::Calls), black_box(1)));
                    });
                });
            }
        }
    };
}

charge_cases!(ours, budgetkernel);
charge_cases!(theirs, upstream);

type Case = fn(&mut BenchmarkGroup<'_, WallTime>, &str);

/// One criterion group holding the same case for both kernels.
fn versus(c: &mut Criterion, name: &str, ours: Case, upstream: Case) {
    let mut group = c.benchmark_group(name);
    ours(&mut group, "ours");
    upstream(&mut group, "upstream");
    group.finish();
}

fn charge(c: &mut Criterion) {
    versus(c, "continuing", ours::continuing, theirs::continuing);
    versus(c, "warning", ours::warning, theirs::warning);
    versus(c, "exhausted", ours::exhausted, theirs::exhausted);

    let mut group = c.benchmark_group("three_sequential");
    ours::three_sequential(&mut group, "ours");
    theirs::three_sequential(&mut group, "upstream");
    let mut budget = ours::three_budget();
    group.bench_function("ours_charge_many", |b| {
        b.iter(|| {
            let charges = black_box([
                (budgetkernel::Dim::Tokens, 1),
                (budgetkernel::Dim::Millis, 1),
                (budgetkernel::Dim::Calls, 1),
            ]);
            black_box(&mut budget).charge_many(&charges)
        });
    });
    group.finish();
}

fn per_request(c: &mut Criterion) {
    use budgetkernel::{Budget, Dim};

    // Since the kernel's builder is `const fn` this could be too; it is
    // measured at run time either way, so it stays a plain fn.
    #[allow(clippy::missing_const_for_fn)]
    fn from_builder() -> Result<Budget, budgetkernel::BuilderError> {
        Budget::builder()
            .limit_with_warn(Dim::Tokens, black_box(100_000), black_box(80_000))
            .limit(Dim::Millis, black_box(30_000))
            .limit(Dim::Calls, black_box(50))
            .build()
    }

    let template = or_exit(from_builder());
    let mut group = c.benchmark_group("per_request");
    group.bench_function("ours_clone", |b| b.iter(|| black_box(&template).clone()));
    group.bench_function("ours_builder", |b| b.iter(from_builder));
    group.finish();
}

fn main() {
    // What `criterion_group!`/`criterion_main!` expand to, written out so the
    // generated functions do not need doc comments.
    let mut c = Criterion::default().configure_from_args();
    charge(&mut c);
    per_request(&mut c);
    c.final_summary();
}

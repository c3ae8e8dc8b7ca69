//! Hot-path benchmarks of the kernel (criterion).
//!
//! The four cases of the security model (continuing, warning and
//! already-exhausted single-dimension charges; three sequential charges as
//! a checkpoint) plus the same checkpoint through `charge_many`. The group
//! name says which fixed-map variant was compiled, so runs with and without
//! `--features safe-map` can be compared side by side. These are local
//! baselines, not promises: numbers move with CPU, compiler and features.

use std::hint::black_box;

use budgetkernel::{Budget, BuilderError, Dim};
use criterion::{criterion_main, Criterion};

#[cfg(not(feature = "safe-map"))]
const GROUP: &str = "charge/default-map";
#[cfg(feature = "safe-map")]
const GROUP: &str = "charge/safe-map";

/// The checkpoint charged by the two multi-dimension cases.
const CHECKPOINT: [(Dim, u64); 3] = [(Dim::Tokens, 1), (Dim::Millis, 1), (Dim::Calls, 1)];

/// Builds every budget the benchmarks need; limits are black-boxed so the
/// optimizer cannot specialise on them.
struct Budgets {
    continuing: Budget,
    warning: Budget,
    exhausted: Budget,
    checkpoint: Budget,
}

fn budgets() -> Result<Budgets, BuilderError> {
    let continuing = Budget::builder()
        .limit(Dim::Tokens, black_box(u64::MAX))
        .build()?;
    let warning = Budget::builder()
        .limit_with_warn(Dim::Tokens, black_box(u64::MAX), black_box(0))
        .build()?;
    let mut exhausted = Budget::builder().limit(Dim::Tokens, black_box(1)).build()?;
    // Push it past its limit once; the charges measured below all see an
    // exhausted budget.
    let _ = exhausted.charge(Dim::Tokens, 2);
    let checkpoint = Budget::builder()
        .limit(Dim::Tokens, black_box(u64::MAX))
        .limit(Dim::Millis, black_box(u64::MAX))
        .limit(Dim::Calls, black_box(u64::MAX))
        .build()?;
    Ok(Budgets {
        continuing,
        warning,
        exhausted,
        checkpoint,
    })
}

fn single(c: &mut Criterion, name: &str, budget: &Budget) {
    let mut budget = budget.clone();
    c.bench_function(&format!("{GROUP}/{name}"), |b| {
        b.iter(|| black_box(&mut budget).charge(black_box(Dim::Tokens), black_box(1)));
    });
}

fn charge_benches(c: &mut Criterion) {
    let Ok(all) = budgets() else {
        eprintln!("benchmark budgets failed to build");
        std::process::exit(1);
    };
    single(c, "continue_single_dim", &all.continuing);
    single(c, "warn_single_dim", &all.warning);
    single(c, "exhausted_single_dim", &all.exhausted);

    let mut sequential = all.checkpoint.clone();
    c.bench_function(&format!("{GROUP}/three_dim_checkpoint"), |b| {
        b.iter(|| {
            let budget = black_box(&mut sequential);
            let mut verdict = budgetkernel::Verdict::Continue;
            for &(dim, amount) in &CHECKPOINT {
                if let Ok(step) = budget.charge(black_box(dim), black_box(amount)) {
                    verdict = verdict.worst(step);
                }
            }
            verdict
        });
    });

    let mut many = all.checkpoint;
    c.bench_function(&format!("{GROUP}/three_dim_charge_many"), |b| {
        b.iter(|| black_box(&mut many).charge_many(black_box(&CHECKPOINT)));
    });
}

// `criterion_group!` expands to an undocumented `pub fn`; keeping it in a
// private module keeps the crate-wide `missing_docs` lint intact.
mod harness {
    use criterion::criterion_group;

    criterion_group!(benches, super::charge_benches);
}

criterion_main!(harness::benches);

//! # budgetkernel
//!
//! Anything that spends resources on someone's behalf (an agent burning
//! LLM tokens, a job runner burning milliseconds, a gateway counting calls
//! and bytes) needs a point where it decides to stop. The decision is always
//! the same small computation: add what was just spent, compare against
//! what is allowed, and say what happens next. `budgetkernel` is that
//! computation and nothing else, written so it can be embedded anywhere
//! without adding a failure mode of its own.
//!
//! You declare limits (and optional warn thresholds) on up to eight fixed
//! [`Dim`]ensions, then charge amounts as work happens. Every accepted
//! charge returns one of three verdicts:
//!
//! - [`Verdict::Continue`]: within budget;
//! - [`Verdict::Warn`]: above a warn threshold, still within the limit;
//! - [`Verdict::Exhausted`]: above the limit (limits are inclusive).
//!
//! ```
//! use budgetkernel::{Budget, Dim, Verdict};
//!
//! let mut budget = Budget::builder()
//!     .limit_with_warn(Dim::Tokens, 10_000, 8_000)
//!     .limit(Dim::Calls, 20)
//!     .build()
//!     .map_err(|_| "invalid budget")?;
//!
//! // One model call that used 8_500 tokens, as a single atomic checkpoint.
//! match budget.charge_many(&[(Dim::Calls, 1), (Dim::Tokens, 8_500)]) {
//!     Ok(Verdict::Continue) => { /* keep going */ }
//!     Ok(Verdict::Warn(dim)) => assert_eq!(dim, Dim::Tokens), // wrap up soon
//!     Ok(Verdict::Exhausted(_)) => { /* stop */ }
//!     Err(_) => return Err("undeclared dimension"),
//! }
//! assert_eq!(budget.remaining(Dim::Tokens), Some(1_500));
//! # Ok::<(), &str>(())
//! ```
//!
//! ## What it never does
//!
//! - **No panics a caller can trigger.** Arithmetic saturates at `u64::MAX`;
//!   an undeclared dimension is a typed [`ChargeError`], never a panic; a
//!   malformed declaration is a typed [`BuilderError`]. A refused call
//!   changes nothing.
//! - **No allocation, no clock, no I/O, no global state, no threads.** Time
//!   is just another amount the caller measures and charges
//!   ([`Dim::Millis`]). The same calls therefore give the same verdicts on
//!   every machine and in every test.
//! - **No unbounded work.** Every operation is constant time (bounded by
//!   [`MAX_DIMS`]) except [`Budget::charge_many`], which is linear in the
//!   slice it is given.
//! - **No policy.** The kernel reports; what to do after a `Warn` or an
//!   `Exhausted` (stop, degrade, log, bill) belongs to the caller.
//!
//! ## Design discipline
//!
//! The dimension set is closed, so all state is three fixed arrays indexed
//! by [`Dim::index`], stored inline in the [`Budget`] value. The only
//! `unsafe` code is the internal fixed map, which by default keeps values
//! in `MaybeUninit` slots guarded by presence bits; the crate root denies
//! `unsafe` everywhere else, and each unsafe block states the invariant it
//! relies on. The lint wall below (no `unwrap`, `expect`, `panic!` or
//! slice indexing in production code; every item documented) is part of
//! the crate so it holds wherever the crate is built.
//!
//! ## Features
//!
//! - `std` (default): `std::error::Error` for [`BuilderError`] and
//!   [`ChargeError`]. Without it the crate is `#![no_std]` and needs no
//!   allocator.
//! - `safe-map`: the internal map uses zero-initialized arrays instead of
//!   `MaybeUninit`, and the whole crate is compiled under
//!   `forbid(unsafe_code)`. Behaviour is identical.
//!
//! ## Compatibility
//!
//! Source-compatible with `budgetkernel` 0.1.2: same items, same
//! semantics, same validation order. Added in 0.2: [`Budget`] is [`Clone`]
//! (build a template once, clone it per request) and
//! [`Budget::charge_many`] (validate all, then apply all).
//!
//! ## Security model
//!
//! The threat model, the fixed-map invariants, the lint posture and the
//! verification matrix (four feature builds and test runs, clippy, docs,
//! and memory checks of the unsafe map: a compile-time proof run under the
//! const evaluator, then Miri, or valgrind and the sanitizers where Miri is
//! unavailable) are described in the
//! project's `SECURITY.md` and in the documentation of the internal
//! `fixed_map` module.
//!
//! ## Non-goals
//!
//! No refilling over time (that is a rate limiter), no persistence, no
//! coordination across threads, processes or machines, no async API, no
//! runtime-defined dimensions, and no defence against code in the same
//! process that misuses a `&mut Budget` it legitimately holds.

#![cfg_attr(not(feature = "std"), no_std)]
// `unsafe` is denied crate-wide; the single exception is the fixed map
// below. Under `safe-map` it is forbidden outright, which no inner
// attribute can relax.
#![deny(unsafe_code)]
#![cfg_attr(feature = "safe-map", forbid(unsafe_code))]
// The lint posture of the security model, kept in the crate itself so it
// holds when the crate is built outside this workspace.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block,
    unsafe_op_in_unsafe_fn,
    missing_docs
)]
#![warn(clippy::pedantic, clippy::nursery)]

pub mod budget;
// Compile-time only: `const` evaluations that drive the fixed map and the
// charge path under rustc's const evaluator (Miri's engine). Compiled in
// every test build of the crate (so `cargo test` and `cargo clippy
// --all-targets` run it), and in any build with
// `RUSTFLAGS="--cfg budgetkernel_const_check"` (how the verification script
// and the MSRV job run it without dev-dependencies). Not in normal builds:
// it costs a few seconds of compile time that dependents should not pay.
#[cfg(any(test, budgetkernel_const_check))]
mod const_check;
pub mod dim;
pub mod error;
// The only module allowed to contain `unsafe` (the `MaybeUninit` reads of
// the default map). Each unsafe block in it carries a `// SAFETY:` comment
// citing the numbered invariants of its module documentation.
#[cfg_attr(not(feature = "safe-map"), allow(unsafe_code))]
pub(crate) mod fixed_map;
pub mod verdict;

pub use budget::{Budget, BudgetBuilder};
pub use dim::{Dim, MAX_DIMS};
pub use error::{BuilderError, ChargeError};
pub use verdict::Verdict;

/// The README's example, compiled and run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

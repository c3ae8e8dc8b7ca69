//! # budgetkernel-node
//!
//! The Node-API binding of the `budgetkernel` crate, built with napi-rs.
//! This crate is the only one in the workspace that knows about Node; it
//! does no accounting of its own. Every verdict, every error and every
//! spent value comes from the kernel.
//!
//! JavaScript does not call these functions directly: the TypeScript facade
//! (`ts/index.ts`, compiled to the package's `index.js`/`index.d.ts`) wraps
//! them in the documented `Budget`/`BudgetBuilder` classes. The functions
//! here form a deliberately flat, number-in/number-out surface, because
//! that is what crosses the boundary cheapest (`shared/BOUNDARY.md`):
//!
//! - a budget is named by a handle (a number, see the shared crate's
//!   `table.rs`), not a wrapped object;
//! - a dimension is its index in `Dim::ALL` (the facade maps names in JS);
//! - an amount is a JS number (validated as a safe non-negative integer)
//!   or a bigint (validated as `0..=2^64-1`);
//! - a verdict comes back as a code in `0..17`; a failure as `-1`, with the
//!   details available from [`take_error`].
//!
//! ## Panics
//!
//! No function here can panic on any input: the crate denies `unwrap`,
//! `expect`, `panic!` and unchecked indexing, like the kernel. As defence
//! in depth every export is `#[napi(catch_unwind)]` and the workspace
//! builds with `panic = "unwind"`, so a panic would surface as a JavaScript
//! exception rather than abort the Node process.
//!
//! ## Unsafe
//!
//! This crate writes no `unsafe` code (`#![deny(unsafe_code)]` below; the
//! only `unsafe` it compiles is inside napi-rs and the code its macros
//! expand to, which the lint cannot see into).

#![deny(unsafe_code)]
#![allow(
    clippy::must_use_candidate,
    reason = "the exports are called from JavaScript, where #[must_use] means nothing"
)]

mod error;

use budgetkernel_engine::convert::amount_from_words;
use budgetkernel_engine::error::Code;
use budgetkernel_engine::ops;
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::error::BindingFailure;

/// Number of dimensions a budget can declare.
#[napi]
pub const MAX_DIMENSIONS: u32 = 8;
const _: () = assert!(MAX_DIMENSIONS == ops::MAX_DIMENSIONS);

/// The dimension names in kernel index order (`Dim::name()`), read once by
/// the facade to check that its own table agrees with the kernel.
#[napi]
pub fn dim_names() -> Vec<&'static str> {
    ops::dim_names().collect()
}

/// Builds a budget from `count` declarations (`ops::create`): four words
/// each (dimension index, warn flag, limit, warn threshold). Returns the
/// new budget's handle, or -1.
#[napi(catch_unwind)]
pub fn create(declarations: &[u64], count: u32) -> f64 {
    ops::create(declarations, count)
}

/// An independent copy of a budget. Returns the copy's handle, or -1.
#[napi(js_name = "clone", catch_unwind)]
pub fn clone_budget(handle: f64) -> f64 {
    ops::clone_budget(handle)
}

/// Frees a budget at once.
///
/// Called by the facade's `Budget.release()` (and `[Symbol.dispose]()`), or
/// by its `FinalizationRegistry` once an unreleased `Budget` object has been
/// garbage collected. Returns whether the handle named a live budget; a
/// stale or forged handle frees nothing.
#[napi(catch_unwind)]
pub fn release(handle: f64) -> bool {
    ops::release(handle)
}

/// Number of live budgets on the calling thread (for leak tests).
#[napi(catch_unwind)]
pub fn live_budgets() -> u32 {
    ops::live_budgets()
}

/// Slots the calling thread's table has room for without growing (for leak
/// tests: it falls back once the live budgets are released).
#[napi(catch_unwind)]
pub fn table_capacity() -> u32 {
    ops::table_capacity()
}

/// Charges a number amount. Returns a verdict code (0..17) or -1.
#[napi(catch_unwind)]
pub fn charge(handle: f64, dim_index: u32, amount: f64) -> i32 {
    ops::charge(handle, dim_index, amount)
}

/// Charges a bigint amount. Returns a verdict code (0..17) or -1.
///
/// napi-rs's `BigInt` conversion copies the value's words into a `Vec`, so
/// this path allocates once per call on the Rust heap; number amounts do not.
#[napi(catch_unwind)]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands arguments over by value; BigInt has no borrowed form"
)]
pub fn charge_big(handle: f64, dim_index: u32, amount: BigInt) -> i32 {
    ops::charge_one(
        handle,
        dim_index,
        amount_from_words(amount.sign_bit, &amount.words),
    )
}

/// Charges the first `len` entries of `dims` and `amounts` atomically
/// (`ops::charge_batch`). Returns the `worst` of the verdicts, or -1.
#[napi(catch_unwind)]
pub fn charge_batch(handle: f64, dims: &[u8], amounts: &[f64], len: u32) -> i32 {
    ops::charge_batch(handle, dims, amounts, len)
}

/// [`charge_batch`] for a checkpoint of up to three number amounts.
///
/// Every value crosses as a plain argument (`ops::charge_few`). A number
/// argument crosses for about 5 ns where a typed array costs nearly 30,
/// which is what makes a small checkpoint cheaper than separate charges.
#[napi(catch_unwind)]
pub fn charge_few(handle: f64, packed: u32, a0: f64, a1: f64, a2: f64) -> i32 {
    ops::charge_few(handle, packed, a0, a1, a2)
}

/// [`charge_batch`] with bigint amounts (a `BigUint64Array`).
#[napi(catch_unwind)]
pub fn charge_batch_big(handle: f64, dims: &[u8], amounts: &[u64], len: u32) -> i32 {
    ops::charge_batch(handle, dims, amounts, len)
}

/// Amount spent on a dimension: a bigint, or `null` when the dimension is
/// not declared.
///
/// # Errors
///
/// `INVALID_HANDLE` or `INVALID_DIMENSION` (thrown), which the facade never
/// causes: it passes only live handles and valid indexes.
#[napi(catch_unwind)]
pub fn spent(handle: f64, dim_index: u32) -> napi::Result<Option<BigInt>> {
    thrown(ops::spent(handle, dim_index))
}

/// Headroom left on a dimension (`limit - spent`, floored at zero): a
/// bigint, or `null` when the dimension is not declared.
///
/// # Errors
///
/// As [`spent`].
#[napi(catch_unwind)]
pub fn remaining(handle: f64, dim_index: u32) -> napi::Result<Option<BigInt>> {
    thrown(ops::remaining(handle, dim_index))
}

fn thrown(outcome: Result<Option<u64>, Code>) -> napi::Result<Option<BigInt>> {
    outcome
        .map(|value| value.map(BigInt::from))
        .map_err(|code| napi::Error::new(napi::Status::InvalidArg, code.as_str()))
}

/// Zeroes every spent counter, keeping limits and warn thresholds.
/// Returns 0, or -1 for an invalid handle.
#[napi(catch_unwind)]
pub fn reset(handle: f64) -> i32 {
    ops::reset(handle)
}

/// Collects (and clears) the reason for the last call on this thread that
/// returned -1. `null` if there is none.
#[napi(catch_unwind)]
pub fn take_error() -> Option<BindingFailure> {
    ops::take_failure().map(BindingFailure::from)
}

/// The boundary's floor for `bench/`: the argument shape of `charge`
/// (a dimension and an amount), read and ignored. Only built with the
/// `bench-floor` feature, never shipped.
#[cfg(feature = "bench-floor")]
#[napi]
#[allow(
    clippy::needless_pass_by_value,
    unused_variables,
    reason = "the point is to cross the boundary with these arguments and do nothing"
)]
pub const fn bench_floor(dim_index: u32, amount: f64) -> i32 {
    0
}

/// Panics on purpose, for `__test__/panic.spec.ts`.
///
/// It proves that a panic inside an export surfaces as a JavaScript
/// exception (napi-rs's `catch_unwind` and the workspace's
/// `panic = "unwind"`) and leaves the process and the addon usable. Only
/// built with the `panic-probe` feature, never shipped.
///
/// # Panics
///
/// Always.
#[cfg(feature = "panic-probe")]
#[napi(catch_unwind)]
#[allow(
    clippy::panic,
    reason = "the panic is the point of this test-only export"
)]
pub fn panic_probe() {
    panic!("budgetkernel panic probe");
}

//! # budgetkernel-engine
//!
//! Everything the two JavaScript engines of `budgetkernel` share: the
//! per-thread handle table ([`table`]), the conversions of JavaScript
//! values ([`convert`]), the failure codes ([`error`]) and the operations
//! themselves ([`ops`]), written once. The napi binding
//! (`crates/budgetkernel-node`) and the wasm build
//! (`crates/budgetkernel-wasm`) are thin adapters over [`ops`]: each only
//! moves arguments across its boundary and turns a [`error::Failure`] into
//! its own JavaScript value, so both report the same verdicts and the same
//! failures for the same calls (`__test__/wasm-engine.spec.ts` checks it).
//!
//! No `unsafe` code, no panics on any input (the workspace lints deny
//! `unwrap`, `expect`, `panic!` and indexing). Every allocation that
//! grows with the caller's input is fallible (`try_reserve`), so a bounded
//! heap (the wasm memory's maximum) is reported as `TABLE_FULL`, not an
//! abort.

#![forbid(unsafe_code)]
#![allow(
    clippy::must_use_candidate,
    reason = "pure conversions and operations called by the two adapters; results are always used there"
)]

pub mod convert;
pub mod error;
pub mod ops;
pub mod table;

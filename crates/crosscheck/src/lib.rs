//! Test-only crate that holds this repository's kernel to the published
//! `budgetkernel` 0.1.2:
//!
//! - [`engine`]: one interface over both kernels, with results mapped to a
//!   common representation so that they can be compared;
//! - [`trace`]: the replay trace format (`docs/TRACE_FORMAT.md`), used by the
//!   `replay` binary, the Rust twin of the Node CLI's `budgetkernel replay`;
//! - `tests/differential.rs`: random operation sequences, ours against
//!   upstream, every observable result compared;
//! - `benches/versus_upstream.rs`: both kernels measured in the same run.

pub mod engine;
pub mod trace;

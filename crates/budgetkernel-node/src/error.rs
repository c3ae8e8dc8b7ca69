//! The napi form of a failure: the shared [`Failure`]
//! (`crates/budgetkernel-engine/src/error.rs`) as the object `takeError()`
//! returns.

use budgetkernel_engine::error::Failure;
use napi_derive::napi;

/// A failure as JavaScript receives it from `takeError()`.
#[napi(object, object_from_js = false)]
pub struct BindingFailure {
    /// `DUPLICATE_DIMENSION`, `WARN_NOT_BELOW_LIMIT`, `ZERO_LIMIT`,
    /// `NO_DIMENSIONS`, `UNKNOWN_DIMENSION`, `INVALID_HANDLE`,
    /// `INVALID_DIMENSION`, `INVALID_AMOUNT`, `LENGTH_MISMATCH`,
    /// `TABLE_FULL` or `INTERNAL`.
    pub code: String,
    /// The dimension involved, as an index into `DIMS`.
    pub dim: Option<u32>,
    /// The position of the offending entry in a batch.
    pub index: Option<u32>,
    /// The kernel's message for a kernel error.
    pub message: Option<String>,
}

impl From<Failure> for BindingFailure {
    fn from(failure: Failure) -> Self {
        Self {
            code: failure.code.as_str().to_owned(),
            dim: failure.dim,
            index: failure.index,
            message: failure.kernel_message(),
        }
    }
}

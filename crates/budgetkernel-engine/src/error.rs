//! Errors that cross the boundary (shared by the napi binding and the wasm
//! build; each turns a [`Failure`] into its own JavaScript value).
//!
//! The hot functions return a plain number: a verdict code or a handle when
//! they succeed, `-1` when they fail. On failure the details are parked in
//! the calling thread's table and fetched by the facade with `takeError`,
//! which turns them into the documented JavaScript error: `BuilderError` or
//! `ChargeError` for the kernel's refusals (with `code` and `dim`),
//! `RangeError` or `TypeError` for values the boundary refuses. Keeping the
//! failure path out of band means a successful charge never builds an error
//! value, a `String` or a JavaScript object.

use budgetkernel::{BuilderError, ChargeError, Dim};

use crate::convert::dim_at;

/// What went wrong, as the facade sees it. Codes mirror the kernel's error
/// variants one to one, plus the boundary's own refusals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// `BuilderError::DuplicateDimension`.
    DuplicateDimension,
    /// `BuilderError::WarnNotBelowLimit`.
    WarnNotBelowLimit,
    /// `BuilderError::ZeroLimit`.
    ZeroLimit,
    /// `BuilderError::NoDimensions`.
    NoDimensions,
    /// `ChargeError::UnknownDimension`.
    UnknownDimension,
    /// The handle does not name a live budget of this thread.
    InvalidHandle,
    /// A dimension index is not below `MAX_DIMS`.
    InvalidDimension,
    /// An amount is not an integer in the accepted range.
    InvalidAmount,
    /// Parallel inputs (dimensions, amounts, flags) differ in length.
    LengthMismatch,
    /// The thread's table cannot take another budget.
    TableFull,
    /// The per-thread table was unavailable (a bug, reported, never a panic).
    Internal,
}

impl Code {
    /// Every code, in the order of its number across the wasm boundary
    /// (`Code::ALL[n]`); the napi binding sends the string instead.
    pub const ALL: [Self; 11] = [
        Self::DuplicateDimension,
        Self::WarnNotBelowLimit,
        Self::ZeroLimit,
        Self::NoDimensions,
        Self::UnknownDimension,
        Self::InvalidHandle,
        Self::InvalidDimension,
        Self::InvalidAmount,
        Self::LengthMismatch,
        Self::TableFull,
        Self::Internal,
    ];

    /// The stable string the facade and the tests see.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DuplicateDimension => "DUPLICATE_DIMENSION",
            Self::WarnNotBelowLimit => "WARN_NOT_BELOW_LIMIT",
            Self::ZeroLimit => "ZERO_LIMIT",
            Self::NoDimensions => "NO_DIMENSIONS",
            Self::UnknownDimension => "UNKNOWN_DIMENSION",
            Self::InvalidHandle => "INVALID_HANDLE",
            Self::InvalidDimension => "INVALID_DIMENSION",
            Self::InvalidAmount => "INVALID_AMOUNT",
            Self::LengthMismatch => "LENGTH_MISMATCH",
            Self::TableFull => "TABLE_FULL",
            Self::Internal => "INTERNAL",
        }
    }
}

/// A failure recorded by the last call that returned `-1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong.
    pub code: Code,
    /// The dimension involved, as an index into `DIMS`, if any.
    pub dim: Option<u32>,
    /// The position of the offending entry in a batch, if any.
    pub index: Option<u32>,
}

impl Failure {
    /// A failure with no dimension and no entry position.
    pub const fn new(code: Code) -> Self {
        Self {
            code,
            dim: None,
            index: None,
        }
    }

    /// Attaches the dimension involved.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "Dim::index() is below MAX_DIMS = 8"
    )]
    #[must_use]
    pub const fn with_dim(mut self, dim: Dim) -> Self {
        self.dim = Some(dim.index() as u32);
        self
    }

    /// Attaches the position of the offending entry.
    #[must_use]
    pub const fn at(mut self, index: usize) -> Self {
        // Batches are JavaScript typed arrays, so positions fit in u32 on
        // every engine we support; saturate rather than wrap if not.
        self.index = Some(if index > u32::MAX as usize {
            u32::MAX
        } else {
            #[allow(clippy::cast_possible_truncation, reason = "checked just above")]
            {
                index as u32
            }
        });
        self
    }
}

impl From<BuilderError> for Failure {
    fn from(error: BuilderError) -> Self {
        match error {
            BuilderError::DuplicateDimension(dim) => {
                Self::new(Code::DuplicateDimension).with_dim(dim)
            }
            BuilderError::WarnNotBelowLimit(dim) => {
                Self::new(Code::WarnNotBelowLimit).with_dim(dim)
            }
            BuilderError::ZeroLimit(dim) => Self::new(Code::ZeroLimit).with_dim(dim),
            BuilderError::NoDimensions => Self::new(Code::NoDimensions),
        }
    }
}

impl From<ChargeError> for Failure {
    fn from(error: ChargeError) -> Self {
        match error {
            ChargeError::UnknownDimension(dim) => Self::new(Code::UnknownDimension).with_dim(dim),
        }
    }
}

impl Failure {
    /// The kernel's own wording for a kernel error (its `Display`), so the
    /// text lives in one place; `None` for the boundary's refusals, which
    /// the facade words itself because it knows the offending value.
    pub fn kernel_message(self) -> Option<String> {
        let dim = self.dim.and_then(dim_at);
        let message = match (self.code, dim) {
            (Code::DuplicateDimension, Some(dim)) => {
                BuilderError::DuplicateDimension(dim).to_string()
            }
            (Code::WarnNotBelowLimit, Some(dim)) => {
                BuilderError::WarnNotBelowLimit(dim).to_string()
            }
            (Code::ZeroLimit, Some(dim)) => BuilderError::ZeroLimit(dim).to_string(),
            (Code::NoDimensions, _) => BuilderError::NoDimensions.to_string(),
            (Code::UnknownDimension, Some(dim)) => ChargeError::UnknownDimension(dim).to_string(),
            _ => return None,
        };
        Some(message)
    }
}

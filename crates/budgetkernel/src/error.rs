//! Structural errors.
//!
//! Errors describe a request the budget cannot interpret (a malformed
//! declaration, a charge to a dimension the budget does not have). They are
//! distinct from [`Verdict`](crate::Verdict), which describes the state of
//! an accepted charge. Every error leaves all state unchanged.

use core::fmt;

use crate::Dim;

/// Why [`BudgetBuilder::build`](crate::BudgetBuilder::build) refused a
/// declaration.
///
/// # Semantics
///
/// `build` checks in a fixed order and reports the first problem found:
/// the first repeated declaration ([`DuplicateDimension`](Self::DuplicateDimension)),
/// then an empty declaration ([`NoDimensions`](Self::NoDimensions)), then each
/// declared dimension in [`Dim::ALL`] order, [`ZeroLimit`](Self::ZeroLimit)
/// before [`WarnNotBelowLimit`](Self::WarnNotBelowLimit).
///
/// ```
/// use budgetkernel::{Budget, BuilderError, Dim};
///
/// let err = Budget::builder().limit(Dim::Bytes, 0).build().err();
/// assert_eq!(err, Some(BuilderError::ZeroLimit(Dim::Bytes)));
/// assert_eq!(
///     BuilderError::ZeroLimit(Dim::Bytes).to_string(),
///     "limit for dimension 'bytes' is zero; a limit must be at least 1"
/// );
/// ```
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum BuilderError {
    /// The dimension was declared more than once.
    DuplicateDimension(Dim),
    /// The dimension's warn threshold is not strictly below its limit, so
    /// it could never warn before exhaustion.
    WarnNotBelowLimit(Dim),
    /// The dimension's limit is zero, so no positive charge could ever be
    /// accepted.
    ZeroLimit(Dim),
    /// No dimension was declared at all.
    NoDimensions,
}

/// Why a charge was refused.
///
/// A refused charge changes nothing: no counter of the budget moves.
///
/// ```
/// use budgetkernel::{Budget, ChargeError, Dim};
///
/// let mut budget = Budget::builder()
///     .limit(Dim::Tokens, 10)
///     .build()
///     .map_err(|_| "invalid budget")?;
/// assert_eq!(
///     budget.charge(Dim::Calls, 1),
///     Err(ChargeError::UnknownDimension(Dim::Calls))
/// );
/// # Ok::<(), &str>(())
/// ```
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum ChargeError {
    /// The dimension was not declared when the budget was built.
    UnknownDimension(Dim),
}

impl fmt::Display for BuilderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::DuplicateDimension(dim) => {
                write!(f, "dimension '{}' is declared more than once", dim.name())
            }
            Self::WarnNotBelowLimit(dim) => write!(
                f,
                "warn threshold for dimension '{}' is not below its limit",
                dim.name()
            ),
            Self::ZeroLimit(dim) => write!(
                f,
                "limit for dimension '{}' is zero; a limit must be at least 1",
                dim.name()
            ),
            Self::NoDimensions => f.write_str("a budget must declare at least one dimension"),
        }
    }
}

impl fmt::Display for ChargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnknownDimension(dim) => write!(
                f,
                "dimension '{}' is not declared in this budget",
                dim.name()
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BuilderError {}

#[cfg(feature = "std")]
impl std::error::Error for ChargeError {}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::{BuilderError, ChargeError};
    use crate::Dim;

    #[test]
    fn every_message_names_its_dimension() {
        for dim in Dim::ALL {
            let quoted = std::format!("'{}'", dim.name());
            for err in [
                BuilderError::DuplicateDimension(dim),
                BuilderError::WarnNotBelowLimit(dim),
                BuilderError::ZeroLimit(dim),
            ] {
                assert!(err.to_string().contains(&quoted), "{err:?}: {err}");
            }
            let charge = ChargeError::UnknownDimension(dim);
            assert!(charge.to_string().contains(&quoted), "{charge:?}: {charge}");
        }
    }

    #[test]
    fn messages_are_distinct() {
        let messages = [
            BuilderError::DuplicateDimension(Dim::Tokens).to_string(),
            BuilderError::WarnNotBelowLimit(Dim::Tokens).to_string(),
            BuilderError::ZeroLimit(Dim::Tokens).to_string(),
            BuilderError::NoDimensions.to_string(),
            ChargeError::UnknownDimension(Dim::Tokens).to_string(),
        ];
        for (i, a) in messages.iter().enumerate() {
            for b in messages.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
        assert!(!BuilderError::NoDimensions.to_string().is_empty());
    }

    #[cfg(feature = "std")]
    #[test]
    fn errors_are_std_errors() {
        fn takes(_: &dyn std::error::Error) {}
        takes(&BuilderError::NoDimensions);
        takes(&ChargeError::UnknownDimension(Dim::Calls));
    }
}

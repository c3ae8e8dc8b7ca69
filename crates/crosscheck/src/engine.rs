//! One interface over two kernels: this repository's `budgetkernel` ("ours")
//! and the published `budgetkernel` 0.1.2 ("upstream").
//!
//! Every result is mapped to the types of this module, which belong to
//! neither kernel, so that the two can be compared with `==` and rendered by
//! the replay CLI in one way. Dimensions are named with this repository's
//! [`Dim`]; the mapping to upstream's `Dim` is written out variant by variant
//! (never through an index), so a disagreement between the two enums cannot
//! hide inside the mapping. `tests/differential.rs` checks the enums
//! themselves (order, index, name) separately.

use core::fmt;
use core::str::FromStr;

pub use budgetkernel::Dim;

/// One declared dimension of a budget, in declaration order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LimitSpec {
    /// The dimension being declared.
    pub dim: Dim,
    /// Its inclusive limit.
    pub limit: u64,
    /// Its warn threshold, if any.
    pub warn: Option<u64>,
}

impl LimitSpec {
    /// A declaration without a warn threshold.
    #[must_use]
    pub const fn new(dim: Dim, limit: u64) -> Self {
        Self {
            dim,
            limit,
            warn: None,
        }
    }

    /// A declaration with a warn threshold.
    #[must_use]
    pub const fn with_warn(dim: Dim, limit: u64, warn: u64) -> Self {
        Self {
            dim,
            limit,
            warn: Some(warn),
        }
    }
}

/// The outcome of a successful charge, in the common representation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within limits and below any warn threshold.
    Continue,
    /// Above the warn threshold of this dimension.
    Warn(Dim),
    /// Above the limit of this dimension.
    Exhausted(Dim),
}

/// Why a budget could not be built, in the common representation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// The dimension was declared more than once (the first repeat is named).
    DuplicateDimension(Dim),
    /// The warn threshold is not strictly below the limit.
    WarnNotBelowLimit(Dim),
    /// The limit is zero.
    ZeroLimit(Dim),
    /// No dimension was declared.
    NoDimensions,
}

/// Why a charge was refused, in the common representation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChargeError {
    /// The dimension was not declared in this budget.
    UnknownDimension(Dim),
}

/// What the two kernels must agree on, operation by operation.
pub trait Kernel: Sized {
    /// Builds a budget from declarations, in order.
    ///
    /// # Errors
    /// The kernel's builder error, mapped to [`BuildError`].
    fn build(specs: &[LimitSpec]) -> Result<Self, BuildError>;

    /// Charges one dimension.
    ///
    /// # Errors
    /// [`ChargeError::UnknownDimension`] for an undeclared dimension.
    fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError>;

    /// Atomic checkpoint: validates every dimension, then applies the charges
    /// in order and returns the `worst` reduction of their verdicts.
    ///
    /// # Errors
    /// [`ChargeError::UnknownDimension`] for the first undeclared dimension;
    /// nothing is applied then.
    fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError>;

    /// Amount spent on `dim`, `None` when undeclared.
    fn spent(&self, dim: Dim) -> Option<u64>;

    /// Headroom left on `dim`, `None` when undeclared.
    fn remaining(&self, dim: Dim) -> Option<u64>;

    /// Zeroes every spent counter, keeping limits and warn thresholds.
    fn reset(&mut self);

    /// An independent copy with the same limits, thresholds and spent
    /// counters.
    ///
    /// # Errors
    /// Only if re-building an already valid configuration fails, which a
    /// correct kernel never does (upstream has no `Clone`; see
    /// [`Upstream`]).
    fn try_clone(&self) -> Result<Self, BuildError>;
}

// ---------------------------------------------------------------------------
// Ours

/// This repository's kernel.
#[derive(Clone, Debug)]
pub struct Ours(budgetkernel::Budget);

const fn from_ours_verdict(v: budgetkernel::Verdict) -> Verdict {
    match v {
        budgetkernel::Verdict::Continue => Verdict::Continue,
        budgetkernel::Verdict::Warn(d) => Verdict::Warn(d),
        budgetkernel::Verdict::Exhausted(d) => Verdict::Exhausted(d),
    }
}

const fn from_ours_charge_error(e: budgetkernel::ChargeError) -> ChargeError {
    match e {
        budgetkernel::ChargeError::UnknownDimension(d) => ChargeError::UnknownDimension(d),
    }
}

const fn from_ours_builder_error(e: budgetkernel::BuilderError) -> BuildError {
    match e {
        budgetkernel::BuilderError::DuplicateDimension(d) => BuildError::DuplicateDimension(d),
        budgetkernel::BuilderError::WarnNotBelowLimit(d) => BuildError::WarnNotBelowLimit(d),
        budgetkernel::BuilderError::ZeroLimit(d) => BuildError::ZeroLimit(d),
        budgetkernel::BuilderError::NoDimensions => BuildError::NoDimensions,
    }
}

impl Kernel for Ours {
    fn build(specs: &[LimitSpec]) -> Result<Self, BuildError> {
        let mut builder = budgetkernel::Budget::builder();
        for spec in specs {
            builder = match spec.warn {
                None => builder.limit(spec.dim, spec.limit),
                Some(warn) => builder.limit_with_warn(spec.dim, spec.limit, warn),
            };
        }
        builder.build().map(Self).map_err(from_ours_builder_error)
    }

    fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        self.0
            .charge(dim, amount)
            .map(from_ours_verdict)
            .map_err(from_ours_charge_error)
    }

    fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError> {
        self.0
            .charge_many(charges)
            .map(from_ours_verdict)
            .map_err(from_ours_charge_error)
    }

    fn spent(&self, dim: Dim) -> Option<u64> {
        self.0.spent(dim)
    }

    fn remaining(&self, dim: Dim) -> Option<u64> {
        self.0.remaining(dim)
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    fn try_clone(&self) -> Result<Self, BuildError> {
        Ok(self.clone())
    }
}

// ---------------------------------------------------------------------------
// Upstream

/// The published `budgetkernel` 0.1.2.
///
/// 0.1.2 has neither `charge_many` nor `Clone`; both are emulated through its
/// public API only:
/// - `charge_many`: every dimension is validated first (`spent(dim)` is
///   `None` exactly for undeclared dimensions), then the charges are applied
///   by sequential `charge` calls and the verdicts reduced with `worst`,
///   starting from `Continue`.
/// - clone: the declarations are kept, re-built, and each declared
///   dimension is charged its current spent amount (a single charge from
///   zero cannot saturate, so the copy has exactly the same counters).
#[derive(Debug)]
pub struct Upstream {
    budget: upstream::Budget,
    specs: Vec<LimitSpec>,
}

const fn to_upstream_dim(d: Dim) -> upstream::Dim {
    match d {
        Dim::Tokens => upstream::Dim::Tokens,
        Dim::Millis => upstream::Dim::Millis,
        Dim::Bytes => upstream::Dim::Bytes,
        Dim::Calls => upstream::Dim::Calls,
        Dim::Memory => upstream::Dim::Memory,
        Dim::Custom0 => upstream::Dim::Custom0,
        Dim::Custom1 => upstream::Dim::Custom1,
        Dim::Custom2 => upstream::Dim::Custom2,
    }
}

const fn from_upstream_dim(d: upstream::Dim) -> Dim {
    match d {
        upstream::Dim::Tokens => Dim::Tokens,
        upstream::Dim::Millis => Dim::Millis,
        upstream::Dim::Bytes => Dim::Bytes,
        upstream::Dim::Calls => Dim::Calls,
        upstream::Dim::Memory => Dim::Memory,
        upstream::Dim::Custom0 => Dim::Custom0,
        upstream::Dim::Custom1 => Dim::Custom1,
        upstream::Dim::Custom2 => Dim::Custom2,
    }
}

const fn from_upstream_verdict(v: upstream::Verdict) -> Verdict {
    match v {
        upstream::Verdict::Continue => Verdict::Continue,
        upstream::Verdict::Warn(d) => Verdict::Warn(from_upstream_dim(d)),
        upstream::Verdict::Exhausted(d) => Verdict::Exhausted(from_upstream_dim(d)),
    }
}

const fn from_upstream_charge_error(e: upstream::ChargeError) -> ChargeError {
    match e {
        upstream::ChargeError::UnknownDimension(d) => {
            ChargeError::UnknownDimension(from_upstream_dim(d))
        }
    }
}

const fn from_upstream_builder_error(e: upstream::BuilderError) -> BuildError {
    match e {
        upstream::BuilderError::DuplicateDimension(d) => {
            BuildError::DuplicateDimension(from_upstream_dim(d))
        }
        upstream::BuilderError::WarnNotBelowLimit(d) => {
            BuildError::WarnNotBelowLimit(from_upstream_dim(d))
        }
        upstream::BuilderError::ZeroLimit(d) => BuildError::ZeroLimit(from_upstream_dim(d)),
        upstream::BuilderError::NoDimensions => BuildError::NoDimensions,
    }
}

fn build_upstream(specs: &[LimitSpec]) -> Result<upstream::Budget, BuildError> {
    let mut builder = upstream::Budget::builder();
    for spec in specs {
        let dim = to_upstream_dim(spec.dim);
        builder = match spec.warn {
            None => builder.limit(dim, spec.limit),
            Some(warn) => builder.limit_with_warn(dim, spec.limit, warn),
        };
    }
    builder.build().map_err(from_upstream_builder_error)
}

impl Kernel for Upstream {
    fn build(specs: &[LimitSpec]) -> Result<Self, BuildError> {
        Ok(Self {
            budget: build_upstream(specs)?,
            specs: specs.to_vec(),
        })
    }

    fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        self.budget
            .charge(to_upstream_dim(dim), amount)
            .map(from_upstream_verdict)
            .map_err(from_upstream_charge_error)
    }

    fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError> {
        if let Some(&(dim, _)) = charges
            .iter()
            .find(|(dim, _)| self.budget.spent(to_upstream_dim(*dim)).is_none())
        {
            return Err(ChargeError::UnknownDimension(dim));
        }
        let mut acc = upstream::Verdict::Continue;
        for &(dim, amount) in charges {
            let verdict = self
                .budget
                .charge(to_upstream_dim(dim), amount)
                .map_err(from_upstream_charge_error)?;
            acc = acc.worst(verdict);
        }
        Ok(from_upstream_verdict(acc))
    }

    fn spent(&self, dim: Dim) -> Option<u64> {
        self.budget.spent(to_upstream_dim(dim))
    }

    fn remaining(&self, dim: Dim) -> Option<u64> {
        self.budget.remaining(to_upstream_dim(dim))
    }

    fn reset(&mut self) {
        self.budget.reset();
    }

    fn try_clone(&self) -> Result<Self, BuildError> {
        let mut copy = Self::build(&self.specs)?;
        for dim in Dim::ALL {
            let up = to_upstream_dim(dim);
            if let Some(spent) = self.budget.spent(up) {
                if spent > 0 {
                    // Cannot fail: `dim` is declared in the copy too.
                    let _ = copy.budget.charge(up, spent);
                }
            }
        }
        Ok(copy)
    }
}

// ---------------------------------------------------------------------------
// Runtime choice

/// Which kernel an [`Engine`] runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// This repository's kernel.
    Ours,
    /// The published `budgetkernel` 0.1.2.
    Upstream,
}

impl EngineKind {
    /// The name used on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Upstream => "upstream",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An engine name that is neither `ours` nor `upstream`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEngine(pub String);

impl fmt::Display for UnknownEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown engine {:?} (expected ours or upstream)", self.0)
    }
}

impl std::error::Error for UnknownEngine {}

impl FromStr for EngineKind {
    type Err = UnknownEngine;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ours" => Ok(Self::Ours),
            "upstream" => Ok(Self::Upstream),
            other => Err(UnknownEngine(other.to_owned())),
        }
    }
}

/// A budget of either kernel, chosen at run time.
#[derive(Debug)]
pub enum Engine {
    /// This repository's kernel.
    Ours(Ours),
    /// The published `budgetkernel` 0.1.2.
    Upstream(Upstream),
}

impl Engine {
    /// Builds a budget with the chosen kernel.
    ///
    /// # Errors
    /// The kernel's builder error, mapped to [`BuildError`].
    pub fn build(kind: EngineKind, specs: &[LimitSpec]) -> Result<Self, BuildError> {
        match kind {
            EngineKind::Ours => Ours::build(specs).map(Self::Ours),
            EngineKind::Upstream => Upstream::build(specs).map(Self::Upstream),
        }
    }

    /// Which kernel this budget runs on.
    #[must_use]
    pub const fn kind(&self) -> EngineKind {
        match self {
            Self::Ours(_) => EngineKind::Ours,
            Self::Upstream(_) => EngineKind::Upstream,
        }
    }

    /// See [`Kernel::charge`].
    ///
    /// # Errors
    /// [`ChargeError::UnknownDimension`] for an undeclared dimension.
    pub fn charge(&mut self, dim: Dim, amount: u64) -> Result<Verdict, ChargeError> {
        match self {
            Self::Ours(k) => k.charge(dim, amount),
            Self::Upstream(k) => k.charge(dim, amount),
        }
    }

    /// See [`Kernel::charge_many`].
    ///
    /// # Errors
    /// [`ChargeError::UnknownDimension`] for the first undeclared dimension.
    pub fn charge_many(&mut self, charges: &[(Dim, u64)]) -> Result<Verdict, ChargeError> {
        match self {
            Self::Ours(k) => k.charge_many(charges),
            Self::Upstream(k) => k.charge_many(charges),
        }
    }

    /// See [`Kernel::spent`].
    #[must_use]
    pub fn spent(&self, dim: Dim) -> Option<u64> {
        match self {
            Self::Ours(k) => k.spent(dim),
            Self::Upstream(k) => k.spent(dim),
        }
    }

    /// See [`Kernel::remaining`].
    #[must_use]
    pub fn remaining(&self, dim: Dim) -> Option<u64> {
        match self {
            Self::Ours(k) => k.remaining(dim),
            Self::Upstream(k) => k.remaining(dim),
        }
    }

    /// See [`Kernel::reset`].
    pub fn reset(&mut self) {
        match self {
            Self::Ours(k) => k.reset(),
            Self::Upstream(k) => k.reset(),
        }
    }

    /// See [`Kernel::try_clone`].
    ///
    /// # Errors
    /// Only if re-building a valid configuration fails (never, for a correct
    /// kernel).
    pub fn try_clone(&self) -> Result<Self, BuildError> {
        match self {
            Self::Ours(k) => k.try_clone().map(Self::Ours),
            Self::Upstream(k) => k.try_clone().map(Self::Upstream),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dim_mapping_round_trips_and_matches_upstream_names() {
        for dim in Dim::ALL {
            let up = to_upstream_dim(dim);
            assert_eq!(from_upstream_dim(up), dim);
            assert_eq!(up.name(), dim.name());
            assert_eq!(up.index(), dim.index());
        }
    }

    #[test]
    fn engine_names_parse_back() {
        for kind in [EngineKind::Ours, EngineKind::Upstream] {
            assert_eq!(kind.name().parse::<EngineKind>(), Ok(kind));
        }
        assert_eq!(
            "Ours".parse::<EngineKind>(),
            Err(UnknownEngine("Ours".to_owned()))
        );
    }

    fn both(specs: &[LimitSpec]) -> [Result<Engine, BuildError>; 2] {
        [
            Engine::build(EngineKind::Ours, specs),
            Engine::build(EngineKind::Upstream, specs),
        ]
    }

    #[test]
    fn upstream_charge_many_is_atomic_and_reduces_with_worst() {
        let specs = [
            LimitSpec::with_warn(Dim::Tokens, 10, 5),
            LimitSpec::new(Dim::Calls, 2),
        ];
        let Ok(mut up) = Engine::build(EngineKind::Upstream, &specs) else {
            unreachable!("valid specs")
        };
        // An undeclared dimension anywhere refuses the whole checkpoint.
        assert_eq!(
            up.charge_many(&[(Dim::Tokens, 3), (Dim::Bytes, 1), (Dim::Memory, 1)]),
            Err(ChargeError::UnknownDimension(Dim::Bytes))
        );
        assert_eq!(up.spent(Dim::Tokens), Some(0));
        // Warn on tokens (6 > 5), then exhausted on calls (3 > 2): worst wins.
        assert_eq!(
            up.charge_many(&[(Dim::Tokens, 6), (Dim::Calls, 3)]),
            Ok(Verdict::Exhausted(Dim::Calls))
        );
        // Both entries exhaust (calls stays at 3 > 2, tokens goes to 106 > 10):
        // ties are left-biased, so the first exhausted dimension is reported.
        assert_eq!(
            up.charge_many(&[(Dim::Calls, 0), (Dim::Tokens, 100)]),
            Ok(Verdict::Exhausted(Dim::Calls))
        );
        assert_eq!(up.charge_many(&[]), Ok(Verdict::Continue));
        assert_eq!(up.spent(Dim::Tokens), Some(106));
        assert_eq!(up.spent(Dim::Calls), Some(3));
    }

    #[test]
    fn upstream_clone_emulation_copies_counters_and_is_independent() {
        let specs = [
            LimitSpec::with_warn(Dim::Millis, u64::MAX - 1, 7),
            LimitSpec::new(Dim::Custom2, 1),
        ];
        let Ok(mut original) = Engine::build(EngineKind::Upstream, &specs) else {
            unreachable!("valid specs")
        };
        assert_eq!(
            original.charge(Dim::Millis, u64::MAX),
            Ok(Verdict::Exhausted(Dim::Millis))
        );
        let Ok(mut copy) = original.try_clone() else {
            unreachable!("re-building valid specs")
        };
        assert_eq!(copy.spent(Dim::Millis), Some(u64::MAX));
        assert_eq!(copy.spent(Dim::Custom2), Some(0));
        assert_eq!(
            copy.charge(Dim::Custom2, 2),
            Ok(Verdict::Exhausted(Dim::Custom2))
        );
        original.reset();
        assert_eq!(original.spent(Dim::Custom2), Some(0));
        assert_eq!(copy.spent(Dim::Custom2), Some(2));
        assert_eq!(copy.spent(Dim::Millis), Some(u64::MAX));
        assert_eq!(copy.remaining(Dim::Millis), Some(0));
    }

    #[test]
    fn both_engines_report_the_same_builder_errors() {
        let cases: [(&[LimitSpec], BuildError); 4] = [
            (&[], BuildError::NoDimensions),
            (
                &[
                    LimitSpec::new(Dim::Bytes, 0),
                    LimitSpec::new(Dim::Tokens, 1),
                    LimitSpec::new(Dim::Tokens, 1),
                ],
                BuildError::DuplicateDimension(Dim::Tokens),
            ),
            (
                &[
                    LimitSpec::with_warn(Dim::Bytes, 5, 5),
                    LimitSpec::new(Dim::Millis, 0),
                ],
                BuildError::ZeroLimit(Dim::Millis),
            ),
            (
                &[LimitSpec::with_warn(Dim::Calls, 5, 6)],
                BuildError::WarnNotBelowLimit(Dim::Calls),
            ),
        ];
        for (specs, expected) in cases {
            for result in both(specs) {
                assert_eq!(result.err(), Some(expected));
            }
        }
    }

    #[test]
    fn engine_kind_is_kept() {
        let specs = [LimitSpec::new(Dim::Tokens, 1)];
        let [Ok(ours), Ok(up)] = both(&specs) else {
            unreachable!("valid specs")
        };
        assert_eq!(ours.kind(), EngineKind::Ours);
        assert_eq!(up.kind(), EngineKind::Upstream);
    }
}

//! The closed set of budget dimensions.
//!
//! A dimension is one named `u64` counter a budget can limit. The set is
//! fixed at compile time: eight variants, five with a conventional meaning
//! and three left to the caller. Because the set is closed, every dimension
//! maps to a dense index in `0..MAX_DIMS`, and the kernel can keep its state
//! in fixed-size arrays instead of a hash map: constant time, no allocation,
//! nothing to grow. Needing a ninth dimension usually means needing a second
//! budget.

/// Number of dimensions, which is also the capacity of every budget.
///
/// Equal to the number of [`Dim`] variants; exported so callers can size
/// their own per-dimension arrays the same way the kernel does.
///
/// ```
/// use budgetkernel::{Dim, MAX_DIMS};
///
/// let per_dim_totals = [0_u64; MAX_DIMS];
/// assert_eq!(per_dim_totals.len(), Dim::ALL.len());
/// ```
pub const MAX_DIMS: usize = 8;

/// One budget dimension.
///
/// The kernel treats every dimension as an opaque `u64` counter; the
/// meanings below are conventions for adapters, not behaviour. The
/// discriminants are explicit and stable (`0..=7`, in declaration order),
/// so `dim as u8` and [`Dim::index`] agree.
///
/// ```
/// use budgetkernel::Dim;
///
/// assert_eq!(Dim::Calls as u8, 3);
/// assert_eq!(Dim::Calls.index(), 3);
/// assert_eq!(Dim::Calls.name(), "calls");
/// ```
#[repr(u8)]
#[derive(Copy, Clone, Eq, PartialEq, Debug, Hash)]
pub enum Dim {
    /// Tokens, rows, messages: any unit-counted work.
    Tokens = 0,
    /// Elapsed milliseconds, as measured and supplied by the caller.
    Millis = 1,
    /// Bytes read, written or transferred.
    Bytes = 2,
    /// Number of discrete operations.
    Calls = 3,
    /// Memory in bytes, as measured and supplied by the caller.
    Memory = 4,
    /// Caller-defined dimension number 0.
    Custom0 = 5,
    /// Caller-defined dimension number 1.
    Custom1 = 6,
    /// Caller-defined dimension number 2.
    Custom2 = 7,
}

impl Dim {
    /// Every dimension, in index order (`Dim::ALL[i].index() == i`).
    ///
    /// Meant for diagnostics and iteration, not for the charging path,
    /// which always names one dimension.
    ///
    /// ```
    /// use budgetkernel::Dim;
    ///
    /// for (i, dim) in Dim::ALL.iter().enumerate() {
    ///     assert_eq!(dim.index(), i);
    /// }
    /// ```
    pub const ALL: [Self; crate::MAX_DIMS] = [
        Self::Tokens,
        Self::Millis,
        Self::Bytes,
        Self::Calls,
        Self::Memory,
        Self::Custom0,
        Self::Custom1,
        Self::Custom2,
    ];

    /// The dense index of this dimension, always in `0..MAX_DIMS`.
    ///
    /// ```
    /// use budgetkernel::{Dim, MAX_DIMS};
    ///
    /// assert_eq!(Dim::Tokens.index(), 0);
    /// assert_eq!(Dim::Custom2.index(), MAX_DIMS - 1);
    /// ```
    #[inline]
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The lower-case name of this dimension (`"tokens"`, `"millis"`,
    /// `"bytes"`, `"calls"`, `"memory"`, `"custom0"`, `"custom1"`,
    /// `"custom2"`), for messages and logs. Never allocates.
    ///
    /// ```
    /// use budgetkernel::Dim;
    ///
    /// assert_eq!(Dim::Custom1.name(), "custom1");
    /// ```
    #[inline]
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::Millis => "millis",
            Self::Bytes => "bytes",
            Self::Calls => "calls",
            Self::Memory => "memory",
            Self::Custom0 => "custom0",
            Self::Custom1 => "custom1",
            Self::Custom2 => "custom2",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Dim, MAX_DIMS};

    #[test]
    fn indices_are_dense_and_in_declaration_order() {
        assert_eq!(Dim::ALL.len(), MAX_DIMS);
        for (position, dim) in Dim::ALL.iter().enumerate() {
            assert_eq!(dim.index(), position);
            assert_eq!(usize::from(*dim as u8), position);
        }
    }

    #[test]
    fn discriminants_match_upstream_numbering() {
        assert_eq!(Dim::Tokens as u8, 0);
        assert_eq!(Dim::Millis as u8, 1);
        assert_eq!(Dim::Bytes as u8, 2);
        assert_eq!(Dim::Calls as u8, 3);
        assert_eq!(Dim::Memory as u8, 4);
        assert_eq!(Dim::Custom0 as u8, 5);
        assert_eq!(Dim::Custom1 as u8, 6);
        assert_eq!(Dim::Custom2 as u8, 7);
    }

    #[test]
    fn names_are_the_documented_strings() {
        let names = Dim::ALL.map(Dim::name);
        assert_eq!(
            names,
            ["tokens", "millis", "bytes", "calls", "memory", "custom0", "custom1", "custom2"]
        );
    }

    #[test]
    fn const_fns_work_in_const_context() {
        const LAST: usize = Dim::Custom2.index();
        const NAME: &str = Dim::Millis.name();
        assert_eq!(LAST, MAX_DIMS - 1);
        assert_eq!(NAME, "millis");
    }
}

//! The kernel's only storage primitive: a fixed-capacity map from [`Dim`]
//! to `u64`.
//!
//! A budget keeps three of these (limits, warn thresholds, spent totals).
//! The key space is closed and tiny, so the map is two parallel arrays of
//! length [`MAX_DIMS`] indexed by [`Dim::index`]: a presence array and a
//! value array. Two implementations share this file and one test module:
//!
//! - default: values live in `[MaybeUninit<u64>; MAX_DIMS]`, so an empty map
//!   costs no initialization of the value array. Reading a value needs
//!   `unsafe`, and this module is the only place in the crate allowed to
//!   contain it;
//! - `safe-map` feature: values live in a zero-initialized `[u64; MAX_DIMS]`
//!   and there is no `unsafe` at all (the crate root then forbids it).
//!
//! Both have the same observable behaviour; the tests at the bottom run
//! against whichever one is compiled, and the verification script runs
//! them under both features (and the default one under valgrind and
//! the memory sanitizer, since Miri is not available everywhere).
//!
//! Every operation is a `const fn`, so that `crate::const_check` can drive
//! the map through every path inside a `const` evaluation, which rustc
//! performs with Miri's interpreter engine on every build: a read of an
//! uninitialized slot there (even one whose result is thrown away) is a
//! hard compile error, `error[E0080]: ... memory is uninitialized`. That
//! is the one check available everywhere that catches a read placed
//! *before* the presence check, which valgrind and the sanitizers miss.
//! On stable Rust `<[T]>::get` is not `const`, hence [`nth`] and
//! [`nth_mut`].
//!
//! # Safety model (default variant)
//!
//! Every `unsafe` block below names the invariants it relies on:
//!
//! 1. **Initialization discipline.** For every index `i`: if `present[i]` is
//!    `true`, `slots[i]` holds an initialized `u64`; if it is `false`,
//!    `slots[i]` is never read. Only `insert` sets a bit, right after it
//!    writes the slot; `overwrite` writes only slots whose bit is already
//!    set; nothing ever clears a bit or de-initializes a slot. The only
//!    unsafe operation is `assume_init` (a copy out) in `get`, on a slot
//!    whose presence bit was read as `true` in the same `match` arm
//!    pattern. No reference to a slot ever leaves this module.
//! 2. **Index bounds.** Every index is `Dim::index()`, which is in
//!    `0..MAX_DIMS` because `Dim` has exactly `MAX_DIMS` variants with
//!    discriminants `0..=7`. Both arrays have length `MAX_DIMS`. The map
//!    never takes a raw `usize` from outside, and access goes through the
//!    checked [`nth`]/[`nth_mut`] (which the optimizer folds away), so
//!    there is no indexing panic path.
//! 3. **No aliasing.** The map is a plain owned value without interior
//!    mutability. Reads take `&self`, writes take `&mut self`, and no
//!    reference to a slot is handed out, so the borrow checker rules out a
//!    concurrent read or write of the same slot.
//! 4. **No drop hazards.** The value type is `u64`: `Copy`, no destructor.
//!    Dropping or overwriting a map with uninitialized slots runs no code,
//!    and copying the map (it is `Copy`) copies slot bytes and presence bits
//!    together, so invariant 1 holds for the copy. Storing a type with a
//!    destructor would require redesigning this module.
//! 5. **No allocation, fixed footprint.** The map is stored inline in its
//!    owner and never touches the heap; its size is fixed by `MAX_DIMS`;
//!    every operation is `O(1)` except `is_empty` and `Debug`,
//!    which are `O(MAX_DIMS)`.

// Item-level `pub(crate)` inside a `pub(crate)` module is deliberate defence
// in depth: if the module were ever made `pub` by mistake, the primitive
// would still not leak into the public API.
#![allow(clippy::redundant_pub_crate)]

use core::fmt;
#[cfg(not(feature = "safe-map"))]
use core::mem::MaybeUninit;

use crate::dim::{Dim, MAX_DIMS};

/// The element at `idx`, or `None` past the end: a `const` replacement for
/// `<[T]>::get`, which cannot be called in a `const fn` on stable Rust.
///
/// The indexing is guarded by the comparison right before it, so it cannot
/// panic (and the optimizer drops the second, redundant bounds check). It
/// is written this way rather than with `split_at_checked` + `first`
/// because the const evaluator runs it about twice as fast, which matters
/// for `crate::const_check`.
#[inline]
#[allow(clippy::indexing_slicing)] // guarded: `idx < items.len()`
const fn nth<T>(items: &[T], idx: usize) -> Option<&T> {
    if idx < items.len() {
        Some(&items[idx])
    } else {
        None
    }
}

/// The mutable twin of [`nth`].
#[inline]
#[allow(clippy::indexing_slicing)] // guarded: `idx < items.len()`
const fn nth_mut<T>(items: &mut [T], idx: usize) -> Option<&mut T> {
    if idx < items.len() {
        Some(&mut items[idx])
    } else {
        None
    }
}

/// Fixed-capacity `Dim -> u64` map, `MaybeUninit` storage (default).
///
/// See the module documentation for the invariants every method keeps.
#[cfg(not(feature = "safe-map"))]
#[derive(Clone, Copy)]
pub(crate) struct FixedMap {
    /// Value slots; `slots[i]` is initialized whenever `present[i]` is
    /// `true` (invariant 1).
    slots: [MaybeUninit<u64>; MAX_DIMS],
    /// Presence bits, the sole authority on which slots may be read.
    present: [bool; MAX_DIMS],
}

#[cfg(not(feature = "safe-map"))]
impl FixedMap {
    /// An empty map: every presence bit `false`, no slot initialized.
    #[inline]
    pub(crate) const fn new() -> Self {
        Self {
            slots: [MaybeUninit::uninit(); MAX_DIMS],
            present: [false; MAX_DIMS],
        }
    }

    /// The value stored for `dim`, if any.
    #[inline]
    pub(crate) const fn get(&self, dim: Dim) -> Option<u64> {
        let idx = dim.index();
        match (nth(&self.present, idx), nth(&self.slots, idx)) {
            // SAFETY: invariant 1: this arm is reached only when
            // `present[idx]` is `true`, so `slots[idx]` was initialized by an
            // earlier `insert` and not de-initialized since. Invariant 2:
            // `idx` came from `Dim::index()` and both lookups were checked.
            // Invariant 4: `u64` is `Copy`, so reading it out moves nothing.
            (Some(true), Some(slot)) => Some(unsafe { slot.assume_init() }),
            _ => None,
        }
    }

    /// Store `value` for `dim`, replacing any previous value.
    ///
    /// Safe code: writing a `MaybeUninit` initializes it whatever its prior
    /// state, and the presence bit is set after the write (invariant 1).
    #[inline]
    pub(crate) const fn insert(&mut self, dim: Dim, value: u64) {
        let idx = dim.index();
        if let Some(slot) = nth_mut(&mut self.slots, idx) {
            *slot = MaybeUninit::new(value);
            if let Some(flag) = nth_mut(&mut self.present, idx) {
                *flag = true;
            }
        }
    }

    /// Replace the value stored for `dim` if there is one, leaving the
    /// presence bits alone; `false` (and nothing written) if there is none.
    ///
    /// Safe code: the slot is only written, never read, and it is written
    /// only where the presence bit is already set (invariant 1).
    #[inline]
    pub(crate) const fn overwrite(&mut self, dim: Dim, value: u64) -> bool {
        let idx = dim.index();
        match (nth(&self.present, idx), nth_mut(&mut self.slots, idx)) {
            (Some(true), Some(slot)) => {
                *slot = MaybeUninit::new(value);
                true
            }
            _ => false,
        }
    }
}

/// Fixed-capacity `Dim -> u64` map, fully initialized storage (`safe-map`).
///
/// Same behaviour as the default variant; absent slots hold `0` but are
/// never reported.
#[cfg(feature = "safe-map")]
#[derive(Clone, Copy)]
pub(crate) struct FixedMap {
    /// Value slots; meaningful only where `present` is `true`.
    slots: [u64; MAX_DIMS],
    /// Presence bits.
    present: [bool; MAX_DIMS],
}

#[cfg(feature = "safe-map")]
impl FixedMap {
    /// An empty map: every presence bit `false`, every slot `0`.
    #[inline]
    pub(crate) const fn new() -> Self {
        Self {
            slots: [0; MAX_DIMS],
            present: [false; MAX_DIMS],
        }
    }

    /// The value stored for `dim`, if any.
    #[inline]
    pub(crate) const fn get(&self, dim: Dim) -> Option<u64> {
        let idx = dim.index();
        match (nth(&self.present, idx), nth(&self.slots, idx)) {
            (Some(true), Some(value)) => Some(*value),
            _ => None,
        }
    }

    /// Store `value` for `dim`, replacing any previous value.
    #[inline]
    pub(crate) const fn insert(&mut self, dim: Dim, value: u64) {
        let idx = dim.index();
        if let Some(slot) = nth_mut(&mut self.slots, idx) {
            *slot = value;
            if let Some(flag) = nth_mut(&mut self.present, idx) {
                *flag = true;
            }
        }
    }

    /// Replace the value stored for `dim` if there is one, leaving the
    /// presence bits alone; `false` (and nothing written) if there is none.
    #[inline]
    pub(crate) const fn overwrite(&mut self, dim: Dim, value: u64) -> bool {
        let idx = dim.index();
        match (nth(&self.present, idx), nth_mut(&mut self.slots, idx)) {
            (Some(true), Some(slot)) => {
                *slot = value;
                true
            }
            _ => false,
        }
    }
}

// Variant-independent parts: they only read presence bits or go through
// `get` and `overwrite`, so they need no `unsafe` of their own.
impl FixedMap {
    /// `true` if a value is stored for `dim`.
    #[inline]
    pub(crate) const fn contains(&self, dim: Dim) -> bool {
        matches!(nth(&self.present, dim.index()), Some(true))
    }

    /// `true` if no value is stored at all.
    #[inline]
    pub(crate) const fn is_empty(&self) -> bool {
        let mut rest: &[bool] = &self.present;
        while let [flag, tail @ ..] = rest {
            if *flag {
                return false;
            }
            rest = tail;
        }
        true
    }

    /// Add `amount` to the value stored for `dim`, saturating at
    /// `u64::MAX`, and return the new value; `None` (and nothing changed)
    /// if no value is stored.
    #[inline]
    pub(crate) const fn saturating_add(&mut self, dim: Dim, amount: u64) -> Option<u64> {
        let Some(value) = self.get(dim) else {
            return None;
        };
        let total = value.saturating_add(amount);
        if self.overwrite(dim, total) {
            Some(total)
        } else {
            None
        }
    }
}

/// Shows only the stored entries, as `{Dim: value, ..}`; absent slots are
/// never read.
impl fmt::Debug for FixedMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                Dim::ALL
                    .iter()
                    .filter_map(|&dim| self.get(dim).map(|value| (dim, value))),
            )
            .finish()
    }
}

// One test module for whichever variant is compiled; the verification
// script runs it with and without `safe-map`, and the default variant's
// run also goes under valgrind, MemorySanitizer and AddressSanitizer.
#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::FixedMap;
    use crate::dim::{Dim, MAX_DIMS};

    /// Distinct, non-trivial values per dimension, including both extremes.
    const VALUES: [u64; MAX_DIMS] = [0, 1, 7, 1 << 32, u64::MAX - 1, u64::MAX, 42, 9_999];

    fn value_for(dim: Dim) -> u64 {
        VALUES.get(dim.index()).copied().unwrap_or(u64::MAX)
    }

    #[test]
    fn new_map_has_no_entries() {
        let mut map = FixedMap::new();
        assert!(map.is_empty());
        for dim in Dim::ALL {
            assert!(!map.contains(dim));
            assert_eq!(map.get(dim), None);
            assert!(!map.overwrite(dim, 1));
            assert_eq!(map.saturating_add(dim, 1), None);
        }
        // Looking did not create anything.
        assert!(map.is_empty());
    }

    #[test]
    fn const_new_is_usable_in_const_context() {
        const EMPTY: FixedMap = FixedMap::new();
        assert!(EMPTY.is_empty());
        assert_eq!(EMPTY.get(Dim::Custom2), None);
    }

    #[test]
    fn each_dimension_round_trips_alone() {
        for dim in Dim::ALL {
            let mut map = FixedMap::new();
            map.insert(dim, value_for(dim));
            assert!(!map.is_empty());
            for other in Dim::ALL {
                if other == dim {
                    assert!(map.contains(other));
                    assert_eq!(map.get(other), Some(value_for(dim)));
                } else {
                    assert!(!map.contains(other), "{other:?} leaked from {dim:?}");
                    assert_eq!(map.get(other), None);
                }
            }
        }
    }

    #[test]
    fn all_dimensions_hold_distinct_values() {
        let mut map = FixedMap::new();
        for dim in Dim::ALL {
            map.insert(dim, value_for(dim));
        }
        for dim in Dim::ALL {
            assert_eq!(map.get(dim), Some(value_for(dim)));
        }
    }

    #[test]
    fn insert_replaces_previous_value() {
        let mut map = FixedMap::new();
        map.insert(Dim::Calls, 5);
        map.insert(Dim::Calls, u64::MAX);
        assert_eq!(map.get(Dim::Calls), Some(u64::MAX));
        map.insert(Dim::Calls, 0);
        assert_eq!(map.get(Dim::Calls), Some(0));
        let present = Dim::ALL.iter().filter(|&&dim| map.contains(dim)).count();
        assert_eq!(present, 1);
    }

    #[test]
    fn overwrite_and_saturating_add_touch_only_present_slots() {
        let mut map = FixedMap::new();
        map.insert(Dim::Bytes, 10);
        assert_eq!(map.saturating_add(Dim::Bytes, 5), Some(15));
        assert_eq!(map.get(Dim::Bytes), Some(15));
        assert_eq!(map.saturating_add(Dim::Bytes, u64::MAX), Some(u64::MAX));
        assert_eq!(map.saturating_add(Dim::Bytes, 1), Some(u64::MAX));
        assert!(map.overwrite(Dim::Bytes, 0));
        assert_eq!(map.get(Dim::Bytes), Some(0));
        assert_eq!(map.saturating_add(Dim::Tokens, 1), None);
        assert!(!map.overwrite(Dim::Tokens, 1));
        assert!(!map.contains(Dim::Tokens));
        let present = Dim::ALL.iter().filter(|&&dim| map.contains(dim)).count();
        assert_eq!(present, 1);
    }

    #[test]
    fn copies_are_independent() {
        let mut original = FixedMap::new();
        original.insert(Dim::Memory, 3);
        let mut copy = original;
        copy.insert(Dim::Memory, 4);
        copy.insert(Dim::Custom0, 5);
        assert_eq!(original.get(Dim::Memory), Some(3));
        assert_eq!(original.get(Dim::Custom0), None);
        assert_eq!(copy.get(Dim::Memory), Some(4));
        assert_eq!(copy.get(Dim::Custom0), Some(5));
    }

    #[test]
    fn debug_lists_only_present_entries() {
        let mut map = FixedMap::new();
        assert_eq!(format!("{map:?}"), "{}");
        map.insert(Dim::Custom1, 8);
        map.insert(Dim::Tokens, 2);
        assert_eq!(format!("{map:?}"), "{Tokens: 2, Custom1: 8}");
    }
}

//! The per-thread table of live budgets.
//!
//! # Why a table and not a wrapped object
//!
//! Finding native state through `napi_unwrap` (what a `#[napi]` class
//! method does) costs about 45 ns per call on our machines, more than twice
//! the cost of the whole crossing (`shared/BOUNDARY.md`), and napi-rs's
//! `External` adds a mutex-guarded registry lookup to every access. The
//! kernel's own `charge` takes 2 ns. So the binding keeps every budget in a
//! table owned by the calling thread and hands JavaScript a plain number, a
//! [`Handle`]. Finding a budget is then one bounds-checked index and one
//! generation comparison, in entirely safe code.
//!
//! # Lifetime
//!
//! The TypeScript facade keeps each handle in a private field of its
//! `Budget` object and registers that object with a `FinalizationRegistry`;
//! when the garbage collector reclaims the object, the registry calls
//! `release`, which empties the slot and bumps its generation. A handle is
//! therefore never used after release through the public API. Through the
//! raw binding a stale or forged handle is still harmless: the generation no
//! longer matches, and the call reports `INVALID_HANDLE`.
//!
//! # Threads
//!
//! Node runs each `worker_threads` worker on its own thread with its own
//! JavaScript heap, so a `thread_local!` table is exactly one table per
//! Node environment: workers never see each other's budgets, no lock is
//! taken, and a worker's table is dropped with its thread.

use std::cell::RefCell;

use budgetkernel::Budget;

// Handle encoding lives with the other napi-free conversions, where the
// fuzz target can compile it.
use crate::convert::{decode_handle as decode, encode_handle as encode, GENERATION_LIMIT};
use crate::error::Failure;

/// A budget's address in its thread's table: `generation << 32 | index`.
pub type Handle = f64;

struct Slot {
    generation: u32,
    budget: Option<Budget>,
}

/// The table: slots, a free list of empty slot indexes, and the failure
/// recorded by the last call that failed (see `error.rs`).
#[derive(Default)]
pub struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    failure: Option<Failure>,
}

impl Table {
    /// Stores `budget` and returns its handle, or `None` when the table is
    /// full (2^32 live budgets on one thread).
    pub fn insert(&mut self, budget: Budget) -> Option<Handle> {
        if let Some(index) = self.free.pop() {
            let slot = self.slots.get_mut(index as usize)?;
            slot.budget = Some(budget);
            return Some(encode(slot.generation, index));
        }
        let index = u32::try_from(self.slots.len()).ok()?;
        self.slots.push(Slot {
            generation: 0,
            budget: Some(budget),
        });
        Some(encode(0, index))
    }

    /// The slot behind `handle`, if the handle is current for it (its
    /// generation matches); the slot may be empty.
    fn slot(&self, handle: Handle) -> Option<(u32, &Slot)> {
        let (generation, index) = decode(handle)?;
        let slot = self.slots.get(index as usize)?;
        (slot.generation == generation).then_some((index, slot))
    }

    /// [`Self::slot`], mutably.
    fn slot_mut(&mut self, handle: Handle) -> Option<(u32, &mut Slot)> {
        let (generation, index) = decode(handle)?;
        let slot = self.slots.get_mut(index as usize)?;
        (slot.generation == generation).then_some((index, slot))
    }

    /// The live budget behind `handle`, if any.
    pub fn get(&self, handle: Handle) -> Option<&Budget> {
        self.slot(handle)?.1.budget.as_ref()
    }

    /// The live budget behind `handle`, mutably, if any.
    pub fn get_mut(&mut self, handle: Handle) -> Option<&mut Budget> {
        self.slot_mut(handle)?.1.budget.as_mut()
    }

    /// Empties the slot behind `handle`. Returns whether it was live.
    pub fn remove(&mut self, handle: Handle) -> bool {
        let Some((index, slot)) = self.slot_mut(handle) else {
            return false;
        };
        if slot.budget.take().is_none() {
            return false;
        }
        slot.generation = (slot.generation + 1) % GENERATION_LIMIT;
        self.free.push(index);
        true
    }

    /// Records why the current call failed, for `takeError` to collect.
    pub const fn record(&mut self, failure: Failure) {
        self.failure = Some(failure);
    }

    /// Hands over (and forgets) the last recorded failure.
    pub const fn take_failure(&mut self) -> Option<Failure> {
        self.failure.take()
    }

    /// Number of live budgets (diagnostics and leak tests).
    pub const fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Runs `f` with this thread's table. `None` only if the table is already
/// borrowed, which cannot happen because no JavaScript runs while it is
/// borrowed; the check exists so that even that bug is an error, not a panic.
pub fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> Option<R> {
    TABLE
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut table| f(&mut table)))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use budgetkernel::Dim;

    fn budget(limit: u64) -> Budget {
        let built = Budget::builder().limit(Dim::Tokens, limit).build();
        assert!(built.is_ok());
        let Ok(budget) = built else { unreachable!() };
        budget
    }

    fn limit_of(table: &Table, handle: Handle) -> Option<u64> {
        table.get(handle).and_then(|b| b.remaining(Dim::Tokens))
    }

    #[test]
    fn handles_find_their_own_budget() {
        let mut table = Table::default();
        let a = table.insert(budget(10));
        let b = table.insert(budget(20));
        let (Some(a), Some(b)) = (a, b) else {
            unreachable!("an empty table has room")
        };
        assert_ne!(a.to_bits(), b.to_bits());
        assert_eq!(limit_of(&table, a), Some(10));
        assert_eq!(limit_of(&table, b), Some(20));
        assert_eq!(table.live(), 2);
    }

    #[test]
    fn a_released_handle_is_dead_even_after_its_slot_is_reused() {
        let mut table = Table::default();
        let Some(old) = table.insert(budget(10)) else {
            unreachable!()
        };
        assert!(table.remove(old));
        assert!(!table.remove(old), "double release is refused");
        assert_eq!(table.live(), 0);
        let Some(new) = table.insert(budget(20)) else {
            unreachable!()
        };
        assert_ne!(
            old.to_bits(),
            new.to_bits(),
            "the reused slot has a new generation"
        );
        assert_eq!(table.get(old).map(|_| ()), None);
        assert_eq!(table.get_mut(old).map(|_| ()), None);
        assert_eq!(limit_of(&table, new), Some(20));
    }

    #[test]
    fn forged_handles_are_refused_not_trusted() {
        let mut table = Table::default();
        let Some(real) = table.insert(budget(10)) else {
            unreachable!()
        };
        for forged in [
            -1.0,
            0.5,
            real + 1.0,
            real + 4_294_967_296.0,
            f64::NAN,
            f64::INFINITY,
            9_007_199_254_740_992.0,
            f64::MAX,
        ] {
            assert!(table.get(forged).is_none(), "{forged}");
            assert!(!table.remove(forged), "{forged}");
        }
        assert_eq!(limit_of(&table, real), Some(10));
    }

    #[test]
    fn generations_wrap_without_leaving_the_safe_integer_range() {
        let mut table = Table::default();
        let mut last = 0.0;
        for _ in 0..(GENERATION_LIMIT + 3) {
            let Some(handle) = table.insert(budget(1)) else {
                unreachable!()
            };
            assert!(handle <= 9_007_199_254_740_991.0);
            assert!(table.remove(handle));
            last = handle;
        }
        // Slot 0 was reused every time; its generation wrapped to 2.
        assert_eq!(last.to_bits(), encode(2, 0).to_bits());
        assert_eq!(table.live(), 0);
    }

    #[test]
    fn failures_are_taken_once() {
        let mut table = Table::default();
        assert_eq!(table.take_failure(), None);
        let failure = Failure::new(crate::error::Code::InvalidHandle);
        table.record(failure);
        assert_eq!(table.take_failure(), Some(failure));
        assert_eq!(table.take_failure(), None);
    }
}

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
//! `Budget` object. `Budget.release()` (or `[Symbol.dispose]()`, what
//! `using` calls) calls `release` at once, unregisters the object from the
//! facade's `FinalizationRegistry` and overwrites the field with -1, a value
//! no slot matches; an unreleased object is released by the registry once
//! the garbage collector reclaims it. Either way `release` empties the slot
//! and bumps its generation. A released handle is therefore never passed
//! again through the public API: every later call on that `Budget` finds no
//! slot for -1 and reports `INVALID_HANDLE`, which the facade turns into its
//! typed `ReleasedError`, with no check of its own on the charge path.
//! Through the raw binding a stale or forged handle is still harmless: the
//! generation no longer matches, and the call reports `INVALID_HANDLE`.
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

mod snapshot;

/// A budget's address in its thread's table: `generation << 32 | index`.
pub type Handle = f64;

struct Slot {
    generation: u32,
    budget: Option<Budget>,
}

/// What [`Table::remove_reporting`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    /// The handle named no live budget; nothing changed.
    NotLive,
    /// The budget was freed.
    Freed,
    /// The budget was freed, and the table gave memory back to the allocator.
    Shrank,
}

/// Slots below this capacity are never given back: a table this small costs
/// little, and shrinking it would only churn the allocator.
const MIN_CAPACITY: usize = 64;

/// The table: slots, a free list of empty slot indexes, and the failure
/// recorded by the last call that failed (see `error.rs`).
///
/// # Shrinking
///
/// When the last slot is emptied, the table drops every empty slot at its
/// end, and once fewer than a quarter of its capacity is in use it gives
/// half of the rest back to the allocator. Both are amortized O(1): a slot
/// is dropped at most once per time it was pushed, and a reallocation to
/// twice the length needs as many removals as it copies slots before it can
/// happen again. `get`/`get_mut` (every charge) are untouched by it.
///
/// The table does not report its size to V8 (`napi_adjust_external_memory`).
/// That was measured and rejected: reporting each reallocation made a
/// million unreleased clones (an event-loop turn every thousand) peak 18%
/// lower (~241 against ~294 MiB above the start), but left RSS ~8 MiB higher
/// after a burst of a million never-released clones (57-65 against 50-53
/// MiB above the start: the extra collections it triggers during the burst
/// leave memory behind), and code that releases its budgets gains nothing.
///
/// # Generations outlive their slots
///
/// A dropped slot's generation is kept in `parked` (4 bytes per index, at
/// the table's high-water mark), and a slot re-created at that index starts
/// from it. So every index runs through the same generation sequence
/// whether or not its slot was dropped in between: a stale handle names a
/// later budget in a re-created slot no sooner than it would in a slot that
/// was never dropped (after 2^21 reuses of that index, see
/// `GENERATION_LIMIT`; the facade never passes a released handle at all).
///
/// The free list may name indexes that were dropped (and perhaps re-created
/// and occupied since): `insert` skips such entries, each at most once, and
/// a reallocation filters them out.
#[derive(Default)]
pub struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// `parked[i]`: the generation of index `i` when its slot was dropped.
    parked: Vec<u32>,
    live: usize,
    failure: Option<Failure>,
}

impl Table {
    /// Stores `budget` and returns its handle, or `None` when the table is
    /// full: 2^32 live budgets on one thread, or no memory to grow it (the
    /// wasm engine's memory has a maximum; growth is `try_reserve`, never
    /// an allocation-failure abort).
    pub fn insert(&mut self, budget: Budget) -> Option<Handle> {
        while let Some(index) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(index as usize) {
                if slot.budget.is_none() {
                    slot.budget = Some(budget);
                    self.live += 1;
                    return Some(encode(slot.generation, index));
                }
            }
        }
        let index = u32::try_from(self.slots.len()).ok()?;
        let generation = self.parked.get(index as usize).copied().unwrap_or(0);
        self.slots.try_reserve(1).ok()?;
        self.slots.push(Slot {
            generation,
            budget: Some(budget),
        });
        self.live += 1;
        Some(encode(generation, index))
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
        self.remove_reporting(handle) != Removed::NotLive
    }

    /// [`Self::remove`], telling also whether the table gave memory back
    /// (what the wasm glue waits for before it considers moving the table
    /// to a fresh memory: `snapshot.rs`).
    pub fn remove_reporting(&mut self, handle: Handle) -> Removed {
        let Some((index, slot)) = self.slot_mut(handle) else {
            return Removed::NotLive;
        };
        if slot.budget.take().is_none() {
            return Removed::NotLive;
        }
        slot.generation = (slot.generation + 1) % GENERATION_LIMIT;
        self.live -= 1;
        if index as usize + 1 == self.slots.len() {
            if self.trim() {
                return Removed::Shrank;
            }
        } else if self.free.try_reserve(1).is_ok() {
            self.free.push(index);
        }
        // Without memory for the free list the empty slot is simply not
        // reused until `trim` drops it: the budget is freed either way.
        Removed::Freed
    }

    /// Drops the empty slots at the end (parking their generations), then
    /// gives memory back once less than a quarter of the capacity is used
    /// (and then returns true).
    fn trim(&mut self) -> bool {
        while let Some(slot) = self.slots.last() {
            if slot.budget.is_some() {
                break;
            }
            let index = self.slots.len() - 1;
            if self.parked.len() <= index {
                // No memory to park the generation: keep the empty slot
                // (and its generation) instead of dropping it.
                if self
                    .parked
                    .try_reserve(index + 1 - self.parked.len())
                    .is_err()
                {
                    break;
                }
                self.parked.resize(index + 1, 0);
            }
            if let Some(parked) = self.parked.get_mut(index) {
                *parked = slot.generation;
            }
            self.slots.pop();
        }
        let len = self.slots.len();
        if self.slots.capacity() > MIN_CAPACITY && len < self.slots.capacity() / 4 {
            self.slots.shrink_to((2 * len).max(MIN_CAPACITY));
            self.free.retain(|&index| {
                self.slots
                    .get(index as usize)
                    .is_some_and(|s| s.budget.is_none())
            });
            self.free.shrink_to((2 * self.free.len()).max(MIN_CAPACITY));
            return true;
        }
        false
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
        self.live
    }

    /// Slots the table has room for without growing (diagnostics and leak tests).
    pub const fn capacity(&self) -> usize {
        self.slots.capacity()
    }
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Runs `f` with this thread's table.
///
/// `None` only if the table is already borrowed, which cannot happen because no JavaScript runs while it is
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
    fn emptying_the_end_drops_slots_and_gives_capacity_back() {
        let mut table = Table::default();
        let handles: Vec<Handle> = (0..10_000)
            .filter_map(|_| table.insert(budget(1)))
            .collect();
        assert_eq!(handles.len(), 10_000);
        assert!(table.capacity() >= 10_000);
        // Released front to back: only the last removal reaches the end.
        for &handle in &handles {
            assert!(table.remove(handle));
        }
        assert_eq!(table.live(), 0);
        assert_eq!(table.slots.len(), 0);
        assert!(table.capacity() <= MIN_CAPACITY, "{}", table.capacity());
        assert!(
            table.free.capacity() <= MIN_CAPACITY,
            "{}",
            table.free.capacity()
        );
        // Every handle stays dead, and the table works on.
        assert!(handles.iter().all(|&h| table.get(h).is_none()));
        let Some(again) = table.insert(budget(7)) else {
            unreachable!()
        };
        assert_eq!(limit_of(&table, again), Some(7));
        assert_eq!(table.live(), 1);
    }

    #[test]
    fn a_live_budget_keeps_the_slots_below_it_and_their_memory_follows_the_length() {
        let mut table = Table::default();
        let handles: Vec<Handle> = (0..4_096).filter_map(|_| table.insert(budget(1))).collect();
        let (Some(&keep), Some(&last)) = (handles.get(100), handles.last()) else {
            unreachable!()
        };
        for &handle in handles.iter().rev() {
            if handle.to_bits() != keep.to_bits() {
                assert!(table.remove(handle));
            }
        }
        assert_eq!(table.live(), 1);
        assert_eq!(table.slots.len(), 101, "trimmed down to the live budget");
        assert!(
            table.capacity() <= 2 * 101 + MIN_CAPACITY,
            "{}",
            table.capacity()
        );
        assert_eq!(limit_of(&table, keep), Some(1));
        assert!(table.get(last).is_none());
        // The 100 empty slots below it are reused before the table grows.
        for _ in 0..100 {
            let Some(handle) = table.insert(budget(2)) else {
                unreachable!()
            };
            let Some((_, index)) = decode(handle) else {
                unreachable!()
            };
            assert!(index < 100, "{index}");
        }
        assert_eq!(table.slots.len(), 101);
        assert_eq!(table.live(), 101);
    }

    #[test]
    fn a_recreated_slot_continues_its_generations() {
        // The same insert/remove sequence on a table that drops slots and on
        // a model that never does: every handle must be the one the model
        // gives, so a dropped slot can never re-issue an earlier handle.
        let mut table = Table::default();
        let mut model_generation = [0_u32; 3];
        let mut seen = std::collections::HashSet::new();
        for round in 0..50_u32 {
            let handles: Vec<Handle> = (0..3).filter_map(|_| table.insert(budget(1))).collect();
            for (index, &handle) in handles.iter().enumerate() {
                let Some(want) = model_generation.get(index) else {
                    unreachable!()
                };
                assert_eq!(
                    handle.to_bits(),
                    encode(*want, u32::try_from(index).unwrap_or(0)).to_bits()
                );
                assert!(
                    seen.insert(handle.to_bits()),
                    "round {round}: a handle was issued twice"
                );
            }
            // Release the middle one first (to the free list), then the rest
            // from the end (dropping all three slots), in varying order.
            let order: [usize; 3] = if round % 2 == 0 { [1, 2, 0] } else { [1, 0, 2] };
            for i in order {
                let Some(&handle) = handles.get(i) else {
                    unreachable!()
                };
                assert!(table.remove(handle));
                if let Some(generation) = model_generation.get_mut(i) {
                    *generation += 1;
                }
            }
            assert_eq!(table.slots.len(), 0);
            assert!(handles.iter().all(|&h| table.get(h).is_none()));
        }
    }

    #[test]
    fn stale_free_entries_are_skipped() {
        let mut table = Table::default();
        let handles: Vec<Handle> = (0..4).filter_map(|_| table.insert(budget(1))).collect();
        let &[a, b, c, d] = handles.as_slice() else {
            unreachable!()
        };
        // b and c go to the free list; removing d then drops d, c and b.
        assert!(table.remove(b));
        assert!(table.remove(c));
        assert!(table.remove(d));
        assert_eq!(table.slots.len(), 1);
        // The free list still names 1 and 2: the next inserts must re-create
        // slots 1 and 2 once each, never hand out an occupied slot twice.
        let again: Vec<Handle> = (0..3).filter_map(|_| table.insert(budget(5))).collect();
        let indexes: Vec<u32> = again
            .iter()
            .filter_map(|&h| decode(h).map(|(_, i)| i))
            .collect();
        assert_eq!(indexes, [1, 2, 3]);
        assert_eq!(table.live(), 4);
        assert_eq!(limit_of(&table, a), Some(1));
        for handle in [b, c, d] {
            assert!(table.get(handle).is_none());
        }
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

//! A table as plain words, and the same table rebuilt from them.
//!
//! # Why
//!
//! A WebAssembly memory grows and never shrinks. After a burst of budgets
//! the wasm engine's table gives its slots back to the module's allocator,
//! but the pages stay reserved. So the wasm glue (`ts/lib/wasm.ts`) moves a
//! table that has drained into a fresh instance of the same module, and the
//! old memory goes with the old instance. For that to be invisible, the
//! rebuilt table must be the same table, not merely hold the same budgets:
//! every live handle names the same budget (limits, warn thresholds, spent
//! totals), every stale handle stays stale, and the next inserts return the
//! same handles. The snapshot therefore carries each slot's generation, the
//! free list in its order and the parked generations.
//!
//! # Reading a budget through the kernel's API
//!
//! The kernel (source-compatible with `budgetkernel` 0.1.2) exposes spent
//! totals and remaining amounts, not its declarations. A copy whose spent
//! totals are reset reads each limit as `remaining`. The builder requires a
//! warn threshold below its limit, so a copy charged its whole limit warns
//! exactly when the dimension has a threshold, and the threshold is the
//! largest amount a reset copy can be charged without a warn: found by
//! bisection, at most 64 charges. The rebuilt budget is declared with those
//! values and charged its spent totals, which from zero sets them exactly.
//!
//! # Format
//!
//! Little-endian-free: a sequence of `u64` words.
//! - Five header words: the number of slots, the slots' capacity (what
//!   `tableCapacity()` reports), the number of free-list entries and of
//!   parked generations, and the number of live budgets.
//! - Per slot, one word `generation | live << 32 | declared << 33 | warned << 41`
//!   (`declared` and `warned` are masks over the positions in `Dim::ALL`),
//!   then for each declared dimension in `Dim::ALL` order its limit, its warn
//!   threshold if it has one, and its spent total.
//! - The free list, then the parked generations, two `u32` per word, the
//!   first in the low half (an odd count leaves the last high half zero).
//!
//! Reading is strict: anything but exactly such a sequence, describing a
//! table the builder accepts, is refused as a whole.

use budgetkernel::{Budget, Dim, Verdict, MAX_DIMS};

use super::{Slot, Table, MIN_CAPACITY};
use crate::convert::GENERATION_LIMIT;

const LIVE_SHIFT: u32 = 32;
const DECLARED_SHIFT: u32 = 33;
const WARNED_SHIFT: u32 = 41;
const USED_BITS: u32 = 49;
const MASK: u64 = (1 << MAX_DIMS) - 1;

/// One declared dimension of a budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Line {
    limit: u64,
    warn: Option<u64>,
    spent: u64,
}

/// A budget's declared dimensions, by position in `Dim::ALL`.
type Lines = [Option<Line>; MAX_DIMS];

/// What `budget` declares and has spent, read through its public API.
fn describe(budget: &Budget) -> Lines {
    let mut probe = budget.clone();
    probe.reset();
    let mut lines = [None; MAX_DIMS];
    for (line, &dim) in lines.iter_mut().zip(Dim::ALL.iter()) {
        if let (Some(spent), Some(limit)) = (budget.spent(dim), probe.remaining(dim)) {
            let warn = warn_threshold(&mut probe, dim, limit);
            *line = Some(Line { limit, warn, spent });
        }
    }
    lines
}

/// The warn threshold of the declared dimension `dim`, whose limit is
/// `limit`, read by charging `probe` (reset before every charge).
fn warn_threshold(probe: &mut Budget, dim: Dim, limit: u64) -> Option<u64> {
    let mut warns = |amount: u64| {
        probe.reset();
        matches!(probe.charge(dim, amount), Ok(Verdict::Warn(_)))
    };
    // A threshold is below the limit, so charging the limit warns iff there is one.
    if !warns(limit) {
        return None;
    }
    // Charging `quiet` does not warn (0 never does), charging `loud` does;
    // the threshold is the largest quiet amount.
    let (mut quiet, mut loud) = (0, limit);
    while loud - quiet > 1 {
        let middle = quiet + (loud - quiet) / 2;
        if warns(middle) {
            loud = middle;
        } else {
            quiet = middle;
        }
    }
    Some(quiet)
}

/// The budget `lines` describe, if the builder accepts it.
fn rebuild(lines: &Lines) -> Option<Budget> {
    let mut builder = Budget::builder();
    for (line, &dim) in lines.iter().zip(Dim::ALL.iter()) {
        if let Some(line) = line {
            builder = match line.warn {
                Some(warn) => builder.limit_with_warn(dim, line.limit, warn),
                None => builder.limit(dim, line.limit),
            };
        }
    }
    let mut budget = builder.build().ok()?;
    for (line, &dim) in lines.iter().zip(Dim::ALL.iter()) {
        if let Some(line) = line {
            // From zero, a charge sets the spent total to exactly its amount.
            budget.charge(dim, line.spent).ok()?;
            (budget.spent(dim) == Some(line.spent)).then_some(())?;
        }
    }
    Some(budget)
}

/// Appends `word`, or `None` without memory for it.
fn put(out: &mut Vec<u64>, word: u64) -> Option<()> {
    out.try_reserve(1).ok()?;
    out.push(word);
    Some(())
}

/// Appends `values` two to a word.
fn put_halves(out: &mut Vec<u64>, values: &[u32]) -> Option<()> {
    for pair in values.chunks(2) {
        let low = pair.first().copied().map_or(0, u64::from);
        let high = pair.get(1).copied().map_or(0, u64::from);
        put(out, low | high << 32)?;
    }
    Some(())
}

/// Reads `len` values two to a word, each below `bound`.
fn take_halves(words: &mut impl Iterator<Item = u64>, len: usize, bound: u64) -> Option<Vec<u32>> {
    let mut values = Vec::new();
    values.try_reserve_exact(len).ok()?;
    let mut word = 0;
    for i in 0..len {
        if i % 2 == 0 {
            word = words.next()?;
            if i + 1 == len && word >> 32 != 0 {
                return None;
            }
        } else {
            word >>= 32;
        }
        let value = word & 0xffff_ffff;
        if value >= bound {
            return None;
        }
        values.push(u32::try_from(value).ok()?);
    }
    Some(values)
}

/// A count from the header, at most `bound`.
fn count(words: &mut impl Iterator<Item = u64>, bound: usize) -> Option<usize> {
    usize::try_from(words.next()?).ok().filter(|&n| n <= bound)
}

/// One slot from its header word and the words that follow it.
fn take_slot(words: &mut impl Iterator<Item = u64>) -> Option<Slot> {
    let header = words.next()?;
    if header >> USED_BITS != 0 {
        return None;
    }
    let generation = u32::try_from(header & 0xffff_ffff).ok()?;
    let live = header >> LIVE_SHIFT & 1 == 1;
    let declared = header >> DECLARED_SHIFT & MASK;
    let warned = header >> WARNED_SHIFT & MASK;
    if generation >= GENERATION_LIMIT || warned & !declared != 0 || (!live && declared != 0) {
        return None;
    }
    if !live {
        return Some(Slot {
            generation,
            budget: None,
        });
    }
    let mut lines: Lines = [None; MAX_DIMS];
    for (position, line) in lines.iter_mut().enumerate() {
        if declared >> position & 1 == 1 {
            let limit = words.next()?;
            let warn = if warned >> position & 1 == 1 {
                Some(words.next()?)
            } else {
                None
            };
            let spent = words.next()?;
            *line = Some(Line { limit, warn, spent });
        }
    }
    Some(Slot {
        generation,
        budget: Some(rebuild(&lines)?),
    })
}

impl Table {
    /// Writes this table to `out` (replacing its contents) in the format
    /// above. `None` (and `out` left in any state) without memory for it.
    pub fn snapshot(&self, out: &mut Vec<u64>) -> Option<()> {
        out.clear();
        for header in [
            self.slots.len(),
            self.slots.capacity(),
            self.free.len(),
            self.parked.len(),
            self.live,
        ] {
            put(out, u64::try_from(header).ok()?)?;
        }
        for slot in &self.slots {
            let lines = slot.budget.as_ref().map(describe).unwrap_or_default();
            let mut declared = 0;
            let mut warned = 0;
            for (position, line) in lines.iter().enumerate() {
                if let Some(line) = line {
                    declared |= 1 << position;
                    if line.warn.is_some() {
                        warned |= 1 << position;
                    }
                }
            }
            let live = u64::from(slot.budget.is_some());
            put(
                out,
                u64::from(slot.generation)
                    | live << LIVE_SHIFT
                    | declared << DECLARED_SHIFT
                    | warned << WARNED_SHIFT,
            )?;
            for line in lines.iter().flatten() {
                put(out, line.limit)?;
                if let Some(warn) = line.warn {
                    put(out, warn)?;
                }
                put(out, line.spent)?;
            }
        }
        put_halves(out, &self.free)?;
        put_halves(out, &self.parked)
    }

    /// The table `words` describe (see the format above), or `None` if they
    /// describe none, or without memory for it.
    pub fn from_snapshot(words: &[u64]) -> Option<Self> {
        // Every slot takes at least one word, every two list entries one:
        // counts beyond that cannot be honest and are refused before any
        // memory is reserved for them.
        let bound = words.len().saturating_mul(2);
        let mut words = words.iter().copied();
        let slots_len = count(&mut words, bound)?;
        // A table's capacity is below four times its length once it has
        // shrunk (or at the minimum): anything larger is no table's.
        let capacity = count(&mut words, (4 * slots_len).max(MIN_CAPACITY))?;
        let free_len = count(&mut words, bound)?;
        let parked_len = count(&mut words, bound)?;
        let live = count(&mut words, slots_len)?;
        // Indexes are u32: a table never has more slots.
        if u32::try_from(slots_len).is_err() || capacity < slots_len {
            return None;
        }
        let mut table = Self::default();
        table.slots.try_reserve_exact(capacity).ok()?;
        for _ in 0..slots_len {
            table.slots.push(take_slot(&mut words)?);
        }
        table.free = take_halves(&mut words, free_len, 1 << 32)?;
        table.parked = take_halves(&mut words, parked_len, u64::from(GENERATION_LIMIT))?;
        let counted = table.slots.iter().filter(|s| s.budget.is_some()).count();
        if words.next().is_some() || counted != live {
            return None;
        }
        table.live = live;
        Some(table)
    }

    /// Whether this table was never used: no slot, no parked generation,
    /// nothing free (a table a snapshot may replace without losing anything).
    pub const fn is_unused(&self) -> bool {
        self.slots.is_empty() && self.parked.is_empty() && self.free.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{decode_handle, encode_handle};
    use crate::table::Handle;

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// Amounts from every scale: tiny, near the top of u64, anything.
        fn amount(&mut self) -> u64 {
            match self.below(4) {
                0 => self.below(10),
                1 => u64::MAX - self.below(10),
                2 => self.below(1 << 20),
                _ => self.next(),
            }
        }
    }

    fn random_budget(rng: &mut Rng) -> Budget {
        loop {
            let mut builder = Budget::builder();
            for &dim in &Dim::ALL {
                if rng.below(2) == 0 {
                    let limit = rng.amount().max(1);
                    builder = if rng.below(2) == 0 {
                        builder.limit(dim, limit)
                    } else {
                        builder.limit_with_warn(dim, limit, rng.below(limit))
                    };
                }
            }
            if let Ok(mut budget) = builder.build() {
                for _ in 0..rng.below(6) {
                    let dim = Dim::ALL
                        .get(usize::try_from(rng.below(8)).unwrap_or(0))
                        .copied()
                        .unwrap_or(Dim::Tokens);
                    let _ = budget.charge(dim, rng.amount());
                }
                return budget;
            }
        }
    }

    /// The same answers to the same calls: the observable state of a budget.
    fn same_behaviour(a: &Budget, b: &Budget, rng: &mut Rng) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let (mut a, mut b) = (a.clone(), b.clone());
        for _ in 0..16 {
            let dim = Dim::ALL
                .get(usize::try_from(rng.below(8)).unwrap_or(0))
                .copied()
                .unwrap_or(Dim::Tokens);
            let amount = rng.amount();
            assert_eq!(a.charge(dim, amount), b.charge(dim, amount));
            for &dim in &Dim::ALL {
                assert_eq!(a.spent(dim), b.spent(dim));
                assert_eq!(a.remaining(dim), b.remaining(dim));
            }
        }
    }

    /// A table after a random history of inserts, clones and removals
    /// (some from the end, so slots are dropped and generations parked).
    fn random_table(rng: &mut Rng, steps: usize) -> (Table, Vec<Handle>, Vec<Handle>) {
        let mut table = Table::default();
        let mut live: Vec<Handle> = Vec::new();
        let mut dead: Vec<Handle> = Vec::new();
        for _ in 0..steps {
            match rng.below(5) {
                0 | 1 => {
                    if let Some(h) = table.insert(random_budget(rng)) {
                        live.push(h);
                    }
                }
                2 => {
                    if let Some(&h) = live.last() {
                        if let Some(copy) = table.get(h).cloned() {
                            if let Some(h) = table.insert(copy) {
                                live.push(h);
                            }
                        }
                    }
                }
                _ => {
                    if !live.is_empty() {
                        let i = usize::try_from(rng.below(live.len() as u64)).unwrap_or(0);
                        let h = live.swap_remove(i);
                        assert!(table.remove(h));
                        dead.push(h);
                    }
                }
            }
        }
        (table, live, dead)
    }

    fn snapshot_of(table: &Table) -> Vec<u64> {
        let mut words = Vec::new();
        assert_eq!(table.snapshot(&mut words), Some(()));
        words
    }

    #[test]
    fn a_description_reads_back_every_declaration() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2_000 {
            let budget = random_budget(&mut rng);
            let rebuilt = rebuild(&describe(&budget));
            let Some(rebuilt) = rebuilt else {
                unreachable!("a described budget rebuilds: {budget:?}")
            };
            same_behaviour(&budget, &rebuilt, &mut rng);
        }
        // The edges of the bisection: thresholds 0 and limit - 1, limit 1 and u64::MAX.
        for (limit, warn) in [
            (1, None),
            (2, Some(0)),
            (2, Some(1)),
            (u64::MAX, Some(u64::MAX - 1)),
            (u64::MAX, Some(0)),
            (u64::MAX, None),
        ] {
            let builder = Budget::builder();
            let builder = match warn {
                Some(w) => builder.limit_with_warn(Dim::Bytes, limit, w),
                None => builder.limit(Dim::Bytes, limit),
            };
            let Ok(budget) = builder.build() else {
                unreachable!()
            };
            let lines = describe(&budget);
            assert_eq!(
                lines.iter().flatten().copied().collect::<Vec<_>>(),
                [Line {
                    limit,
                    warn,
                    spent: 0
                }]
            );
        }
    }

    #[test]
    fn a_rebuilt_table_is_the_same_table() {
        let mut rng = Rng(42);
        for round in 0..200 {
            let (mut table, live, dead) = random_table(&mut rng, 1 + round);
            let words = snapshot_of(&table);
            let Some(mut moved) = Table::from_snapshot(&words) else {
                unreachable!("round {round}: a snapshot is refused")
            };
            assert_eq!(snapshot_of(&moved), words, "round {round}");
            assert_eq!(moved.live(), table.live());
            assert_eq!(moved.capacity(), table.capacity());
            for &h in &live {
                let (Some(a), Some(b)) = (table.get(h), moved.get(h)) else {
                    unreachable!("round {round}: a live handle was lost")
                };
                same_behaviour(a, b, &mut rng);
            }
            for &h in &dead {
                assert!(
                    moved.get(h).is_none(),
                    "round {round}: a stale handle came back"
                );
            }
            // The next inserts and removals give the same handles on both.
            for _ in 0..8 {
                let budget = random_budget(&mut rng);
                let (a, b) = (table.insert(budget.clone()), moved.insert(budget));
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "round {round}");
            }
            for &h in &live {
                assert_eq!(table.remove(h), moved.remove(h));
            }
            assert_eq!(snapshot_of(&moved), snapshot_of(&table), "round {round}");
        }
    }

    #[test]
    fn parked_generations_and_the_free_list_survive_the_move() {
        let mut table = Table::default();
        let budget = random_budget(&mut Rng(7));
        let handles: Vec<Handle> = (0..5)
            .filter_map(|_| table.insert(budget.clone()))
            .collect();
        let &[kept, freed, middle, dropped, last] = handles.as_slice() else {
            unreachable!()
        };
        // b goes to the free list; e, then d, are dropped from the end (parked).
        for h in [freed, last, dropped] {
            assert!(table.remove(h));
        }
        let words = snapshot_of(&table);
        let Some(mut moved) = Table::from_snapshot(&words) else {
            unreachable!()
        };
        for h in [freed, dropped, last] {
            assert!(moved.get(h).is_none());
        }
        assert!(moved.get(kept).is_some() && moved.get(middle).is_some());
        // Slot 1 is reused from the free list with its next generation, slot
        // 3 re-created with its parked one.
        let again: Vec<(u32, u32)> = (0..2)
            .filter_map(|_| moved.insert(budget.clone()))
            .filter_map(decode_handle)
            .collect();
        assert_eq!(again, [(1, 1), (1, 3)]);
        assert_eq!(
            moved.insert(budget).map(f64::to_bits),
            Some(encode_handle(1, 4).to_bits())
        );
    }

    #[test]
    fn anything_but_a_snapshot_is_refused_whole() {
        let mut rng = Rng(3);
        let (table, _, _) = random_table(&mut rng, 60);
        let words = snapshot_of(&table);
        assert!(words.len() > 8);
        // Every truncation and every extension is refused.
        for len in 0..words.len() {
            assert!(
                Table::from_snapshot(words.get(..len).unwrap_or_default()).is_none(),
                "{len}"
            );
        }
        let mut longer = words.clone();
        longer.push(0);
        assert!(Table::from_snapshot(&longer).is_none());
        // Single-bit flips anywhere: refused, or a table that round-trips
        // (a flipped spent total or limit can describe another valid table).
        for i in 0..words.len() {
            for bit in [0, 1, 31, 32, 33, 40, 41, 48, 49, 63] {
                let mut bad = words.clone();
                if let Some(word) = bad.get_mut(i) {
                    *word ^= 1 << bit;
                }
                if let Some(t) = Table::from_snapshot(&bad) {
                    assert_eq!(snapshot_of(&t), bad, "word {i} bit {bit}");
                }
            }
        }
        // Counts that promise more than the words hold are refused without reserving for them.
        assert!(Table::from_snapshot(&[u64::MAX, 64, 0, 0, 0]).is_none());
        assert!(Table::from_snapshot(&[0, 64, u64::MAX, 0, 0]).is_none());
        assert!(
            Table::from_snapshot(&[0, 1 << 40, 0, 0, 0]).is_none(),
            "capacity beyond any table's"
        );
        assert!(
            Table::from_snapshot(&[2, 1, 0, 0, 0, 0, 0]).is_none(),
            "capacity below the length"
        );
        assert!(
            Table::from_snapshot(&[1, 64, 0, 0, 2, 1 << 32]).is_none(),
            "live above the slots"
        );
        // The empty table is a table.
        assert!(Table::from_snapshot(&[0, 64, 0, 0, 0]).is_some_and(|t| t.is_unused()));
    }
}

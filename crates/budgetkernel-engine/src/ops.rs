//! The operations of both engines, over this thread's table.
//!
//! Number-returning operations return a verdict code, a handle or 0 when
//! they succeed and [`FAILED`] (or -1.0 for handles) when they fail, with
//! the reason recorded for [`take_failure`].

use budgetkernel::{Budget, Dim, Verdict, MAX_DIMS};

use crate::convert::{amount_from_f64, dim_at, packed_field, verdict_code, FEW};
use crate::error::{Code, Failure};
use crate::table::{with_table, Removed, Table};

/// Returned by the number-returning functions when the call failed; the
/// reason is then available from [`take_failure`].
pub const FAILED: i32 = -1;

/// Number of dimensions a budget can declare.
pub const MAX_DIMENSIONS: u32 = 8;
const _: () = assert!(MAX_DIMENSIONS as usize == MAX_DIMS);

/// Words per declaration in [`create`]'s input: dimension index, warn flag,
/// limit, warn threshold.
pub const DECLARATION_WORDS: usize = 4;

/// Runs `op` against this thread's table. A failure is recorded for
/// [`take_failure`] and `failed` is returned in place of a value.
fn settle<R: Copy>(failed: R, op: impl FnOnce(&mut Table) -> Result<R, Failure>) -> R {
    with_table(|table| match op(table) {
        Ok(value) => value,
        Err(failure) => {
            table.record(failure);
            failed
        }
    })
    .unwrap_or(failed)
}

fn budget_mut(table: &mut Table, handle: f64) -> Result<&mut Budget, Failure> {
    table
        .get_mut(handle)
        .ok_or(Failure::new(Code::InvalidHandle))
}

fn dim(index: u32) -> Result<Dim, Failure> {
    dim_at(index).ok_or(Failure::new(Code::InvalidDimension))
}

#[allow(
    clippy::cast_possible_wrap,
    reason = "verdict codes are below VERDICT_COUNT = 17"
)]
const fn code(verdict: Verdict) -> i32 {
    verdict_code(verdict) as i32
}

/// Builds a budget from `count` declarations, in the order they were made.
///
/// Declaration `i` is the four words at `declarations[4 * i..]`: the
/// dimension index, a flag (non-zero: the declaration has a warn
/// threshold), the limit, and the warn threshold. The kernel's builder
/// validates the declaration as a whole. Returns the new budget's handle,
/// or -1 (a builder error code with its dimension, `INVALID_DIMENSION`
/// with the declaration's position, `LENGTH_MISMATCH` or `TABLE_FULL`).
pub fn create(declarations: &[u64], count: u32) -> f64 {
    settle(-1.0, |table| {
        let words = usize::try_from(count)
            .ok()
            .and_then(|count| count.checked_mul(DECLARATION_WORDS))
            .and_then(|words| declarations.get(..words))
            .ok_or(Failure::new(Code::LengthMismatch))?;
        let mut builder = Budget::builder();
        for (i, declaration) in words.chunks_exact(DECLARATION_WORDS).enumerate() {
            let &[dim_index, has_warn, limit, warn] = declaration else {
                return Err(Failure::new(Code::LengthMismatch));
            };
            let dim = u32::try_from(dim_index)
                .ok()
                .and_then(dim_at)
                .ok_or_else(|| Failure::new(Code::InvalidDimension).at(i))?;
            builder = if has_warn == 0 {
                builder.limit(dim, limit)
            } else {
                builder.limit_with_warn(dim, limit, warn)
            };
        }
        let budget = builder.build().map_err(Failure::from)?;
        table.insert(budget).ok_or(Failure::new(Code::TableFull))
    })
}

/// An independent copy of a budget (limits, warn thresholds and spent
/// counters). Returns the copy's handle, or -1.
pub fn clone_budget(handle: f64) -> f64 {
    settle(-1.0, |table| {
        let copy = budget_mut(table, handle)?.clone();
        table.insert(copy).ok_or(Failure::new(Code::TableFull))
    })
}

/// Frees a budget at once. Returns whether the handle named a live budget;
/// a stale or forged handle frees nothing.
pub fn release(handle: f64) -> bool {
    with_table(|table| table.remove(handle)).unwrap_or(false)
}

/// [`release`], telling also whether the table gave memory back.
pub fn release_reporting(handle: f64) -> Removed {
    with_table(|table| table.remove_reporting(handle)).unwrap_or(Removed::NotLive)
}

/// Number of live budgets on the calling thread (for leak tests).
pub fn live_budgets() -> u32 {
    with_table(|table| u32::try_from(table.live()).unwrap_or(u32::MAX)).unwrap_or(0)
}

/// Slots the calling thread's table has room for without growing.
pub fn table_capacity() -> u32 {
    with_table(|table| u32::try_from(table.capacity()).unwrap_or(u32::MAX)).unwrap_or(0)
}

/// Charges a number amount. Returns a verdict code (0..17) or -1.
pub fn charge(handle: f64, dim_index: u32, amount: f64) -> i32 {
    charge_one(handle, dim_index, amount_from_f64(amount))
}

/// One charge, the amount already converted (`None`: it was out of range).
/// Returns a verdict code (0..17) or -1.
pub fn charge_one(handle: f64, dim_index: u32, amount: Option<u64>) -> i32 {
    settle(FAILED, |table| {
        let budget = budget_mut(table, handle)?;
        let dim = dim(dim_index)?;
        let amount = amount.ok_or(Failure::new(Code::InvalidAmount))?;
        Ok(code(budget.charge(dim, amount)?))
    })
}

/// Charges the first `len` entries of `dims` and `amounts` atomically.
///
/// `dims` holds dimension indexes, `amounts` numbers (`f64`) or bigints
/// (`u64`). Every entry is validated first (index, amount, then whether
/// its dimension is declared); if any fails, nothing is applied. Returns
/// the `worst` of the verdicts, or -1.
pub fn charge_batch<A: BatchAmount>(handle: f64, dims: &[u8], amounts: &[A], len: u32) -> i32 {
    settle(FAILED, |table| {
        let budget = budget_mut(table, handle)?;
        charge_all(budget, dims, amounts, len).map(code)
    })
}

/// [`charge_batch`] for a checkpoint of up to three number amounts.
///
/// `packed` holds the entry count in its low 3 bits and entry `i`'s
/// dimension index in the 3 bits above that (`count | d0 << 3 | d1 << 6 |
/// d2 << 9`); `a0` to `a2` are the amounts, unused ones ignored. Returns
/// the `worst` verdict code, or -1.
pub fn charge_few(handle: f64, packed: u32, a0: f64, a1: f64, a2: f64) -> i32 {
    settle(FAILED, |table| {
        let budget = budget_mut(table, handle)?;
        let field = |i: usize| packed_field(packed, i);
        let count = usize::try_from(field(0)).unwrap_or(usize::MAX);
        let mut entries = [(Dim::Tokens, 0); FEW];
        let staged = entries
            .get_mut(..count)
            .ok_or(Failure::new(Code::LengthMismatch))?;
        for (i, (entry, amount)) in staged.iter_mut().zip([a0, a1, a2]).enumerate() {
            // Three bits always name a dimension; the check is for form's sake.
            let dim = dim(field(i + 1)).map_err(|failure| failure.at(i))?;
            let amount =
                amount_from_f64(amount).ok_or_else(|| Failure::new(Code::InvalidAmount).at(i))?;
            *entry = (dim, amount);
        }
        // The kernel's own atomic checkpoint: it checks that every dimension
        // is declared before it applies any entry.
        Ok(code(budget.charge_many(staged)?))
    })
}

/// An amount as a batch holds it: a JS number (`f64`) or a `BigUint64Array`
/// element (`u64`).
pub trait BatchAmount: Copy {
    /// The amount, if it is valid.
    fn checked(self) -> Option<u64>;
    /// The amount, for a value `checked` has accepted (no second check).
    fn accepted(self) -> u64;
}

impl BatchAmount for f64 {
    fn checked(self) -> Option<u64> {
        amount_from_f64(self)
    }

    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "only called on values amount_from_f64 accepted: integers in 0..=2^53-1, exact as i64 and u64"
    )]
    fn accepted(self) -> u64 {
        // Through i64: one instruction, where a direct f64-to-u64 takes several.
        self as i64 as u64
    }
}

impl BatchAmount for u64 {
    fn checked(self) -> Option<u64> {
        Some(self)
    }

    fn accepted(self) -> u64 {
        self
    }
}

/// Validate-all-then-apply over parallel slices. The validation pass
/// reports boundary errors (bad index, bad amount) for the first bad entry
/// before the kernel's `UnknownDimension` for the first undeclared one, so
/// an ill-formed batch is always a range error, whatever it charges. The
/// apply pass then charges through the kernel without checking again.
fn charge_all<A: BatchAmount>(
    budget: &mut Budget,
    dims: &[u8],
    amounts: &[A],
    len: u32,
) -> Result<Verdict, Failure> {
    let n = usize::try_from(len).map_err(|_| Failure::new(Code::LengthMismatch))?;
    let (Some(dims), Some(amounts)) = (dims.get(..n), amounts.get(..n)) else {
        return Err(Failure::new(Code::LengthMismatch));
    };
    let declared = Dim::ALL.map(|dim| budget.spent(dim).is_some());
    let mut first_undeclared = None;
    for (i, (&dim_index, &amount)) in dims.iter().zip(amounts).enumerate() {
        let dim = dim(u32::from(dim_index)).map_err(|failure| failure.at(i))?;
        if amount.checked().is_none() {
            return Err(Failure::new(Code::InvalidAmount).at(i));
        }
        let is_declared = declared.get(dim.index()).copied().unwrap_or(false);
        if !is_declared && first_undeclared.is_none() {
            first_undeclared = Some((i, dim));
        }
    }
    if let Some((i, dim)) = first_undeclared {
        return Err(Failure::new(Code::UnknownDimension).with_dim(dim).at(i));
    }
    let mut verdict = Verdict::Continue;
    for (&dim_index, &amount) in dims.iter().zip(amounts) {
        // Every index was validated above, so the `else` arm is unreachable.
        let Some(dim) = dim_at(u32::from(dim_index)) else {
            return Err(Failure::new(Code::Internal));
        };
        verdict = verdict.worst(budget.charge(dim, amount.accepted())?);
    }
    Ok(verdict)
}

/// A read of one dimension: `Ok(None)` when the dimension is not declared;
/// `Err` with `INVALID_HANDLE` or `INVALID_DIMENSION` (which the napi
/// binding throws; the facade never causes either).
///
/// # Errors
///
/// As above; `INTERNAL` if the table is unavailable.
pub fn read(
    handle: f64,
    dim_index: u32,
    query: fn(&Budget, Dim) -> Option<u64>,
) -> Result<Option<u64>, Code> {
    with_table(|table| {
        let budget = table.get(handle).ok_or(Code::InvalidHandle)?;
        let dim = dim_at(dim_index).ok_or(Code::InvalidDimension)?;
        Ok(query(budget, dim))
    })
    .unwrap_or(Err(Code::Internal))
}

/// Amount spent on a dimension (see [`read`]).
///
/// # Errors
///
/// As [`read`].
pub fn spent(handle: f64, dim_index: u32) -> Result<Option<u64>, Code> {
    read(handle, dim_index, Budget::spent)
}

/// Headroom left on a dimension (see [`read`]).
///
/// # Errors
///
/// As [`read`].
pub fn remaining(handle: f64, dim_index: u32) -> Result<Option<u64>, Code> {
    read(handle, dim_index, Budget::remaining)
}

/// Zeroes every spent counter, keeping limits and warn thresholds.
/// Returns 0, or -1 for an invalid handle.
pub fn reset(handle: f64) -> i32 {
    settle(FAILED, |table| {
        budget_mut(table, handle)?.reset();
        Ok(0)
    })
}

/// Collects (and clears) the reason for the last call on this thread that
/// returned -1.
pub fn take_failure() -> Option<Failure> {
    with_table(Table::take_failure).flatten()
}

/// The dimension names in kernel index order (`Dim::name()`).
pub fn dim_names() -> impl Iterator<Item = &'static str> {
    Dim::ALL.iter().map(|dim| dim.name())
}

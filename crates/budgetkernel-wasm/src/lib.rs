//! # budgetkernel-wasm
//!
//! The kernel as a WebAssembly module for `wasm32-unknown-unknown`, beside
//! the napi-rs addon. Every export is a plain `extern "C"` function over
//! scalars (no wasm-bindgen, no emnapi: their glue would give the boundary
//! cost back) and a thin adapter over `budgetkernel_engine::ops`, the same
//! operations, handle table and failure codes as the napi binding. The JS
//! glue is `ts/lib/wasm.ts`.
//!
//! ## Arrays
//!
//! Arrays cross through three scratch buffers owned by this module (a
//! `u64`, an `f64` and a `u8` one, per thread): the glue asks once for room
//! (`bk_reserve_*`, which returns the buffer's address in wasm memory),
//! keeps the address and its typed-array view, and copies a call's array
//! into it before the call; the export then reads the buffer as an
//! ordinary slice. A buffer only grows, so the glue allocates nothing per
//! call once it has room. No export takes a pointer from JavaScript, and
//! this crate has no `unsafe` block: JavaScript writes the buffers only
//! between calls, when Rust holds no borrow of them.
//!
//! ## Memory bound
//!
//! The module's memory has a maximum (`--max-memory`, see
//! `scripts/build.mjs`). Every allocation that grows with use is fallible
//! (`try_reserve`, in the table and here), so reaching the maximum makes
//! `create`/`clone` (or a scratch reservation) fail with `TABLE_FULL`, like
//! a full table on the addon, never an abort.
//!
//! ## Panics
//!
//! Built with `panic = "abort"`: a panic would be a wasm trap. The engine
//! has no caller-triggerable panic (the workspace denies `unwrap`,
//! `expect`, `panic!` and indexing); the glue still turns a trap into a JS
//! exception and refuses every later call on that instance, whose table
//! may have been left mid-update.
//!
//! ## Names
//!
//! The exports carry their unmangled `bk_*` names only in the wasm build;
//! natively (tests, fuzzing) they are ordinary Rust functions.

// No unsafe code: enforced wherever the crate is compiled natively (clippy,
// tests, the fuzz target). The wasm build only adds `#[no_mangle]` to the
// exports, which the `unsafe_code` lint counts, so it cannot be forbidden
// there; the code is otherwise the same.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]
#![allow(
    clippy::must_use_candidate,
    reason = "the exports are called from JavaScript, where #[must_use] means nothing"
)]

use std::cell::{Cell, RefCell};

use budgetkernel_engine::error::{Code, Failure};
use budgetkernel_engine::ops;
use budgetkernel_engine::table::{with_table, Removed, Table};

/// The scratch buffers arrays cross through (see the crate docs).
#[derive(Default)]
struct Scratch {
    words: Vec<u64>,
    floats: Vec<f64>,
    bytes: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// The value of the last successful `bk_spent`/`bk_remaining`.
    static VALUE: Cell<u64> = const { Cell::new(0) };
}

/// Grows `buffer` to at least `len` elements and returns its address, or 0
/// (with `TABLE_FULL` recorded) when the memory is exhausted.
fn reserve<T: Copy + Default>(buffer: &mut Vec<T>, len: u32) -> u32 {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if buffer.len() < len {
        let more = len - buffer.len();
        if buffer.try_reserve_exact(more).is_err() {
            with_table(|table| table.record(Failure::new(Code::TableFull)));
            return 0;
        }
        buffer.resize(len, T::default());
    }
    address(buffer.as_ptr())
}

/// An address in wasm memory (natively, the low 32 bits: only used by the
/// wasm build's glue).
fn address<T>(pointer: *const T) -> u32 {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "wasm32 addresses are 32 bits; natively the value is unused"
    )]
    let address = pointer.addr() as u32;
    address
}

fn with_scratch<R>(failed: R, f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut s| f(&mut s)))
        .ok()
        .flatten()
        .unwrap_or(failed)
}

/// The first `len` elements of `buffer` (all of it if shorter: the engine
/// then reports the mismatch against the call's own length).
fn prefix<T>(buffer: &[T], len: u32) -> &[T] {
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(buffer.len());
    buffer.get(..len).unwrap_or_default()
}

/// Room for `len` words (`create`'s declarations, `chargeBatchBig`'s
/// amounts). Returns the buffer's address, or 0 with `TABLE_FULL` recorded.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_reserve_words(len: u32) -> u32 {
    with_scratch(0, |s| reserve(&mut s.words, len))
}

/// Room for `len` numbers (`chargeBatch`'s amounts). As [`bk_reserve_words`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_reserve_floats(len: u32) -> u32 {
    with_scratch(0, |s| reserve(&mut s.floats, len))
}

/// Room for `len` bytes (batch dimensions, names and messages). As
/// [`bk_reserve_words`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_reserve_bytes(len: u32) -> u32 {
    with_scratch(0, |s| reserve(&mut s.bytes, len))
}

/// `create(declarations, count)`: the first `words` words of the word
/// buffer are the declarations. Returns a handle or -1.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_create(words: u32, count: u32) -> f64 {
    with_scratch(-1.0, |s| ops::create(prefix(&s.words, words), count))
}

/// `clone(handle)`. Returns the copy's handle or -1.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_clone(handle: f64) -> f64 {
    ops::clone_budget(handle)
}

/// `release(handle)`: 0 if it named no live budget, 1 if it freed one, 2
/// if it freed one and the table gave memory back (the glue may then move
/// the table to a fresh instance: [`bk_snapshot`]).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_release(handle: f64) -> u32 {
    match ops::release_reporting(handle) {
        Removed::NotLive => 0,
        Removed::Freed => 1,
        Removed::Shrank => 2,
    }
}

/// Writes this thread's table to the word buffer as a snapshot.
///
/// The format is in `budgetkernel_engine::table`'s `snapshot` module.
/// Returns the snapshot's length in words, or -1 without memory for it.
/// Records no failure and changes no budget.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_snapshot() -> i32 {
    with_scratch(-1, |s| {
        with_table(|table| table.snapshot(&mut s.words))
            .flatten()
            .and_then(|()| i32::try_from(s.words.len()).ok())
            .unwrap_or(-1)
    })
}

/// Replaces this thread's unused table by a snapshot's.
///
/// The table must never have been used (a fresh instance's); the snapshot
/// is the first `words` words of the word buffer, which is freed after.
/// 1 on success; 0, with nothing changed, if the table was used or the
/// words describe no table.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_restore(words: u32) -> u32 {
    let Some(restored) = with_scratch(None, |s| Table::from_snapshot(prefix(&s.words, words)))
    else {
        return 0;
    };
    let replaced = with_table(|table| {
        if table.is_unused() && table.live() == 0 {
            *table = restored;
            true
        } else {
            false
        }
    });
    with_scratch((), |s| s.words = Vec::new());
    u32::from(replaced == Some(true))
}

/// `liveBudgets()`.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_live_budgets() -> u32 {
    ops::live_budgets()
}

/// `tableCapacity()`.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_table_capacity() -> u32 {
    ops::table_capacity()
}

/// `charge(handle, dim, amount)` with a number amount.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_charge(handle: f64, dim_index: u32, amount: f64) -> i32 {
    ops::charge(handle, dim_index, amount)
}

/// `chargeBig(handle, dim, amount)`.
///
/// `amount` is the bigint modulo 2^64 (an `i64` parameter arrives from JS as `BigInt.asIntN(64, x)`, the same bits), `exact` is
/// non-zero when that is the bigint itself (it was in `0..=2^64-1`).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_charge_big(handle: f64, dim_index: u32, amount: u64, exact: u32) -> i32 {
    ops::charge_one(handle, dim_index, (exact != 0).then_some(amount))
}

/// `chargeFew(handle, packed, a0, a1, a2)`.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_charge_few(handle: f64, packed: u32, a0: f64, a1: f64, a2: f64) -> i32 {
    ops::charge_few(handle, packed, a0, a1, a2)
}

/// `chargeBatch`: the first `dims` bytes of the byte buffer and the first
/// `amounts` numbers of the number buffer are the call's arrays (as much of
/// them as the glue copied: never more than `len` entries).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_charge_batch(handle: f64, dims: u32, amounts: u32, len: u32) -> i32 {
    with_scratch(ops::FAILED, |s| {
        ops::charge_batch(
            handle,
            prefix(&s.bytes, dims),
            prefix(&s.floats, amounts),
            len,
        )
    })
}

/// `chargeBatchBig`: as [`bk_charge_batch`] with the word buffer's amounts.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_charge_batch_big(handle: f64, dims: u32, amounts: u32, len: u32) -> i32 {
    with_scratch(ops::FAILED, |s| {
        ops::charge_batch(
            handle,
            prefix(&s.bytes, dims),
            prefix(&s.words, amounts),
            len,
        )
    })
}

/// A read as one number: 1 (the value is then [`bk_value`]), 0 (`null`:
/// the dimension is not declared), or `-1 - code` for a refused read, the
/// code's number in `Code::ALL`.
fn read_status(outcome: Result<Option<u64>, Code>) -> i32 {
    match outcome {
        Ok(Some(value)) => {
            VALUE.with(|cell| cell.set(value));
            1
        }
        Ok(None) => 0,
        Err(code) => -1 - code_number(code),
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "Code::ALL has 11 entries"
)]
fn code_number(code: Code) -> i32 {
    Code::ALL
        .iter()
        .position(|&c| c == code)
        .unwrap_or(Code::ALL.len()) as i32
}

/// `spent(handle, dim)`, as [`read_status`] describes.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_spent(handle: f64, dim_index: u32) -> i32 {
    read_status(ops::spent(handle, dim_index))
}

/// `remaining(handle, dim)`, as [`read_status`] describes.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_remaining(handle: f64, dim_index: u32) -> i32 {
    read_status(ops::remaining(handle, dim_index))
}

/// The value of the last read that returned 1 (as `i64` bits in JS).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_value() -> u64 {
    VALUE.with(Cell::get)
}

/// `reset(handle)`: 0 or -1.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_reset(handle: f64) -> i32 {
    ops::reset(handle)
}

/// `takeError()` as one number.
///
/// -1 for none, else
/// `code + 16 * (dim + 1) + 256 * (index + 1)` (`dim`/`index` counted as -1
/// when absent), which stays below 2^41: exact as a JS number. The kernel's
/// message, if any, is then in the byte buffer: [`bk_message`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_take_error() -> f64 {
    let Some(failure) = ops::take_failure() else {
        return -1.0;
    };
    LAST.with(|cell| cell.set(Some(failure)));
    let dim = failure.dim.map_or(0, |dim| u64::from(dim) + 1);
    let index = failure.index.map_or(0, |index| u64::from(index) + 1);
    let code = u64::try_from(code_number(failure.code)).unwrap_or(0);
    #[allow(
        clippy::cast_precision_loss,
        reason = "below 2^41 (code < 16, dim < 9, index <= 2^32): exact as f64"
    )]
    let packed = (code + 16 * dim + 256 * index) as f64;
    packed
}

thread_local! {
    /// The failure `bk_take_error` last handed over, for `bk_message`.
    static LAST: Cell<Option<Failure>> = const { Cell::new(None) };
}

/// Writes `text` into the byte buffer; returns its length, or -1 if there
/// is no room (the memory is exhausted).
#[allow(clippy::cast_possible_wrap, reason = "names and messages are short")]
fn write_text(text: &str) -> i32 {
    with_scratch(-1, |s| {
        let Ok(len) = u32::try_from(text.len()) else {
            return -1;
        };
        if reserve(&mut s.bytes, len) == 0 && len > 0 {
            return -1;
        }
        s.bytes.get_mut(..text.len()).map_or(-1, |room| {
            room.copy_from_slice(text.as_bytes());
            len as i32
        })
    })
}

/// The kernel's message for the failure [`bk_take_error`] last returned,
/// written to the byte buffer: its length, 0 for none, -1 without room.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_message() -> i32 {
    LAST.with(Cell::get)
        .and_then(Failure::kernel_message)
        .map_or(0, |message| write_text(&message))
}

/// The name of code number `code` (`Code::ALL`) written to the byte
/// buffer: its length, or 0 past the last code.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_code_name(code: u32) -> i32 {
    usize::try_from(code)
        .ok()
        .and_then(|code| Code::ALL.get(code))
        .map_or(0, |code| write_text(code.as_str()))
}

/// The name of dimension `dim` (kernel order) written to the byte buffer:
/// its length, or 0 past the last dimension.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn bk_dim_name(dim: u32) -> i32 {
    usize::try_from(dim)
        .ok()
        .and_then(|dim| ops::dim_names().nth(dim))
        .map_or(0, write_text)
}

/// `MAX_DIMENSIONS`.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub const extern "C" fn bk_max_dimensions() -> u32 {
    ops::MAX_DIMENSIONS
}

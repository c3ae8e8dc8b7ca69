//! The binding's conversions at the boundary, compiled from the addon's own
//! source file (`crates/budgetkernel-engine/src/convert.rs`, shared with the wasm engine, kept
//! free of napi types for this): number and bigint amounts, handle decoding,
//! the packed fields of `charge_few`, dimension indexes and verdict codes.
//!
//! It also drives the Rust half of the wasm engine's glue
//! (`crates/budgetkernel-wasm`, linked here as a native rlib). Its charge
//! exports are thin adapters over the shared operations, so comparing
//! `bk_charge`, `bk_charge_big` (its `exact` flag) and `bk_charge_few` with
//! the operation on a twin budget guards only their argument adaptation;
//! the real check is `bk_take_error`'s packed number, which must decode (as
//! `ts/lib/wasm.ts` decodes it, rewritten here in Rust) to exactly the
//! failure the operation recorded. And the table snapshot the wasm glue
//! moves a drained table with (`table/snapshot.rs`): arbitrary words are a
//! table or refused, never a panic, and an accepted table writes the same
//! words. Not covered here: the scratch-buffer exports (natively nothing
//! can write the buffers), the JavaScript half of the glue and the 32-bit
//! wasm ABI; `__test__/wasm-engine.spec.ts` compares those, through the
//! built `.wasm`, with the native binding call by call (fast-check).
//!
//! Never a panic; every accepted value round-trips; and what is accepted is
//! exactly what the contract says (checked against oracles written here
//! from the documented rules).
#![no_main]

use arbitrary::Arbitrary;
use budgetkernel::{Dim, Verdict, MAX_DIMS};
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/budgetkernel-engine/src/convert.rs"]
#[allow(dead_code)] // the addon's test-only items and what this target skips
mod convert;

use convert::{
    amount_from_f64, amount_from_words, decode_handle, dim_at, encode_handle, packed_field,
    verdict_code, FEW, GENERATION_LIMIT,
};

#[derive(Arbitrary, Debug)]
struct Input {
    number: f64,
    number_bits: u64,
    negative: bool,
    words: Vec<u64>,
    handle: f64,
    handle_bits: u64,
    generation: u32,
    index: u32,
    packed: u32,
    dim_index: u32,
    verdict: (u8, u8),
}

/// 2^53 - 1, `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn check_number(value: f64) {
    let accepted = amount_from_f64(value);
    // Oracle: an integer in 0..=2^53-1 (either zero).
    let valid = value.is_finite() && value.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&value);
    assert_eq!(accepted.is_some(), valid, "amount_from_f64({value:?})");
    if let Some(amount) = accepted {
        #[allow(clippy::cast_precision_loss)]
        let back = amount as f64;
        assert!(back == value, "{value:?} -> {amount} -> {back:?}");
        assert_eq!(amount_from_f64(back), Some(amount));
    }
}

fn check_handle(handle: f64) {
    let decoded = decode_handle(handle);
    // Oracle: an integer in 0..2^53 (generation below 2^21, index 32 bits).
    let valid = handle.is_finite()
        && handle.fract() == 0.0
        && (0.0..9_007_199_254_740_992.0).contains(&handle);
    assert_eq!(decoded.is_some(), valid, "decode_handle({handle:?})");
    if let Some((generation, index)) = decoded {
        assert!(generation < GENERATION_LIMIT);
        let back = encode_handle(generation, index);
        assert!(
            back == handle,
            "{handle:?} -> ({generation}, {index}) -> {back:?}"
        );
    }
}

/// `bk_take_error`'s number decoded as the JS glue does.
fn unpack(packed: f64) -> Option<(usize, Option<u32>, Option<u32>)> {
    if packed < 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let packed = packed as u64;
    let field = |v: u64| u32::try_from(v).ok().and_then(|v| v.checked_sub(1));
    Some((
        usize::try_from(packed % 16).unwrap_or(usize::MAX),
        field((packed / 16) % 16),
        field(packed / 256),
    ))
}

fn failure_of(f: Option<budgetkernel_engine::error::Failure>) -> Option<(usize, Option<u32>, Option<u32>)> {
    use budgetkernel_engine::error::Code;
    f.map(|f| (Code::ALL.iter().position(|&c| c == f.code).unwrap_or(usize::MAX), f.dim, f.index))
}

fn check_wasm_glue(input: &Input) {
    use budgetkernel_engine::ops;
    use budgetkernel_wasm as glue;
    let declare = [0, 1, 1000, 10, 2, 0, 1 << 40, 0];
    let (twin, ours) = (ops::create(&declare, 2), ops::create(&declare, 2));
    assert!(twin >= 0.0 && ours >= 0.0);
    // Now and then a forged handle, the same on both paths (never one of the
    // two live ones, or the first call would change what the second sees).
    let forged = input.generation % 4 == 0
        && input.handle.to_bits() != twin.to_bits()
        && input.handle.to_bits() != ours.to_bits();
    let handle = |h: f64| if forged { input.handle } else { h };
    // The operation on the twin, then the glue on ours: same result, and
    // the failure recorded by one is the failure the other packs.
    let same = |expected: i32, glue_call: &dyn Fn() -> i32| {
        let expected_failure = failure_of(ops::take_failure());
        let got = glue_call();
        assert_eq!(expected, got);
        assert_eq!(expected_failure, unpack(glue::bk_take_error()));
    };
    let n = input.number;
    let bits = input.number_bits;
    let exact = !input.negative;
    same(ops::charge(handle(twin), input.dim_index, n), &|| {
        glue::bk_charge(handle(ours), input.dim_index, n)
    });
    same(ops::charge_one(handle(twin), input.dim_index, exact.then_some(bits)), &|| {
        glue::bk_charge_big(handle(ours), input.dim_index, bits, u32::from(exact))
    });
    let (a1, a2) = (input.handle, f64::from(input.index));
    same(ops::charge_few(handle(twin), input.packed, n, a1, a2), &|| {
        glue::bk_charge_few(handle(ours), input.packed, n, a1, a2)
    });
    assert!(ops::release(twin) && ops::release(ours));
}

/// Arbitrary words as a table snapshot: refused, or a table whose own
/// snapshot is exactly these words (the format has one spelling per table).
fn check_snapshot(words: &[u64]) {
    use budgetkernel_engine::table::Table;
    if let Some(table) = Table::from_snapshot(words) {
        let mut again = Vec::new();
        assert_eq!(table.snapshot(&mut again), Some(()));
        assert_eq!(again, words);
    }
}

fuzz_target!(|input: Input| {
    check_wasm_glue(&input);
    check_snapshot(&input.words);
    check_number(input.number);
    check_number(f64::from_bits(input.number_bits));

    // Bigint words, as napi-rs hands them over.
    let accepted = amount_from_words(input.negative, &input.words);
    let valid = !input.negative && input.words.len() == 1;
    assert_eq!(
        accepted.is_some(),
        valid,
        "amount_from_words({}, {:?})",
        input.negative,
        input.words
    );
    if let Some(amount) = accepted {
        assert_eq!(input.words, [amount]);
        // The words napi-rs builds for this value (`[0]` for 0n) give it back.
        assert_eq!(amount_from_words(false, &[amount]), Some(amount));
    }

    check_handle(input.handle);
    check_handle(f64::from_bits(input.handle_bits));
    let generation = input.generation % GENERATION_LIMIT;
    let handle = encode_handle(generation, input.index);
    assert_eq!(decode_handle(handle), Some((generation, input.index)));

    // charge_few's packed word: count | d0 << 3 | d1 << 6 | d2 << 9.
    let count = packed_field(input.packed, 0);
    assert_eq!(count, input.packed & 7);
    if let Ok(count) = usize::try_from(count) {
        if count <= FEW {
            let mut repacked = input.packed & 7;
            for i in 0..count {
                let field = packed_field(input.packed, i + 1);
                let dim = dim_at(field).expect("a 3-bit field always names a dimension");
                assert_eq!(dim.index() as u32, field);
                repacked |= field << (3 * (i + 1));
            }
            let used_bits = 3 * (count + 1);
            assert_eq!(
                repacked,
                input.packed & ((1 << used_bits) - 1),
                "packed fields round-trip"
            );
        }
    }
    for i in 0..16 {
        assert!(packed_field(input.packed, i) < 8);
    }

    // Dimension indexes and verdict codes.
    match dim_at(input.dim_index) {
        Some(dim) => assert_eq!(dim.index() as u32, input.dim_index),
        None => assert!(input.dim_index as usize >= MAX_DIMS),
    }
    let dim = Dim::ALL[usize::from(input.verdict.1) % MAX_DIMS];
    let verdict = match input.verdict.0 % 3 {
        0 => Verdict::Continue,
        1 => Verdict::Warn(dim),
        _ => Verdict::Exhausted(dim),
    };
    let code = verdict_code(verdict);
    let expected = match verdict {
        Verdict::Continue => 0,
        Verdict::Warn(d) => 1 + d.index() as u32,
        Verdict::Exhausted(d) => 9 + d.index() as u32,
    };
    assert_eq!(code, expected);
});

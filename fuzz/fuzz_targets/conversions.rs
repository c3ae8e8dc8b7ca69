//! The binding's conversions at the boundary, compiled from the addon's own
//! source file (`crates/budgetkernel-engine/src/convert.rs`, shared with the wasm engine, kept
//! free of napi types for this): number and bigint amounts, handle decoding,
//! the packed fields of `charge_few`, dimension indexes and verdict codes.
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

fuzz_target!(|input: Input| {
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

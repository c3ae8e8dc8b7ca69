//! Unit tests of the trace parser, validator, runner and renderer. Every
//! expected string below is written out from `docs/TRACE_FORMAT.md` by hand.

use super::*;
use crate::engine::{BuildError, ChargeError, Dim, EngineKind, LimitSpec, Verdict};

const AMOUNT_NUMBER: &str = "must be an integer from 0 to 9007199254740991";
const AMOUNT_STRING: &str = "must be a decimal string from \"0\" to \"18446744073709551615\"";
const AMOUNT_TYPE: &str = "expected an integer or a decimal string";

fn err(line: &str) -> String {
    match parse_line(line) {
        Ok(op) => format!("unexpectedly valid: {op:?}"),
        Err(message) => message,
    }
}

fn ok(line: &str) -> Op {
    let parsed = parse_line(line);
    assert!(parsed.is_ok(), "{line:?} was refused: {parsed:?}");
    // Not reached on failure: the assertion above has already failed.
    parsed.unwrap_or(Op::Reset)
}

fn charge_amount(amount_json: &str) -> Result<u64, String> {
    let line = format!(r#"{{"op":"charge","dim":"tokens","amount":{amount_json}}}"#);
    parse_line(&line).and_then(|op| match op {
        Op::Charge(Dim::Tokens, amount) => Ok(amount),
        other => Err(format!("parsed as {other:?}")),
    })
}

fn nested(depth: usize) -> String {
    // `depth` levels in total: the outer object plus depth-1 arrays.
    let arrays = depth - 1;
    format!(
        r#"{{"op":"reset","x":{}{}}}"#,
        "[".repeat(arrays),
        "]".repeat(arrays)
    )
}

// ---------------------------------------------------------------------------
// invalid JSON

#[test]
fn not_json_is_invalid_json() {
    for line in [
        "nope",
        "{",
        r#"{"op":"reset",}"#,
        r#"{"op":'reset'}"#,
        r#"{"op":"reset"} {}"#,
        r#"{"op":"reset","x":01}"#,
        r#"{"op":"reset","x":1.}"#,
        r#"{"op":"reset","x":+1}"#,
        r#"{"op":"reset","x":NaN}"#,
        "{\"op\":\"re\u{1}set\"}",
        "\u{feff}{\"op\":\"reset\"}",
        "\u{a0}{\"op\":\"reset\"}",
    ] {
        assert_eq!(err(line), "invalid JSON", "{line:?}");
    }
}

#[test]
fn numbers_beyond_a_double_are_invalid_json_anywhere_in_the_line() {
    for line in [
        r#"{"op":"reset","ignored":1e400}"#,
        r#"{"op":"reset","ignored":-1e400}"#,
        r#"{"op":"charge","dim":"tokens","amount":1e400}"#,
        r#"{"op":"reset","ignored":1.7976931348623159e308}"#,
        "1e400",
    ] {
        assert_eq!(err(line), "invalid JSON", "{line:?}");
    }
    let long = format!(r#"{{"op":"reset","ignored":{}}}"#, "9".repeat(400));
    assert_eq!(err(&long), "invalid JSON");
    // The largest finite double is still a number (and the op is valid).
    assert_eq!(
        ok(r#"{"op":"reset","ignored":1.7976931348623157e308}"#),
        Op::Reset
    );
}

#[test]
fn lone_surrogates_are_invalid_json() {
    for line in [
        r#"{"op":"reset","x":"\ud800"}"#,
        r#"{"op":"reset","x":"\udc00"}"#,
        r#"{"op":"reset","x":"\ud800x"}"#,
        r#"{"op":"reset","x":"\ud800\u0041"}"#,
        r#"{"op":"reset","x":"\udfff\ud800"}"#,
        r#"{"op":"\ud800"}"#,
        r#"{"op":"reset","\udc00":1}"#,
    ] {
        assert_eq!(err(line), "invalid JSON", "{line:?}");
    }
    // A proper pair is fine, and echoed back as the character it encodes.
    assert_eq!(
        err(r#"{"op":"\ud83d\ude00"}"#),
        "op: unknown op \"\u{1f600}\""
    );
}

#[test]
fn nesting_deeper_than_64_is_invalid_json() {
    assert_eq!(ok(&nested(64)), Op::Reset);
    assert_eq!(err(&nested(65)), "invalid JSON");
    assert_eq!(err(&nested(200)), "invalid JSON");
    // Brackets inside strings do not nest.
    let in_string = format!(r#"{{"op":"reset","x":"{}"}}"#, "[{".repeat(100));
    assert_eq!(ok(&in_string), Op::Reset);
    // An escaped quote does not end the string early.
    let escaped = format!(r#"{{"op":"reset","x":"\"{}"}}"#, "[".repeat(100));
    assert_eq!(ok(&escaped), Op::Reset);
    assert_eq!(nesting_depth("{}"), 1);
    assert_eq!(nesting_depth(r#"{"a":[{}],"b":[]}"#), 3);
}

// ---------------------------------------------------------------------------
// structure and op

#[test]
fn non_objects_are_refused() {
    for line in [
        "[]",
        "[{\"op\":\"reset\"}]",
        "1",
        "\"reset\"",
        "null",
        "true",
        " 0 ",
    ] {
        assert_eq!(err(line), "expected a JSON object", "{line:?}");
    }
}

#[test]
fn op_checks() {
    assert_eq!(err("{}"), "op: missing");
    assert_eq!(err(r#"{"dim":"tokens","amount":1}"#), "op: missing");
    assert_eq!(err(r#"{"Op":"reset"}"#), "op: missing");
    for line in [
        r#"{"op":1}"#,
        r#"{"op":null}"#,
        r#"{"op":true}"#,
        r#"{"op":["reset"]}"#,
        r#"{"op":{}}"#,
    ] {
        assert_eq!(err(line), "op: expected a string", "{line:?}");
    }
    assert_eq!(err(r#"{"op":"Reset"}"#), r#"op: unknown op "Reset""#);
    assert_eq!(
        err(r#"{"op":"charge_many"}"#),
        r#"op: unknown op "charge_many""#
    );
    assert_eq!(err(r#"{"op":""}"#), r#"op: unknown op """#);
    assert_eq!(err(r#"{"op":" reset"}"#), r#"op: unknown op " reset""#);
}

#[test]
fn unknown_strings_are_quoted_with_standard_json_escaping() {
    assert_eq!(
        err(r#"{"op":"a\"b\\c/\n\t\r\b\f\u0001\u001f\u007f\u00e9"}"#),
        "op: unknown op \"a\\\"b\\\\c/\\n\\t\\r\\b\\f\\u0001\\u001f\u{7f}\u{e9}\""
    );
    assert_eq!(
        err(r#"{"op":"spent","dim":"\u2028x"}"#),
        "dim: unknown dimension \"\u{2028}x\""
    );
}

#[test]
fn op_is_checked_before_any_other_field() {
    assert_eq!(
        err(r#"{"op":"nope","dim":5,"amount":-1}"#),
        r#"op: unknown op "nope""#
    );
    assert_eq!(err(r#"{"op":7,"limits":5}"#), "op: expected a string");
}

#[test]
fn repeated_keys_keep_the_last_value_and_unknown_fields_are_ignored() {
    assert_eq!(ok(r#"{"op":"nope","op":"reset"}"#), Op::Reset);
    assert_eq!(
        err(r#"{"op":"reset","op":"nope"}"#),
        r#"op: unknown op "nope""#
    );
    assert_eq!(
        ok(r#"{"op":"spent","dim":"nope","dim":"memory","extra":[1,{"a":null}]}"#),
        Op::Spent(Dim::Memory)
    );
    assert_eq!(
        ok(r#"{"op":"charge","dim":"calls","amount":"x","amount":2}"#),
        Op::Charge(Dim::Calls, 2)
    );
    assert_eq!(ok(r#"{"op":"reset","dim":5,"limits":null}"#), Op::Reset);
}

// ---------------------------------------------------------------------------
// dimensions

#[test]
fn every_dimension_name_parses_and_only_those() {
    let names = [
        ("tokens", Dim::Tokens),
        ("millis", Dim::Millis),
        ("bytes", Dim::Bytes),
        ("calls", Dim::Calls),
        ("memory", Dim::Memory),
        ("custom0", Dim::Custom0),
        ("custom1", Dim::Custom1),
        ("custom2", Dim::Custom2),
    ];
    for (name, dim) in names {
        assert_eq!(
            ok(&format!(r#"{{"op":"spent","dim":"{name}"}}"#)),
            Op::Spent(dim)
        );
        assert_eq!(
            ok(&format!(r#"{{"op":"remaining","dim":"{name}"}}"#)),
            Op::Remaining(dim)
        );
    }
    for bad in ["Tokens", "TOKENS", "token", "tokens ", "custom3", ""] {
        assert_eq!(
            err(&format!(r#"{{"op":"spent","dim":"{bad}"}}"#)),
            format!(r#"dim: unknown dimension "{bad}""#)
        );
    }
}

#[test]
fn dimension_field_checks() {
    for op in ["spent", "remaining", "charge"] {
        assert_eq!(err(&format!(r#"{{"op":"{op}"}}"#)), "dim: missing");
        for bad in ["null", "0", "true", "[\"tokens\"]", "{}"] {
            assert_eq!(
                err(&format!(r#"{{"op":"{op}","dim":{bad},"amount":1}}"#)),
                "dim: expected a string",
                "{op} {bad}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// amounts

#[test]
fn number_amounts_accept_every_spelling_of_an_integer() {
    for (json, expected) in [
        ("0", 0),
        ("-0", 0),
        ("-0.0", 0),
        ("0.0", 0),
        ("0e5", 0),
        ("1e-400", 0),
        ("-1e-400", 0),
        ("1", 1),
        ("1000", 1000),
        ("1e3", 1000),
        ("1E3", 1000),
        ("1e+3", 1000),
        ("1000.0", 1000),
        ("1000.000", 1000),
        ("0.1e4", 1000),
        ("10000e-1", 1000),
        ("9007199254740991", 9_007_199_254_740_991),
        ("9007199254740991.0", 9_007_199_254_740_991),
        ("9.007199254740991e15", 9_007_199_254_740_991),
        // A double cannot tell these from an integer: JSON.parse reads
        // 9007199254740990.5 as 9007199254740990 (ties to even).
        ("9007199254740990.5", 9_007_199_254_740_990),
        ("4503599627370496.5", 4_503_599_627_370_496),
    ] {
        assert_eq!(charge_amount(json), Ok(expected), "{json}");
    }
}

#[test]
fn number_amounts_out_of_range_or_fractional_are_refused() {
    for json in [
        "-1",
        "-1e0",
        "-0.5",
        "0.5",
        "1.5",
        "1e-1",
        "4503599627370495.5",
        "9007199254740992",
        "9007199254740993",
        "9007199254740991.5",
        "1e16",
        "18446744073709551615",
        "18446744073709551616",
        "100000000000000000000000",
        "-9223372036854775808",
        "-9223372036854775809",
        "1.7976931348623157e308",
    ] {
        assert_eq!(
            charge_amount(json),
            Err(format!("amount: {AMOUNT_NUMBER}")),
            "{json}"
        );
    }
}

#[test]
fn string_amounts_must_be_canonical_decimal_up_to_u64_max() {
    for (json, expected) in [
        (r#""0""#, 0),
        (r#""1""#, 1),
        (r#""9007199254740992""#, 9_007_199_254_740_992),
        (r#""18446744073709551614""#, u64::MAX - 1),
        (r#""18446744073709551615""#, u64::MAX),
    ] {
        assert_eq!(charge_amount(json), Ok(expected), "{json}");
    }
    for json in [
        r#""""#,
        r#""00""#,
        r#""01""#,
        r#""+1""#,
        r#""-1""#,
        r#""-0""#,
        r#"" 1""#,
        r#""1 ""#,
        r#""1e3""#,
        r#""1.0""#,
        r#""0x10""#,
        r#""1_000""#,
        "\"\u{663}\"",
        "\"\u{ff11}\"",
        r#""18446744073709551616""#,
        r#""99999999999999999999999""#,
    ] {
        assert_eq!(
            charge_amount(json),
            Err(format!("amount: {AMOUNT_STRING}")),
            "{json}"
        );
    }
}

#[test]
fn amounts_of_other_types_are_refused() {
    for json in ["null", "true", "false", "[1]", "{}", r#"["1"]"#] {
        assert_eq!(
            charge_amount(json),
            Err(format!("amount: {AMOUNT_TYPE}")),
            "{json}"
        );
    }
    assert_eq!(err(r#"{"op":"charge","dim":"tokens"}"#), "amount: missing");
}

#[test]
fn charge_checks_dim_before_amount() {
    assert_eq!(err(r#"{"op":"charge","amount":-1}"#), "dim: missing");
    assert_eq!(
        err(r#"{"op":"charge","dim":"x","amount":-1}"#),
        r#"dim: unknown dimension "x""#
    );
    assert_eq!(
        err(r#"{"op":"charge","dim":1,"amount":null}"#),
        "dim: expected a string"
    );
}

// ---------------------------------------------------------------------------
// build

#[test]
fn build_parses_declarations_in_order() {
    assert_eq!(
        ok(
            r#"{"op":"build","limits":[{"dim":"calls","limit":3},{"dim":"tokens","limit":"18446744073709551615","warn":1e3},{"dim":"bytes","limit":5,"warn":null},{"dim":"calls","limit":0,"warn":"7"}]}"#
        ),
        Op::Build(vec![
            LimitSpec::new(Dim::Calls, 3),
            LimitSpec::with_warn(Dim::Tokens, u64::MAX, 1000),
            LimitSpec::new(Dim::Bytes, 5),
            LimitSpec::with_warn(Dim::Calls, 0, 7),
        ])
    );
    assert_eq!(ok(r#"{"op":"build","limits":[]}"#), Op::Build(vec![]));
}

#[test]
fn build_field_checks() {
    let cases = [
        (r#"{"op":"build"}"#, "limits: missing".to_owned()),
        (
            r#"{"op":"build","limits":null}"#,
            "limits: expected an array".to_owned(),
        ),
        (
            r#"{"op":"build","limits":{}}"#,
            "limits: expected an array".to_owned(),
        ),
        (
            r#"{"op":"build","limits":"tokens"}"#,
            "limits: expected an array".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[1]}"#,
            "limits[0]: expected an object".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[null]}"#,
            "limits[0]: expected an object".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":1},["tokens",1]]}"#,
            "limits[1]: expected an object".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[{}]}"#,
            "limits[0].dim: missing".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[{"dim":3,"limit":1}]}"#,
            "limits[0].dim: expected a string".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"Tokens","limit":1}]}"#,
            r#"limits[0].dim: unknown dimension "Tokens""#.to_owned(),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens"}]}"#,
            "limits[0].limit: missing".to_owned(),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":null}]}"#,
            format!("limits[0].limit: {AMOUNT_TYPE}"),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":-5}]}"#,
            format!("limits[0].limit: {AMOUNT_NUMBER}"),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":"05"}]}"#,
            format!("limits[0].limit: {AMOUNT_STRING}"),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":5,"warn":false}]}"#,
            format!("limits[0].warn: {AMOUNT_TYPE}"),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":5,"warn":0.5}]}"#,
            format!("limits[0].warn: {AMOUNT_NUMBER}"),
        ),
        (
            r#"{"op":"build","limits":[{"dim":"tokens","limit":5},{"dim":"bytes","limit":5},{"dim":"calls","limit":5,"warn":"1.0"}]}"#,
            format!("limits[2].warn: {AMOUNT_STRING}"),
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(err(line), expected, "{line}");
    }
}

#[test]
fn build_checks_elements_in_index_order_and_fields_in_dim_limit_warn_order() {
    // Element 0's limit fails before element 1's dim is looked at.
    assert_eq!(
        err(r#"{"op":"build","limits":[{"dim":"tokens","limit":-1},{"dim":9}]}"#),
        format!("limits[0].limit: {AMOUNT_NUMBER}")
    );
    assert_eq!(
        err(r#"{"op":"build","limits":[{"dim":"tokens","limit":1},7,{"dim":9}]}"#),
        "limits[1]: expected an object"
    );
    assert_eq!(
        err(r#"{"op":"build","limits":[{"warn":-1,"limit":-1,"dim":"x"}]}"#),
        r#"limits[0].dim: unknown dimension "x""#
    );
    assert_eq!(
        err(r#"{"op":"build","limits":[{"warn":-1,"limit":-1}]}"#),
        "limits[0].dim: missing"
    );
    assert_eq!(
        err(r#"{"op":"build","limits":[{"warn":-1,"dim":"bytes"}]}"#),
        "limits[0].limit: missing"
    );
    assert_eq!(
        err(r#"{"op":"build","limits":[{"warn":-1,"dim":"bytes","limit":1}]}"#),
        format!("limits[0].warn: {AMOUNT_NUMBER}")
    );
}

// ---------------------------------------------------------------------------
// chargeMany

#[test]
fn charge_many_parses_pairs_in_order() {
    assert_eq!(
        ok(
            r#"{"op":"chargeMany","charges":[["bytes",1],["tokens","18446744073709551615"],["bytes",2e0]]}"#
        ),
        Op::ChargeMany(vec![
            (Dim::Bytes, 1),
            (Dim::Tokens, u64::MAX),
            (Dim::Bytes, 2)
        ])
    );
    assert_eq!(
        ok(r#"{"op":"chargeMany","charges":[]}"#),
        Op::ChargeMany(vec![])
    );
}

#[test]
fn charge_many_field_checks() {
    let pair = "expected a [dim, amount] pair";
    let cases = [
        (r#"{"op":"chargeMany"}"#, "charges: missing".to_owned()),
        (
            r#"{"op":"chargeMany","charges":{"tokens":1}}"#,
            "charges: expected an array".to_owned(),
        ),
        (
            r#"{"op":"chargeMany","charges":null}"#,
            "charges: expected an array".to_owned(),
        ),
        (
            r#"{"op":"chargeMany","charges":[[]]}"#,
            format!("charges[0]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens"]]}"#,
            format!("charges[0]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens",1,2]]}"#,
            format!("charges[0]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":["tokens"]}"#,
            format!("charges[0]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[{"0":"tokens","1":1}]}"#,
            format!("charges[0]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[null]}"#,
            format!("charges[0]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens",1],5]}"#,
            format!("charges[1]: {pair}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[[1,1]]}"#,
            "charges[0][0]: expected a string".to_owned(),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens",1],["x",1]]}"#,
            r#"charges[1][0]: unknown dimension "x""#.to_owned(),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens",null]]}"#,
            format!("charges[0][1]: {AMOUNT_TYPE}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens",1.25]]}"#,
            format!("charges[0][1]: {AMOUNT_NUMBER}"),
        ),
        (
            r#"{"op":"chargeMany","charges":[["tokens","1"],["calls","-1"]]}"#,
            format!("charges[1][1]: {AMOUNT_STRING}"),
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(err(line), expected, "{line}");
    }
}

#[test]
fn charge_many_checks_shape_then_dim_then_amount_element_by_element() {
    assert_eq!(
        err(r#"{"op":"chargeMany","charges":[["x"]]}"#),
        "charges[0]: expected a [dim, amount] pair"
    );
    assert_eq!(
        err(r#"{"op":"chargeMany","charges":[["x",-1]]}"#),
        r#"charges[0][0]: unknown dimension "x""#
    );
    assert_eq!(
        err(r#"{"op":"chargeMany","charges":[["tokens",-1],["x"]]}"#),
        format!("charges[0][1]: {AMOUNT_NUMBER}")
    );
}

// ---------------------------------------------------------------------------
// blank lines, rendering, running

#[test]
fn blank_lines_are_spaces_tabs_and_carriage_returns_only() {
    for line in ["", " ", "\t", "\r", " \t\r \r"] {
        assert!(is_blank(line), "{line:?}");
    }
    for line in ["\u{c}", "\u{b}", "\u{a0}", " x ", "\u{feff}"] {
        assert!(!is_blank(line), "{line:?}");
    }
}

fn rendered(outcome: &Outcome) -> String {
    let mut out = String::new();
    outcome.render(&mut out);
    out
}

#[test]
fn every_outcome_renders_with_the_contract_key_order() {
    let cases = [
        (Outcome::Ok, r#"{"ok":true}"#),
        (
            Outcome::Build(BuildError::DuplicateDimension(Dim::Tokens)),
            r#"{"error":"DUPLICATE_DIMENSION","dim":"tokens"}"#,
        ),
        (
            Outcome::Build(BuildError::WarnNotBelowLimit(Dim::Millis)),
            r#"{"error":"WARN_NOT_BELOW_LIMIT","dim":"millis"}"#,
        ),
        (
            Outcome::Build(BuildError::ZeroLimit(Dim::Custom1)),
            r#"{"error":"ZERO_LIMIT","dim":"custom1"}"#,
        ),
        (
            Outcome::Build(BuildError::NoDimensions),
            r#"{"error":"NO_DIMENSIONS"}"#,
        ),
        (
            Outcome::Verdict(Verdict::Continue),
            r#"{"verdict":"continue"}"#,
        ),
        (
            Outcome::Verdict(Verdict::Warn(Dim::Tokens)),
            r#"{"verdict":"warn","dim":"tokens"}"#,
        ),
        (
            Outcome::Verdict(Verdict::Exhausted(Dim::Calls)),
            r#"{"verdict":"exhausted","dim":"calls"}"#,
        ),
        (
            Outcome::Charge(ChargeError::UnknownDimension(Dim::Bytes)),
            r#"{"error":"UNKNOWN_DIMENSION","dim":"bytes"}"#,
        ),
        (Outcome::Value(Some(1523)), r#"{"value":"1523"}"#),
        (Outcome::Value(Some(0)), r#"{"value":"0"}"#),
        (
            Outcome::Value(Some(u64::MAX)),
            r#"{"value":"18446744073709551615"}"#,
        ),
        (Outcome::Value(None), r#"{"value":null}"#),
        (Outcome::NoBudget, r#"{"error":"NO_BUDGET"}"#),
        (
            Outcome::Invalid {
                line: 7,
                message: r#"op: unknown op "a\"b""#.to_owned(),
            },
            r#"{"error":"INVALID_INPUT","line":7,"message":"op: unknown op \"a\\\"b\""}"#,
        ),
    ];
    for (outcome, expected) in cases {
        assert_eq!(rendered(&outcome), expected);
    }
}

#[test]
fn json_string_escapes_like_json_stringify() {
    assert_eq!(json_string(""), r#""""#);
    assert_eq!(json_string("a\"\\/"), r#""a\"\\/""#);
    assert_eq!(
        json_string("\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}"),
        r#""\u0000\b\t\n\u000b\f\r\u001f "#.to_owned() + "\u{7f}\""
    );
    assert_eq!(
        json_string("\u{fffd}\u{e9}\u{1f600}"),
        "\"\u{fffd}\u{e9}\u{1f600}\""
    );
}

fn run(kind: EngineKind, input: &[u8]) -> (String, Status) {
    let mut out = Vec::new();
    let status = replay(input, kind, &mut out);
    let Ok(status) = status else {
        return (String::from("write to a Vec failed"), Status::SomeInvalid);
    };
    (String::from_utf8_lossy(&out).into_owned(), status)
}

fn run_both(input: &str) -> (String, Status) {
    let ours = run(EngineKind::Ours, input.as_bytes());
    let upstream = run(EngineKind::Upstream, input.as_bytes());
    assert_eq!(ours, upstream, "engines disagree on {input:?}");
    ours
}

#[test]
fn no_budget_before_the_first_successful_build_but_validation_first() {
    let input = concat!(
        "{\"op\":\"charge\",\"dim\":\"tokens\",\"amount\":1}\n",
        "{\"op\":\"chargeMany\",\"charges\":[]}\n",
        "{\"op\":\"spent\",\"dim\":\"tokens\"}\n",
        "{\"op\":\"remaining\",\"dim\":\"tokens\"}\n",
        "{\"op\":\"reset\"}\n",
        "{\"op\":\"charge\",\"dim\":\"tokens\",\"amount\":-1}\n",
        "{\"op\":\"build\",\"limits\":[]}\n",
        "{\"op\":\"reset\"}\n",
    );
    let expected = concat!(
        "{\"error\":\"NO_BUDGET\"}\n",
        "{\"error\":\"NO_BUDGET\"}\n",
        "{\"error\":\"NO_BUDGET\"}\n",
        "{\"error\":\"NO_BUDGET\"}\n",
        "{\"error\":\"NO_BUDGET\"}\n",
        "{\"error\":\"INVALID_INPUT\",\"line\":6,\"message\":\"amount: must be an integer from 0 to 9007199254740991\"}\n",
        "{\"error\":\"NO_DIMENSIONS\"}\n",
        "{\"error\":\"NO_BUDGET\"}\n",
    );
    assert_eq!(run_both(input), (expected.to_owned(), Status::SomeInvalid));
}

#[test]
fn a_refused_build_keeps_the_current_budget() {
    let input = concat!(
        "{\"op\":\"build\",\"limits\":[{\"dim\":\"bytes\",\"limit\":10}]}\n",
        "{\"op\":\"charge\",\"dim\":\"bytes\",\"amount\":4}\n",
        "{\"op\":\"build\",\"limits\":[{\"dim\":\"tokens\",\"limit\":10,\"warn\":10}]}\n",
        "{\"op\":\"spent\",\"dim\":\"bytes\"}\n",
        "{\"op\":\"spent\",\"dim\":\"tokens\"}\n",
        "{\"op\":\"build\",\"limits\":[{\"dim\":\"tokens\",\"limit\":10}]}\n",
        "{\"op\":\"spent\",\"dim\":\"bytes\"}\n",
        "{\"op\":\"spent\",\"dim\":\"tokens\"}\n",
    );
    let expected = concat!(
        "{\"ok\":true}\n",
        "{\"verdict\":\"continue\"}\n",
        "{\"error\":\"WARN_NOT_BELOW_LIMIT\",\"dim\":\"tokens\"}\n",
        "{\"value\":\"4\"}\n",
        "{\"value\":null}\n",
        "{\"ok\":true}\n",
        "{\"value\":null}\n",
        "{\"value\":\"0\"}\n",
    );
    assert_eq!(run_both(input), (expected.to_owned(), Status::AllValid));
}

#[test]
fn blank_lines_are_skipped_but_counted_and_crlf_is_accepted() {
    let input = "\n  \n{\"op\":\"reset\"}\r\n\t\r\n{\r\n{\"op\":\"build\",\"limits\":[{\"dim\":\"calls\",\"limit\":1}]}\r\n\r\n{\"op\":\"charge\",\"dim\":\"calls\",\"amount\":2}";
    let expected = concat!(
        "{\"error\":\"NO_BUDGET\"}\n",
        "{\"error\":\"INVALID_INPUT\",\"line\":5,\"message\":\"invalid JSON\"}\n",
        "{\"ok\":true}\n",
        "{\"verdict\":\"exhausted\",\"dim\":\"calls\"}\n",
    );
    assert_eq!(run_both(input), (expected.to_owned(), Status::SomeInvalid));
}

#[test]
fn empty_and_all_blank_inputs_write_nothing_and_succeed() {
    assert_eq!(run_both(""), (String::new(), Status::AllValid));
    assert_eq!(run_both("\n\n \r\n\t"), (String::new(), Status::AllValid));
}

#[test]
fn invalid_utf8_becomes_replacement_characters_before_parsing() {
    let input = b"{\"op\":\"spent\",\"dim\":\"tok\xffens\"}\n{\"op\":\"\xed\xa0\x80\"}\n\xff\n";
    let expected = concat!(
        "{\"error\":\"INVALID_INPUT\",\"line\":1,\"message\":\"dim: unknown dimension \\\"tok\u{fffd}ens\\\"\"}\n",
        "{\"error\":\"INVALID_INPUT\",\"line\":2,\"message\":\"op: unknown op \\\"\u{fffd}\u{fffd}\u{fffd}\\\"\"}\n",
        "{\"error\":\"INVALID_INPUT\",\"line\":3,\"message\":\"invalid JSON\"}\n",
    );
    for kind in [EngineKind::Ours, EngineKind::Upstream] {
        assert_eq!(run(kind, input), (expected.to_owned(), Status::SomeInvalid));
    }
}

#[test]
fn replay_processes_every_line_after_an_invalid_one() {
    let input = "[]\n{\"op\":\"build\",\"limits\":[{\"dim\":\"tokens\",\"limit\":2,\"warn\":0}]}\n{\"op\":\"charge\",\"dim\":\"tokens\",\"amount\":1}\n";
    let expected = concat!(
        "{\"error\":\"INVALID_INPUT\",\"line\":1,\"message\":\"expected a JSON object\"}\n",
        "{\"ok\":true}\n",
        "{\"verdict\":\"warn\",\"dim\":\"tokens\"}\n",
    );
    assert_eq!(run_both(input), (expected.to_owned(), Status::SomeInvalid));
}

#[test]
fn charge_many_reports_the_first_undeclared_dimension_and_applies_nothing() {
    let input = concat!(
        "{\"op\":\"build\",\"limits\":[{\"dim\":\"tokens\",\"limit\":10},{\"dim\":\"calls\",\"limit\":1}]}\n",
        "{\"op\":\"chargeMany\",\"charges\":[[\"tokens\",5],[\"memory\",1],[\"bytes\",1]]}\n",
        "{\"op\":\"spent\",\"dim\":\"tokens\"}\n",
        "{\"op\":\"chargeMany\",\"charges\":[[\"tokens\",11],[\"calls\",2],[\"tokens\",0]]}\n",
        "{\"op\":\"chargeMany\",\"charges\":[]}\n",
        "{\"op\":\"remaining\",\"dim\":\"tokens\"}\n",
        "{\"op\":\"spent\",\"dim\":\"calls\"}\n",
    );
    let expected = concat!(
        "{\"ok\":true}\n",
        "{\"error\":\"UNKNOWN_DIMENSION\",\"dim\":\"memory\"}\n",
        "{\"value\":\"0\"}\n",
        "{\"verdict\":\"exhausted\",\"dim\":\"tokens\"}\n",
        "{\"verdict\":\"continue\"}\n",
        "{\"value\":\"0\"}\n",
        "{\"value\":\"2\"}\n",
    );
    assert_eq!(run_both(input), (expected.to_owned(), Status::AllValid));
}

#[test]
fn replayer_line_skips_blank_lines() {
    let mut replayer = Replayer::new(EngineKind::Ours);
    assert_eq!(replayer.line(1, " \t"), None);
    assert_eq!(
        replayer.line(2, "{\"op\":\"reset\"}"),
        Some(Outcome::NoBudget)
    );
    assert_eq!(
        replayer.line(3, "x"),
        Some(Outcome::Invalid {
            line: 3,
            message: "invalid JSON".to_owned()
        })
    );
}

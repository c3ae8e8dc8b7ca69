//! The replay trace format of `docs/TRACE_FORMAT.md`.
//!
//! Parsing and validating one line, running the operations against an
//! [`Engine`], and rendering the JSON Lines output byte for byte as the
//! contract fixes it.
//!
//! The parser is written from the contract, not from the Node CLI: the point
//! of the two implementations is that they agree without sharing code.

use std::io::{self, Write};

use serde_json::{Map, Number, Value};

use crate::engine::{BuildError, ChargeError, Dim, Engine, EngineKind, LimitSpec, Verdict};

/// The largest amount a JSON number may carry: 2^53-1
/// (`Number.MAX_SAFE_INTEGER`).
pub const MAX_NUMBER_AMOUNT: u64 = (1 << 53) - 1;

/// Arrays and objects may nest this deep; one level more is `invalid JSON`.
pub const MAX_NESTING: usize = 64;

/// One valid trace operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Declare a budget (declarations in order).
    Build(Vec<LimitSpec>),
    /// Charge one dimension.
    Charge(Dim, u64),
    /// Atomic checkpoint.
    ChargeMany(Vec<(Dim, u64)>),
    /// Amount spent on a dimension.
    Spent(Dim),
    /// Headroom left on a dimension.
    Remaining(Dim),
    /// Zero every spent counter.
    Reset,
}

/// The result of one non-blank line, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `build` succeeded, or `reset`: `{"ok":true}`.
    Ok,
    /// `build` refused by the kernel.
    Build(BuildError),
    /// `charge` or `chargeMany` verdict.
    Verdict(Verdict),
    /// `charge` or `chargeMany` on an undeclared dimension.
    Charge(ChargeError),
    /// `spent` or `remaining`: `None` for an undeclared dimension.
    Value(Option<u64>),
    /// Any operation but `build` before the first successful `build`.
    NoBudget,
    /// The line failed validation.
    Invalid {
        /// 1-based physical line number.
        line: usize,
        /// The contract's message for the first failed check.
        message: String,
    },
}

/// A dimension's name as the trace spells it.
#[must_use]
pub fn dim_from_name(name: &str) -> Option<Dim> {
    Dim::ALL.into_iter().find(|d| d.name() == name)
}

/// Writes `s` as a JSON string literal with standard JSON escaping.
///
/// As `JSON.stringify` does: `"` and `\` escaped, the control characters
/// U+0000 to U+001F as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx` (lowercase
/// hex), and everything else, non-ASCII included, written as is.
pub fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c);
                out.push_str("\\u00");
                for nibble in [b >> 4, b & 0xf] {
                    // `nibble` < 16 and HEX has 16 entries.
                    let digit = HEX.get(nibble as usize).copied().unwrap_or(b'0');
                    out.push(char::from(digit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_string(&mut out, s);
    out
}

/// True for a line made only of spaces, tabs and carriage returns (the empty
/// line included).
#[must_use]
pub fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The deepest nesting of arrays and objects in `text`, counting brackets
/// outside string literals. Exact for valid JSON; for invalid JSON the value
/// does not matter, because the line is `invalid JSON` either way.
fn nesting_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses a line as JSON under the contract's extra rules: numbers beyond the
/// double range (`1e400`), lone UTF-16 surrogates in escapes and nesting deeper
/// than [`MAX_NESTING`] are all invalid JSON.
fn parse_json(line: &str) -> Option<Value> {
    if nesting_depth(line) > MAX_NESTING {
        return None;
    }
    // serde_json already refuses out-of-range numbers and lone surrogates
    // when it builds a `Value` (strings must be valid Unicode), and the
    // `float_roundtrip` feature makes every other number the correctly
    // rounded double, the value `JSON.parse` gives.
    serde_json::from_str(line).ok()
}

fn field<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value, String> {
    obj.get(key).ok_or_else(|| format!("{path}: missing"))
}

fn dimension(value: &Value, path: &str) -> Result<Dim, String> {
    let Value::String(name) = value else {
        return Err(format!("{path}: expected a string"));
    };
    dim_from_name(name).ok_or_else(|| format!("{path}: unknown dimension {}", json_string(name)))
}

/// The amount a JSON number denotes, if it is an integer from 0 to 2^53-1
/// once read as a double (so `1e3`, `1000.0` and `-0` qualify).
fn number_amount(n: &Number) -> Option<u64> {
    if let Some(u) = n.as_u64() {
        // Exact integer literal. Any value above 2^53-1 is also above it as a
        // double (the rounding is monotonic and 2^53 is representable).
        return (u <= MAX_NUMBER_AMOUNT).then_some(u);
    }
    if n.is_i64() {
        return None; // a negative integer literal (not -0, which is a float)
    }
    let f = n.as_f64()?;
    #[allow(
        clippy::float_cmp,
        clippy::cast_precision_loss,
        reason = "exact comparisons on purpose: the value must be an integer no larger than 2^53-1, which is exactly representable"
    )]
    let in_range = f.is_finite() && f >= 0.0 && f <= MAX_NUMBER_AMOUNT as f64 && f.trunc() == f;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "f is an integer in 0..=2^53-1 (checked above), so the cast is exact"
    )]
    let amount = f as u64;
    in_range.then_some(amount)
}

/// The amount a canonical decimal string denotes: ASCII digits, no sign, no
/// leading zero (except `"0"` itself), value at most 2^64-1.
fn string_amount(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical {
        s.parse::<u64>().ok()
    } else {
        None
    }
}

fn amount(value: &Value, path: &str) -> Result<u64, String> {
    match value {
        Value::Number(n) => number_amount(n)
            .ok_or_else(|| format!("{path}: must be an integer from 0 to {MAX_NUMBER_AMOUNT}")),
        Value::String(s) => string_amount(s).ok_or_else(|| {
            format!(
                "{path}: must be a decimal string from \"0\" to \"{}\"",
                u64::MAX
            )
        }),
        _ => Err(format!("{path}: expected an integer or a decimal string")),
    }
}

fn array<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(format!("{path}: expected an array")),
    }
}

fn parse_limits(obj: &Map<String, Value>) -> Result<Vec<LimitSpec>, String> {
    let items = array(field(obj, "limits", "limits")?, "limits")?;
    let mut specs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("limits[{i}]");
        let Value::Object(entry) = item else {
            return Err(format!("{path}: expected an object"));
        };
        let dim_path = format!("{path}.dim");
        let dim = dimension(field(entry, "dim", &dim_path)?, &dim_path)?;
        let limit_path = format!("{path}.limit");
        let limit = amount(field(entry, "limit", &limit_path)?, &limit_path)?;
        let warn = match entry.get("warn") {
            None | Some(Value::Null) => None,
            Some(value) => Some(amount(value, &format!("{path}.warn"))?),
        };
        specs.push(LimitSpec { dim, limit, warn });
    }
    Ok(specs)
}

fn parse_charges(obj: &Map<String, Value>) -> Result<Vec<(Dim, u64)>, String> {
    let items = array(field(obj, "charges", "charges")?, "charges")?;
    let mut charges = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("charges[{i}]");
        let pair = match item {
            Value::Array(pair) => pair.as_slice(),
            _ => &[],
        };
        let [dim_value, amount_value] = pair else {
            return Err(format!("{path}: expected a [dim, amount] pair"));
        };
        let dim = dimension(dim_value, &format!("{path}[0]"))?;
        let amount = amount(amount_value, &format!("{path}[1]"))?;
        charges.push((dim, amount));
    }
    Ok(charges)
}

/// Validates one non-blank line and returns its operation, or the message of
/// the first failed check in the contract's order.
///
/// # Errors
/// The `INVALID_INPUT` message, e.g. `invalid JSON` or `charges[0][1]: missing`.
pub fn parse_line(line: &str) -> Result<Op, String> {
    let Some(value) = parse_json(line) else {
        return Err("invalid JSON".to_owned());
    };
    let Value::Object(obj) = value else {
        return Err("expected a JSON object".to_owned());
    };
    let Value::String(op) = field(&obj, "op", "op")? else {
        return Err("op: expected a string".to_owned());
    };
    match op.as_str() {
        "build" => parse_limits(&obj).map(Op::Build),
        "charge" => {
            let dim = dimension(field(&obj, "dim", "dim")?, "dim")?;
            let amount = amount(field(&obj, "amount", "amount")?, "amount")?;
            Ok(Op::Charge(dim, amount))
        }
        "chargeMany" => parse_charges(&obj).map(Op::ChargeMany),
        "spent" => dimension(field(&obj, "dim", "dim")?, "dim").map(Op::Spent),
        "remaining" => dimension(field(&obj, "dim", "dim")?, "dim").map(Op::Remaining),
        "reset" => Ok(Op::Reset),
        other => Err(format!("op: unknown op {}", json_string(other))),
    }
}

impl Outcome {
    /// Appends the output line (without the newline) to `out`.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let dim_tail = |out: &mut String, dim: Dim| {
            out.push_str(",\"dim\":\"");
            out.push_str(dim.name());
            out.push_str("\"}");
        };
        match self {
            Self::Ok => out.push_str("{\"ok\":true}"),
            Self::Build(BuildError::NoDimensions) => out.push_str("{\"error\":\"NO_DIMENSIONS\"}"),
            Self::Build(BuildError::DuplicateDimension(d)) => {
                out.push_str("{\"error\":\"DUPLICATE_DIMENSION\"");
                dim_tail(out, *d);
            }
            Self::Build(BuildError::WarnNotBelowLimit(d)) => {
                out.push_str("{\"error\":\"WARN_NOT_BELOW_LIMIT\"");
                dim_tail(out, *d);
            }
            Self::Build(BuildError::ZeroLimit(d)) => {
                out.push_str("{\"error\":\"ZERO_LIMIT\"");
                dim_tail(out, *d);
            }
            Self::Verdict(Verdict::Continue) => out.push_str("{\"verdict\":\"continue\"}"),
            Self::Verdict(Verdict::Warn(d)) => {
                out.push_str("{\"verdict\":\"warn\"");
                dim_tail(out, *d);
            }
            Self::Verdict(Verdict::Exhausted(d)) => {
                out.push_str("{\"verdict\":\"exhausted\"");
                dim_tail(out, *d);
            }
            Self::Charge(ChargeError::UnknownDimension(d)) => {
                out.push_str("{\"error\":\"UNKNOWN_DIMENSION\"");
                dim_tail(out, *d);
            }
            Self::Value(None) => out.push_str("{\"value\":null}"),
            Self::Value(Some(v)) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "{{\"value\":\"{v}\"}}");
            }
            Self::NoBudget => out.push_str("{\"error\":\"NO_BUDGET\"}"),
            Self::Invalid { line, message } => {
                let _ = write!(
                    out,
                    "{{\"error\":\"INVALID_INPUT\",\"line\":{line},\"message\":"
                );
                push_json_string(out, message);
                out.push('}');
            }
        }
    }
}

/// Replays operations against one kernel, keeping the current budget.
#[derive(Debug)]
pub struct Replayer {
    kind: EngineKind,
    budget: Option<Engine>,
}

impl Replayer {
    /// A replayer with no budget yet.
    #[must_use]
    pub const fn new(kind: EngineKind) -> Self {
        Self { kind, budget: None }
    }

    /// Runs one valid operation.
    pub fn apply(&mut self, op: &Op) -> Outcome {
        match op {
            Op::Build(specs) => match Engine::build(self.kind, specs) {
                Ok(budget) => {
                    self.budget = Some(budget);
                    Outcome::Ok
                }
                // A refused build keeps the current budget.
                Err(e) => Outcome::Build(e),
            },
            Op::Charge(dim, amount) => self.with_budget(|b| match b.charge(*dim, *amount) {
                Ok(v) => Outcome::Verdict(v),
                Err(e) => Outcome::Charge(e),
            }),
            Op::ChargeMany(charges) => self.with_budget(|b| match b.charge_many(charges) {
                Ok(v) => Outcome::Verdict(v),
                Err(e) => Outcome::Charge(e),
            }),
            Op::Spent(dim) => self.with_budget(|b| Outcome::Value(b.spent(*dim))),
            Op::Remaining(dim) => self.with_budget(|b| Outcome::Value(b.remaining(*dim))),
            Op::Reset => self.with_budget(|b| {
                b.reset();
                Outcome::Ok
            }),
        }
    }

    /// `NO_BUDGET` before the first successful build, else `f`'s outcome.
    fn with_budget(&mut self, f: impl FnOnce(&mut Engine) -> Outcome) -> Outcome {
        self.budget.as_mut().map_or(Outcome::NoBudget, f)
    }

    /// Validates and runs one physical line; `None` for a blank line.
    pub fn line(&mut self, number: usize, text: &str) -> Option<Outcome> {
        if is_blank(text) {
            return None;
        }
        Some(match parse_line(text) {
            Ok(op) => self.apply(&op),
            Err(message) => Outcome::Invalid {
                line: number,
                message,
            },
        })
    }
}

/// How a replay ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every line was valid (exit status 0).
    AllValid,
    /// At least one line was `INVALID_INPUT` (exit status 1).
    SomeInvalid,
}

/// Replays a whole trace and writes one output line per non-blank input line.
/// Invalid UTF-8 is replaced by U+FFFD first.
///
/// # Errors
/// Only errors of `out`.
pub fn replay<W: Write>(input: &[u8], kind: EngineKind, out: &mut W) -> io::Result<Status> {
    let text = String::from_utf8_lossy(input);
    let mut replayer = Replayer::new(kind);
    let mut status = Status::AllValid;
    let mut buf = String::new();
    for (index, line) in text.split('\n').enumerate() {
        if let Some(outcome) = replayer.line(index + 1, line) {
            if matches!(outcome, Outcome::Invalid { .. }) {
                status = Status::SomeInvalid;
            }
            buf.clear();
            outcome.render(&mut buf);
            buf.push('\n');
            out.write_all(buf.as_bytes())?;
        }
    }
    Ok(status)
}

#[cfg(test)]
#[path = "trace_tests.rs"]
mod tests;

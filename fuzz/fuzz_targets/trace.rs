//! The trace parser and replayer of `crates/crosscheck` (the Rust twin of
//! the CLI's `budgetkernel replay`, format in `docs/TRACE_FORMAT.md`) on
//! arbitrary bytes taken as lines.
//!
//! Checked for every input: no panic; exactly one output line per non-blank
//! input line, each a JSON object; an `INVALID_INPUT` line names its own
//! physical line number; the exit status says whether any line was invalid;
//! and this repository's kernel and the published 0.1.2 produce the very
//! same output.
#![no_main]

use crosscheck::engine::EngineKind;
use crosscheck::trace::{replay, Status};
use libfuzzer_sys::fuzz_target;

/// `docs/TRACE_FORMAT.md`: a line made only of spaces, tabs and carriage
/// returns is blank (written here from the document, not shared with the
/// parser, so the two can disagree).
fn blank(line: &str) -> bool {
    line.chars().all(|c| matches!(c, ' ' | '\t' | '\r'))
}

fuzz_target!(|data: &[u8]| {
    let mut ours = Vec::new();
    let status = replay(data, EngineKind::Ours, &mut ours).expect("writing to a Vec cannot fail");
    let mut upstream = Vec::new();
    let upstream_status =
        replay(data, EngineKind::Upstream, &mut upstream).expect("writing to a Vec cannot fail");
    assert_eq!(
        status, upstream_status,
        "exit status differs between kernels"
    );
    assert!(ours == upstream, "output differs between kernels");

    let text = String::from_utf8_lossy(data);
    let numbered: Vec<usize> = text
        .split('\n')
        .enumerate()
        .filter(|(_, line)| !blank(line))
        .map(|(i, _)| i + 1)
        .collect();
    let out = std::str::from_utf8(&ours).expect("output is UTF-8");
    assert!(
        out.is_empty() || out.ends_with('\n'),
        "output ends mid-line"
    );
    let lines: Vec<&str> = out.split_terminator('\n').collect();
    assert_eq!(
        lines.len(),
        numbered.len(),
        "one output line per non-blank input line"
    );

    let mut any_invalid = false;
    for (line, &number) in lines.iter().zip(&numbered) {
        let value: serde_json::Value = serde_json::from_str(line).expect("output line is JSON");
        let object = value.as_object().expect("output line is a JSON object");
        if object.get("error").and_then(|e| e.as_str()) == Some("INVALID_INPUT") {
            any_invalid = true;
            let reported = object.get("line").and_then(serde_json::Value::as_u64);
            assert_eq!(
                reported,
                Some(number as u64),
                "INVALID_INPUT names its line"
            );
            assert!(object
                .get("message")
                .is_some_and(serde_json::Value::is_string));
        }
    }
    let expected = if any_invalid {
        Status::SomeInvalid
    } else {
        Status::AllValid
    };
    assert_eq!(status, expected, "status says whether a line was invalid");
});

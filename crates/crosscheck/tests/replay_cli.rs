//! Runs the built `replay` binary as the Node cross-check tests do, on a
//! sample trace whose expected output was derived by hand from
//! `docs/TRACE_FORMAT.md` (`tests/fixtures/sample.expected.jsonl`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const REPLAY: &str = env!("CARGO_BIN_EXE_replay");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

fn read_fixture(name: &str) -> Vec<u8> {
    let path = fixture(name);
    let bytes = std::fs::read(&path);
    assert!(bytes.is_ok(), "cannot read {}: {bytes:?}", path.display());
    bytes.unwrap_or_default()
}

/// What one run of the binary produced.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(args: &[&str], stdin: &[u8]) -> Run {
    let child = Command::new(REPLAY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    assert!(child.is_ok(), "cannot start {REPLAY}: {child:?}");
    let Ok(mut child) = child else {
        return Run {
            code: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
    };
    if let Some(mut pipe) = child.stdin.take() {
        // The binary may exit (usage error) before reading; ignore EPIPE.
        let _ = pipe.write_all(stdin);
    }
    let output = child.wait_with_output();
    assert!(output.is_ok(), "waiting for {REPLAY}: {output:?}");
    output.map_or(
        Run {
            code: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
        },
        |o| Run {
            code: o.status.code(),
            stdout: o.stdout,
            stderr: o.stderr,
        },
    )
}

fn assert_run(output: &Run, code: i32, stdout: &[u8]) {
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(stdout)
    );
    assert_eq!(output.code, Some(code), "{output:?}");
}

#[test]
fn sample_trace_gives_the_hand_derived_output_with_both_engines() {
    let expected = read_fixture("sample.expected.jsonl");
    let sample = fixture("sample.jsonl");
    let Some(path) = sample.to_str() else {
        unreachable!("fixture path is UTF-8")
    };
    for engine in ["ours", "upstream"] {
        let output = run(&["--engine", engine, path], b"");
        assert_run(&output, 1, &expected);
        assert!(output.stderr.is_empty(), "{output:?}");
    }
    // Default engine, file argument.
    assert_run(&run(&[path], b""), 1, &expected);
}

#[test]
fn standard_input_is_read_without_argument_and_with_dash() {
    let input = read_fixture("sample.jsonl");
    let expected = read_fixture("sample.expected.jsonl");
    for args in [
        &[][..],
        &["-"],
        &["--engine", "upstream", "-"],
        &["--", "-"],
    ] {
        assert_run(&run(args, &input), 1, &expected);
    }
}

#[test]
fn an_all_valid_trace_exits_zero() {
    let input = concat!(
        "{\"op\":\"build\",\"limits\":[{\"dim\":\"memory\",\"limit\":\"18446744073709551615\",\"warn\":\"18446744073709551614\"}]}\n",
        "{\"op\":\"charge\",\"dim\":\"memory\",\"amount\":\"18446744073709551615\"}\n",
        "{\"op\":\"charge\",\"dim\":\"memory\",\"amount\":\"18446744073709551615\"}\n",
        "{\"op\":\"remaining\",\"dim\":\"memory\"}\n",
        "{\"op\":\"reset\"}\n",
        "{\"op\":\"remaining\",\"dim\":\"memory\"}\n",
    );
    let expected = concat!(
        "{\"ok\":true}\n",
        "{\"verdict\":\"warn\",\"dim\":\"memory\"}\n",
        "{\"verdict\":\"warn\",\"dim\":\"memory\"}\n",
        "{\"value\":\"0\"}\n",
        "{\"ok\":true}\n",
        "{\"value\":\"18446744073709551615\"}\n",
    );
    for engine in ["ours", "upstream"] {
        let output = run(&["--engine", engine], input.as_bytes());
        assert_run(&output, 0, expected.as_bytes());
    }
    assert_run(&run(&[], b""), 0, b"");
}

#[test]
fn usage_errors_exit_two_with_nothing_on_stdout() {
    let trace = fixture("sample.jsonl");
    let Some(path) = trace.to_str() else {
        unreachable!("fixture path is UTF-8")
    };
    for args in [
        &["--engine"][..],
        &["--engine", "Ours"],
        &["--engine", ""],
        &["--engine", "ours", "--engine", "ours"],
        &["--pretty"],
        &["-x", path],
        &[path, path],
        &["-", "-"],
    ] {
        let output = run(args, b"{\"op\":\"reset\"}\n");
        assert_run(&output, 2, b"");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage: replay"),
            "{args:?}: {output:?}"
        );
    }
}

#[test]
fn unreadable_input_exits_two_with_nothing_on_stdout() {
    let missing = fixture("does-not-exist.jsonl");
    let directory = fixture("");
    for path in [missing, directory] {
        let Some(path) = path.to_str() else {
            unreachable!("fixture path is UTF-8")
        };
        let output = run(&["--engine", "upstream", path], b"");
        assert_run(&output, 2, b"");
        assert!(!output.stderr.is_empty(), "{output:?}");
    }
}

#[test]
fn long_traces_are_written_completely() {
    let mut input = String::from(
        "{\"op\":\"build\",\"limits\":[{\"dim\":\"calls\",\"limit\":50000,\"warn\":49999}]}\n",
    );
    let mut expected = String::from("{\"ok\":true}\n");
    for i in 1..=50_001u32 {
        input.push_str("{\"op\":\"charge\",\"dim\":\"calls\",\"amount\":1}\n");
        expected.push_str(match i {
            ..=49_999 => "{\"verdict\":\"continue\"}\n",
            50_000 => "{\"verdict\":\"warn\",\"dim\":\"calls\"}\n",
            _ => "{\"verdict\":\"exhausted\",\"dim\":\"calls\"}\n",
        });
    }
    for engine in ["ours", "upstream"] {
        let output = run(&["--engine", engine], input.as_bytes());
        assert_run(&output, 0, expected.as_bytes());
    }
}

//! `replay [--engine ours|upstream] [FILE|-]`: replays a budget trace
//! (`docs/TRACE_FORMAT.md`) against this repository's kernel (`ours`, the
//! default) or the published `budgetkernel` 0.1.2 (`upstream`), reading FILE
//! or standard input (`-` or no argument), writing JSON Lines to standard
//! output.
//!
//! Exit status: 0 when every line was valid, 1 when at least one line was
//! `INVALID_INPUT`, 2 for a usage error, an unreadable input or an output
//! error (with a message on standard error).

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crosscheck::engine::EngineKind;
use crosscheck::trace::{replay, Status};

const USAGE: &str = "usage: replay [--engine ours|upstream] [FILE|-]";

enum Input {
    Stdin,
    File(PathBuf),
}

struct Args {
    engine: EngineKind,
    input: Input,
}

enum Parsed {
    Run(Args),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut engine = None;
    let mut input = None;
    let mut options_done = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let positional = if options_done {
            arg
        } else if arg == "--engine" {
            if engine.is_some() {
                return Err("--engine given more than once".to_owned());
            }
            let value = args
                .next()
                .ok_or_else(|| "--engine needs a value: ours or upstream".to_owned())?;
            let value = value
                .to_str()
                .ok_or_else(|| "--engine needs a value: ours or upstream".to_owned())?;
            engine = Some(value.parse::<EngineKind>().map_err(|e| e.to_string())?);
            continue;
        } else if arg == "--help" || arg == "-h" {
            return Ok(Parsed::Help);
        } else if arg == "--" {
            options_done = true;
            continue;
        } else if arg != "-" && arg.to_string_lossy().starts_with('-') {
            return Err(format!("unknown option {:?}", arg.to_string_lossy()));
        } else {
            arg
        };
        if input.is_some() {
            return Err("at most one input file".to_owned());
        }
        input = Some(if positional == "-" {
            Input::Stdin
        } else {
            Input::File(PathBuf::from(positional))
        });
    }
    Ok(Parsed::Run(Args {
        engine: engine.unwrap_or(EngineKind::Ours),
        input: input.unwrap_or(Input::Stdin),
    }))
}

fn read_input(input: &Input) -> Result<Vec<u8>, String> {
    match input {
        Input::Stdin => {
            let mut bytes = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(bytes)
        }
        Input::File(path) => {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
    }
}

fn fail(message: &str) -> ExitCode {
    // Nothing useful is left to do if standard error is gone too.
    let _ = writeln!(io::stderr().lock(), "replay: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            let _ = writeln!(io::stdout().lock(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => return fail(&format!("{message}\n{USAGE}")),
    };
    // The whole input is read before anything is written, so an unreadable
    // input leaves standard output empty.
    let bytes = match read_input(&args.input) {
        Ok(bytes) => bytes,
        Err(message) => return fail(&message),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let status = replay(&bytes, args.engine, &mut out).and_then(|status| {
        out.flush()?;
        Ok(status)
    });
    match status {
        Ok(Status::AllValid) => ExitCode::SUCCESS,
        Ok(Status::SomeInvalid) => ExitCode::from(1),
        Err(e) => fail(&format!("cannot write output: {e}")),
    }
}

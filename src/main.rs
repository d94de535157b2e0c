//! Entry point: parse the command line, run, and map the outcome to an exit code: 0 ran
//! clean, 1 findings reached the CI gate, 2 could not run. A closed stdout (`| head`)
//! ends quietly with 0, unless the gate failed: that is still 1.

use clap::Parser;
use iothub_triage::cli::Cli;
use iothub_triage::run;
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match Cli::parse().into_command() {
        Ok(command) => command,
        Err(message) => return fail(&message),
    };
    if let Err(message) = run::start_threads(&command) {
        return fail(&message);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = run::run(command, &mut out, &mut io::stderr());
    let flushed = out.flush();
    match run::exit_code(result, flushed) {
        Ok(code) => ExitCode::from(code),
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    // Messages quote file and entry names, which an archive can fill with escapes.
    let message = iothub_triage::escape::terminal(message);
    let _ = writeln!(io::stderr(), "iothub-triage: error: {message}");
    ExitCode::from(2)
}

// The parsers allocate small strings on several threads and the analyzer frees them on
// one: mimalloc handles that pattern far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

//! Entry point: parse the command line, run, and map the outcome to an exit code: 0 ran
//! clean, 1 findings reached the CI gate, 2 could not run. A closed stdout (`| head`)
//! ends quietly with 0, unless the gate failed: that is still 1.

use clap::Parser;
use iothub_triage::cli::Cli;
use iothub_triage::run::{Exit, is_broken_pipe, run};
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match Cli::parse().into_command() {
        Ok(command) => command,
        Err(message) => return fail(&message),
    };
    // The analysis and the renderers share rayon's pool, one thread a core unless the
    // command asks for fewer or more; the parsers take their number from the options.
    if let Some(threads) = command.threads()
        && let Err(err) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.get())
            .build_global()
    {
        return fail(&format!("cannot start {threads} threads: {err}"));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = run(command, &mut out, &mut io::stderr());
    // The gate's verdict stands whatever happened to stdout; a closed pipe otherwise ends
    // quietly.
    let flushed = out.flush();
    match result {
        Ok(Exit::Gated) => ExitCode::from(1),
        Ok(Exit::Closed) => ExitCode::SUCCESS,
        Ok(Exit::Clean) => match flushed {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => fail(&format!("cannot write the report: {err}")),
        },
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => fail(&format!("{err:#}")),
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

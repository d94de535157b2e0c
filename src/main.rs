//! Entry point: parse the command line, run, and map the outcome to an exit code
//! (0 ran, 2 could not). A closed stdout (`| head`) ends quietly with 0.

use clap::Parser;
use iothub_triage::cli::Cli;
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = Cli::parse().into_command();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = iothub_triage::run::run(command, &mut out, &mut io::stderr());
    match result.and_then(|()| out.flush().map_err(Into::into)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "iothub-triage: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

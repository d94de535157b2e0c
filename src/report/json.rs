//! `--format json`: the report as one pretty-printed JSON document.

use super::Report;
use std::io::{self, Write};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // serde_json makes many small writes: buffer them in a writer of a known type, where
    // they are inlined copies, rather than a call through `dyn Write` each.
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)?;
    out.flush()
}

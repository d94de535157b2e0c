//! `codes` and `explain`: the code table itself, as a table or JSON.

use crate::rules::{CodeInfo, Explanation};
use comfy_table::Cell;
use serde::Serialize;
use std::io::{self, Write};

use super::table::{Style, keep_whole, new_table, write_table};

pub fn render_table(codes: &[CodeInfo], style: Style, out: &mut dyn Write) -> io::Result<()> {
    let style = Style {
        color: false,
        ..style
    };
    let mut table = new_table(style, &["Code", "Name", "Class", "Severity", "Root cause"]);
    for info in codes {
        table.add_row(vec![
            Cell::new(info.code),
            Cell::new(info.name),
            Cell::new(info.class.as_str()),
            Cell::new(info.severity),
            Cell::new(info.root_cause),
        ]);
    }
    keep_whole(&mut table, &[0, 2, 3]);
    write_table(out, &table)
}

pub fn render_json(codes: &[CodeInfo], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, codes)?;
    writeln!(out)
}

/// One code, explained in full.
pub fn render_explanation(
    code: &str,
    explanation: &Explanation,
    out: &mut dyn Write,
) -> io::Result<()> {
    let info = &explanation.info;
    if explanation.known {
        writeln!(out, "{code} {}", info.name)?;
    } else {
        writeln!(
            out,
            "{code} is not a documented IoT Hub code; by its HTTP family ({}):",
            &code[..code.len().min(3)]
        )?;
    }
    writeln!(out, "  class:      {}", info.class.as_str())?;
    writeln!(out, "  severity:   {}", info.severity)?;
    writeln!(out, "  root cause: {}", info.root_cause)?;
    writeln!(out, "  resolution: {}", info.resolution)?;
    if let Some(note) = info.note {
        writeln!(out, "  note:       {note}")?;
    }
    writeln!(out, "  docs:       {}", info.doc)
}

#[derive(Serialize)]
struct ExplanationJson<'a> {
    #[serde(flatten)]
    info: &'a CodeInfo,
    known: bool,
}

pub fn render_explanation_json(explanation: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(
        &mut *out,
        &ExplanationJson {
            info: &explanation.info,
            known: explanation.known,
        },
    )?;
    writeln!(out)
}

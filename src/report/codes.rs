//! `codes` and `explain`: the code table itself, as a table or JSON.

use crate::rules::{CodeInfo, Explanation};
use comfy_table::Cell;
use serde::Serialize;
use std::io::{self, Write};

use super::columns::{keep_whole, write_table};
use super::layout::wrap;
use super::table::{Style, new_table};

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

/// One code, explained in full, each field wrapped at `width` under its label; the link
/// is never cut.
pub fn render_explanation(
    code: &str,
    explanation: &Explanation,
    width: u16,
    out: &mut dyn Write,
) -> io::Result<()> {
    let columns = usize::from(width);
    let field = |out: &mut dyn Write, label: &str, text: &str| {
        let first = format!("  {label:<12}");
        writeln!(
            out,
            "{}",
            wrap(text, columns, &first, &" ".repeat(first.len()))
        )
    };
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
    field(out, "class:", info.class.as_str())?;
    field(out, "severity:", &info.severity.to_string())?;
    field(out, "root cause:", info.root_cause)?;
    field(out, "resolution:", info.resolution)?;
    if let Some(note) = info.note {
        field(out, "note:", note)?;
    }
    field(out, "docs:", info.doc)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_explanation_of_404104() {
        let explanation = crate::rules::explain("404104").expect("a known code");
        let mut out = Vec::new();
        render_explanation("404104", &explanation, 80, &mut out).expect("renders");
        insta::assert_snapshot!(String::from_utf8(out).expect("UTF-8"));
    }

    #[test]
    fn snapshot_codes_table() {
        let style = Style {
            width: 120,
            color: false,
            hyperlinks: false,
            top: 0,
        };
        let mut out = Vec::new();
        render_table(&crate::rules::CODES[..12], style, &mut out).expect("renders");
        insta::assert_snapshot!(String::from_utf8(out).expect("UTF-8"));
    }
}

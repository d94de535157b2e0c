//! How the terminal tables are laid out: one borderless style, columns kept at least as
//! wide as their longest word (so that times, codes and ids are never cut), columns
//! given fixed widths so that one free column takes the rest of the line, and tables
//! written without trailing spaces.

use super::layout;
use comfy_table::{ColumnConstraint, ContentLineStyle, LineStyle, Table, TableStyle, Width};
use std::io::{self, Write};

/// Columns two spaces apart, a rule under the header, no boxes: more of a narrow terminal
/// is text.
pub(super) const TABLE_STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '))
    .header_separator(LineStyle::none().fill('─').junction(' '));

/// Writes a table line by line, without the spaces that pad its last column.
pub(super) fn write_table(out: &mut dyn Write, table: &Table) -> io::Result<()> {
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Words (times, codes, ids, counts) are never cut: each column is at least as wide as its
/// longest word, up to [`WORD_COLUMNS`] (only hostile text has longer words).
pub(super) fn keep_words_whole(table: &mut Table) {
    let all: Vec<usize> = (0..table.column_count()).collect();
    keep_whole(table, &all);
}

/// As [`keep_words_whole`], for the chosen columns only; the others wrap as they must.
pub(super) fn keep_whole(table: &mut Table, chosen: &[usize]) {
    for &index in chosen {
        let longest = table
            .column_cells_with_header_iter(index)
            .flatten()
            .map(|cell| {
                cell.content()
                    .split_whitespace()
                    .map(layout::width)
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
            .min(WORD_COLUMNS);
        // The boundary counts the column's padding.
        let boundary = u16::try_from(longest + 1).unwrap_or(u16::MAX);
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(boundary)));
        }
    }
}

/// The widest word a column is kept wide enough for.
const WORD_COLUMNS: usize = 48;

/// The widest line of a column, header included.
pub(super) fn longest_line(table: &Table, index: usize) -> usize {
    table
        .column_cells_with_header_iter(index)
        .flatten()
        .map(|cell| cell.content().lines().map(layout::width).max().unwrap_or(0))
        .max()
        .unwrap_or(0)
}

/// Gives these columns exactly these widths, so that the one column left free (the
/// finding) takes all the rest of the line.
pub(super) fn fix_columns(table: &mut Table, widths: &[(usize, usize)]) {
    for &(index, columns) in widths {
        // The width counts the column's padding.
        let columns = u16::try_from(columns + 1).unwrap_or(u16::MAX);
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(columns)));
        }
    }
}

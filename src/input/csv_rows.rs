//! Cuts a CSV export into rows, each with the line it starts on, so that one broken
//! row costs that row and not the rest of the file.
//!
//! A quoted cell may hold line breaks, so a row is only known to end where its quotes
//! close. A stray `"` would make every later line part of one cell: a row whose quote
//! is still open at the end of the input, or once the row has grown past the record
//! size limit, is taken for a quote that never closes. That row's first line is
//! skipped with the reason, and reading starts again on the line after it. A single
//! line longer than the limit is read past without being held, as JSON Lines are.

use csv::ByteRecord;
use std::collections::VecDeque;
use std::io::{self, BufRead};

/// What the framer found next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Row {
    /// A whole row and the line it starts on.
    Read(u64, ByteRecord),
    /// A row that cannot be read, the line it starts on and why.
    Broken(u64, String),
}

/// A physical line: its number and its bytes, line end included (one is added to a last
/// line without one); or a line too long to hold, with its length.
#[derive(Debug)]
enum Line {
    Text(u64, Vec<u8>),
    TooLong(u64, u64),
}

pub(super) struct Rows<'r> {
    reader: &'r mut dyn BufRead,
    core: csv_core::Reader,
    /// Lines to read before the input's next one: those after a skipped first line.
    again: VecDeque<Line>,
    /// The number of the input's next line.
    next_line: u64,
    limit: u64,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// `,`, or `;` and tab as spreadsheets write in many locales.
    delimiter: u8,
}

impl<'r> Rows<'r> {
    /// Rows of `reader`, cells apart at `delimiter`; a row (its lines together) may take
    /// up to `limit` bytes.
    pub(super) fn new(reader: &'r mut dyn BufRead, limit: u64, delimiter: u8) -> Rows<'r> {
        Rows {
            reader,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            again: VecDeque::new(),
            next_line: 1,
            limit,
            fields: vec![0; 1024],
            ends: vec![0; 64],
        }
    }

    /// The next row, `None` at the end of the input.
    pub(super) fn next_row(&mut self) -> io::Result<Option<Row>> {
        self.core.reset();
        // The lines of a row that spans several, kept in case its quote never closes.
        let mut spanned: Vec<Line> = Vec::new();
        let mut held = 0u64;
        let (mut filled, mut ended) = (0, 0);
        loop {
            let Some(line) = self.line()? else {
                return Ok(self.unclosed(spanned, NEVER_CLOSES));
            };
            let (number, bytes) = match line {
                Line::TooLong(number, length) if spanned.is_empty() => {
                    let reason = format!(
                        "line is {length} bytes, longer than --max-record-size ({} bytes)",
                        self.limit
                    );
                    return Ok(Some(Row::Broken(number, reason)));
                }
                too_long @ Line::TooLong(..) => {
                    self.again.push_front(too_long);
                    return Ok(self.unclosed(spanned, PAST_LIMIT));
                }
                Line::Text(number, bytes) => (number, bytes),
            };
            // Blank lines between rows are passed over, as the csv crate does.
            if spanned.is_empty() && matches!(bytes.as_slice(), b"\n" | b"\r\n") {
                continue;
            }
            let mut input = bytes.as_slice();
            loop {
                let (result, read, wrote, ends) = self.core.read_record(
                    input,
                    &mut self.fields[filled..],
                    &mut self.ends[ended..],
                );
                input = &input[read..];
                filled += wrote;
                ended += ends;
                match result {
                    csv_core::ReadRecordResult::InputEmpty => break,
                    csv_core::ReadRecordResult::OutputFull => {
                        let grown = self.fields.len() * 2;
                        self.fields.resize(grown, 0);
                    }
                    csv_core::ReadRecordResult::OutputEndsFull => {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                    csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => {
                        let rest = input.to_vec();
                        let taken = bytes.len() - rest.len();
                        let start = match spanned.first() {
                            Some(Line::Text(first, _)) => *first,
                            _ => number,
                        };
                        if !spanned.is_empty()
                            && !cells_close(&spanned, &bytes[..taken], self.delimiter)
                        {
                            spanned.push(Line::Text(number, bytes));
                            return Ok(self.unclosed(spanned, NEVER_CLOSES));
                        }
                        // A lone carriage return ends a row inside a line: the rest of
                        // the line is the next row's.
                        if !matches!(rest.as_slice(), b"" | b"\n" | b"\r\n") {
                            self.again.push_front(Line::Text(number, rest));
                        }
                        return Ok(Some(Row::Read(start, self.record(ended))));
                    }
                }
            }
            // The line ended inside a quoted cell: the row goes on.
            held += bytes.len() as u64;
            spanned.push(Line::Text(number, bytes));
            if held > self.limit {
                return Ok(self.unclosed(spanned, PAST_LIMIT));
            }
        }
    }

    /// A row whose quote did not close: its first line is skipped, the others are read
    /// again as rows of their own. `None` when there was no row at all.
    fn unclosed(&mut self, spanned: Vec<Line>, how: &str) -> Option<Row> {
        let mut lines = spanned.into_iter();
        let Line::Text(number, _) = lines.next()? else {
            return None;
        };
        for line in lines.rev() {
            self.again.push_front(line);
        }
        Some(Row::Broken(
            number,
            format!("unreadable CSV row: a quote opened on this line {how}"),
        ))
    }

    fn record(&self, ended: usize) -> ByteRecord {
        let mut record = ByteRecord::with_capacity(self.fields.len(), ended);
        let mut start = 0;
        for &end in &self.ends[..ended] {
            record.push_field(&self.fields[start..end]);
            start = end;
        }
        record
    }

    /// The next line, from those read again first, then from the input.
    fn line(&mut self) -> io::Result<Option<Line>> {
        if let Some(line) = self.again.pop_front() {
            return Ok(Some(line));
        }
        let number = self.next_line;
        let mut bytes = Vec::new();
        let room = self.limit.saturating_add(1);
        let read = io::Read::take(&mut self.reader, room).read_until(b'\n', &mut bytes)?;
        if read == 0 {
            return Ok(None);
        }
        self.next_line += 1;
        if bytes.last() != Some(&b'\n') {
            if read as u64 == room {
                let rest = skip_line(self.reader)?;
                return Ok(Some(Line::TooLong(number, read as u64 + rest)));
            }
            bytes.push(b'\n');
        }
        Ok(Some(Line::Text(number, bytes)))
    }
}

/// Why a row is broken, after "a quote opened on this line".
const NEVER_CLOSES: &str = "never closes at the end of a cell";
const PAST_LIMIT: &str = "runs past --max-record-size without closing";

/// Whether the quoted cells of a row spanning several lines close where a cell ends
/// (before a comma or the line's end). csv reads `"a"b` as `ab`, and so a stray quote
/// would take every line up to some later quoted cell into one cell; a row with a line
/// break inside quotes is taken only when every quote in it closes properly.
fn cells_close(spanned: &[Line], last: &[u8], delimiter: u8) -> bool {
    #[derive(Clone, Copy)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted cell: it escapes a quote or ends the cell.
        QuoteInQuoted,
    }
    let mut state = State::CellStart;
    let lines = spanned.iter().filter_map(|line| match line {
        Line::Text(_, bytes) => Some(bytes.as_slice()),
        Line::TooLong(..) => None,
    });
    for byte in lines.chain([last]).flatten().copied() {
        state = match (state, byte) {
            (State::CellStart | State::Unquoted | State::QuoteInQuoted, b'\r' | b'\n') => {
                State::CellStart
            }
            (State::CellStart | State::Unquoted | State::QuoteInQuoted, byte)
                if byte == delimiter =>
            {
                State::CellStart
            }
            (State::CellStart | State::QuoteInQuoted, b'"') => State::Quoted,
            (State::CellStart | State::Unquoted, _) => State::Unquoted,
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, _) => return false,
        };
    }
    true
}

/// Reads past the rest of a line without holding it; returns its length.
fn skip_line(reader: &mut dyn BufRead) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(skipped);
        }
        if let Some(end) = memchr::memchr(b'\n', buffer) {
            reader.consume(end + 1);
            return Ok(skipped + end as u64);
        }
        let length = buffer.len();
        reader.consume(length);
        skipped += length as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row as its line and fields, or its line and reason.
    fn rows(text: &str, limit: u64) -> Vec<(u64, Result<Vec<String>, String>)> {
        let mut bytes = text.as_bytes();
        let mut rows = Rows::new(&mut bytes, limit, b',');
        let mut found = Vec::new();
        while let Some(row) = rows.next_row().expect("reads") {
            found.push(match row {
                Row::Read(line, record) => (
                    line,
                    Ok(record
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect()),
                ),
                Row::Broken(line, reason) => (line, Err(reason)),
            });
        }
        found
    }

    #[allow(
        clippy::unnecessary_wraps,
        reason = "the shape of the row parser it stands for"
    )]
    fn fields(cells: &[&str]) -> Result<Vec<String>, String> {
        Ok(cells.iter().map(|c| (*c).to_string()).collect())
    }

    #[test]
    fn rows_are_read_with_the_line_they_start_on() {
        assert_eq!(
            rows("a,b\r\n\r\n\"x\ny\",\"q\"\"\"\nlast,row", 1 << 20),
            [
                (1, fields(&["a", "b"])),
                (3, fields(&["x\ny", "q\""])),
                (5, fields(&["last", "row"])),
            ]
        );
    }

    #[test]
    fn a_quote_that_never_closes_costs_its_line_only() {
        let text = "h1,h2\n1,\"stray\n2,b\n3,\"c\"\n4,d\n";
        assert_eq!(
            rows(text, 1 << 20),
            [
                (1, fields(&["h1", "h2"])),
                (
                    2,
                    Err("unreadable CSV row: a quote opened on this line never closes at the end of a cell".into())
                ),
                (3, fields(&["2", "b"])),
                (4, fields(&["3", "c"])),
                (5, fields(&["4", "d"])),
            ]
        );
    }

    #[test]
    fn a_quote_open_past_the_limit_costs_its_line_only() {
        let text = "1,\"open\n2,b\n3,c\n4,d\n";
        let found = rows(text, 12);
        assert_eq!(
            found[0],
            (
                1,
                Err("unreadable CSV row: a quote opened on this line runs past --max-record-size without closing".into())
            )
        );
        assert_eq!(
            &found[1..],
            [
                (2, fields(&["2", "b"])),
                (3, fields(&["3", "c"])),
                (4, fields(&["4", "d"]))
            ]
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_skipped_with_its_length() {
        let text = format!("a,b\n{}\nc,d\n", "x".repeat(100));
        assert_eq!(
            rows(&text, 50),
            [
                (1, fields(&["a", "b"])),
                (
                    2,
                    Err("line is 100 bytes, longer than --max-record-size (50 bytes)".into())
                ),
                (3, fields(&["c", "d"])),
            ]
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_row_inside_a_line() {
        assert_eq!(
            rows("a,b\rc,d\n", 1 << 20),
            [(1, fields(&["a", "b"])), (1, fields(&["c", "d"]))]
        );
    }
}

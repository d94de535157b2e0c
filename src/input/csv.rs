//! Portal "Export to CSV" files (all columns or a projection): columns mapped by header
//! name, `properties_s` JSON inside cells, locale timestamps whose day/month order is
//! inferred from the file (never guessed), and `[Local Time]` headers.

use super::csv_rows::{Row, Rows};
use super::fields::{Field, TimeBasis, clip, strip_time_suffix};
use super::raw::{Outcome, RawRecord};
use super::time::{DateOrder, LocaleTime, parse_naive_iso, parse_zoned};
use super::{Options, Shape, Sink};
use crate::model::Position;
use anyhow::{Result, bail};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use csv::StringRecord;
use std::io::BufRead;

/// Reads a CSV export. Fails when the file cannot be read as a whole: no time column,
/// or day/month order that the data leaves open or contradicts.
pub fn read(
    reader: &mut dyn BufRead,
    input: usize,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Shape> {
    let delimiter = delimiter(reader.fill_buf()?);
    let mut rows = Rows::new(reader, options.max_record_size, delimiter);
    let headers = match rows.next_row()? {
        Some(Row::Read(_, header)) => StringRecord::from_byte_record_lossy(header),
        Some(Row::Broken(line, reason)) => {
            bail!("the CSV header (line {line}) cannot be read: {reason}")
        }
        None => StringRecord::new(),
    };
    let columns: Vec<Option<Field>> = headers.iter().map(Field::from_key).collect();
    let Some(time_column) = columns.iter().position(|c| *c == Some(Field::Time)) else {
        let shown: Vec<String> = headers
            .iter()
            .take(6)
            .map(|h| format!("{:?}", clip(h)))
            .collect();
        bail!(
            "the CSV header has no TimeGenerated column: read with {} as the separator, it \
             names {} column{}: {}{}",
            separator_name(delimiter),
            headers.len(),
            if headers.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if headers.len() > 6 { ", ..." } else { "" }
        );
    };
    let basis = strip_time_suffix(&headers[time_column]).1;
    let offset = match (basis, options.tz_offset) {
        (TimeBasis::Offset(seconds), _) => seconds,
        (TimeBasis::Local, Some(seconds)) => seconds,
        (TimeBasis::Local, None) => {
            sink.warning(
                input,
                "times are in the exporting browser's local time ([Local Time] header) and were read as UTC; pass --tz +HH:MM for true UTC".to_string(),
            );
            0
        }
        (TimeBasis::Utc, _) => 0,
    };
    let mut reader = RowReader {
        input,
        columns,
        time_column,
        offset: Duration::seconds(i64::from(offset)),
        order: options.date_order.map(|order| (order, None)),
        pending: Vec::new(),
    };
    while let Some(row) = rows.next_row()? {
        match row {
            Row::Read(line, row) => match StringRecord::from_byte_record(row) {
                Ok(row) => reader.row(row, line, sink)?,
                Err(err) => sink.outcome(
                    Position::line(input, line),
                    Outcome::Skipped(format!("unreadable CSV row: {}", err.utf8_error())),
                ),
            },
            Row::Broken(line, reason) => {
                sink.outcome(Position::line(input, line), Outcome::Skipped(reason));
            }
        }
    }
    reader.finish(sink)?;
    Ok(Shape::Csv)
}

/// The separator of the header line: the most frequent of `,`, `;` and tab outside quotes
/// (`,` when none is), so that spreadsheets' `;` (many European locales) and tab exports
/// read like the portal's.
fn delimiter(start: &[u8]) -> u8 {
    let line = start.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &byte in line {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(slot) = counts.iter_mut().find(|(d, _)| *d == byte) {
            slot.1 += 1;
        }
    }
    // The first of the most frequent: `,` wins a tie.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

fn separator_name(delimiter: u8) -> &'static str {
    match delimiter {
        b';' => "`;`",
        b'\t' => "tab",
        _ => "`,`",
    }
}

struct RowReader {
    input: usize,
    columns: Vec<Option<Field>>,
    time_column: usize,
    /// The zone of wall-clock times, east of UTC: subtracted to get UTC.
    offset: Duration,
    /// The day/month order and the line that settled it (`None` when given by flag).
    order: Option<(DateOrder, Option<u64>)>,
    /// Rows held back until the order is known, in file order.
    pending: Vec<(StringRecord, u64, LocaleTime)>,
}

/// A row's time before the day/month order is applied.
enum RowTime {
    Zoned(DateTime<Utc>),
    Naive(NaiveDateTime),
    Locale(LocaleTime),
}

impl RowReader {
    fn row(&mut self, row: StringRecord, line: u64, sink: &mut dyn Sink) -> Result<()> {
        let position = Position::line(self.input, line);
        if row.len() != self.columns.len() {
            let message = format!(
                "row has {} fields but the header has {}",
                row.len(),
                self.columns.len()
            );
            sink.outcome(position, Outcome::Skipped(message));
            return Ok(());
        }
        let cell = row.get(self.time_column).unwrap_or("");
        let time = if let Some(time) = parse_zoned(cell) {
            RowTime::Zoned(time)
        } else if let Some(time) = parse_naive_iso(cell) {
            RowTime::Naive(time)
        } else if let Some(time) = LocaleTime::parse(cell) {
            RowTime::Locale(time)
        } else {
            let reason = if cell.trim().is_empty() {
                "no time".to_string()
            } else {
                format!("unreadable time {:?}", clip(cell))
            };
            sink.outcome(position, Outcome::Skipped(reason));
            return Ok(());
        };
        match time {
            RowTime::Locale(locale) => {
                if let Some(implied) = locale.implied_order() {
                    self.settle(implied, line)?;
                }
                if self.order.is_some() && self.pending.is_empty() {
                    self.emit_locale(&row, line, locale, sink);
                } else {
                    self.pending.push((row, line, locale));
                    if self.order.is_some() {
                        self.flush(sink);
                    }
                }
            }
            RowTime::Zoned(time) => self.emit(&row, line, time, sink),
            RowTime::Naive(time) => self.emit(&row, line, time.and_utc() - self.offset, sink),
        }
        Ok(())
    }

    fn settle(&mut self, implied: DateOrder, line: u64) -> Result<()> {
        match self.order {
            None => self.order = Some((implied, Some(line))),
            Some((order, Some(settled))) if order != implied => bail!(
                "line {line} can only be read {} but line {settled} only {}; the file mixes date formats",
                implied.name(),
                order.name()
            ),
            Some(_) => {}
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn Sink) {
        for (row, line, locale) in std::mem::take(&mut self.pending) {
            self.emit_locale(&row, line, locale, sink);
        }
    }

    fn emit_locale(&self, row: &StringRecord, line: u64, locale: LocaleTime, sink: &mut dyn Sink) {
        let Some((order, _)) = self.order else { return };
        if let Some(time) = locale.resolve(order) {
            self.emit(row, line, time.and_utc() - self.offset, sink);
        } else {
            let cell = row.get(self.time_column).unwrap_or("");
            let message = format!("time {:?} is not a valid {} date", clip(cell), order.name());
            sink.outcome(Position::line(self.input, line), Outcome::Skipped(message));
        }
    }

    fn emit(&self, row: &StringRecord, line: u64, time: DateTime<Utc>, sink: &mut dyn Sink) {
        let mut raw = RawRecord {
            // The text too, for a message that quotes the cell.
            time: row.get(self.time_column).map(std::borrow::Cow::Borrowed),
            parsed_time: Some(time),
            ..RawRecord::default()
        };
        for (index, (field, cell)) in self.columns.iter().zip(row.iter()).enumerate() {
            if let Some(field) = field
                && index != self.time_column
            {
                raw.set(*field, std::borrow::Cow::Borrowed(cell));
            }
        }
        let position = Position::line(self.input, line);
        let outcome = raw.finish();
        sink.outcome(position, outcome);
    }

    /// At the end, rows still held mean no row settled the order.
    fn finish(&mut self, sink: &mut dyn Sink) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Some((row, line, _)) = self
            .pending
            .iter()
            .find(|(_, _, locale)| locale.is_ambiguous())
        {
            let example = row.get(self.time_column).unwrap_or("");
            bail!(
                "dates such as {:?} (line {line}) read differently day-first and month-first, and no row settles it; pass --date-order dmy or --date-order mdy",
                clip(example)
            );
        }
        // Every held date reads the same either way (day equals month).
        self.order = Some((DateOrder::DayFirst, None));
        self.flush(sink);
        Ok(())
    }
}

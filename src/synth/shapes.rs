//! The six export shapes the fleet can be written in, each streamed record by record:
//! a writer opens its document, takes rows as the fleet produces them, and closes it.
//! Layouts follow the reference samples (sections 3.1-3.3 and 8.1-8.5).

use super::record::{
    CATEGORY, Code, LOCATION, LogRecord, RESOURCE, RESOURCE_GROUP, RESOURCE_ID, RESOURCE_ID_LOWER,
    Row, SUBSCRIPTION_ID, TENANT_ID,
};
use crate::model::Shape;
use chrono::{Datelike, Timelike};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use std::io::{self, Write};

/// Records per Event Hubs body.
const RECORDS_PER_BODY: u64 = 100;

/// The `AzureDiagnostics` columns of a Connections query, in the portal's order.
const COLUMNS: [(&str, &str); 19] = [
    ("TenantId", "string"),
    ("TimeGenerated", "datetime"),
    ("ResourceId", "string"),
    ("Category", "string"),
    ("ResourceGroup", "string"),
    ("SubscriptionId", "string"),
    ("ResourceProvider", "string"),
    ("Resource", "string"),
    ("ResourceType", "string"),
    ("OperationName", "string"),
    ("ResultType", "string"),
    ("ResultDescription", "string"),
    ("Level", "string"),
    ("DurationMs", "long"),
    ("location_s", "string"),
    ("properties_s", "string"),
    ("SourceSystem", "string"),
    ("Type", "string"),
    ("_ResourceId", "string"),
];

/// A row's cells in [`COLUMNS`] order; `None` only for `DurationMs`.
fn cells<'a>(row: &'a Row<'a>, time: &'a str) -> [Option<&'a str>; 19] {
    [
        Some(TENANT_ID),
        Some(time),
        Some(RESOURCE_ID),
        Some(CATEGORY),
        Some(RESOURCE_GROUP),
        Some(SUBSCRIPTION_ID),
        Some("MICROSOFT.DEVICES"),
        Some(RESOURCE),
        Some("IOTHUBS"),
        Some(row.operation),
        Some(row.code.map_or("", Code::result_type)),
        Some(row.code.map_or("", Code::description)),
        Some(row.level),
        None,
        Some(LOCATION),
        Some(row.properties),
        Some("Azure"),
        Some("AzureDiagnostics"),
        Some(RESOURCE_ID_LOWER),
    ]
}

/// Produces rows: calls the sink once per record, in order, and returns how many.
pub(super) type Source<'s> =
    dyn FnMut(&mut dyn FnMut(&Row<'_>) -> io::Result<()>) -> io::Result<u64> + 's;

/// Writes every row `source` produces to `out` in `shape`, one of [`Shape::WRITTEN`];
/// returns the record count.
pub(super) fn write(shape: Shape, source: &mut Source<'_>, out: &mut dyn Write) -> io::Result<u64> {
    match shape {
        Shape::JsonLines => source(&mut |row| {
            serde_json::to_writer(&mut *out, &LogRecord::new(row))?;
            out.write_all(b"\n")
        }),
        Shape::Records => {
            let mut in_body = 0;
            let count = source(&mut |row| {
                out.write_all(if in_body == 0 {
                    b"{\"records\":["
                } else {
                    b","
                })?;
                serde_json::to_writer(&mut *out, &LogRecord::new(row))?;
                in_body += 1;
                if in_body == RECORDS_PER_BODY {
                    in_body = 0;
                    out.write_all(b"]}\n")?;
                }
                Ok(())
            })?;
            if in_body > 0 {
                out.write_all(b"]}\n")?;
            }
            Ok(count)
        }
        Shape::JsonArray => {
            out.write_all(b"[")?;
            let mut first = true;
            let count = source(&mut |row| {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                serde_json::to_writer(&mut *out, &LogRecord::new(row)).map_err(io::Error::from)
            })?;
            out.write_all(b"\n]\n")?;
            Ok(count)
        }
        Shape::Tables => tables(source, out),
        Shape::AzCli => az_cli(source, out),
        Shape::Csv => csv(source, out),
        // The command line offers only `Shape::WRITTEN`.
        other => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("generate does not write {}", other.name()),
        )),
    }
}

#[derive(Serialize)]
struct Column {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn tables(source: &mut Source<'_>, out: &mut dyn Write) -> io::Result<u64> {
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|&(name, kind)| Column { name, kind })
        .collect();
    out.write_all(b"{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":")?;
    serde_json::to_writer(&mut *out, &columns)?;
    out.write_all(b",\"rows\":[")?;
    let mut first = true;
    let count = source(&mut |row| {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut *out, &cells(row, row.time_text)).map_err(io::Error::from)
    })?;
    out.write_all(b"\n]}]}\n")?;
    Ok(count)
}

/// One az CLI object: `TableName` first, then every column as Python's `str()` of it.
struct AzObject<'a>([Option<&'a str>; 19]);

impl Serialize for AzObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(COLUMNS.len() + 1))?;
        map.serialize_entry("TableName", "PrimaryResult")?;
        for ((name, _), cell) in COLUMNS.iter().zip(self.0) {
            map.serialize_entry(name, cell.unwrap_or("None"))?;
        }
        map.end()
    }
}

fn az_cli(source: &mut Source<'_>, out: &mut dyn Write) -> io::Result<u64> {
    // One pretty serializer over the whole array, as the CLI prints it, fed element by element.
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
    let mut array = serializer.serialize_seq(None)?;
    let count = source(&mut |row| {
        array
            .serialize_element(&AzObject(cells(row, row.time_text)))
            .map_err(io::Error::from)
    })?;
    SerializeSeq::end(array)?;
    out.write_all(b"\n")?;
    Ok(count)
}

/// `3/2/2026, 9:10:04.000 AM`: the en-US browser format, written out by hand so that
/// no locale setting of the machine can change it.
fn en_us(row: &Row<'_>, text: &mut String) {
    use std::fmt::Write as _;
    let time = row.time;
    let (pm, hour) = time.hour12();
    text.clear();
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{}/{}/{}, {}:{:02}:{:02}.000 {}",
        time.month(),
        time.day(),
        time.year(),
        hour,
        time.minute(),
        time.second(),
        if pm { "PM" } else { "AM" }
    );
}

fn csv(source: &mut Source<'_>, out: &mut dyn Write) -> io::Result<u64> {
    // The portal's file starts with a byte order mark.
    out.write_all("\u{feff}".as_bytes())?;
    let mut writer = csv::Writer::from_writer(&mut *out);
    let header = COLUMNS.map(|(name, _)| {
        if name == "TimeGenerated" {
            "TimeGenerated [UTC]"
        } else {
            name
        }
    });
    writer.write_record(header)?;
    let mut time = String::new();
    let count = source(&mut |row| {
        en_us(row, &mut time);
        let cells = cells(row, &time);
        writer.write_record(cells.map(|cell| cell.unwrap_or("")))?;
        Ok(())
    })?;
    writer.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn row_at(unix: i64) -> Row<'static> {
        Row {
            time: DateTime::from_timestamp(unix, 0).unwrap_or_default(),
            time_text: "",
            operation: "deviceConnect",
            level: "Information",
            code: None,
            properties: "{}",
        }
    }

    #[test]
    fn en_us_times_use_a_twelve_hour_clock_without_leading_zeros() {
        let midnight = 1_772_409_600; // 2026-03-02T00:00:00Z
        let cases = [
            (0, "3/2/2026, 12:00:00.000 AM"),
            (9 * 3600 + 604, "3/2/2026, 9:10:04.000 AM"),
            (12 * 3600 + 5, "3/2/2026, 12:00:05.000 PM"),
            (23 * 3600 + 59 * 60 + 59, "3/2/2026, 11:59:59.000 PM"),
        ];
        let mut text = String::new();
        for (offset, expected) in cases {
            en_us(&row_at(midnight + offset), &mut text);
            assert_eq!(text, expected);
        }
    }

    /// The `DurationMs` column: always empty for Connections.
    const DURATION: usize = 13;

    #[test]
    fn duration_is_the_only_empty_cell() {
        let row = row_at(0);
        let cells = cells(&row, "t");
        assert_eq!(COLUMNS[DURATION].0, "DurationMs");
        assert!(
            cells
                .iter()
                .enumerate()
                .all(|(i, c)| c.is_none() == (i == DURATION))
        );
    }
}

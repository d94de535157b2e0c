//! Findings computed elsewhere: the result of the query `iothub-triage kql` prints, as
//! `az monitor log-analytics query -o json` writes it (an array of row objects, every
//! value a string), as the Log Analytics API's `{"tables":[...]}` response, or as a
//! portal CSV export. Recognised by its columns (`identity`, `rule`, `severity`), never
//! by the file name; each row becomes a [`Finding`] whose fingerprint is recomputed
//! here, as `analyze` computes it.

use crate::model::{Finding, Location, Rule, Severity, fingerprint, format_time};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// The columns that make a query result a findings input.
const KEY_COLUMNS: [&str; 3] = ["identity", "rule", "severity"];

/// Whether the start of an input is a findings result rather than log records.
pub fn is_findings(prefix: &[u8]) -> bool {
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let start = prefix.trim_ascii_start();
    // The tool's own reports carry findings too; they are skipped as reports, not read.
    if super::detect::report(start).is_some() {
        return false;
    }
    match start.first() {
        Some(b'[' | b'{') => KEY_COLUMNS.iter().all(|column| {
            let quoted = format!("\"{column}\"");
            start
                .windows(quoted.len())
                .any(|window| window == quoted.as_bytes())
        }),
        Some(_) => {
            let header = start.split(|&b| b == b'\n').next().unwrap_or_default();
            let names = csv_names(&String::from_utf8_lossy(header));
            KEY_COLUMNS
                .iter()
                .all(|column| names.iter().any(|n| n == column))
        }
        None => false,
    }
}

/// The findings of a whole findings input named `source`.
///
/// # Errors
///
/// The content is not one of the three shapes, or a row lacks a rule or has a severity
/// the tool does not know.
pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<Finding>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let rows = match bytes.trim_ascii_start().first() {
        Some(b'[' | b'{') => {
            json_rows(bytes).with_context(|| format!("{source}: not a findings result"))?
        }
        _ => csv_rows(bytes).with_context(|| format!("{source}: not a findings CSV"))?,
    };
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            finding(source, index as u64 + 1, row)
                .with_context(|| format!("{source}: row {}", index + 1))
        })
        .collect()
}

type Row = BTreeMap<String, String>;

fn json_rows(bytes: &[u8]) -> Result<Vec<Row>> {
    let value: Value = serde_json::from_slice(bytes)?;
    let text = |value: &Value| match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(rows) => rows
            .iter()
            .map(|row| match row {
                Value::Object(fields) => Ok(fields
                    .iter()
                    .map(|(name, value)| (name.clone(), text(value)))
                    .collect()),
                _ => bail!("a row is not an object"),
            })
            .collect(),
        Value::Object(response) => {
            let Some(table) = response
                .get("tables")
                .and_then(Value::as_array)
                .and_then(|tables| tables.first())
            else {
                bail!("no \"tables\"");
            };
            let columns: Vec<String> = table
                .get("columns")
                .and_then(Value::as_array)
                .map(|columns| {
                    columns
                        .iter()
                        .map(|c| c.get("name").map(text).unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            let rows = table.get("rows").and_then(Value::as_array);
            Ok(rows
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .map(|cells| {
                    columns
                        .iter()
                        .cloned()
                        .zip(cells.iter().map(text))
                        .collect()
                })
                .collect())
        }
        _ => bail!("neither an array of rows nor a \"tables\" response"),
    }
}

/// Header names as the portal writes them, with ` [UTC]`-like suffixes taken off.
fn csv_names(header: &str) -> Vec<String> {
    header
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(column_name)
        .collect()
}

fn column_name(cell: &str) -> String {
    let cell = cell.trim().trim_matches('"');
    let cell = match cell.find(" [") {
        Some(at) if cell.ends_with(']') => &cell[..at],
        _ => cell,
    };
    cell.to_string()
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let names: Vec<String> = reader.headers()?.iter().map(column_name).collect();
    reader
        .records()
        .map(|record| {
            let record = record?;
            Ok(names
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect())
        })
        .collect()
}

fn finding(source: &str, row_number: u64, row: &Row) -> Result<Finding> {
    // az prints a null as "None".
    let field = |name: &str| {
        row.get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && *v != "None")
            .unwrap_or_default()
            .to_string()
    };
    let rule = match field("rule").as_str() {
        "" => bail!("no rule"),
        text => Rule::parse(text).with_context(|| {
            format!("rule {text:?} is neither code/<ResultType> nor insight/<kind>")
        })?,
    };
    let severity = severity(&field("severity"))?;
    let identity = field("identity");
    let first_seen = DateTime::parse_from_rfc3339(&field("first_seen"))
        .ok()
        .map(|time| time.with_timezone(&Utc));
    let key = if identity.is_empty() {
        let start = first_seen.as_ref().map(format_time).unwrap_or_default();
        format!("fleet\0{rule}\0{start}")
    } else {
        format!("{identity}\0{rule}")
    };
    Ok(Finding {
        fingerprint: fingerprint(&key),
        device: (!identity.is_empty()).then_some(identity),
        rule,
        severity,
        title: field("title"),
        action: field("action"),
        location: Some(Location {
            source: source.to_string(),
            line: None,
            record: Some(row_number),
        }),
    })
}

fn severity(text: &str) -> Result<Severity> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        other => bail!("{other:?} is not a severity (info, low, medium, high, critical)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AZ: &str = r#"[{"TableName":"PrimaryResult","identity":"pump-1","rule":"insight/offline","severity":"high","title":"pump-1: Offline","action":"Check","first_seen":"2026-03-02T09:00:00Z","records":"1","link":"None"}]"#;

    #[test]
    fn the_three_shapes_are_recognised_by_their_columns() {
        let tables = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"identity","type":"string"},{"name":"rule","type":"string"},{"name":"severity","type":"string"},{"name":"first_seen","type":"datetime"}],"rows":[["","insight/hub_incident","critical","2026-03-02T09:00:00Z"]]}]}"#;
        let csv = "\u{feff}identity,rule,severity,title,\"first_seen [UTC]\"\npump-1,code/404104,low,\"pump-1: 404104, x3\",\"3/2/2026, 9:00:00.000 AM\"\n";
        for text in [AZ, tables, csv] {
            assert!(is_findings(text.as_bytes()), "{text}");
        }
        let logs = r#"{"time":"2026-03-02T09:00:00Z","operationName":"deviceConnect","properties":"{\"deviceId\":\"a\"}"}"#;
        assert!(!is_findings(logs.as_bytes()));
        assert!(!is_findings(b"TimeGenerated [UTC],ResultType\n"));

        let fleet = read("r.json", tables.as_bytes()).expect("reads");
        assert_eq!(fleet[0].device, None);
        assert_eq!(fleet[0].severity, Severity::Critical);
        let rows = read("r.csv", csv.as_bytes()).expect("reads");
        assert_eq!(rows[0].title, "pump-1: 404104, x3");
        assert_eq!(rows[0].fingerprint, fingerprint("pump-1\0code/404104"));
    }

    #[test]
    fn fingerprints_are_those_analyze_gives() {
        let findings = read("r.json", AZ.as_bytes()).expect("reads");
        assert_eq!(
            findings[0].fingerprint,
            fingerprint("pump-1\0insight/offline")
        );
        assert_eq!(findings[0].device.as_deref(), Some("pump-1"));
    }

    #[test]
    fn an_unknown_severity_names_the_row() {
        let bad = AZ.replace("\"high\"", "\"severe\"");
        let err = read("r.json", bad.as_bytes()).expect_err("refused");
        assert!(format!("{err:#}").contains("row 1"), "{err:#}");
    }
}

//! A KQL query's result read back by `analyze`: the same findings and fingerprints from
//! the az CLI's JSON, the Log Analytics API's `tables` response and a portal CSV, every
//! format rendered, the gate applied. Needs neither Node nor Python.

use super::kql::{scratch, text};
use super::{analyze_json, triage};
use serde_json::Value;
use std::path::Path;

/// The committed query result in the two other shapes it comes in: the Log Analytics
/// API's `tables` response and a portal CSV export (datetime columns suffixed ` [UTC]`).
fn result_shapes() -> Vec<(&'static str, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let az = std::fs::read(root.join("fixtures/kql/takeovers-result.json")).expect("result");
    let rows: Vec<Value> = serde_json::from_slice(&az).expect("rows");
    let columns: Vec<String> = rows[0]
        .as_object()
        .expect("a row")
        .keys()
        .filter(|k| *k != "TableName")
        .cloned()
        .collect();
    let cells = |row: &Value| -> Vec<String> { columns.iter().map(|c| text(row, c)).collect() };
    let tables = serde_json::json!({"tables": [{
        "name": "PrimaryResult",
        "columns": columns.iter().map(|c| serde_json::json!({"name": c, "type": "string"})).collect::<Vec<_>>(),
        "rows": rows.iter().map(cells).collect::<Vec<_>>(),
    }]});
    let mut csv = String::from("\u{feff}");
    let header: Vec<String> = columns
        .iter()
        .map(|c| {
            if c.ends_with("_seen") {
                format!("\"{c} [UTC]\"")
            } else {
                c.clone()
            }
        })
        .collect();
    csv.push_str(&header.join(","));
    csv.push_str("\r\n");
    for row in &rows {
        let quoted: Vec<String> = cells(row)
            .iter()
            .map(|cell| format!("\"{}\"", cell.replace('"', "\"\"")))
            .collect();
        csv.push_str(&quoted.join(","));
        csv.push_str("\r\n");
    }
    vec![
        ("az.json", az),
        ("tables.json", tables.to_string().into_bytes()),
        ("portal.csv", csv.into_bytes()),
    ]
}

#[test]
fn a_query_result_in_any_shape_gives_the_same_findings_and_fingerprints() {
    let dir = scratch("kql-results");
    let mut seen = Vec::new();
    for (name, bytes) in result_shapes() {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("writes");
        let report = analyze_json(&[path.to_str().expect("path")]);
        assert_eq!(report["inputs"][0]["shape"], "findings", "{name}");
        let findings: Vec<(String, String, String, String)> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    text(f, "device"),
                    text(f, "rule"),
                    text(f, "severity"),
                    text(f, "fingerprint"),
                )
            })
            .collect();
        assert!(!findings.is_empty(), "{name}");
        seen.push(findings);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
}

#[test]
fn a_query_result_renders_in_every_format_and_the_gate_applies() {
    for format in [
        "table", "json", "ndjson", "csv", "markdown", "junit", "sarif", "github",
    ] {
        let output = triage()
            .args(["analyze", "-", "--format", format, "--fail-on", "high"])
            .pipe_stdin("fixtures/kql/takeovers-result.json")
            .expect("stdin")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1), "{format}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("cloned"), "{format}: {text}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("2 finding(s) at or above high"),
            "{format}"
        );
    }
    // Below the gate: exit 0.
    triage()
        .args([
            "analyze",
            "fixtures/kql/takeovers-result.json",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(0);
}

#[test]
fn findings_and_log_records_are_not_mixed() {
    triage()
        .args([
            "analyze",
            "fixtures/kql/takeovers-result.json",
            "fixtures/shapes/PT1H.json",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("analyze one kind at a time"));
}

#[test]
fn a_query_result_as_a_table_and_markdown() {
    for format in ["table", "markdown"] {
        let output = triage()
            .args([
                "analyze",
                "fixtures/kql/takeovers-result.json",
                "--format",
                format,
                "--color",
                "never",
            ])
            .output()
            .expect("runs");
        assert!(output.status.success());
        insta::assert_snapshot!(
            format!("kql_result_{format}"),
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

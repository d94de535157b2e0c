//! `--format ndjson`: one JSON object per finding per line, then one summary line, for
//! `jq`, log shippers and line-by-line diffs. Every line carries a `"type"` so that a
//! consumer can tell findings from the summary without counting lines; the findings keep
//! the report's order (most severe first), so the output is the same from run to run.

use super::RenderOptions;
use crate::analysis::report::Report;
use crate::model::{Finding, Severity};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct FindingLine<'a> {
    r#type: &'static str,
    #[serde(flatten)]
    finding: &'a Finding,
}

#[derive(Serialize)]
struct SummaryLine {
    r#type: &'static str,
    records_read: u64,
    records_skipped: u64,
    records_filtered: u64,
    records_analyzed: u64,
    devices: u64,
    findings: u64,
    /// The gate, when one was given, and how many findings are at or above it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_on: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failing: Option<u64>,
}

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        let line = FindingLine {
            r#type: "finding",
            finding,
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    let summary = &report.summary;
    let line = SummaryLine {
        r#type: "summary",
        records_read: summary.records_read,
        records_skipped: summary.records_skipped,
        records_filtered: summary.records_filtered,
        records_analyzed: summary.records_analyzed,
        devices: summary.devices,
        findings: report.findings.len() as u64,
        fail_on: options.fail_on,
        failing: options.fail_on.map(|gate| {
            report
                .findings
                .iter()
                .filter(|f| f.severity >= gate)
                .count() as u64
        }),
    };
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;
    use serde_json::Value;

    fn rendered(report: &Report, options: &RenderOptions) -> String {
        samples::rendered(render, report, options)
    }

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(rendered(&report, &RenderOptions::default()));
    }

    #[test]
    fn every_line_is_a_typed_object_and_the_summary_comes_last() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        let options = RenderOptions {
            fail_on: Some(Severity::High),
            ..RenderOptions::default()
        };
        let text = rendered(&report, &options);
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), report.findings.len() + 1);
        for (line, finding) in lines.iter().zip(&report.findings) {
            assert_eq!(line["type"], "finding");
            assert_eq!(line["rule"], finding.rule.to_string());
            assert_eq!(line["fingerprint"], finding.fingerprint.as_str());
        }
        let summary = &lines[lines.len() - 1];
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["findings"], report.findings.len() as u64);
        assert_eq!(summary["records_read"], report.summary.records_read);
        assert_eq!(summary["fail_on"], "high");
        let failing = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::High)
            .count() as u64;
        assert_eq!(summary["failing"], failing);
    }

    #[test]
    fn a_hostile_device_id_stays_inside_its_json_string() {
        let report = samples::hostile();
        let text = rendered(&report, &RenderOptions::default());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), report.findings.len() + 1, "no newline escapes");
        let first: Value = serde_json::from_str(lines[0]).expect("the line is JSON");
        assert_eq!(first["device"], samples::HOSTILE_ID);
    }
}

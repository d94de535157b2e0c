//! `--format csv`: one row per device and code, for spreadsheets and BI tools. Devices
//! that have insights but no codes get one row with the code columns empty; devices with
//! neither are left out (there is nothing to tabulate). `severity` is the device's
//! (its worst finding not explained away), repeated on each of its rows, so that
//! filtering on it keeps whole devices and a benign code (token renewal) does not show
//! the table's severity. `location` is where the code's first record that nothing
//! explains is (the first insight's evidence on a row without a code). Every cell goes
//! through [`csv_cell`], since device ids are untrusted and spreadsheets run cells that
//! look like formulas.

use super::RenderOptions;
use crate::analysis::report::{DeviceReport, LastState, Report};
use crate::escape::csv_cell;
use crate::model::{Location, format_time};
use std::io::{self, Write};

const HEADER: [&str; 16] = [
    "device_id",
    "module_id",
    "severity",
    "code",
    "name",
    "class",
    "count",
    "expected",
    "in_incident",
    "side_effect",
    "in_insights",
    "first_seen",
    "last_seen",
    "last_state",
    "insights",
    "location",
];

/// The columns of a findings-only report (a query's result read back): it has no
/// device and code tallies, only findings.
const FINDINGS_HEADER: [&str; 7] = [
    "identity",
    "rule",
    "severity",
    "title",
    "action",
    "location",
    "fingerprint",
];

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    if report.devices.is_empty() && !report.findings.is_empty() {
        writer.write_record(FINDINGS_HEADER)?;
        for finding in &report.findings {
            let row = [
                finding.device.clone().unwrap_or_default(),
                finding.rule.to_string(),
                finding.severity.to_string(),
                finding.title.clone(),
                finding.action.clone(),
                finding.location.as_ref().map(place).unwrap_or_default(),
                finding.fingerprint.clone(),
            ];
            writer.write_record(row.iter().map(|cell| csv_cell(cell).into_owned()))?;
        }
        return writer.flush();
    }
    writer.write_record(HEADER)?;
    for device in &report.devices {
        for row in rows(device) {
            writer.write_record(row.iter().map(|cell| csv_cell(cell).into_owned()))?;
        }
    }
    writer.flush()
}

/// Where a finding's evidence starts: `file:line`, or `file: record N`.
fn place(location: &Location) -> String {
    match (location.line, location.record) {
        (Some(line), _) => format!("{}:{line}", location.source),
        (None, Some(record)) => format!("{}: record {record}", location.source),
        (None, None) => location.source.clone(),
    }
}

/// The device's rows, as text cells in [`HEADER`] order.
fn rows(device: &DeviceReport) -> Vec<[String; 16]> {
    let insights: Vec<&str> = device.insights.iter().map(|i| i.kind.as_str()).collect();
    let insights = insights.join(";");
    let severity = device.severity.map(|s| s.to_string()).unwrap_or_default();
    let module = device.module_id.clone().unwrap_or_default();
    let last_state = match device.last_state {
        LastState::Connected => "connected",
        LastState::Disconnected => "disconnected",
        LastState::Unknown => "unknown",
    };
    let mut rows: Vec<[String; 16]> = device
        .codes
        .iter()
        .map(|code| {
            [
                device.device_id.clone(),
                module.clone(),
                severity.clone(),
                code.code.clone(),
                code.name.to_string(),
                code.class.unwrap_or_default().to_string(),
                code.count.to_string(),
                code.expected.to_string(),
                code.in_incident.to_string(),
                code.side_effect.to_string(),
                code.in_insights.to_string(),
                format_time(&code.first_seen),
                format_time(&code.last_seen),
                last_state.to_string(),
                insights.clone(),
                place(&code.location),
            ]
        })
        .collect();
    if rows.is_empty() && !device.insights.is_empty() {
        rows.push([
            device.device_id.clone(),
            module,
            severity,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format_time(&device.first_seen),
            format_time(&device.last_seen),
            last_state.to_string(),
            insights,
            device
                .insights
                .first()
                .and_then(|i| i.location.as_ref())
                .or(device.location.as_ref())
                .map(place)
                .unwrap_or_default(),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    fn rendered(report: &Report) -> String {
        samples::rendered(render, report, &RenderOptions::default())
    }

    fn parsed(text: &str) -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("the output is valid CSV")
    }

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(rendered(&report));
    }

    #[test]
    fn one_row_per_device_and_code_and_one_per_device_with_only_insights() {
        let report = samples::analyze("fixtures/insights/flapping-rapid.json");
        let rows = parsed(&rendered(&report));
        let expected: usize = report
            .devices
            .iter()
            .map(|d| {
                if d.codes.is_empty() {
                    usize::from(!d.insights.is_empty())
                } else {
                    d.codes.len()
                }
            })
            .sum();
        assert_eq!(rows.len(), expected);
        for row in &rows {
            assert_eq!(row.len(), HEADER.len());
        }
    }

    #[test]
    fn a_hostile_device_id_cannot_become_a_formula() {
        let report = samples::hostile();
        let rows = parsed(&rendered(&report));
        assert!(!rows.is_empty());
        for row in &rows {
            assert_eq!(
                &row[0],
                format!("'{}", samples::HOSTILE_ID),
                "quoted and prefixed, newline and all"
            );
        }
    }
}

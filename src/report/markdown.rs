//! `--format markdown`: a compact summary for `$GITHUB_STEP_SUMMARY` or a pull-request
//! comment: the counts, the fleet insights, the top findings and the codes.
//!
//! GitHub refuses a step summary over 1 MiB, so the size is bounded by construction,
//! whatever the fleet: rows are capped ([`FINDINGS_SHOWN`], [`CODES_SHOWN`],
//! [`FLEET_SHOWN`]), each cell is cut to [`CELL_CHARS`] characters before escaping, and
//! [`MAX_BYTES`] adds up the worst case (every character escaped to an 8-byte escape),
//! checked at compile time. The full list is what `--format json` or `ndjson` is for.

use super::RenderOptions;
use crate::analysis::report::{Report, SeverityCounts};
use crate::escape::{MARKDOWN_BYTES_PER_CHAR, markdown_cell, truncate};
use crate::model::Finding;
use std::io::{self, Write};

/// Findings in the table, most severe first.
pub const FINDINGS_SHOWN: usize = 50;
/// Codes in the table, most frequent first.
pub const CODES_SHOWN: usize = 30;
/// Fleet insights listed.
pub const FLEET_SHOWN: usize = 20;
/// Characters kept of any untrusted text.
pub const CELL_CHARS: usize = 300;

/// The most one escaped cell can take: an invisible character becomes its escape
/// (`\u{202e}`), 8 bytes for 1 character, and no character takes more.
const CELL_BYTES: usize = CELL_CHARS * MARKDOWN_BYTES_PER_CHAR;
/// Severity words, pipes, spaces and the line break of a row, generously.
const ROW_OVERHEAD: usize = 64;
/// Title, counts, headings, table headers and the "not shown" notes, generously.
const FIXED_BYTES: usize = 4096;
/// The largest output possible.
pub const MAX_BYTES: usize = FIXED_BYTES
    + FINDINGS_SHOWN * (3 * CELL_BYTES + ROW_OVERHEAD)
    + CODES_SHOWN * (2 * CELL_BYTES + ROW_OVERHEAD)
    + FLEET_SHOWN * (2 * CELL_BYTES + ROW_OVERHEAD);
const _: () = assert!(MAX_BYTES < 1 << 20, "a step summary must stay under 1 MiB");

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## iothub-triage\n")?;
    counts(report, options, out)?;
    if let Some(metric) = &report.connected_devices.metric {
        writeln!(
            out,
            "\nHub metric: {}.",
            crate::analysis::metric::summary(metric)
        )?;
    }
    fleet(report, out)?;
    findings(&report.findings, out)?;
    codes(report, out)
}

/// Untrusted text, cut and escaped for a table cell or a list item.
fn cell(text: &str) -> String {
    markdown_cell(&truncate(text, CELL_CHARS))
}

fn counts(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    let mut by_severity = SeverityCounts::default();
    for finding in &report.findings {
        by_severity.add(finding.severity);
    }
    let severities: Vec<String> = [
        (by_severity.critical, "critical"),
        (by_severity.high, "high"),
        (by_severity.medium, "medium"),
        (by_severity.low, "low"),
        (by_severity.info, "info"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}"))
    .collect();
    let severities = if severities.is_empty() {
        String::new()
    } else {
        format!(" ({})", severities.join(", "))
    };
    writeln!(
        out,
        "{} read ({} analyzed, {} filtered, {} skipped) · {} · {}{severities}",
        bold_count(summary.records_read, "record"),
        summary.records_analyzed,
        summary.records_filtered,
        summary.records_skipped,
        bold_count(summary.devices, "device"),
        bold_count(report.findings.len() as u64, "finding"),
    )?;
    if let Some(gate) = options.fail_on {
        let failing = report
            .findings
            .iter()
            .filter(|f| f.severity >= gate)
            .count();
        writeln!(
            out,
            "\nGate: {} at or above **{gate}**.",
            bold_count(failing as u64, "finding")
        )?;
    }
    Ok(())
}

/// `**1** finding`, `**2** findings`.
fn bold_count(count: u64, noun: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("**{count}** {noun}{s}")
}

fn fleet(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.insights.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Fleet\n")?;
    for insight in report.insights.iter().take(FLEET_SHOWN) {
        writeln!(
            out,
            "- **{}** {}. What to do: {}",
            insight.severity,
            cell(&insight.summary),
            cell(&insight.action)
        )?;
    }
    not_shown(report.insights.len(), FLEET_SHOWN, "fleet insights", out)
}

fn findings(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "\nNo findings.");
    }
    writeln!(out, "\n### Findings\n")?;
    writeln!(out, "| Severity | Device | Finding | What to do |")?;
    writeln!(out, "|---|---|---|---|")?;
    for finding in findings.iter().take(FINDINGS_SHOWN) {
        let (device, title) = match &finding.device {
            // Device titles start with the identity; the device column already says it.
            Some(device) => (
                cell(device),
                finding
                    .title
                    .strip_prefix(device.as_str())
                    .and_then(|rest| rest.strip_prefix(": "))
                    .unwrap_or(&finding.title),
            ),
            None => ("*fleet*".to_string(), finding.title.as_str()),
        };
        writeln!(
            out,
            "| {} | {device} | {} | {} |",
            finding.severity,
            cell(title),
            cell(&finding.action)
        )?;
    }
    not_shown(findings.len(), FINDINGS_SHOWN, "findings", out)
}

fn codes(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let codes = &report.summary.codes;
    if codes.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Codes\n")?;
    writeln!(out, "| Code | Name | Records | Devices |")?;
    writeln!(out, "|---|---|--:|--:|")?;
    for code in codes.iter().take(CODES_SHOWN) {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&code.code),
            cell(&code.name),
            code.count,
            code.devices
        )?;
    }
    not_shown(codes.len(), CODES_SHOWN, "codes", out)
}

fn not_shown(total: usize, shown: usize, what: &str, out: &mut dyn Write) -> io::Result<()> {
    if total > shown {
        writeln!(
            out,
            "\n*{} more {what} not shown; `--format json` lists them all.*",
            total - shown
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::report::CodeSummary;
    use crate::model::Severity;
    use crate::report::samples;

    fn rendered(report: &Report, options: &RenderOptions) -> String {
        samples::rendered(render, report, options)
    }

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        let options = RenderOptions {
            fail_on: Some(Severity::High),
            ..RenderOptions::default()
        };
        insta::assert_snapshot!(rendered(&report, &options));
    }

    #[test]
    fn snapshot_hub_incident() {
        let report = samples::analyze("fixtures/insights/hub-incident.json");
        insta::assert_snapshot!(rendered(&report, &RenderOptions::default()));
    }

    /// The worst case: every list far over its cap, and every shown cell far over
    /// [`CELL_CHARS`] and made of the character that escapes the longest.
    #[test]
    fn a_huge_hostile_report_stays_under_one_mebibyte() {
        let mut report = samples::analyze("fixtures/insights/hub-incident.json");
        let long = "\u{202E}".repeat(2 * CELL_CHARS);
        let template = report.findings[0].clone();
        report.findings = (0..100_000)
            .map(|n| {
                let mut finding = template.clone();
                finding.fingerprint = n.to_string();
                if n < 2 * FINDINGS_SHOWN {
                    finding.device = Some(long.clone());
                    finding.title = long.clone();
                    finding.action = long.clone();
                }
                finding
            })
            .collect();
        report.summary.codes = (0..100_000)
            .map(|n| CodeSummary {
                code: if n < 2 * CODES_SHOWN {
                    long.clone()
                } else {
                    n.to_string()
                },
                name: long.clone(),
                known: false,
                count: u64::MAX,
                devices: u64::MAX,
            })
            .collect();
        let insight = report.insights[0].clone();
        report.insights = (0..1000)
            .map(|_| {
                let mut insight = insight.clone();
                insight.summary = long.clone();
                insight.action = long.clone();
                insight
            })
            .collect();

        let text = rendered(
            &report,
            &RenderOptions {
                fail_on: Some(Severity::Info),
                ..RenderOptions::default()
            },
        );
        assert!(text.len() <= MAX_BYTES, "{} bytes", text.len());
        assert!(text.len() < 1 << 20);
        assert!(text.contains("99950 more findings not shown"));
        assert!(text.contains("99970 more codes not shown"));
        assert!(text.contains("980 more fleet insights not shown"));
    }

    #[test]
    fn a_hostile_device_id_stays_inside_its_cell() {
        let report = samples::hostile();
        let text = rendered(&report, &RenderOptions::default());
        assert!(!text.contains("<script>"));
        let row = text
            .lines()
            .find(|line| line.contains("cmd"))
            .expect("the device has a row");
        // Four cells: five unescaped pipes, the id's own pipes escaped.
        let unescaped = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 5, "{row}");
        assert!(
            row.contains(r#"=cmd\|' /C calc'!A0&lt;script&gt;&amp;" ::error::x\|\*\_\[a\](b)"#)
        );
    }
}

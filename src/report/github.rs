//! `--format github`: GitHub Actions workflow commands that turn the top findings into
//! annotations on the run (and on the log file, when it is in the repository). GitHub
//! shows ten annotations of each kind per step, so only the [`SHOWN`] most severe
//! non-info findings are written, each device's worst first so that ten annotations name
//! as many devices as they can, then one notice with the totals.
//!
//! The output is read by the runner line by line, and any line starting with `::` is a
//! command: every untrusted string is escaped with [`gh_data`] or [`gh_property`], so
//! that a device id cannot end the line and start a command of its own.

use super::RenderOptions;
use crate::analysis::report::Report;
use crate::escape::{gh_data, gh_property};
use crate::model::{Finding, Severity};
use std::io::{self, Write};

/// Annotations written, at most.
pub const SHOWN: usize = 10;

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let shown = chosen(&report.findings);
    for finding in &shown {
        annotation(finding, out)?;
    }
    let shown = shown.len();
    writeln!(
        out,
        "::notice::{}",
        gh_data(&format!(
            "iothub-triage: {} finding{} ({shown} shown)",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" }
        ))
    )
}

/// Up to [`SHOWN`] non-info findings, most severe first: each device's worst before any
/// device's second.
fn chosen(findings: &[Finding]) -> Vec<&Finding> {
    let severe: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let (firsts, rest): (Vec<&Finding>, Vec<&Finding>) = severe
        .into_iter()
        .partition(|f| f.device.is_none() || seen.insert(f.device.clone()));
    let mut shown: Vec<&Finding> = firsts.into_iter().chain(rest).take(SHOWN).collect();
    // Findings are sorted most severe first; a stable sort keeps that among the chosen.
    shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
    shown
}

fn annotation(finding: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let command = match finding.severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    if let Some(location) = &finding.location {
        properties.push(format!("file={}", gh_property(&location.source)));
        if let Some(line) = location.line {
            properties.push(format!("line={line}"));
        }
    }
    properties.push(format!("title={}", gh_property(&finding.rule.to_string())));
    let message = format!("{}\nWhat to do: {}", finding.title, finding.action);
    writeln!(
        out,
        "::{command} {}::{}",
        properties.join(","),
        gh_data(&message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    fn rendered(report: &Report) -> String {
        samples::rendered(render, report, &RenderOptions::default())
    }

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(rendered(&report));
    }

    #[test]
    fn only_the_top_ten_non_info_findings_are_annotated() {
        let mut report = samples::analyze("fixtures/shapes/PT1H.json");
        let mut template = report.findings.clone();
        for finding in &mut template {
            finding.severity = Severity::High;
        }
        report.findings = (0..40)
            .map(|n| template[n % template.len()].clone())
            .collect();
        report
            .findings
            .sort_by_key(|f| std::cmp::Reverse(f.severity));
        let text = rendered(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), SHOWN + 1);
        assert_eq!(
            lines[SHOWN],
            "::notice::iothub-triage: 40 findings (10 shown)"
        );
        assert!(lines[..SHOWN].iter().all(|l| l.starts_with("::error ")));
    }

    #[test]
    fn ten_annotations_name_ten_devices_before_a_second_finding_of_one() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        let mut findings = Vec::new();
        for n in 0..12 {
            for rule in ["insight/flapping", "code/404104"] {
                let mut finding = report.findings[0].clone();
                finding.device = Some(format!("dev-{n:02}"));
                finding.rule = crate::model::Rule::parse(rule).expect("a rule id");
                finding.severity = Severity::Medium;
                findings.push(finding);
            }
        }
        let shown = chosen(&findings);
        let devices: std::collections::BTreeSet<_> = shown.iter().map(|f| &f.device).collect();
        assert_eq!(devices.len(), SHOWN);
    }

    #[test]
    fn levels_follow_severity_and_info_is_skipped() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        let text = rendered(&report);
        let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
        let severe = |pred: fn(Severity) -> bool| {
            report.findings.iter().filter(|f| pred(f.severity)).count()
        };
        assert_eq!(count("::error "), severe(|s| s >= Severity::High));
        assert_eq!(count("::warning "), severe(|s| s == Severity::Medium));
        assert_eq!(count("::notice "), severe(|s| s == Severity::Low));
    }

    #[test]
    fn a_hostile_device_id_cannot_start_a_command() {
        let report = samples::hostile();
        let text = rendered(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), report.findings.len() + 1, "{text}");
        for line in &lines {
            assert!(line.starts_with("::"), "{line}");
            assert!(!line.contains('\r'));
        }
        // The id's own `::error::` stays inside the message, after the newline's escape.
        assert!(lines[0].starts_with("::notice file=logs/hostile.json,line=1,title=code/404104::"));
        assert!(lines[0].contains("%0A::error::x"));
    }
}

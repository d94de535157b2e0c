//! `--format junit`: JUnit XML, for CI systems that chart test results (GitLab, Jenkins,
//! Azure Pipelines). Each device is a test case (classname `devices`, named by its
//! identity), and one more case, `fleet`, holds the fleet insights. A case fails when it
//! has findings at or above the gate (`--fail-on`, or [`DEFAULT_GATE`] when none is
//! given, since JUnit must say pass or fail); its findings below the gate go to
//! `<system-out>`, so nothing found is hidden.
//!
//! The XML is written by hand: the document is a fixed, shallow shape, and every
//! untrusted string goes through one function, [`xml`], tested on its own. A writer
//! crate would add a dependency without removing that escaping decision.

use super::RenderOptions;
use crate::analysis::report::Report;
use crate::escape::xml;
use crate::model::{Finding, Location, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The gate when `--fail-on` is not given: high and critical findings fail.
pub const DEFAULT_GATE: Severity = Severity::High;

/// One test case: its name and its findings, most severe first.
struct Case<'a> {
    classname: &'static str,
    name: String,
    findings: Vec<&'a Finding>,
}

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let gate = options.fail_on.unwrap_or(DEFAULT_GATE);
    let cases = cases(report);
    let failures = cases
        .iter()
        .filter(|case| case.findings.iter().any(|f| f.severity >= gate))
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="iothub-triage" tests="{}" failures="{failures}" errors="0">"#,
        cases.len()
    )?;
    writeln!(
        out,
        r#"  <testsuite name="iothub-triage" tests="{}" failures="{failures}" errors="0" skipped="0">"#,
        cases.len()
    )?;
    for case in &cases {
        test_case(case, gate, out)?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// The fleet case, then one per device in report order, each with its findings.
fn cases(report: &Report) -> Vec<Case<'_>> {
    let mut fleet = Vec::new();
    let mut by_device: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in &report.findings {
        match finding.device.as_deref() {
            Some(device) => by_device.entry(device).or_default().push(finding),
            None => fleet.push(finding),
        }
    }
    let mut cases = vec![Case {
        classname: "fleet",
        name: "fleet".to_string(),
        findings: fleet,
    }];
    for device in &report.devices {
        let name = device.identity();
        let findings = by_device.remove(name.as_str()).unwrap_or_default();
        cases.push(Case {
            classname: "devices",
            name,
            findings,
        });
    }
    // A findings-only report (a query's result read back) names no devices: each
    // identity with findings is a case.
    for (name, findings) in by_device {
        cases.push(Case {
            classname: "devices",
            name: name.to_string(),
            findings,
        });
    }
    cases
}

fn test_case(case: &Case<'_>, gate: Severity, out: &mut dyn Write) -> io::Result<()> {
    let (failing, passing): (Vec<&Finding>, Vec<&Finding>) =
        case.findings.iter().partition(|f| f.severity >= gate);
    let open = format!(
        r#"    <testcase classname="{}" name="{}""#,
        case.classname,
        xml(&case.name)
    );
    if case.findings.is_empty() {
        return writeln!(out, "{open}/>");
    }
    writeln!(out, "{open}>")?;
    if let Some(worst) = failing.first() {
        writeln!(
            out,
            r#"      <failure message="{} at or above {gate}: {}" type="{}">{}</failure>"#,
            plural(failing.len()),
            xml(&worst.title),
            worst.severity,
            xml(&listing(&failing))
        )?;
    }
    if !passing.is_empty() {
        writeln!(
            out,
            "      <system-out>{} below {gate}:\n{}</system-out>",
            plural(passing.len()),
            xml(&listing(&passing))
        )?;
    }
    writeln!(out, "    </testcase>")
}

fn plural(count: usize) -> String {
    if count == 1 {
        "1 finding".to_string()
    } else {
        format!("{count} findings")
    }
}

/// The findings as plain text, one paragraph each.
fn listing(findings: &[&Finding]) -> String {
    let mut text = String::new();
    for finding in findings {
        text.push_str(&format!(
            "[{}] {}: {}\n  What to do: {}\n",
            finding.severity, finding.rule, finding.title, finding.action
        ));
        if let Some(location) = &finding.location {
            text.push_str(&format!("  At: {}\n", place(location)));
        }
    }
    text
}

fn place(location: &Location) -> String {
    match (location.line, location.record) {
        (Some(line), _) => format!("{}:{line}", location.source),
        (None, Some(record)) => format!("{}, record {record}", location.source),
        (None, None) => location.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    fn rendered(report: &Report, options: &RenderOptions) -> String {
        samples::rendered(render, report, options)
    }

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(rendered(&report, &RenderOptions::default()));
    }

    #[test]
    fn snapshot_hub_incident() {
        let report = samples::analyze("fixtures/insights/hub-incident.json");
        insta::assert_snapshot!(rendered(&report, &RenderOptions::default()));
    }

    #[test]
    fn a_high_finding_fails_by_default_and_passes_a_critical_gate() {
        let report = samples::analyze("fixtures/insights/offline.json");
        let device = "pump-9";
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.device.as_deref() == Some(device) && f.severity == Severity::High)
        );
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.severity < Severity::Critical)
        );

        let default = rendered(&report, &RenderOptions::default());
        assert!(default.contains(r#"failures="1""#), "{default}");
        assert!(default.contains(r#"type="high""#));

        let critical = rendered(
            &report,
            &RenderOptions {
                fail_on: Some(Severity::Critical),
                ..RenderOptions::default()
            },
        );
        assert!(critical.contains(r#"failures="0""#), "{critical}");
        assert!(!critical.contains("<failure"));
        assert!(critical.contains("<system-out>"), "findings stay visible");
    }

    #[test]
    fn counts_match_the_cases() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        let text = rendered(&report, &RenderOptions::default());
        let tests = report.devices.len() + 1;
        assert_eq!(text.matches("<testcase ").count(), tests);
        // Nothing in the sample reaches the default gate (high).
        assert!(text.contains(&format!(r#"tests="{tests}" failures="0""#)));
        assert_eq!(text.matches("<failure ").count(), 0);
        let strict = RenderOptions {
            fail_on: Some(Severity::Low),
            ..RenderOptions::default()
        };
        let text = rendered(&report, &strict);
        assert_eq!(text.matches("<failure ").count(), 3);
    }

    #[test]
    fn a_hostile_device_id_is_escaped() {
        let report = samples::hostile();
        let text = rendered(&report, &RenderOptions::default());
        assert!(!text.contains("<script>"));
        assert!(text.contains("&lt;script&gt;&amp;&quot;"));
        assert!(text.contains(r#"name="=cmd|&apos; /C calc&apos;!A0"#));
        // Every element that is opened is closed: a crude well-formedness check.
        assert_eq!(text.matches("<testcase").count(), 2);
        assert_eq!(
            text.matches("</testcase>").count(),
            1,
            "the fleet case is empty"
        );
        assert_eq!(
            text.matches("<failure").count(),
            text.matches("</failure>").count()
        );
    }
}

//! The CI gate: do the findings make this run fail (exit code 1)? Findings at or above
//! `--fail-on`, or more than `--max-findings` (info excluded), counting only findings
//! that are not in the `--baseline` report when one is given.

use crate::config::Gate;
use crate::model::Severity;
use crate::report::findings::Finding;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Why the gate failed, in words for stderr; `None` when it passed.
pub fn verdict(
    gate: &Gate,
    findings: &[Finding],
    baseline: Option<&BTreeSet<String>>,
) -> Option<String> {
    let new: Vec<&Finding> = findings
        .iter()
        .filter(|f| baseline.is_none_or(|known| !known.contains(&f.fingerprint)))
        .collect();
    let scope = if baseline.is_some() { "new " } else { "" };
    if let Some(fail_on) = gate.fail_on {
        let failing = new.iter().filter(|f| f.severity >= fail_on).count();
        if failing > 0 {
            return Some(format!(
                "{failing} {scope}finding(s) at or above {fail_on} (--fail-on {fail_on})"
            ));
        }
    }
    if let Some(max) = gate.max_findings {
        let counted = new.iter().filter(|f| f.severity > Severity::Info).count();
        if counted > max {
            return Some(format!(
                "{counted} {scope}findings, more than --max-findings {max}"
            ));
        }
    }
    None
}

/// The fingerprints of a previous JSON report's findings.
pub fn load_baseline(path: &Path) -> Result<BTreeSet<String>> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{name}: cannot read the baseline"))?;
    let report: Value =
        serde_json::from_str(&text).with_context(|| format!("{name}: the baseline is not JSON"))?;
    let Some(findings) = report.get("findings").and_then(Value::as_array) else {
        bail!(
            "{name}: not an iothub-triage JSON report (no \"findings\"); write one with --format json"
        );
    };
    Ok(findings
        .iter()
        .filter_map(|f| f.get("fingerprint")?.as_str().map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, fingerprint: &str) -> Finding {
        Finding {
            device: Some("d".into()),
            rule: "code/404104".into(),
            severity,
            title: String::new(),
            action: String::new(),
            location: None,
            fingerprint: fingerprint.into(),
        }
    }

    #[test]
    fn the_gate_fails_at_or_above_its_severity_only() {
        let findings = [finding(Severity::Medium, "a"), finding(Severity::Info, "b")];
        let gate = |fail_on| Gate {
            fail_on: Some(fail_on),
            ..Gate::default()
        };
        assert!(verdict(&gate(Severity::Medium), &findings, None).is_some());
        assert!(verdict(&gate(Severity::High), &findings, None).is_none());
        assert!(
            verdict(&Gate::default(), &findings, None).is_none(),
            "no gate, no failure"
        );
    }

    #[test]
    fn max_findings_counts_all_but_info() {
        let findings = [
            finding(Severity::Low, "a"),
            finding(Severity::Medium, "b"),
            finding(Severity::Info, "c"),
        ];
        let gate = |max| Gate {
            max_findings: Some(max),
            ..Gate::default()
        };
        assert!(verdict(&gate(1), &findings, None).is_some());
        assert!(verdict(&gate(2), &findings, None).is_none());
    }

    #[test]
    fn a_baseline_leaves_only_new_findings() {
        let findings = [
            finding(Severity::High, "known"),
            finding(Severity::Low, "new"),
        ];
        let gate = Gate {
            fail_on: Some(Severity::High),
            ..Gate::default()
        };
        let known: BTreeSet<String> = ["known".to_string()].into();
        assert!(verdict(&gate, &findings, None).is_some());
        assert!(verdict(&gate, &findings, Some(&known)).is_none());
    }
}

//! The CI gate: do the findings make this run fail (exit code 1)? Findings at or above
//! `--fail-on`, or more than `--max-findings` (info excluded), counting only findings
//! that are not in the `--baseline` report when one is given.

use crate::analysis::report::Report;
use crate::model::{Finding, Severity};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// When findings make the run fail (exit code 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// Fail on findings at or above this severity.
    pub fail_on: Option<Severity>,
    /// Fail when more findings than this (info excluded) remain.
    pub max_findings: Option<usize>,
    /// A previous JSON report: only findings not in it count.
    pub baseline: Option<PathBuf>,
}

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

/// The largest baseline read: a JSON report of a hub of a hundred thousand devices is a
/// few hundred megabytes, and only its fingerprints are kept.
pub const BASELINE_MAX_BYTES: u64 = 1 << 30;

/// What the gate reads of a previous report; everything else is skipped unread.
#[derive(Deserialize)]
struct Baseline {
    schema_version: Option<u64>,
    findings: Option<Vec<BaselineFinding>>,
}

#[derive(Deserialize)]
struct BaselineFinding {
    fingerprint: Option<String>,
}

/// The fingerprints of a previous JSON report's findings.
pub fn load_baseline(path: &Path) -> Result<BTreeSet<String>> {
    read_baseline(path, BASELINE_MAX_BYTES)
}

fn read_baseline(path: &Path, limit: u64) -> Result<BTreeSet<String>> {
    let name = path.display();
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit.saturating_add(1)).read_to_end(&mut text))
        .with_context(|| format!("{name}: cannot read the baseline"))?;
    if text.len() as u64 > limit {
        bail!(
            "{name}: the baseline is larger than {limit} bytes; is it an iothub-triage JSON report?"
        );
    }
    let report: Baseline = serde_json::from_slice(&text)
        .with_context(|| format!("{name}: not an iothub-triage JSON report"))?;
    let Some(findings) = report.findings else {
        bail!(
            "{name}: not an iothub-triage JSON report (no \"findings\"); write one with --format json"
        );
    };
    let expected = u64::from(Report::SCHEMA_VERSION);
    match report.schema_version {
        Some(version) if version == expected => {}
        Some(version) => bail!(
            "{name}: the baseline is a report of schema version {version}, and this version of iothub-triage reads {expected}; write it again with --format json"
        ),
        None => bail!("{name}: not an iothub-triage JSON report (no \"schema_version\")"),
    }
    Ok(findings
        .into_iter()
        .filter_map(|finding| finding.fingerprint)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rule;

    fn finding(severity: Severity, fingerprint: &str) -> Finding {
        Finding {
            device: Some("d".into()),
            rule: Rule::Code("404104".into()),
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
    fn a_baseline_is_bounded_and_its_schema_version_checked() {
        let dir = std::env::temp_dir().join(format!("iothub-triage-gate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creates the folder");
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("writes");
            path
        };
        let good = write(
            "good.json",
            r#"{"schema_version":1,"summary":{},"findings":[{"fingerprint":"a","rule":"x"},{"fingerprint":"b"}]}"#,
        );
        let known = read_baseline(&good, 1 << 20).expect("reads");
        assert_eq!(known, ["a".to_string(), "b".to_string()].into());
        let err = read_baseline(&good, 20).expect_err("too large");
        assert!(
            format!("{err:#}").contains("larger than 20 bytes"),
            "{err:#}"
        );
        let future = write("future.json", r#"{"schema_version":2,"findings":[]}"#);
        let err = read_baseline(&future, 1 << 20).expect_err("another version");
        assert!(
            format!("{err:#}")
                .contains("schema version 2, and this version of iothub-triage reads 1"),
            "{err:#}"
        );
        let unversioned = write("unversioned.json", r#"{"findings":[]}"#);
        let err = read_baseline(&unversioned, 1 << 20).expect_err("no version");
        assert!(
            format!("{err:#}").contains("no \"schema_version\""),
            "{err:#}"
        );
        std::fs::remove_dir_all(&dir).expect("removes the folder");
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

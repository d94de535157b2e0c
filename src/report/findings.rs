//! Findings: the report flattened into one list of things to look at, each with a
//! severity, a stable rule id, where its evidence starts and a fingerprint that stays the
//! same from run to run. CI outputs (JUnit, SARIF, annotations, NDJSON), the exit-code
//! gate and `--baseline` all work on this list.

use super::{DeviceReport, Location, Report};
use crate::model::Severity;
use rayon::prelude::*;
use serde::Serialize;

/// One thing to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `device` or `device/module`; `None` for a fleet finding.
    pub device: Option<String>,
    /// `insight/<kind>` or `code/<ResultType>`.
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub action: String,
    pub location: Option<Location>,
    /// Stable across runs for the same device and rule (fleet incidents: and start time).
    pub fingerprint: String,
}

/// Every finding of the report, most severe first, then by device and rule. A device's
/// codes are findings only insofar as nothing (an insight of the device, a hub incident)
/// explains them: one problem, one finding. Each points at the first record of its
/// evidence.
pub fn findings(report: &Report) -> Vec<Finding> {
    let mut all = Vec::new();
    for incident in &report.insights {
        let rule = format!("insight/{}", incident.kind.as_str());
        let key = format!("fleet\0{rule}\0{}", super::format_time(&incident.start));
        all.push(Finding {
            device: None,
            fingerprint: fingerprint(&key),
            rule,
            severity: incident.severity,
            title: incident.summary.clone(),
            action: incident.action.clone(),
            location: None,
        });
    }
    // Devices are independent: their findings are made on every core, in device order.
    let devices: Vec<Finding> = report
        .devices
        .par_iter()
        .flat_map_iter(|device| {
            let mut own = Vec::new();
            device_findings(device, &mut own);
            own
        })
        .collect();
    all.extend(devices);
    // A stable sort: findings that tie keep the order they were made in.
    all.par_sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.device.cmp(&b.device))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    all
}

fn device_findings(device: &DeviceReport, all: &mut Vec<Finding>) {
    let identity = device.identity();
    for insight in &device.insights {
        let rule = format!("insight/{}", insight.kind.as_str());
        all.push(Finding {
            fingerprint: fingerprint(&format!("{identity}\0{rule}")),
            device: Some(identity.clone()),
            rule,
            severity: insight.severity,
            title: format!("{identity}: {}", insight.summary),
            action: insight.action.clone(),
            location: insight.location.clone().or_else(|| device.location.clone()),
        });
    }
    for code in &device.codes {
        let unexplained = code
            .count
            .saturating_sub(code.expected + code.in_incident + code.side_effect + code.in_insights);
        let Some(severity) = code.finding_severity.filter(|_| unexplained > 0) else {
            continue;
        };
        let rule = format!("code/{}", code.code);
        all.push(Finding {
            fingerprint: fingerprint(&format!("{identity}\0{rule}")),
            device: Some(identity.clone()),
            rule,
            severity,
            title: format!(
                "{identity}: {} {} x{unexplained}: {}",
                code.code, code.name, code.root_cause
            ),
            action: code.resolution.to_string(),
            location: Some(code.location.clone()),
        });
    }
}

/// FNV-1a, 64 bits, as hex: tiny, stable across versions and platforms, and enough to
/// tell findings apart (it is an identity, not a security property).
pub fn fingerprint(key: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_tell_keys_apart() {
        // Known FNV-1a values: the empty string and "a".
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_eq!(fingerprint("a"), "af63dc4c8601ec8c");
        assert_ne!(
            fingerprint("pump-0042\0code/404104"),
            fingerprint("pump-0042\0code/401003")
        );
    }
}

//! Findings: the report flattened into one list of things to look at (see
//! [`Finding`]). CI outputs (JUnit, SARIF, annotations, NDJSON), the exit-code gate and
//! `--baseline` all work on this list.

use super::report::{DeviceReport, Report};
use crate::model::{Finding, Rule, fingerprint, format_time};
use rayon::prelude::*;

/// Every finding of the report, most severe first, then by device and rule. A device's
/// codes are findings only insofar as nothing (an insight of the device, a hub incident)
/// explains them: one problem, one finding. Each points at the first record of its
/// evidence.
pub fn findings(report: &Report) -> Vec<Finding> {
    let mut all = Vec::new();
    for incident in &report.insights {
        let rule = Rule::Insight(incident.kind);
        let key = format!("fleet\0{rule}\0{}", format_time(&incident.start));
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
        let rule = Rule::Insight(insight.kind);
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
        let rule = Rule::Code(code.code.clone());
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

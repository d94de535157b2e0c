//! The report: what the analysis found, as plain data with stable field names. The
//! renderers in `crate::report` read it; nothing here knows about an output format.

use super::Stories;
use super::diagnosis::{Curve, Insight};
use crate::model::{Finding, InsightKind, Location, Severity, SharedText, rfc3339, rfc3339_opt};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The whole result of `analyze`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub summary: Summary,
    pub inputs: Vec<InputReport>,
    /// Fleet-level insights (hub incidents), in time order.
    pub insights: Vec<Insight>,
    /// The reconstructed "Connected devices" metric.
    pub connected_devices: Curve,
    /// Where the fleet's drops fall: per hour, SDK version, protocol, identity.
    pub breakdown: Breakdown,
    pub devices: Vec<DeviceReport>,
    /// Groups of identities sharing an attribute that have a problem far more often than
    /// the rest, least likely by luck first.
    pub cohorts: Vec<Cohort>,
    /// Everything to look at, flattened: most severe first (see [`super::findings`]).
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Warning>,
    /// The timelines of the worst identities, when a format that shows them was asked
    /// for ([`Analyzer::finish_with_stories`](super::Analyzer::finish_with_stories));
    /// empty otherwise. Not in the JSON report.
    #[serde(skip)]
    pub stories: Stories,
}

impl Report {
    pub const SCHEMA_VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Always `records_skipped + records_filtered + records_analyzed`.
    pub records_read: u64,
    pub records_skipped: u64,
    pub records_filtered: u64,
    pub records_analyzed: u64,
    /// What the analyzed records cover, all inputs together.
    pub coverage: CoverageReport,
    /// Identities (devices and modules) analyzed.
    pub devices: u64,
    /// Identities listed under `devices`: all of them, unless `--code` or `--level`
    /// chose the ones with such records.
    pub devices_shown: u64,
    /// Of the identities shown, those with a record carrying an error code or level.
    pub devices_with_errors: u64,
    /// Identities shown, by their worst finding; those without a finding are not counted.
    pub devices_by_severity: SeverityCounts,
    #[serde(serialize_with = "rfc3339_opt")]
    pub first_event: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub last_event: Option<DateTime<Utc>>,
    pub codes: Vec<CodeSummary>,
    /// Why records were filtered, most frequent first.
    pub filtered: Vec<FilterCount>,
    /// Problems counted in `records_skipped` but not listed in `problems`.
    pub problems_omitted: u64,
}

/// Where the fleet's drops fall.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Breakdown {
    /// Lost connections nothing benign explains, all identities.
    pub drops: u64,
    /// Chronological, hours with drops only.
    pub per_hour: Vec<HourDrops>,
    /// The SDK version without its platform part; most drops first, at most 10.
    pub by_sdk_version: Vec<GroupDrops>,
    pub by_protocol: Vec<GroupDrops>,
    /// The identities with the most drops, at most 10.
    pub most_drops: Vec<IdentityDrops>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourDrops {
    #[serde(serialize_with = "rfc3339")]
    pub hour: DateTime<Utc>,
    pub drops: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupDrops {
    pub value: String,
    pub drops: u64,
    pub identities: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityDrops {
    pub identity: String,
    pub drops: u64,
}

/// A group of identities sharing an attribute value, and how often it has a problem
/// kind compared with the rest of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    pub kind: InsightKind,
    /// `sdk_version`, `sdk`, `protocol`, `address_range`, `module` or `id_prefix`.
    pub attribute: &'static str,
    pub value: String,
    /// Identities in the cohort, and of those with the kind.
    pub devices: u64,
    pub with_kind: u64,
    /// Identities outside the cohort, and of those with the kind.
    pub others: u64,
    pub others_with_kind: u64,
    /// One-sided Fisher's exact test: the chance of at least `with_kind` by luck.
    pub p_value: f64,
}

/// How many devices have each worst severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

impl SeverityCounts {
    pub fn add(&mut self, severity: Severity) {
        let slot = match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        };
        *slot += 1;
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CodeSummary {
    pub code: String,
    pub name: String,
    pub known: bool,
    pub count: u64,
    pub devices: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FilterCount {
    pub reason: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub source: String,
    pub shape: String,
    pub records_read: u64,
    pub records_analyzed: u64,
    pub records_filtered: u64,
    pub records_skipped: u64,
    pub coverage: CoverageReport,
}

/// Which kinds of record the analyzed ones are, and what follows for the diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CoverageReport {
    /// `all` (successful connects are there), `errors_only` (nothing but errors: an
    /// export filtered on the level), `no_connects` (no successful connect, other
    /// records than errors), `state_events` (connection-state events only: Event Grid
    /// or routed, sampled about once a minute, no codes) or `none`.
    pub records: &'static str,
    pub successful_connects: u64,
    /// Records without an error level or code, other than connects.
    pub information_records: u64,
    pub error_records: u64,
    /// Connection-state events (Event Grid, routed): counted apart from the log
    /// records; absent when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    pub state_events: u64,
    /// `not_in_source` when the records are all connection-state events, which carry
    /// no codes; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<&'static str>,
    /// `known` when a device's state (connected or not) can be told from the records,
    /// `unknown` without successful connects.
    pub device_state: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LastState {
    Connected,
    Disconnected,
    /// The export holds no successful connects: it cannot show the state.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    pub device_id: String,
    /// The module of a module identity (IoT Edge, module clients); `null` for a device.
    pub module_id: Option<String>,
    /// The worst finding not explained away (token renewal, hub incident, side effect);
    /// `null` when there is nothing to report.
    pub severity: Option<Severity>,
    pub events: u64,
    pub connects: u64,
    pub disconnects: u64,
    /// Records carrying an error code or an error level.
    pub error_events: u64,
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub last_seen: DateTime<Utc>,
    pub last_state: LastState,
    /// Shared with the other identities that log the same.
    pub protocol: Option<SharedText>,
    pub sdk_version: Option<SharedText>,
    pub ip_addresses: Vec<String>,
    /// What the device's timeline says, most severe first.
    pub insights: Vec<Insight>,
    /// Where the device's earliest record is.
    pub location: Option<Location>,
    /// Indexes into the report's fleet `insights` of the hub incidents this device was hit by.
    pub incidents: Vec<usize>,
    /// Where the device's story is incomplete (events missing from the log).
    pub gaps: Vec<String>,
    pub codes: Vec<DeviceCode>,
}

impl DeviceReport {
    /// `device` or `device/module`.
    pub fn identity(&self) -> String {
        match &self.module_id {
            Some(module) => format!("{}/{}", self.device_id, module),
            None => self.device_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
/// The texts come from the code table: static, not copied per device.
pub struct DeviceCode {
    pub code: String,
    pub name: &'static str,
    pub class: Option<&'static str>,
    pub severity: Option<Severity>,
    /// False when the code is not in the table and was classified by its HTTP family.
    pub known: bool,
    pub count: u64,
    /// Of `count`: records explained as SAS token renewal (benign).
    pub expected: u64,
    /// Of `count`: records explained by a fleet-wide hub incident.
    pub in_incident: u64,
    /// Of `count`: 409002 records that are side effects of another error.
    pub side_effect: u64,
    /// Of `count`: records another insight of the device explains (flapping, a takeover,
    /// a duplicate identity, a credential failure, offline).
    pub in_insights: u64,
    /// The severity of the finding the records nothing explains make: `low` when they
    /// are isolated, `medium` when they recur (three episodes or more), never above the
    /// code's own severity; `null` when everything is explained.
    pub finding_severity: Option<Severity>,
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub last_seen: DateTime<Utc>,
    /// Where the earliest record with this code that nothing explains is (the earliest
    /// record with it when all are explained).
    pub location: Location,
    pub root_cause: &'static str,
    pub resolution: &'static str,
    pub doc: &'static str,
}

/// A record that was skipped, and where it was.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    pub message: String,
}

impl Problem {
    /// `file:line` or `file: record N`, for messages.
    pub fn place(&self) -> String {
        match (self.line, self.record) {
            (Some(line), Some(record)) => format!("{}:{line} (record {record})", self.source),
            (Some(line), None) => format!("{}:{line}", self.source),
            (None, Some(record)) => format!("{}: record {record}", self.source),
            (None, None) => self.source.clone(),
        }
    }
}

/// Something about an input as a whole that the reader should know.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub source: String,
    pub message: String,
}

impl Report {
    /// A report of findings computed elsewhere (a KQL query's result read back): no
    /// records, devices or curve, only the findings, most severe first as `analyze`
    /// orders them. Each input is named with the shape `findings`.
    pub fn from_findings(sources: Vec<String>, mut findings: Vec<Finding>) -> Report {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.device.cmp(&b.device))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        let none = CoverageReport {
            records: "none",
            successful_connects: 0,
            information_records: 0,
            error_records: 0,
            state_events: 0,
            codes: None,
            device_state: "unknown",
        };
        let mut by_severity = SeverityCounts::default();
        let mut worst: std::collections::BTreeMap<&str, Severity> = Default::default();
        for finding in &findings {
            if let Some(device) = &finding.device {
                let slot = worst.entry(device).or_insert(finding.severity);
                *slot = (*slot).max(finding.severity);
            }
        }
        for severity in worst.values() {
            by_severity.add(*severity);
        }
        let devices = worst.len() as u64;
        Report {
            schema_version: Report::SCHEMA_VERSION,
            summary: Summary {
                records_read: 0,
                records_skipped: 0,
                records_filtered: 0,
                records_analyzed: 0,
                coverage: none,
                devices,
                devices_shown: devices,
                devices_with_errors: 0,
                devices_by_severity: by_severity,
                first_event: None,
                last_event: None,
                codes: Vec::new(),
                filtered: Vec::new(),
                problems_omitted: 0,
            },
            inputs: sources
                .into_iter()
                .map(|source| InputReport {
                    source,
                    shape: "findings".to_string(),
                    records_read: 0,
                    records_analyzed: 0,
                    records_filtered: 0,
                    records_skipped: 0,
                    coverage: none,
                })
                .collect(),
            insights: Vec::new(),
            connected_devices: Curve::default(),
            breakdown: Breakdown::default(),
            devices: Vec::new(),
            cohorts: Vec::new(),
            findings,
            problems: Vec::new(),
            warnings: Vec::new(),
            stories: Stories::default(),
        }
    }
}

/// For counts left out of the JSON when there are none.
#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde hands a reference")]
fn is_zero(count: &u64) -> bool {
    *count == 0
}

//! One device's folded state: its compact event list and per-code tallies.

use super::diagnosis::{DeviceDiagnosis, Insight, InsightKind};
use super::event::{AddressId, Addresses, Event};
use crate::model::{Operation, Position, Record, Severity};
use crate::report::{DeviceCode, DeviceReport, LastState, Location};
use crate::rules;
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet};

/// A device identity: the device, or one of its modules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceKey {
    pub device_id: String,
    pub module_id: Option<String>,
}

impl DeviceKey {
    /// `device` or `device/module`.
    pub fn identity(&self) -> String {
        match &self.module_id {
            Some(module) => format!("{}/{}", self.device_id, module),
            None => self.device_id.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct CodeTally {
    count: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    /// Where the earliest record with the code is.
    first_at: Position,
}

/// At most this many distinct client addresses are listed per device.
const ADDRESSES_KEPT: usize = 16;

#[derive(Debug, Default)]
pub struct DeviceState {
    events: Vec<Event>,
    /// Per code, in order of first sight: a device has a handful, and a map would
    /// cost a node of a kilobyte each device.
    codes: Vec<(CompactString, CodeTally)>,
    connects: u64,
    disconnects: u64,
    error_events: u64,
    addresses: BTreeSet<AddressId>,
    /// The latest protocol and SDK seen, by event time.
    protocol: Option<(DateTime<Utc>, String)>,
    sdk_version: Option<(DateTime<Utc>, String)>,
    /// Where the device's earliest record is.
    first_at: Option<(DateTime<Utc>, Position)>,
}

impl DeviceState {
    pub fn add(&mut self, record: &Record, sequence: u32, address: Option<AddressId>) {
        let time = record.time;
        // Grown by half, not doubled: a fleet's events are most of the memory, and
        // doubling leaves a quarter of it unused on average.
        if self.events.len() == self.events.capacity() {
            self.events.reserve_exact(self.events.len() / 2 + 4);
        }
        self.events.push(Event::new(record, sequence, address));
        match record.operation {
            Operation::Connect => self.connects += 1,
            Operation::Disconnect => self.disconnects += 1,
            Operation::Other => {}
        }
        if record.code.is_some() || record.level.is_error() {
            self.error_events += 1;
        }
        if self.first_at.as_ref().is_none_or(|(seen, _)| time < *seen) {
            self.first_at = Some((time, record.position.clone()));
        }
        if let Some(code) = &record.code {
            match self.codes.iter_mut().find(|(known, _)| known == code) {
                Some((_, tally)) => {
                    tally.count += 1;
                    if time < tally.first {
                        tally.first = time;
                        tally.first_at = record.position.clone();
                    }
                    tally.last = tally.last.max(time);
                }
                None => {
                    let tally = CodeTally {
                        count: 1,
                        first: time,
                        last: time,
                        first_at: record.position.clone(),
                    };
                    self.codes.push((code.clone(), tally));
                }
            }
        }
        if let Some(address) = address
            && self.addresses.len() < ADDRESSES_KEPT
        {
            self.addresses.insert(address);
        }
        keep_latest(&mut self.protocol, time, record.protocol.as_deref());
        keep_latest(&mut self.sdk_version, time, record.sdk_version.as_deref());
    }

    /// Ends reading: puts the events in time order (arrival breaks ties), as the
    /// detectors need them.
    pub fn seal(&mut self) {
        // Arrival numbers are unique, so no two keys are equal and an unstable sort, which
        // needs no scratch memory, gives the one order.
        self.events.sort_unstable_by_key(Event::order_key);
        self.events.shrink_to_fit();
    }

    /// The device's events, in time order once [`DeviceState::seal`] ran.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The device's report: its tallies, what its timeline says, and which fleet
    /// incidents explain some of its errors. `incidents` are the fleet's hub incidents.
    pub fn report(
        self,
        key: DeviceKey,
        addresses: &Addresses,
        diagnosis: DeviceDiagnosis,
        incidents: &[Insight],
        sources: &[String],
    ) -> DeviceReport {
        let locate = |position: &Position| Location::new(sources, position);
        let latest = self.events.last();
        let last_state = match latest {
            Some(event) if event.is_successful_connect() => LastState::Connected,
            _ => LastState::Disconnected,
        };
        let first_seen = self.events.first().map(|e| e.time).unwrap_or_default();
        let last_seen = latest.map(|e| e.time).unwrap_or_default();

        let mut expected: BTreeMap<u32, u64> = BTreeMap::new();
        let mut in_incident: BTreeMap<u32, u64> = BTreeMap::new();
        let mut incident_indices = BTreeSet::new();
        for (event, is_expected) in self.events.iter().zip(&diagnosis.expected) {
            let Some(code) = event.code else { continue };
            if *is_expected {
                *expected.entry(code).or_default() += 1;
            } else if is_incident_code(code)
                && let Some(index) = incidents
                    .iter()
                    .position(|i| i.start <= event.time && event.time <= i.end)
            {
                *in_incident.entry(code).or_default() += 1;
                incident_indices.insert(index);
            }
        }
        let side_effects: u64 = diagnosis
            .insights
            .iter()
            .filter(|i| i.kind == InsightKind::SideEffect)
            .filter_map(|i| i.evidence.count)
            .sum();

        let mut codes: Vec<DeviceCode> = self
            .codes
            .into_iter()
            .map(|(code, tally)| {
                let numeric: Option<u32> = code.parse().ok();
                let lookup = |map: &BTreeMap<u32, u64>| {
                    numeric.and_then(|n| map.get(&n).copied()).unwrap_or(0)
                };
                let explained = rules::explain(&code);
                let info = explained.map(|e| e.info);
                DeviceCode {
                    name: info.map_or("NotAnErrorCode", |i| i.name),
                    class: info.map(|i| i.class.as_str()),
                    severity: info.map(|i| i.severity),
                    known: explained.is_some_and(|e| e.known),
                    count: tally.count,
                    expected: lookup(&expected),
                    in_incident: lookup(&in_incident),
                    side_effect: if numeric == Some(SIDE_EFFECT_CODE) {
                        side_effects.min(tally.count)
                    } else {
                        0
                    },
                    first_seen: tally.first,
                    last_seen: tally.last,
                    location: locate(&tally.first_at),
                    root_cause: info
                        .map_or("The ResultType is not a numeric IoT Hub error code.", |i| {
                            i.root_cause
                        }),
                    resolution: info
                        .map_or("Check the record's ResultDescription.", |i| i.resolution),
                    doc: info.map_or(rules::DOC_ERROR_CODES, |i| i.doc),
                    code: code.to_string(),
                }
            })
            .collect();
        codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));

        let severity = worst_severity(&diagnosis.insights, &codes);
        let mut ip_addresses: Vec<String> = self
            .addresses
            .iter()
            .map(|id| addresses.name(*id).to_string())
            .collect();
        ip_addresses.sort();
        DeviceReport {
            device_id: key.device_id,
            module_id: key.module_id,
            severity,
            events: self.events.len() as u64,
            connects: self.connects,
            disconnects: self.disconnects,
            error_events: self.error_events,
            first_seen,
            last_seen,
            last_state,
            protocol: self.protocol.map(|(_, p)| p),
            sdk_version: self.sdk_version.map(|(_, s)| s),
            ip_addresses,
            location: self.first_at.as_ref().map(|(_, position)| locate(position)),
            insights: diagnosis.insights,
            incidents: incident_indices.into_iter().collect(),
            gaps: diagnosis.gaps,
            codes,
        }
    }
}

/// The code a `side_effect` insight explains.
const SIDE_EFFECT_CODE: u32 = 409_002;

/// Codes a hub incident explains: server faults and upgrade disconnects.
fn is_incident_code(code: u32) -> bool {
    (500_000..=599_999).contains(&code) || code == 400_029 || code == 400_030
}

/// The device's worst finding: its insights, and its codes insofar as nothing else
/// (token renewal, a hub incident, a side effect) explains them. `None` for a device
/// with nothing to report.
fn worst_severity(insights: &[Insight], codes: &[DeviceCode]) -> Option<Severity> {
    let from_insights = insights.iter().map(|i| i.severity);
    let from_codes = codes
        .iter()
        .filter(|c| c.count > c.expected + c.in_incident + c.side_effect)
        .filter_map(|c| c.severity);
    from_insights.chain(from_codes).max()
}

fn keep_latest(
    slot: &mut Option<(DateTime<Utc>, String)>,
    time: DateTime<Utc>,
    value: Option<&str>,
) {
    let Some(value) = value else { return };
    match slot {
        Some((seen, current)) if time >= *seen => {
            *seen = time;
            if current != value {
                value.clone_into(current);
            }
        }
        Some(_) => {}
        None => *slot = Some((time, value.to_string())),
    }
}

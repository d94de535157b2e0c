//! One device's folded state: its compact event list and per-code tallies.

use super::event::{AddressId, Addresses, Event};
use crate::model::{Operation, Record};
use crate::report::{DeviceCode, DeviceReport, LastState};
use crate::rules;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A device identity: the device, or one of its modules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceKey {
    pub device_id: String,
    pub module_id: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct CodeTally {
    count: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// At most this many distinct client addresses are listed per device.
const ADDRESSES_KEPT: usize = 16;

#[derive(Debug, Default)]
pub struct DeviceState {
    events: Vec<Event>,
    codes: BTreeMap<String, CodeTally>,
    connects: u64,
    disconnects: u64,
    error_events: u64,
    addresses: BTreeSet<AddressId>,
    /// The latest protocol and SDK seen, by event time.
    protocol: Option<(DateTime<Utc>, String)>,
    sdk_version: Option<(DateTime<Utc>, String)>,
}

impl DeviceState {
    pub fn add(&mut self, record: &Record, sequence: u64, address: Option<AddressId>) {
        let time = record.time;
        self.events.push(Event::new(record, sequence, address));
        match record.operation {
            Operation::Connect => self.connects += 1,
            Operation::Disconnect => self.disconnects += 1,
            Operation::Other => {}
        }
        if record.code.is_some() || record.level.is_error() {
            self.error_events += 1;
        }
        if let Some(code) = &record.code {
            self.codes
                .entry(code.clone())
                .and_modify(|tally| {
                    tally.count += 1;
                    tally.first = tally.first.min(time);
                    tally.last = tally.last.max(time);
                })
                .or_insert(CodeTally {
                    count: 1,
                    first: time,
                    last: time,
                });
        }
        if let Some(address) = address
            && self.addresses.len() < ADDRESSES_KEPT
        {
            self.addresses.insert(address);
        }
        keep_latest(&mut self.protocol, time, record.protocol.as_deref());
        keep_latest(&mut self.sdk_version, time, record.sdk_version.as_deref());
    }

    pub fn report(self, key: DeviceKey, addresses: &Addresses) -> DeviceReport {
        // Inputs are not ordered: the latest event by time decides, arrival breaks ties.
        let latest = self.events.iter().max_by_key(|e| (e.time, e.sequence));
        let last_state = match latest {
            Some(event) if event.is_successful_connect() => LastState::Connected,
            _ => LastState::Disconnected,
        };
        let first_seen = self.events.iter().map(|e| e.time).min().unwrap_or_default();
        let last_seen = latest.map(|e| e.time).unwrap_or_default();
        let codes = self
            .codes
            .into_iter()
            .map(|(code, tally)| {
                let explained = rules::explain(&code);
                let info = explained.map(|e| e.info);
                DeviceCode {
                    name: info.map_or("NotAnErrorCode", |i| i.name).to_string(),
                    class: info.map(|i| i.class.as_str().to_string()),
                    severity: info.map(|i| i.severity),
                    known: explained.is_some_and(|e| e.known),
                    count: tally.count,
                    first_seen: tally.first,
                    last_seen: tally.last,
                    root_cause: info
                        .map_or("The ResultType is not a numeric IoT Hub error code.", |i| {
                            i.root_cause
                        })
                        .to_string(),
                    resolution: info
                        .map_or("Check the record's ResultDescription.", |i| i.resolution)
                        .to_string(),
                    doc: info.map_or(rules::DOC_ERROR_CODES, |i| i.doc).to_string(),
                    code,
                }
            })
            .collect::<Vec<_>>();
        let mut codes = codes;
        codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        DeviceReport {
            device_id: key.device_id,
            module_id: key.module_id,
            events: self.events.len() as u64,
            connects: self.connects,
            disconnects: self.disconnects,
            error_events: self.error_events,
            first_seen,
            last_seen,
            last_state,
            protocol: self.protocol.map(|(_, p)| p),
            sdk_version: self.sdk_version.map(|(_, s)| s),
            ip_addresses: {
                let mut names: Vec<String> = self
                    .addresses
                    .iter()
                    .map(|id| addresses.name(*id).to_string())
                    .collect();
                names.sort();
                names
            },
            codes,
        }
    }
}

fn keep_latest(
    slot: &mut Option<(DateTime<Utc>, String)>,
    time: DateTime<Utc>,
    value: Option<&str>,
) {
    let Some(value) = value else { return };
    if slot.as_ref().is_none_or(|(seen, _)| time >= *seen) {
        *slot = Some((time, value.to_string()));
    }
}

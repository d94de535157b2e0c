//! One device's folded state: its compact event list and per-code tallies.

use super::diagnosis::{DeviceDiagnosis, Insight, InsightKind};
use super::event::{self, AddressId, Addresses, CodeText, Event, LabelId, Labels, MANY_CODE_TEXTS};
use crate::memory;
use crate::model::{Operation, Position, Record, Severity};
use crate::report::{DeviceCode, DeviceReport, LastState, Location};
use crate::rules;
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// Codes of one device found by searching `codes` from the start; past this many, by
/// a hash index. (SipHash, not a faster hash: the texts are anyone's, and a hash
/// whose collisions can be computed would make the index as slow as the search.)
const CODES_SEARCHED: usize = 16;

/// At most this many distinct client addresses are listed per device.
const ADDRESSES_KEPT: usize = 16;

#[derive(Debug, Default)]
pub struct DeviceState {
    events: Vec<Event>,
    /// Per code, in order of first sight: a device has a handful, and a map would
    /// cost a node of a kilobyte each device.
    codes: Vec<(CompactString, CodeTally)>,
    /// Where each code is in `codes`, built once a device has more than
    /// [`CODES_SEARCHED`]: a log can give one device any number of distinct texts, and
    /// searching them all for each record took time in the square of their number.
    #[expect(
        clippy::box_collection,
        reason = "one word in every device, where a map inline would take six"
    )]
    code_index: Option<Box<HashMap<CompactString, usize>>>,
    connects: u64,
    disconnects: u64,
    error_events: u64,
    addresses: BTreeSet<AddressId>,
    /// The address last added to `addresses`: most devices log one, and checking it
    /// here spares a look into the set.
    last_address: Option<AddressId>,
    /// The latest protocol and SDK seen, by event time.
    protocol: Option<(DateTime<Utc>, LabelId)>,
    sdk_version: Option<(DateTime<Utc>, LabelId)>,
    /// Where the device's earliest record is.
    first_at: Option<(DateTime<Utc>, Position)>,
}

/// A record's texts that the fleet interns: its client address, protocol and SDK.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interned {
    pub address: Option<AddressId>,
    pub protocol: Option<LabelId>,
    pub sdk_version: Option<LabelId>,
}

impl DeviceState {
    pub fn add(&mut self, record: &Record, at: &Position, sequence: u32, interned: Interned) {
        let address = interned.address;
        let time = record.time;
        let code_text = match &record.code {
            Some(code) => self.tally_code(code, time, at),
            None => 0,
        };
        // Grown by half, not doubled: a fleet's events are most of the memory, and
        // doubling leaves a quarter of it unused on average.
        if self.events.len() == self.events.capacity() {
            self.events.reserve_exact(self.events.len() / 2 + 4);
        }
        self.events
            .push(Event::new(record, sequence, address, code_text));
        match record.operation {
            Operation::Connect => self.connects += 1,
            Operation::Disconnect => self.disconnects += 1,
            Operation::Other => {}
        }
        if record.code.is_some() || record.level.is_error() {
            self.error_events += 1;
        }
        if self.first_at.as_ref().is_none_or(|(seen, _)| time < *seen) {
            self.first_at = Some((time, at.clone()));
        }
        if let Some(address) = address
            && self.last_address != Some(address)
            && self.addresses.len() < ADDRESSES_KEPT
        {
            self.addresses.insert(address);
            self.last_address = Some(address);
        }
        keep_latest(&mut self.protocol, time, interned.protocol);
        keep_latest(&mut self.sdk_version, time, interned.sdk_version);
    }

    /// Asks the processor to fetch where the next event goes, and the codes.
    pub fn prefetch(&self) {
        memory::prefetch(self.events.as_ptr_range().end.cast());
        memory::prefetch(self.codes.as_ptr().cast());
    }

    /// The ids the device's records interned last: its last new address, its latest
    /// protocol and SDK.
    pub fn interned(&self) -> Interned {
        Interned {
            address: self.last_address,
            protocol: self.protocol.map(|(_, id)| id),
            sdk_version: self.sdk_version.map(|(_, id)| id),
        }
    }

    /// Counts `code` and returns its text's place among the device's codes.
    fn tally_code(&mut self, code: &CompactString, time: DateTime<Utc>, at: &Position) -> CodeText {
        let found = match &self.code_index {
            Some(index) => index.get(code).copied(),
            None => self.codes.iter().position(|(known, _)| known == code),
        };
        let place = match found {
            Some(index) => {
                let tally = &mut self.codes[index].1;
                tally.count += 1;
                if time < tally.first {
                    tally.first = time;
                    tally.first_at = at.clone();
                }
                tally.last = tally.last.max(time);
                index
            }
            None => {
                let tally = CodeTally {
                    count: 1,
                    first: time,
                    last: time,
                    first_at: at.clone(),
                };
                self.codes.push((code.clone(), tally));
                let place = self.codes.len() - 1;
                match &mut self.code_index {
                    Some(index) => {
                        index.insert(code.clone(), place);
                    }
                    None if self.codes.len() > CODES_SEARCHED => {
                        let index = self
                            .codes
                            .iter()
                            .enumerate()
                            .map(|(place, (code, _))| (code.clone(), place))
                            .collect();
                        self.code_index = Some(Box::new(index));
                    }
                    None => {}
                }
                place
            }
        };
        CodeText::try_from(place + 1).unwrap_or(MANY_CODE_TEXTS)
    }

    /// Ends reading: puts the events in time order (arrival breaks ties), as the
    /// detectors need them, and unless `keep_repeats`, drops the events that exactly
    /// repeat an earlier one (see [`event::repeats`]), with what they added to the
    /// tallies. Returns the arrival numbers of the repeats it dropped.
    pub fn seal(&mut self, keep_repeats: bool) -> Vec<u32> {
        // Arrival numbers are unique, so no two keys are equal and an unstable sort, which
        // needs no scratch memory, gives the one order.
        self.events.sort_unstable_by_key(Event::order_key);
        let dropped = if keep_repeats {
            Vec::new()
        } else {
            self.drop_repeats()
        };
        self.events.shrink_to_fit();
        dropped
    }

    fn drop_repeats(&mut self) -> Vec<u32> {
        let repeats = event::repeats(&self.events);
        if repeats.is_empty() {
            return Vec::new();
        }
        let mut dropped = Vec::with_capacity(repeats.len());
        let mut repeats = repeats.into_iter().peekable();
        let mut place = 0;
        let mut events = std::mem::take(&mut self.events);
        events.retain(|event| {
            let repeat = repeats.next_if_eq(&place).is_some();
            place += 1;
            if repeat {
                dropped.push(event.sequence);
                self.untally(event);
            }
            !repeat
        });
        self.events = events;
        dropped
    }

    /// Takes back what [`DeviceState::add`] counted of a repeat. What it kept (first and
    /// last times, where the first was, the addresses) a repeat cannot have changed: it
    /// has the time and address of an event that arrived before it. (The protocol and
    /// SDK version kept are the latest, the later arrival on a tie: a repeat's, which
    /// logs the same ones as the record it repeats.)
    fn untally(&mut self, event: &Event) {
        match event.operation {
            Operation::Connect => self.connects -= 1,
            Operation::Disconnect => self.disconnects -= 1,
            Operation::Other => {}
        }
        if event.code_text != 0 || event.level.is_error() {
            self.error_events -= 1;
        }
        if let Some((_, tally)) = usize::from(event.code_text)
            .checked_sub(1)
            .and_then(|index| self.codes.get_mut(index))
        {
            tally.count -= 1;
        }
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
        labels: &Labels,
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
            protocol: self.protocol.map(|(_, id)| labels.name(id).to_string()),
            sdk_version: self.sdk_version.map(|(_, id)| labels.name(id).to_string()),
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

/// Keeps `value` when it is at least as late as the one kept (on a tie, the later
/// arrival).
fn keep_latest(
    slot: &mut Option<(DateTime<Utc>, LabelId)>,
    time: DateTime<Utc>,
    value: Option<LabelId>,
) {
    let Some(value) = value else { return };
    if slot.is_none_or(|(seen, _)| time >= seen) {
        *slot = Some((time, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;

    /// A record of pump-1 on `line` of the first input.
    fn record(
        line: u64,
        second: u32,
        operation: Operation,
        code: Option<&str>,
    ) -> (Position, Record) {
        let record = Record {
            time: DateTime::from_timestamp(1_772_442_000 + i64::from(second), 0)
                .expect("test time"),
            device_id: "pump-1".into(),
            module_id: None,
            operation,
            level: if code.is_some() {
                Level::Error
            } else {
                Level::Information
            },
            code: code.map(Into::into),
            protocol: Some("Mqtt".into()),
            masked_ip: None,
            sdk_version: None,
        };
        (Position::line(0, line), record)
    }

    /// The device read from the records; arrival numbers are the lines.
    fn state(records: &[(Position, Record)]) -> DeviceState {
        let mut state = DeviceState::default();
        for (at, record) in records {
            let line = at.line.unwrap_or_default();
            state.add(
                record,
                at,
                u32::try_from(line).expect("test line"),
                Interned::default(),
            );
        }
        state
    }

    fn counts(state: &DeviceState) -> (usize, u64, u64, u64, Vec<(String, u64)>) {
        let codes = state
            .codes
            .iter()
            .map(|(code, tally)| (code.to_string(), tally.count))
            .collect();
        (
            state.events.len(),
            state.connects,
            state.disconnects,
            state.error_events,
            codes,
        )
    }

    #[test]
    fn many_distinct_codes_are_tallied_each_in_its_place() {
        let mut state = DeviceState::default();
        let time: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().expect("time");
        let at = Position::line(0, 1);
        let codes: Vec<CompactString> = (0..1000)
            .map(|n| CompactString::from(format!("c{n}")))
            .collect();
        for round in 0..3 {
            for (index, code) in codes.iter().enumerate() {
                let place = state.tally_code(code, time, &at);
                assert_eq!(usize::from(place), index + 1, "round {round}");
            }
        }
        assert_eq!(state.codes.len(), 1000);
        assert!(state.codes.iter().all(|(_, tally)| tally.count == 3));
        assert!(state.code_index.is_some());
    }

    #[test]
    fn sealing_drops_repeats_with_what_they_counted() {
        use Operation::{Connect, Disconnect};
        let records = [
            record(1, 0, Connect, None),
            record(2, 5, Disconnect, Some("404104")),
            record(3, 6, Connect, None),
            // The same export read again: every record repeats.
            record(4, 0, Connect, None),
            record(5, 5, Disconnect, Some("404104")),
            record(6, 6, Connect, None),
            // The same number written otherwise is another record.
            record(7, 5, Disconnect, Some("0404104")),
        ];
        let mut once = state(&records);
        assert_eq!(once.seal(false), [4, 5, 6]);
        assert_eq!(
            counts(&once),
            (
                4,
                2,
                2,
                2,
                vec![("404104".into(), 1), ("0404104".into(), 1)]
            )
        );
        // The first arrival of each is kept, where the device's first record was.
        let kept: Vec<u32> = once.events().iter().map(|e| e.sequence).collect();
        assert_eq!(kept, [1, 2, 7, 3]);
        assert_eq!(once.first_at.map(|(_, at)| at.line), Some(Some(1)));

        let mut kept = state(&records);
        assert!(kept.seal(true).is_empty());
        assert_eq!(
            counts(&kept),
            (
                7,
                4,
                3,
                3,
                vec![("404104".into(), 2), ("0404104".into(), 1)]
            )
        );
    }

    #[test]
    fn every_address_is_kept_once_however_they_alternate() {
        let mut addresses = Addresses::default();
        let (a, b) = (addresses.intern("10.0.0.x"), addresses.intern("10.0.1.x"));
        let mut state = DeviceState::default();
        for (line, address) in [(1, a), (2, a), (3, b), (4, a), (5, b)] {
            let interned = Interned {
                address: Some(address),
                ..Interned::default()
            };
            let (at, record) = record(line, 0, Operation::Connect, None);
            state.add(&record, &at, 0, interned);
        }
        assert_eq!(state.addresses.into_iter().collect::<Vec<_>>(), [a, b]);
    }

    #[test]
    fn the_latest_protocol_is_kept_by_time_and_the_later_arrival_on_a_tie() {
        let mut labels = Labels::default();
        let (mqtt, amqp, https) = (
            labels.intern("Mqtt"),
            labels.intern("Amqp"),
            labels.intern("Https"),
        );
        let mut state = DeviceState::default();
        for (line, second, protocol) in [(1, 10, mqtt), (2, 5, https), (3, 10, amqp)] {
            let interned = Interned {
                protocol: Some(protocol),
                ..Interned::default()
            };
            let (at, record) = record(line, second, Operation::Connect, None);
            state.add(&record, &at, 0, interned);
        }
        assert_eq!(state.protocol.map(|(_, id)| labels.name(id)), Some("Amqp"));
    }
}

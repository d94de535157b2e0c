//! One device's folded state: its compact event list and per-code tallies.

use super::Fleet;
use super::coverage::Kind;
use super::diagnosis::{self, DeviceContext, DeviceDiagnosis, Insight};
use super::event::{
    self, AddressId, CodeTextIndex, Event, InternedId, LabelId, Labels, MANY_CODE_TEXTS,
};
use crate::analysis::report::{DeviceCode, DeviceReport, LastState};
use crate::memory;
use crate::model::{
    InsightKind, Level, Location, Operation, Position, Record, Severity, SharedText,
};
use crate::rules;
use chrono::{DateTime, TimeDelta, Utc};
use compact_str::CompactString;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// A device identity: the device, or one of its modules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceKey {
    pub device_id: String,
    pub module_id: Option<String>,
}

impl DeviceKey {
    /// `device` or `device/module`.
    pub fn identity(&self) -> String {
        self.name().into_owned()
    }

    /// `device` or `device/module`, made only for a module: a device's is its id.
    pub fn name(&self) -> Cow<'_, str> {
        match &self.module_id {
            Some(module) => Cow::Owned(format!("{}/{}", self.device_id, module)),
            None => Cow::Borrowed(&self.device_id),
        }
    }
}

#[derive(Debug, Clone)]
struct CodeTally {
    count: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    /// Where the earliest record with the code is.
    first_at: Place,
}

/// A [`Position`] in 24 bytes rather than 40: every device keeps one for its first
/// record and one per code, and a large fleet's states are most of its memory while
/// it is read.
#[derive(Debug, Clone, Copy)]
struct Place {
    line: u64,
    record: u64,
    /// The input's index: 4 billion inputs could not be held in memory anyway.
    input: u32,
    numbers: Numbers,
}

/// Which of a [`Place`]'s numbers are set.
#[derive(Debug, Clone, Copy)]
enum Numbers {
    Neither,
    Line,
    Record,
    Both,
}

impl Place {
    fn of(at: &Position) -> Place {
        let numbers = match (at.line, at.record) {
            (None, None) => Numbers::Neither,
            (Some(_), None) => Numbers::Line,
            (None, Some(_)) => Numbers::Record,
            (Some(_), Some(_)) => Numbers::Both,
        };
        Place {
            line: at.line.unwrap_or_default(),
            record: at.record.unwrap_or_default(),
            input: u32::try_from(at.input).unwrap_or(u32::MAX),
            numbers,
        }
    }

    fn position(self) -> Position {
        let (line, record) = match self.numbers {
            Numbers::Neither => (None, None),
            Numbers::Line => (Some(self.line), None),
            Numbers::Record => (None, Some(self.record)),
            Numbers::Both => (Some(self.line), Some(self.record)),
        };
        Position {
            input: self.input as usize,
            line,
            record,
        }
    }
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
    /// Its distinct addresses, up to [`ADDRESSES_KEPT`]: the first here, the others in
    /// `more_addresses`. Most devices log one, which then takes no memory of its own.
    first_address: Option<AddressId>,
    more_addresses: Vec<AddressId>,
    /// The address last added to the addresses: most devices log one, and checking it
    /// here spares a look among them.
    last_address: Option<AddressId>,
    /// The latest protocol and SDK seen, by event time.
    protocol: Option<(DateTime<Utc>, LabelId)>,
    sdk_version: Option<(DateTime<Utc>, LabelId)>,
    /// Where the device's earliest record is.
    first_at: Option<(DateTime<Utc>, Place)>,
    /// The levels its records carry, one bit each (see [`level_bit`]), for `--level`.
    levels: u8,
    /// The inputs its records came from, one bit each: input `n` sets bit `min(n, 63)`.
    inputs: u64,
}

/// The bit of a level in [`DeviceState`]'s `levels`.
pub fn level_bit(level: Level) -> u8 {
    1 << (level as u8)
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
        // doubling leaves a quarter of it unused on average. Room for one at first:
        // in a large fleet many devices log a single record.
        if self.events.len() == self.events.capacity() {
            let more = if self.events.is_empty() {
                1
            } else {
                self.events.len() / 2 + 4
            };
            self.events.reserve_exact(more);
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
            self.first_at = Some((time, Place::of(at)));
        }
        if let Some(address) = address
            && self.last_address != Some(address)
            && usize::from(self.first_address.is_some()) + self.more_addresses.len()
                < ADDRESSES_KEPT
        {
            match self.first_address {
                None => self.first_address = Some(address),
                Some(first) if first == address || self.more_addresses.contains(&address) => {}
                Some(_) => self.more_addresses.push(address),
            }
            self.last_address = Some(address);
        }
        keep_latest(&mut self.protocol, time, interned.protocol);
        keep_latest(&mut self.sdk_version, time, interned.sdk_version);
        self.levels |= level_bit(record.level);
        self.inputs |= 1 << at.input.min(63);
    }

    /// Its latest masked client address.
    pub fn address<'a>(&self, addresses: &'a super::event::Addresses) -> Option<&'a str> {
        self.last_address.map(|id| addresses.name(id))
    }

    /// Its latest protocol.
    pub fn protocol<'a>(&self, labels: &'a super::event::Labels) -> Option<&'a str> {
        self.protocol.map(|(_, id)| labels.name(id))
    }

    /// Whether the report shows this identity (`--code`, `--level`).
    pub fn shown_by(&self, filter: &super::Filter) -> bool {
        let codes = self.codes.iter().map(|(code, _)| code.as_str());
        filter.shows_identity(codes, self.levels)
    }

    /// What its diagnosis needs: whether its inputs log successful connects, its SDK, and
    /// whether it is a module identity.
    pub fn context<'a>(&self, fleet: &Fleet<'a>, module: bool) -> DeviceContext<'a> {
        // An input with successful connects logs them for all its devices.
        let connects_logged = fleet
            .with_connects
            .iter()
            .enumerate()
            .any(|(input, &logged)| logged && self.inputs & (1 << input.min(63)) != 0);
        DeviceContext {
            addresses: fleet.addresses,
            log_end: fleet.log_end,
            connects_logged,
            sdk_version: self.sdk_version.map(|(_, id)| fleet.labels.name(id)),
            module,
        }
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
    fn tally_code(
        &mut self,
        code: &CompactString,
        time: DateTime<Utc>,
        at: &Position,
    ) -> CodeTextIndex {
        let found = match &self.code_index {
            Some(index) => index.get(code).copied(),
            None => self.codes.iter().position(|(known, _)| known == code),
        };
        let place = if let Some(index) = found {
            let tally = &mut self.codes[index].1;
            tally.count += 1;
            if time < tally.first {
                tally.first = time;
                tally.first_at = Place::of(at);
            }
            tally.last = tally.last.max(time);
            index
        } else {
            let tally = CodeTally {
                count: 1,
                first: time,
                last: time,
                first_at: Place::of(at),
            };
            // Most devices log one code or two: room is made for one more at a time
            // at first, not the four a first push makes room for.
            if self.codes.len() == self.codes.capacity() {
                self.codes.reserve_exact(self.codes.len().max(1));
            }
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
        };
        CodeTextIndex::try_from(place + 1).unwrap_or(MANY_CODE_TEXTS)
    }

    /// Ends reading: puts the events in time order (arrival breaks ties), as the
    /// detectors need them, and unless `keep_repeats`, drops the events that exactly
    /// repeat an earlier one (see [`event::repeats`]), with what they added to the
    /// tallies. Returns the arrival numbers of the repeats it dropped, with their kinds.
    pub fn seal(&mut self, keep_repeats: bool) -> Vec<(u32, Kind)> {
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

    fn drop_repeats(&mut self) -> Vec<(u32, Kind)> {
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
                dropped.push((
                    event.sequence,
                    Kind::of(event.operation, event.level, event.code_text != 0),
                ));
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

    /// The ids of the protocol and SDK version it holds.
    fn labels(&self) -> impl Iterator<Item = LabelId> {
        (self.protocol.iter().chain(&self.sdk_version)).map(|&(_, id)| id)
    }

    /// The device's report: its tallies, what its timeline says, and which fleet
    /// incidents explain some of its errors. `incidents` are the fleet's hub incidents;
    /// `texts` the protocols and SDK versions as [`label_texts`] shares them.
    pub fn report(
        self,
        key: DeviceKey,
        fleet: &Fleet<'_>,
        diagnosis: DeviceDiagnosis,
        incidents: &[Insight],
        texts: &[Option<SharedText>],
    ) -> DeviceReport {
        let text = |id: LabelId| {
            (texts.get(id.place().get() as usize - 1).cloned().flatten())
                .unwrap_or_else(|| fleet.labels.name(id).into())
        };
        let locate = |position: &Position| Location::new(fleet.sources, position);
        let place = |sequence: u32| fleet.places.get(sequence).map(|p| locate(&p));
        let latest = self.events.last();
        let last_state = match diagnosis.connected_at_end {
            None => LastState::Unknown,
            Some(true) => LastState::Connected,
            Some(false) => LastState::Disconnected,
        };
        let first_seen = self.events.first().map(|e| e.time).unwrap_or_default();
        let last_seen = latest.map(|e| e.time).unwrap_or_default();

        // Per code text: what explains its records, and when the others happened.
        let mut tallies = vec![Explained::default(); self.codes.len()];
        let mut incident_indices = BTreeSet::new();
        for (event, explained) in self.events.iter().zip(&diagnosis.explained) {
            let Some(tally) = usize::from(event.code_text)
                .checked_sub(1)
                .and_then(|index| tallies.get_mut(index))
            else {
                continue;
            };
            match explained {
                Some(InsightKind::TokenRenewal) => tally.expected += 1,
                Some(InsightKind::SideEffect) => tally.side_effect += 1,
                Some(_) => tally.in_insights += 1,
                None => match incidents.iter().position(|fleet| explains(fleet, event)) {
                    Some(index) => {
                        tally.in_incident += 1;
                        incident_indices.insert(index);
                    }
                    None => tally.unexplained.push((event.time, event.sequence)),
                },
            }
        }

        let mut codes: Vec<DeviceCode> = self
            .codes
            .into_iter()
            .zip(tallies)
            .map(|((code, tally), explained)| {
                let explanation = rules::explain(&code);
                let info = explanation.map(|e| e.info);
                let finding_severity = info
                    .filter(|_| !explained.unexplained.is_empty())
                    .map(|info| info.severity.min(explained.severity()));
                let location = explained
                    .unexplained
                    .first()
                    .and_then(|&(_, sequence)| place(sequence))
                    .unwrap_or_else(|| locate(&tally.first_at.position()));
                DeviceCode {
                    name: info.map_or("NotAnErrorCode", |i| i.name),
                    class: info.map(|i| i.class.as_str()),
                    severity: info.map(|i| i.severity),
                    known: explanation.is_some_and(|e| e.known),
                    count: tally.count,
                    expected: explained.expected,
                    in_incident: explained.in_incident,
                    side_effect: explained.side_effect,
                    in_insights: explained.in_insights,
                    finding_severity,
                    first_seen: tally.first,
                    last_seen: tally.last,
                    location,
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

        let mut insights = diagnosis.insights;
        for insight in &mut insights {
            insight.location = insight.first_event.and_then(place);
        }
        let severity = worst_severity(&insights, &codes);
        let mut ip_addresses: Vec<String> = (self.first_address.iter())
            .chain(&self.more_addresses)
            .map(|id| fleet.addresses.name(*id).to_string())
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
            protocol: self.protocol.map(|(_, id)| text(id)),
            sdk_version: self.sdk_version.map(|(_, id)| text(id)),
            ip_addresses,
            location: self.first_at.map(|(_, place)| locate(&place.position())),
            insights,
            incidents: incident_indices.into_iter().collect(),
            gaps: diagnosis.gaps,
            codes,
        }
    }
}

/// Each protocol and SDK version the identities hold, by the place of its id, as one
/// text that all their reports share: an SDK version is 60 to 120 bytes, and every
/// identity has one.
pub fn label_texts<'a>(
    states: impl IntoIterator<Item = &'a DeviceState>,
    labels: &Labels,
) -> Vec<Option<SharedText>> {
    let mut texts: Vec<Option<SharedText>> = Vec::new();
    for id in states.into_iter().flat_map(DeviceState::labels) {
        let place = id.place().get() as usize - 1;
        if place >= texts.len() {
            texts.resize(place + 1, None);
        }
        texts[place].get_or_insert_with(|| labels.name(id).into());
    }
    texts
}

/// What explains the records of one code of a device.
#[derive(Debug, Clone, Default)]
struct Explained {
    expected: u64,
    side_effect: u64,
    in_insights: u64,
    in_incident: u64,
    /// Time and arrival number of each record nothing explains.
    unexplained: Vec<(DateTime<Utc>, u32)>,
}

/// Records of a code further apart than this are separate episodes of trouble.
pub const EPISODE_GAP: TimeDelta = TimeDelta::minutes(10);

/// Episodes from this many on make trouble that recurs.
pub const RECURRING_EPISODES: usize = 3;

/// Records from this many on are more than a few, whatever their episodes.
pub const RECURRING_RECORDS: usize = 10;

impl Explained {
    /// Isolated errors are low; errors in three episodes or more, or ten records or more,
    /// recur: medium. (A device that does not recover is offline or a credential failure,
    /// which explain them.)
    fn severity(&self) -> Severity {
        let episodes = 1 + self
            .unexplained
            .windows(2)
            .filter(|pair| pair[1].0 - pair[0].0 > EPISODE_GAP)
            .count();
        if episodes >= RECURRING_EPISODES || self.unexplained.len() >= RECURRING_RECORDS {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
}

/// Whether a fleet insight explains one of a device's events that nothing of its own
/// does: a hub incident its server faults in the incident, a mass disconnect its drop in
/// the outage, throttling its refusals over the hub's limits.
fn explains(fleet: &Insight, event: &Event) -> bool {
    let during = fleet.start <= event.time && event.time <= fleet.end;
    match fleet.kind {
        InsightKind::HubIncident => during && event.code.is_some_and(is_incident_code),
        InsightKind::MassDisconnect => during && event.is_drop(),
        InsightKind::Throttling => event.code.is_some_and(diagnosis::is_throttling),
        _ => false,
    }
}

/// Codes a hub incident explains: server faults and upgrade disconnects.
fn is_incident_code(code: u32) -> bool {
    (500_000..=599_999).contains(&code) || code == 400_029 || code == 400_030
}

/// The device's worst finding: its insights, and its codes insofar as nothing explains
/// them; `info` for a device whose only errors a hub incident explains. `None` for a
/// device with nothing to report.
fn worst_severity(insights: &[Insight], codes: &[DeviceCode]) -> Option<Severity> {
    let from_insights = insights.iter().map(|i| i.severity);
    let from_codes = codes.iter().filter_map(|c| c.finding_severity);
    let victim = codes
        .iter()
        .any(|c| c.in_incident > 0)
        .then_some(Severity::Info);
    from_insights.chain(from_codes).chain(victim).max()
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
    use crate::analysis::event::{Addresses, Labels};

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
            state_event: false,
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
    fn a_place_gives_back_the_position_it_was_made_of() {
        let positions = [
            Position::line(0, 1),
            Position::record(3, 17),
            Position::line(65_000, u64::MAX),
            Position {
                input: 2,
                line: Some(9),
                record: Some(0),
            },
            Position {
                input: 1,
                line: None,
                record: None,
            },
        ];
        for at in positions {
            assert_eq!(Place::of(&at).position(), at);
        }
        assert_eq!(size_of::<Option<(DateTime<Utc>, Place)>>(), 40);
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
        let dropped: Vec<u32> = once.seal(false).iter().map(|(seq, _)| *seq).collect();
        assert_eq!(dropped, [4, 5, 6]);
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
        assert_eq!(
            once.first_at.map(|(_, at)| at.position().line),
            Some(Some(1))
        );

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
        assert_eq!(
            (state.first_address, state.more_addresses),
            (Some(a), vec![b])
        );
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

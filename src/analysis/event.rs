//! What the analysis keeps of one record: a few words, no text. Device timelines and
//! the pattern detectors work on these.

use crate::model::{Level, Operation, Record};
use chrono::{DateTime, Timelike, Utc};
use rustc_hash::FxHashMap;
use std::num::NonZeroU32;

/// One analyzed record of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub time: DateTime<Utc>,
    /// Arrival order across all inputs; breaks ties between equal times. (It saturates
    /// at 4 billion records, where only ties of equal times would order arbitrarily, and
    /// a repeat may be counted against another input read since.)
    pub sequence: u32,
    pub operation: Operation,
    pub level: Level,
    /// The numeric `ResultType`, when there is one.
    pub code: Option<u32>,
    /// The client address, interned in [`Addresses`].
    pub address: Option<AddressId>,
    /// The `ResultType` exactly as logged, as its place among the device's code texts
    /// (1 for the first text it logged, 2 for the next, ...; 0 without a code,
    /// [`MANY_CODE_TEXTS`] past what a `u16` numbers). It tells repeats apart where the
    /// number cannot: `"0404104"`, or a code that is not a number.
    pub code_text: CodeTextIndex,
}

/// The place of a code's text among a device's, 1-based; 0: no code.
pub type CodeTextIndex = u16;

/// The place of every text past the 65,534th of a device: such events are never taken
/// for repeats of each other.
pub const MANY_CODE_TEXTS: CodeTextIndex = CodeTextIndex::MAX;

impl Event {
    pub fn new(
        record: &Record,
        sequence: u32,
        address: Option<AddressId>,
        code_text: CodeTextIndex,
    ) -> Event {
        Event {
            time: record.time,
            sequence,
            operation: record.operation,
            level: record.level,
            code: record.code.as_deref().and_then(|code| code.parse().ok()),
            address,
            code_text,
        }
    }

    /// A `deviceConnect` without an error level or code.
    pub fn is_successful_connect(&self) -> bool {
        self.operation == Operation::Connect && !self.level.is_error() && self.code.is_none()
    }

    /// A `deviceDisconnect`, or a connect the hub refused.
    pub fn is_drop(&self) -> bool {
        self.operation == Operation::Disconnect
            || (self.operation == Operation::Connect && !self.is_successful_connect())
    }

    /// Carries an error code or an error level.
    pub fn is_error(&self) -> bool {
        self.code.is_some() || self.level.is_error()
    }

    /// Orders events by time, then arrival.
    pub fn order_key(&self) -> (DateTime<Utc>, u32) {
        (self.time, self.sequence)
    }

    /// What an exact repeat of this event has the same, besides its device and time.
    fn repeat_key(&self) -> (Operation, Level, CodeTextIndex, Option<AddressId>) {
        (self.operation, self.level, self.code_text, self.address)
    }
}

/// `later - earlier`, the quick way when both fall on one day (most pairs of one
/// device's events): chrono's general subtraction works out the days between two dates
/// every time, the hottest arithmetic of the detectors.
#[inline]
pub fn elapsed(later: DateTime<Utc>, earlier: DateTime<Utc>) -> chrono::TimeDelta {
    // `naive_utc`, not `date_naive` or `time`: those add the zone's offset (zero for UTC)
    // with overflow checks, four times a call.
    let (later, earlier) = (later.naive_utc(), earlier.naive_utc());
    if later.date() == earlier.date() {
        // Seconds and nanoseconds of the day apart, without chrono's leap-second
        // bookkeeping: a leap second (`:60`, kept as `:59` and a second of nanoseconds)
        // counts as the second after `:59`, as in `nanos`.
        let nanos_of_day = |time: chrono::NaiveDateTime| {
            let time = time.time();
            i64::from(time.num_seconds_from_midnight()) * 1_000_000_000
                + i64::from(time.nanosecond())
        };
        chrono::TimeDelta::nanoseconds(nanos_of_day(later) - nanos_of_day(earlier))
    } else {
        later - earlier
    }
}

/// A time as nanoseconds since 1970, exact for every time the readers accept (years 1 to
/// 9999): windows over many times compare these instead of subtracting times.
#[inline]
pub fn nanos(time: DateTime<Utc>) -> i128 {
    i128::from(time.timestamp()) * 1_000_000_000 + i128::from(time.timestamp_subsec_nanos())
}

/// The most times within any half-open window `[time, time + window)`; `times` sorted.
pub fn most_in_window(times: &[DateTime<Utc>], window: chrono::TimeDelta) -> usize {
    let window =
        i128::from(window.num_seconds()) * 1_000_000_000 + i128::from(window.subsec_nanos());
    // Each time made a number once: the window's two ends pass over every time.
    let keys: Vec<i128> = times.iter().copied().map(nanos).collect();
    let mut most = 0;
    let mut first = 0;
    for (last, &key) in keys.iter().enumerate() {
        while keys.get(first).is_some_and(|&f| key - f >= window) {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

/// The places, ascending, of the events that exactly repeat an earlier arrival in one
/// device's `events`, sorted by [`Event::order_key`]: the same time, operation, level,
/// code text and client address. Azure may deliver a record twice, and overlapping
/// exports hold the same records. Repeats have equal times, so only the events that
/// share a time are compared, by sorting them: a device whose events all share one time
/// costs a sort, not a comparison of every pair.
pub fn repeats(events: &[Event]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut same_time = Vec::new();
    let mut start = 0;
    for run in events.chunk_by(|a, b| a.time == b.time) {
        if run.len() > 1 {
            same_time.clear();
            same_time.extend(
                run.iter()
                    .enumerate()
                    .filter(|(_, event)| event.code_text != MANY_CODE_TEXTS)
                    .map(|(offset, event)| (event.repeat_key(), start + offset)),
            );
            // Places break ties: within equal keys, the earliest arrival comes first.
            same_time.sort_unstable();
            found.extend(
                same_time
                    .windows(2)
                    .filter(|pair| pair[0].0 == pair[1].0)
                    .map(|pair| pair[1].1),
            );
        }
        start += run.len();
    }
    found.sort_unstable();
    found
}

/// Index of an interned client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressId(NonZeroU32);

/// Index of an interned protocol or SDK version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelId(NonZeroU32);

/// An id an [`Interner`] hands out: a place in its list, from 1, so that an `Option` of
/// it takes no more room than the id.
pub trait InternedId: Copy {
    fn from_place(place: NonZeroU32) -> Self;
    fn place(self) -> NonZeroU32;
}

impl InternedId for AddressId {
    fn from_place(place: NonZeroU32) -> Self {
        AddressId(place)
    }
    fn place(self) -> NonZeroU32 {
        self.0
    }
}

impl InternedId for LabelId {
    fn from_place(place: NonZeroU32) -> Self {
        LabelId(place)
    }
    fn place(self) -> NonZeroU32 {
        self.0
    }
}

/// Texts that many records repeat, stored once for the whole fleet: a device keeps a
/// small id, and comparing two is comparing ids, not reading two strings elsewhere.
#[derive(Debug)]
pub struct Interner<Id> {
    ids: FxHashMap<String, Id>,
    names: Vec<String>,
}

/// Client addresses (`maskedIpAddress`).
pub type Addresses = Interner<AddressId>;

/// Protocols and SDK versions.
pub type Labels = Interner<LabelId>;

impl<Id> Default for Interner<Id> {
    fn default() -> Self {
        Interner {
            ids: FxHashMap::default(),
            names: Vec::new(),
        }
    }
}

impl<Id: InternedId> Interner<Id> {
    pub fn intern(&mut self, text: &str) -> Id {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let place = u32::try_from(self.names.len() + 1).unwrap_or(u32::MAX);
        let id = Id::from_place(NonZeroU32::new(place).unwrap_or(NonZeroU32::MAX));
        self.names.push(text.to_string());
        self.ids.insert(text.to_string(), id);
        id
    }

    /// The id of `text`, trying `guess` first: comparing with one text costs less than
    /// a lookup in the table.
    pub fn intern_guessing(&mut self, text: &str, guess: Option<Id>) -> Id {
        match guess {
            Some(id) if self.name(id) == text => id,
            _ => self.intern(text),
        }
    }

    pub fn name(&self, id: Id) -> &str {
        self.names
            .get(id.place().get() as usize - 1)
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_in_window_counts_half_open_windows_to_the_nanosecond() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        let times = [
            at("2026-03-02T09:00:00Z"),
            at("2026-03-02T09:04:59.999999999Z"),
            at("2026-03-02T09:05:00Z"),
            at("2026-03-02T09:20:00Z"),
        ];
        let minutes = chrono::TimeDelta::minutes;
        assert_eq!(most_in_window(&times, minutes(5)), 2);
        assert_eq!(most_in_window(&times[..2], minutes(5)), 2);
        assert_eq!(most_in_window(&times, minutes(20)), 3);
        assert_eq!(most_in_window(&times, minutes(21)), 4);
        assert_eq!(most_in_window(&[], minutes(5)), 0);
    }

    #[test]
    fn elapsed_time_is_the_difference_on_one_day_and_across_days() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        let cases = [
            ("2026-03-02T09:00:05.5Z", "2026-03-02T09:00:00Z"),
            ("2026-03-03T00:00:01Z", "2026-03-02T23:59:59Z"),
            ("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
            ("2024-03-01T00:00:00Z", "2024-02-28T12:00:00Z"),
        ];
        for (later, earlier) in cases {
            assert_eq!(elapsed(at(later), at(earlier)), at(later) - at(earlier));
        }
    }

    #[test]
    fn an_event_stays_compact() {
        // Memory grows with events: a few words each, not the record's text.
        assert!(
            std::mem::size_of::<Event>() <= 32,
            "{} bytes",
            std::mem::size_of::<Event>()
        );
    }

    fn at(second: u32, operation: Operation, code_text: CodeTextIndex, address: u32) -> Event {
        Event {
            time: chrono::DateTime::from_timestamp(1_772_442_000 + i64::from(second), 0)
                .expect("test time"),
            sequence: 0,
            operation,
            level: if code_text == 0 {
                Level::Information
            } else {
                Level::Error
            },
            code: (code_text != 0).then_some(404_104),
            address: NonZeroU32::new(address).map(AddressId),
            code_text,
        }
    }

    #[test]
    fn a_repeat_is_a_later_arrival_of_an_equal_event_at_the_same_time() {
        use Operation::{Connect, Disconnect};
        let mut events = vec![
            at(0, Connect, 0, 1),
            at(0, Disconnect, 1, 1),
            // The connect again, after another event of the same time: a repeat.
            at(0, Connect, 0, 1),
            // Same number, other text ("0404104"): not a repeat.
            at(0, Disconnect, 2, 1),
            // Other address: not a repeat.
            at(0, Connect, 0, 2),
            // Past the texts a device can number: never taken for repeats.
            at(0, Disconnect, MANY_CODE_TEXTS, 1),
            at(0, Disconnect, MANY_CODE_TEXTS, 1),
            // A second later: not a repeat of the first connect...
            at(1, Connect, 0, 1),
            // ...but this one is, twice.
            at(1, Connect, 0, 1),
            at(1, Connect, 0, 1),
        ];
        for (sequence, event) in (1..).zip(&mut events) {
            event.sequence = sequence;
        }
        assert_eq!(repeats(&events), [2, 8, 9]);
        assert_eq!(repeats(&events[..2]), Vec::<usize>::new());
        assert_eq!(repeats(&[]), Vec::<usize>::new());
    }

    #[test]
    fn addresses_are_interned_once() {
        let mut addresses = Addresses::default();
        let first = addresses.intern("203.0.113.XXX");
        let second = addresses.intern("198.51.100.XXX");
        assert_eq!(addresses.intern("203.0.113.XXX"), first);
        assert_eq!(addresses.name(first), "203.0.113.XXX");
        assert_eq!(addresses.name(second), "198.51.100.XXX");
    }

    #[test]
    fn a_guess_is_taken_only_when_it_names_the_text() {
        let mut labels = Labels::default();
        let mqtt = labels.intern("Mqtt");
        let amqp = labels.intern("Amqp");
        assert_eq!(labels.intern_guessing("Mqtt", Some(mqtt)), mqtt);
        // A wrong guess, or none, is looked up (and a new text added) as without one.
        assert_eq!(labels.intern_guessing("Amqp", Some(mqtt)), amqp);
        assert_eq!(labels.intern_guessing("Mqtt", None), mqtt);
        let http = labels.intern_guessing("Http", Some(amqp));
        assert_eq!(labels.name(http), "Http");
        assert_eq!(labels.intern("Http"), http);
    }
}

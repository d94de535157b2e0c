//! Connection-state events: Event Grid's `Microsoft.Devices.DeviceConnected` and
//! `DeviceDisconnected` in the Event Grid schema and in CloudEvents 1.0, single or in
//! arrays, and the same events routed as IoT Hub messages (`deviceConnectionStateEvents`,
//! `opType` `deviceConnected`/`deviceDisconnected`) as `az iot hub monitor-events` prints
//! them, or as Event Hubs Capture keeps them (see `avro`).
//!
//! They carry no result code, no protocol and no address: the hub looks at each
//! device's state about once a minute and publishes only a change, so a connection that
//! drops and comes back within the minute may leave no event. Each becomes a connect or a
//! disconnect marked as a state event; coverage says what cannot be told from them.
//!
//! A device's events are ordered by their `sequenceNumber` (64 hex digits, strictly
//! increasing per device) where they carry one: deliveries arrive out of order, and two
//! changes seen in one poll share a time to the millisecond or less. The events of an
//! input are therefore held (a few words each, as the analysis would hold them) and
//! handed on once the input is read, each device's in the order of its numbers.

use super::fields::clip;
use super::time::parse_rfc3339;
use super::{Outcome, Shape, Sink};
use crate::model::{Level, Operation, Position, Record};
use chrono::{DateTime, Datelike, Utc};
use compact_str::CompactString;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};

/// One connection-state event, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEvent {
    pub time: DateTime<Utc>,
    pub device_id: CompactString,
    pub module_id: Option<CompactString>,
    pub connected: bool,
    /// The per-device `sequenceNumber`, when the event has one.
    pub sequence: Option<String>,
}

impl StateEvent {
    fn record(&self) -> Record {
        Record {
            time: self.time,
            device_id: self.device_id.clone(),
            module_id: self.module_id.clone(),
            operation: if self.connected {
                Operation::Connect
            } else {
                Operation::Disconnect
            },
            // The event says the state, not how it came: no level, no code.
            level: Level::Unknown,
            code: None,
            protocol: None,
            masked_ip: None,
            sdk_version: None,
            state_event: true,
        }
    }
}

/// What one event object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Event(StateEvent),
    Filtered(String),
    Skipped(String),
}

/// Reads one JSON object as a connection-state event, in any of the shapes this module
/// reads. `None` when it is none of them.
pub fn parse_object(object: &Map<String, Value>) -> Option<Parsed> {
    if let Some(event) = get(object, "event").and_then(Value::as_object) {
        return Some(monitor_event(event));
    }
    if let Some(kind) = get(object, "eventType").or_else(|| get(object, "type")) {
        let grid = get(object, "eventType").is_some() || get(object, "specversion").is_some();
        if grid {
            return Some(grid_event(object, kind));
        }
    }
    let application = ["properties", "applicationProperties"]
        .iter()
        .find_map(|key| get(object, key).and_then(Value::as_object))
        .filter(|properties| get(properties, "opType").is_some());
    if let Some(application) = application {
        let system = get(object, "systemProperties").and_then(Value::as_object);
        let body = get(object, "body");
        return Some(routed(application, system, body, None));
    }
    get(object, "opType").map(|_| routed(object, None, get(object, "body"), None))
}

/// An Event Grid or CloudEvents event.
fn grid_event(object: &Map<String, Value>, kind: &Value) -> Parsed {
    let Some(kind) = kind.as_str() else {
        return Parsed::Skipped("eventType is not a string".to_string());
    };
    let connected = if kind.eq_ignore_ascii_case("Microsoft.Devices.DeviceConnected") {
        true
    } else if kind.eq_ignore_ascii_case("Microsoft.Devices.DeviceDisconnected") {
        false
    } else {
        return Parsed::Filtered(format!("event type {}", clip(kind)));
    };
    let data = get(object, "data").and_then(Value::as_object);
    let text = |key: &str| data.and_then(|data| get(data, key)).and_then(non_empty);
    let subject = get(object, "subject").and_then(Value::as_str);
    let (subject_device, subject_module) = subject.map(from_subject).unwrap_or_default();
    let device = text("deviceId").or(subject_device);
    let module = text("moduleId").or(subject_module);
    let sequence = data
        .and_then(|data| get(data, "deviceConnectionStateEventInfo"))
        .and_then(Value::as_object)
        .and_then(|info| get(info, "sequenceNumber"))
        .and_then(non_empty);
    let time = get(object, "eventTime").or_else(|| get(object, "time"));
    event(time, None, device, module, connected, sequence)
}

/// `az iot hub monitor-events` output: `{"event": {"origin", "module", "properties":
/// {"application": {...}, "system": {...}}, "annotations": {...}, "payload": ...}}`.
fn monitor_event(event: &Map<String, Value>) -> Parsed {
    let properties = get(event, "properties").and_then(Value::as_object);
    let application = properties
        .and_then(|p| get(p, "application"))
        .and_then(Value::as_object);
    let annotations = get(event, "annotations").and_then(Value::as_object);
    let Some(application) = application.filter(|a| get(a, "opType").is_some()) else {
        return Parsed::Filtered("not a connection-state event".to_string());
    };
    let origin = get(event, "origin").and_then(non_empty);
    let module = get(event, "module").and_then(non_empty);
    let routed_event = routed(application, annotations, get(event, "payload"), origin);
    match routed_event {
        Parsed::Event(mut found) if found.module_id.is_none() => {
            found.module_id = module.map(CompactString::from);
            Parsed::Event(found)
        }
        other => other,
    }
}

/// A routed `deviceConnectionStateEvents` message: its application properties, system
/// properties (or annotations) and body.
pub fn routed(
    application: &Map<String, Value>,
    system: Option<&Map<String, Value>>,
    body: Option<&Value>,
    origin: Option<&str>,
) -> Parsed {
    let op = get(application, "opType")
        .and_then(Value::as_str)
        .unwrap_or("");
    let connected = if op.eq_ignore_ascii_case("deviceConnected") {
        true
    } else if op.eq_ignore_ascii_case("deviceDisconnected") {
        false
    } else {
        return Parsed::Filtered(format!("opType {}", clip(op)));
    };
    let system_text = |keys: &[&str]| {
        system.and_then(|system| {
            keys.iter()
                .find_map(|key| get(system, key).and_then(non_empty))
        })
    };
    let device = get(application, "deviceId")
        .and_then(non_empty)
        .or_else(|| system_text(&["iothub-connection-device-id", "connectionDeviceId"]))
        .or(origin);
    let module = get(application, "moduleId")
        .and_then(non_empty)
        .or_else(|| system_text(&["iothub-connection-module-id", "connectionModuleId"]));
    let sequence = body.and_then(body_sequence);
    let enqueued = system.and_then(|system| {
        ["iothub-enqueuedtime", "enqueuedTime", "x-opt-enqueued-time"]
            .iter()
            .find_map(|key| get(system, key))
    });
    event(
        get(application, "operationTimestamp"),
        enqueued,
        device,
        module,
        connected,
        sequence,
    )
}

/// The `sequenceNumber` of a routed event's body: an object, or its JSON text.
fn body_sequence(body: &Value) -> Option<String> {
    match body {
        Value::Object(object) => get(object, "sequenceNumber")
            .and_then(non_empty)
            .map(str::to_string),
        Value::String(text) => serde_json::from_str::<Value>(text)
            .ok()
            .as_ref()
            .and_then(body_sequence),
        _ => None,
    }
}

fn event(
    time: Option<&Value>,
    fallback_time: Option<&Value>,
    device: Option<&str>,
    module: Option<&str>,
    connected: bool,
    sequence: Option<impl Into<String>>,
) -> Parsed {
    let time = match time.or(fallback_time) {
        None => return Parsed::Skipped("event without a time".to_string()),
        Some(value) => match read_time(value) {
            Some(time) => time,
            None => {
                return Parsed::Skipped(format!("unreadable time {}", clip(&value.to_string())));
            }
        },
    };
    if !(1..=9999).contains(&time.year()) {
        return Parsed::Skipped(format!(
            "time {} is outside the years 0001 to 9999",
            time.to_rfc3339()
        ));
    }
    let Some(device) = device else {
        return Parsed::Skipped("event without a deviceId".to_string());
    };
    Parsed::Event(StateEvent {
        time,
        device_id: CompactString::from(device),
        module_id: module.map(CompactString::from),
        connected,
        sequence: sequence.map(Into::into),
    })
}

/// An ISO 8601 text, or epoch milliseconds (`iothub-enqueuedtime`).
fn read_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => parse_rfc3339(text),
        Value::Number(number) => number
            .as_i64()
            .and_then(DateTime::<Utc>::from_timestamp_millis),
        _ => None,
    }
}

/// `devices/{id}` or `devices/{id}/modules/{module}`.
fn from_subject(subject: &str) -> (Option<&str>, Option<&str>) {
    let Some(rest) = subject.strip_prefix("devices/") else {
        return (None, None);
    };
    match rest.split_once("/modules/") {
        Some((device, module)) => (
            Some(device).filter(|d| !d.is_empty()),
            Some(module).filter(|m| !m.is_empty()),
        ),
        None => (Some(rest).filter(|d| !d.is_empty()), None),
    }
}

/// A key's value, the key matched case-insensitively.
pub fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn non_empty(value: &Value) -> Option<&str> {
    value
        .as_str()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// An input's outcomes, held until it is read so that each device's events can be put
/// in the order of their sequence numbers.
#[derive(Debug, Default)]
pub struct Held {
    outcomes: Vec<(Position, Kept)>,
}

/// An outcome held: an event, which may still be reordered, or anything else.
#[derive(Debug)]
enum Kept {
    Event(StateEvent),
    Other(Outcome),
}

impl Held {
    pub fn push(&mut self, position: Position, parsed: Parsed) {
        let held = match parsed {
            Parsed::Event(event) => Kept::Event(event),
            Parsed::Filtered(reason) => Kept::Other(Outcome::Filtered(reason)),
            Parsed::Skipped(reason) => Kept::Other(Outcome::Skipped(reason)),
        };
        self.outcomes.push((position, held));
    }

    pub fn push_outcome(&mut self, position: Position, outcome: Outcome) {
        self.outcomes.push((position, Kept::Other(outcome)));
    }

    /// Hands everything to the sink: each device's numbered events take the places its
    /// events arrived in, in the order of their numbers, and an event whose time is
    /// earlier than that of a lower number takes that time (so arrival order, which is
    /// now number order, decides between them). Says how many times were moved.
    pub fn deliver(self, input: usize, sink: &mut dyn Sink) {
        let (outcomes, moved) = order_by_sequence(self.outcomes);
        if moved > 0 {
            sink.warning(
                input,
                format!(
                    "{moved} connection-state event{} came earlier in time than an event of the same device with a lower sequenceNumber: ordered by sequenceNumber",
                    if moved == 1 { "" } else { "s" }
                ),
            );
        }
        for (position, held) in outcomes {
            let outcome = match held {
                Kept::Event(event) => Outcome::Record(event.record()),
                Kept::Other(outcome) => outcome,
            };
            sink.outcome(position, outcome);
        }
    }
}

/// A sequence number as it sorts: without leading zeros, shorter first, then by digit.
fn sequence_key(sequence: &str) -> (usize, String) {
    let digits = sequence.trim().trim_start_matches('0').to_ascii_lowercase();
    (digits.len(), digits)
}

/// Puts each device's numbered events in number order within the places they hold, and
/// moves a time earlier than its predecessor's up to it. Returns how many were moved.
fn order_by_sequence(outcomes: Vec<(Position, Kept)>) -> (Vec<(Position, Kept)>, usize) {
    type Key = (CompactString, Option<CompactString>, (usize, String), usize);
    let mut numbered: Vec<Key> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(at, (_, held))| match held {
            Kept::Event(event) => event.sequence.as_deref().map(|sequence| {
                let key = sequence_key(sequence);
                (event.device_id.clone(), event.module_id.clone(), key, at)
            }),
            Kept::Other(_) => None,
        })
        .collect();
    if numbered.is_empty() {
        return (outcomes, 0);
    }
    numbered.sort();
    // Which outcome goes to each place.
    let mut source: Vec<usize> = (0..outcomes.len()).collect();
    for device in numbered.chunk_by(|a, b| (&a.0, &a.1) == (&b.0, &b.1)) {
        let mut places: Vec<usize> = device.iter().map(|entry| entry.3).collect();
        places.sort_unstable();
        for (place, entry) in places.into_iter().zip(device) {
            source[place] = entry.3;
        }
    }
    let mut taken: Vec<Option<(Position, Kept)>> = outcomes.into_iter().map(Some).collect();
    let mut ordered: Vec<(Position, Kept)> = source
        .into_iter()
        .filter_map(|from| taken.get_mut(from).and_then(Option::take))
        .collect();
    // Within a device, in place order (now number order), no time goes back.
    let mut latest: std::collections::BTreeMap<
        (CompactString, Option<CompactString>),
        DateTime<Utc>,
    > = std::collections::BTreeMap::new();
    let mut moved = 0;
    for (_, held) in &mut ordered {
        let Kept::Event(event) = held else { continue };
        if event.sequence.is_none() {
            continue;
        }
        let key = (event.device_id.clone(), event.module_id.clone());
        match latest.get(&key) {
            Some(&time) if event.time < time => {
                event.time = time;
                moved += 1;
            }
            _ => {
                latest.insert(key, event.time);
            }
        }
    }
    (ordered, moved)
}

/// Reads an input of connection-state events: JSON values one after another (an array
/// of events, an event alone, JSON Lines of events, `monitor-events` output), each
/// element numbered as a record. A value longer than `max_record_size` bytes, or
/// malformed JSON, ends the input: what came before is kept and the break is reported.
pub fn read(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    max_record_size: u64,
) -> io::Result<Shape> {
    let mut held = Held::default();
    let mut reading = Reading {
        input,
        record: 0,
        held: &mut held,
    };
    read_values(reader, max_record_size, &mut reading)?;
    held.deliver(input, sink);
    Ok(Shape::StateEvents)
}

struct Reading<'a> {
    input: usize,
    record: u64,
    held: &'a mut Held,
}

impl Reading<'_> {
    fn next_position(&mut self) -> Position {
        self.record += 1;
        Position::record(self.input, self.record)
    }

    fn take(&mut self, value: Value) {
        let position = self.next_position();
        let parsed = match &value {
            Value::Object(object) => parse_object(object).unwrap_or_else(|| {
                Parsed::Skipped(
                    "not a connection-state event (no eventType, type with specversion, or opType)"
                        .to_string(),
                )
            }),
            _ => Parsed::Skipped("not a JSON object".to_string()),
        };
        self.held.push(position, parsed);
    }

    fn broke(&mut self, message: String) {
        let position = self.next_position();
        self.held.push_outcome(position, Outcome::Skipped(message));
    }
}

/// Counts what serde reads: bytes since the value began (to bound it) and lines.
struct Counted<'a, R> {
    inner: R,
    used: &'a Cell<u64>,
    lines: &'a Cell<u64>,
    limit: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.used.get());
        if room == 0 {
            return Err(io::Error::other(TOO_LONG));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        self.used.set(self.used.get() + read as u64);
        let newlines = memchr::memchr_iter(b'\n', &buf[..read]).count();
        self.lines.set(self.lines.get() + newlines as u64);
        Ok(read)
    }
}

const TOO_LONG: &str = "a value longer than --max-record-size";

/// Reads the top-level values one after another, arrays element by element.
fn read_values(
    reader: &mut dyn BufRead,
    max_record_size: u64,
    reading: &mut Reading<'_>,
) -> io::Result<()> {
    let used = Cell::new(0);
    let lines = Cell::new(0);
    loop {
        // Skip whitespace between values (serde reads each value with its own deserializer).
        loop {
            let buffer = reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            let blank = buffer
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            lines.set(lines.get() + memchr::memchr_iter(b'\n', &buffer[..blank]).count() as u64);
            let whole = blank == buffer.len();
            reader.consume(blank);
            if !whole {
                break;
            }
        }
        let start_line = lines.get() + 1;
        used.set(0);
        let counted = Counted {
            inner: &mut *reader,
            used: &used,
            lines: &lines,
            limit: max_record_size,
        };
        let mut deserializer = serde_json::Deserializer::from_reader(counted);
        let result = Top {
            reading: &mut *reading,
            used: &used,
        }
        .deserialize(&mut deserializer);
        if let Err(err) = result {
            let message = if err.is_io() && err.to_string().contains(TOO_LONG) {
                format!("{TOO_LONG} at line {start_line}: the rest of the input is not read")
            } else {
                let line = start_line + (err.line() as u64).saturating_sub(1);
                format!(
                    "{} at line {line}: the rest of the input is not read",
                    message_of(&err)
                )
            };
            reading.broke(message);
            return Ok(());
        }
    }
}

/// serde_json's message without its place, which is counted from the value's start.
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    clip(text.split(" at line ").next().unwrap_or(&text))
}

/// One top-level value: an array's elements are taken one at a time.
struct Top<'a, 'b> {
    reading: &'a mut Reading<'b>,
    used: &'a Cell<u64>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object or an array of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.used.set(0);
            match seq.next_element::<Value>()? {
                Some(value) => self.reading.take(value),
                None => return Ok(()),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize_from_map(map)?;
        self.reading.take(value);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.reading.take(Value::Null);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.reading.take(Value::Null);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.reading.take(Value::Null);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.reading.take(Value::Null);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.reading.take(Value::Null);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.reading.take(Value::Null);
        Ok(())
    }
}

/// A JSON object read from a map access, as serde_json's own `Value` reads it.
trait FromMap: Sized {
    fn deserialize_from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl FromMap for Value {
    fn deserialize_from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Value, A::Error> {
        use serde::Deserialize;
        Value::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Operation::{Connect, Disconnect};

    #[derive(Default)]
    struct Heard {
        outcomes: Vec<(Position, Outcome)>,
        warnings: Vec<String>,
    }

    impl Sink for Heard {
        fn outcome(&mut self, position: Position, outcome: Outcome) {
            self.outcomes.push((position, outcome));
        }
        fn warning(&mut self, _: usize, message: String) {
            self.warnings.push(message);
        }
    }

    impl Heard {
        fn records(&self) -> Vec<(String, Operation, String)> {
            self.outcomes
                .iter()
                .filter_map(|(_, outcome)| match outcome {
                    Outcome::Record(r) => Some((
                        r.module_id.as_ref().map_or_else(
                            || r.device_id.to_string(),
                            |m| format!("{}/{m}", r.device_id),
                        ),
                        r.operation,
                        r.time.format("%H:%M:%S%.3f").to_string(),
                    )),
                    _ => None,
                })
                .collect()
        }

        fn others(&self) -> Vec<(Option<u64>, String)> {
            self.outcomes
                .iter()
                .filter_map(|(position, outcome)| match outcome {
                    Outcome::Filtered(reason) => {
                        Some((position.record, format!("filtered: {reason}")))
                    }
                    Outcome::Skipped(reason) => {
                        Some((position.record, format!("skipped: {reason}")))
                    }
                    Outcome::Record(_) => None,
                })
                .collect()
        }
    }

    fn read_text(text: &str) -> Heard {
        read_limited(text, 64 << 20)
    }

    fn read_limited(text: &str, limit: u64) -> Heard {
        let mut heard = Heard::default();
        let shape = read(&mut text.as_bytes(), 0, &mut heard, limit).expect("reads");
        assert_eq!(shape, Shape::StateEvents);
        heard
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/fixtures/sources/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    fn own(list: &[(&str, Operation, &str)]) -> Vec<(String, Operation, String)> {
        list.iter()
            .map(|(d, o, t)| (d.to_string(), *o, t.to_string()))
            .collect()
    }

    #[test]
    fn event_grid_arrays_give_connects_and_disconnects_marked_as_state_events() {
        let heard = read_text(&fixture("eventgrid.json"));
        assert_eq!(
            heard.records(),
            own(&[
                ("pump-0042", Connect, "08:00:37.105"),
                ("pump-0042", Disconnect, "09:10:44.883"),
                ("pump-0042", Connect, "09:10:44.901"),
                ("sensor-17", Connect, "09:13:12.441"),
                ("gw-edge-01/telemetryFilter", Disconnect, "09:14:33.012"),
                ("meter-9", Disconnect, "09:46:02.556"),
            ])
        );
        assert!(heard.outcomes.iter().all(|(_, o)| matches!(
            o,
            Outcome::Record(r) if r.state_event && r.code.is_none() && r.protocol.is_none()
        )));
        let numbers: Vec<Option<u64>> = heard.outcomes.iter().map(|(p, _)| p.record).collect();
        assert_eq!(numbers, (1..=6).map(Some).collect::<Vec<_>>());
        assert!(heard.warnings.is_empty(), "{:?}", heard.warnings);
    }

    #[test]
    fn cloud_events_and_monitor_events_read_as_the_same_events() {
        let heard = read_text(&fixture("cloudevents.json"));
        assert_eq!(
            heard.records(),
            own(&[
                ("pump-0042", Disconnect, "09:10:44.883"),
                ("pump-0042", Connect, "09:10:44.901"),
            ])
        );
        let heard = read_text(&fixture("monitor-events.json"));
        assert_eq!(
            heard.records(),
            own(&[
                ("meter-9", Connect, "08:01:00.100"),
                ("meter-9", Disconnect, "09:45:00.412"),
            ])
        );
    }

    #[test]
    fn other_events_are_filtered_and_incomplete_ones_skipped_with_the_reason() {
        let text = r#"[
            {"eventType":"Microsoft.Devices.DeviceTelemetry","eventTime":"2026-03-02T08:00:00Z","data":{"deviceId":"a"}},
            {"eventType":"Microsoft.Devices.DeviceConnected","data":{"deviceId":"a"}},
            {"eventType":"Microsoft.Devices.DeviceConnected","eventTime":"yesterday","data":{"deviceId":"a"}},
            {"eventType":"Microsoft.Devices.DeviceConnected","eventTime":"2026-03-02T08:00:00Z","data":{}},
            {"eventType":"Microsoft.Devices.DeviceConnected","eventTime":"2026-03-02T08:00:00Z","subject":"devices/b/modules/m"},
            7,
            {"time":"2026-03-02T08:00:00Z"}
        ]
        {"properties":{"opType":"deviceCreated"}}"#;
        let heard = read_text(text);
        assert_eq!(heard.records(), own(&[("b/m", Connect, "08:00:00.000")]));
        assert_eq!(
            heard.others(),
            vec![
                (Some(1), "filtered: event type Microsoft.Devices.DeviceTelemetry".into()),
                (Some(2), "skipped: event without a time".into()),
                (Some(3), "skipped: unreadable time \"yesterday\"".into()),
                (Some(4), "skipped: event without a deviceId".into()),
                (Some(6), "skipped: not a JSON object".into()),
                (
                    Some(7),
                    "skipped: not a connection-state event (no eventType, type with specversion, or opType)".into()
                ),
                (Some(8), "filtered: opType deviceCreated".into()),
            ]
        );
    }

    #[test]
    fn a_break_keeps_what_came_before_and_names_its_line() {
        let event = r#"{"eventType":"Microsoft.Devices.DeviceConnected","eventTime":"2026-03-02T08:00:00Z","data":{"deviceId":"a"}}"#;
        let heard = read_text(&format!(
            "{event}\n{event}\n{{\"eventType\": oops\n{event}\n"
        ));
        assert_eq!(heard.records().len(), 2);
        assert_eq!(heard.others().len(), 1);
        let (at, message) = &heard.others()[0];
        assert_eq!(*at, Some(3));
        assert!(
            message.starts_with("skipped: expected value at line 3"),
            "{message}"
        );
        assert!(
            message.ends_with("the rest of the input is not read"),
            "{message}"
        );
        // A value longer than the limit is not held; the limit is per element.
        let long = format!("{{\"padding\":\"{}\"}}", "x".repeat(300));
        let heard = read_limited(&format!("{event}\n[{event},{long},{event}]"), 200);
        assert_eq!(heard.records().len(), 2);
        assert!(
            heard.others()[0]
                .1
                .contains("longer than --max-record-size at line 2")
        );
    }

    #[test]
    fn events_are_put_in_the_order_of_their_sequence_numbers() {
        let event = |kind: &str, time: &str, sequence: u32| {
            format!(
                r#"{{"eventType":"Microsoft.Devices.Device{kind}","eventTime":"{time}","data":{{"deviceId":"a","deviceConnectionStateEventInfo":{{"sequenceNumber":"{sequence:064X}"}}}}}}"#
            )
        };
        // Delivered out of order: a connect numbered after the disconnect arrives first,
        // with the same time; and a disconnect numbered last carries an earlier time.
        let text = [
            event("Connected", "2026-03-02T09:00:00Z", 3),
            event("Disconnected", "2026-03-02T09:00:00Z", 2),
            event("Connected", "2026-03-02T08:00:00Z", 1),
            event("Disconnected", "2026-03-02T08:59:00Z", 4),
        ]
        .join("\n");
        let heard = read_text(&text);
        assert_eq!(
            heard.records(),
            own(&[
                ("a", Connect, "08:00:00.000"),
                ("a", Disconnect, "09:00:00.000"),
                ("a", Connect, "09:00:00.000"),
                ("a", Disconnect, "09:00:00.000"),
            ])
        );
        // Each record keeps its own place in the input.
        let places: Vec<Option<u64>> = heard.outcomes.iter().map(|(p, _)| p.record).collect();
        assert_eq!(places, [Some(3), Some(2), Some(1), Some(4)]);
        assert_eq!(heard.warnings.len(), 1);
        assert!(heard.warnings[0].starts_with("1 connection-state event came earlier"));
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_key("00ff") > sequence_key("0fe"));
        assert!(sequence_key("10") > sequence_key("0F"));
        assert_eq!(sequence_key("0A"), sequence_key("a"));
    }
}

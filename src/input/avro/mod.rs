//! Avro object container files, as Event Hubs Capture writes them (a diagnostic setting
//! sending to an event hub with Capture on) and as IoT Hub message routing writes them to
//! storage. Each event is a record, `EventData` (`SequenceNumber`, `Offset`,
//! `EnqueuedTimeUtc`, `SystemProperties`, `Properties`, `Body`) or routing's `Message`
//! (the same without the first two); its `Body` bytes hold what the event hub received:
//! a `{"records":[...]}` document of resource logs, read by the JSON readers with their
//! limits, or Event Grid events. A routed connection-state event (`opType` in its
//! properties) is read from the properties themselves.
//!
//! Detected from the content (`Obj` and version 1), whatever the file is named. The codec
//! is `null` or `deflate`; the empty files Capture writes when no event came (a header,
//! no block) hold no record. Records are numbered through the whole file, and a problem
//! names the Avro event (1-based, through the file) and the block it was found in. Damaged Avro ends the input: what came
//! before is kept and the break is reported.

mod blocks;

use super::detect::{Reader, detect};
use super::state_events::{self, Held, Parsed};
use super::{Options, Outcome, Shape, Sink, json};
use crate::model::Position;
use apache_avro::types::Value as Avro;
use blocks::{Seen, Watched};
use serde_json::{Map, Value};
use std::io::{self, BufRead};

/// The first bytes of an Avro object container file.
pub const MAGIC: &[u8] = b"Obj\x01";

/// The most one Avro block or value may take in memory. Capture's blocks are small; a
/// header that declares more is damaged or hostile. (apache-avro keeps one limit for the
/// process, set by its first reader.)
const MAX_ALLOCATION: usize = 256 << 20;

/// Reads an Avro file: every event's body or properties, in order.
///
/// # Errors
///
/// Only reading the stream itself; damaged Avro is reported as a skipped record.
#[allow(
    clippy::unnecessary_wraps,
    reason = "the signature every reader has, for the one dispatch"
)]
pub fn read(
    reader: &mut dyn BufRead,
    input: usize,
    options: &Options,
    sink: &mut dyn Sink,
) -> io::Result<Shape> {
    apache_avro::util::max_allocation_bytes(MAX_ALLOCATION);
    let mut held = Held::default();
    let seen = Seen::default();
    let mut numbered = Numbered {
        sink,
        input,
        record: 0,
        event: 0,
        block: 1,
    };
    let watched = Watched {
        inner: &mut *reader,
        seen: &seen,
    };
    match apache_avro::Reader::new(watched) {
        Err(err) => numbered.broke(format!(
            "the Avro header cannot be read ({err}): the file is not read"
        )),
        Ok(events) => {
            seen.header_read();
            for value in events {
                numbered.event += 1;
                numbered.block = seen.block();
                match value {
                    Ok(value) => take(&value, options, &mut numbered, &mut held),
                    Err(err) => {
                        let (events, blocks) = (numbered.event - 1, seen.whole_blocks());
                        numbered.broke(format!(
                            "the Avro data breaks off after {events} events in {blocks} whole blocks ({err}): the rest of the file is not read"
                        ));
                        break;
                    }
                }
            }
        }
    }
    let Numbered { sink, .. } = numbered;
    held.deliver(input, sink);
    Ok(Shape::Avro)
}

/// The sink, with records numbered through the file and problems naming their event.
struct Numbered<'a> {
    sink: &'a mut dyn Sink,
    input: usize,
    record: u64,
    event: u64,
    block: u64,
}

impl Numbered<'_> {
    /// `Avro event 5 (block 2)`: the event numbered through the file, and its block.
    fn place(&self) -> String {
        format!("Avro event {} (block {})", self.event, self.block)
    }

    fn next_position(&mut self) -> Position {
        self.record += 1;
        Position::record(self.input, self.record)
    }

    fn skip(&mut self, reason: &str) {
        let position = self.next_position();
        let message = format!("{}: {reason}", self.place());
        self.sink.outcome(position, Outcome::Skipped(message));
    }

    fn broke(&mut self, message: String) {
        let position = self.next_position();
        self.sink.outcome(position, Outcome::Skipped(message));
    }
}

impl Sink for Numbered<'_> {
    fn outcome(&mut self, _: Position, outcome: Outcome) {
        let position = self.next_position();
        let outcome = match outcome {
            Outcome::Skipped(reason) => Outcome::Skipped(format!("{}: {reason}", self.place())),
            other => other,
        };
        self.sink.outcome(position, outcome);
    }

    fn warning(&mut self, input: usize, message: String) {
        self.sink
            .warning(input, format!("{}: {message}", self.place()));
    }
}

/// One event: a routed connection-state event from its properties, else its body.
fn take(value: &Avro, options: &Options, numbered: &mut Numbered<'_>, held: &mut Held) {
    let Avro::Record(fields) = value else {
        numbered.skip("not a record (EventData or Message)");
        return;
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    let properties = field("Properties").and_then(to_map);
    let mut system = field("SystemProperties").and_then(to_map);
    let body = field("Body").map(unwrap_union);
    let body: Option<&[u8]> = match body {
        Some(Avro::Bytes(bytes) | Avro::Fixed(_, bytes)) => Some(bytes),
        Some(Avro::String(text)) => Some(text.as_bytes()),
        _ => None,
    };
    if let Some(properties) = properties
        .as_ref()
        .filter(|p| state_events::get(p, "opType").is_some())
    {
        // The hub's own enqueue time stands in for a missing operationTimestamp.
        if let Some(enqueued) = field("EnqueuedTimeUtc")
            .map(unwrap_union)
            .and_then(enqueued_time)
        {
            system
                .get_or_insert_with(Map::new)
                .entry("enqueuedTime")
                .or_insert(Value::String(enqueued));
        }
        let body: Option<Value> = body.and_then(|bytes| serde_json::from_slice(bytes).ok());
        let parsed = state_events::routed(properties, system.as_ref(), body.as_ref(), None);
        let position = numbered.next_position();
        held.push(position, with_place(parsed, &numbered.place()));
        return;
    }
    let Some(body) = body else {
        numbered.skip("no body");
        return;
    };
    if body.len() as u64 > options.max_record_size {
        numbered.skip(&format!(
            "a body of {} bytes, longer than --max-record-size",
            body.len()
        ));
        return;
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut bytes: &[u8] = body;
    let read = match detect(body) {
        Ok(Reader::JsonLines) => json::read_lines(
            &mut bytes,
            numbered.input,
            numbered,
            options.max_record_size,
            1,
        ),
        Ok(Reader::JsonDocuments) => json::read_documents(&mut bytes, numbered.input, numbered, 1),
        Ok(Reader::StateEvents) => {
            body_events(body, numbered, held);
            Ok(Shape::StateEvents)
        }
        Ok(Reader::Empty) => {
            numbered.skip("an empty body");
            return;
        }
        Ok(_) | Err(_) => {
            numbered.skip("the body is neither resource logs nor connection-state events");
            return;
        }
    };
    if let Err(err) = read {
        numbered.skip(&format!("the body cannot be read: {err}"));
    }
}

/// Event Grid events carried in a body (Event Grid delivering to an event hub).
fn body_events(body: &[u8], numbered: &mut Numbered<'_>, held: &mut Held) {
    let values = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(values)) => values,
        Ok(value) => vec![value],
        Err(err) => {
            numbered.skip(&format!("the body is not valid JSON ({err})"));
            return;
        }
    };
    for value in values {
        let parsed = match value.as_object().map(state_events::parse_object) {
            Some(Some(parsed)) => parsed,
            Some(None) => Parsed::Skipped("not a connection-state event".to_string()),
            None => Parsed::Skipped("not a JSON object".to_string()),
        };
        let position = numbered.next_position();
        held.push(position, with_place(parsed, &numbered.place()));
    }
}

/// A problem names the event it is in.
fn with_place(parsed: Parsed, place: &str) -> Parsed {
    match parsed {
        Parsed::Skipped(reason) => Parsed::Skipped(format!("{place}: {reason}")),
        other => other,
    }
}

fn unwrap_union(value: &Avro) -> &Avro {
    match value {
        Avro::Union(_, inner) => unwrap_union(inner),
        other => other,
    }
}

/// A map of union values (`long`, `double`, `string`, `bytes`, ...) as JSON.
fn to_map(value: &Avro) -> Option<Map<String, Value>> {
    match unwrap_union(value) {
        Avro::Map(entries) => Some(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect(),
        ),
        _ => None,
    }
}

fn to_json(value: &Avro) -> Value {
    match unwrap_union(value) {
        Avro::Boolean(flag) => Value::Bool(*flag),
        Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => Value::from(*n),
        Avro::Long(n)
        | Avro::TimeMicros(n)
        | Avro::TimestampMillis(n)
        | Avro::TimestampMicros(n)
        | Avro::LocalTimestampMillis(n)
        | Avro::LocalTimestampMicros(n) => Value::from(*n),
        Avro::Float(n) => Value::from(f64::from(*n)),
        Avro::Double(n) => Value::from(*n),
        Avro::String(text) | Avro::Enum(_, text) => Value::String(text.clone()),
        Avro::Bytes(bytes) | Avro::Fixed(_, bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
        Avro::Uuid(uuid) => Value::String(uuid.to_string()),
        Avro::Map(_) => to_map(value).map_or(Value::Null, Value::Object),
        Avro::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        _ => Value::Null,
    }
}

/// Capture's `EnqueuedTimeUtc` (`3/2/2026 9:45:01 AM`) or routing's (ISO 8601), as RFC 3339.
fn enqueued_time(value: &Avro) -> Option<String> {
    let Avro::String(text) = value else {
        return None;
    };
    if let Some(time) = super::time::parse_rfc3339(text) {
        return Some(time.to_rfc3339());
    }
    ["%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M:%S%.f %p"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text.trim(), format).ok())
        .map(|time| time.and_utc().to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Recorded;
    use apache_avro::{Codec, DeflateSettings, Schema, Writer};
    use std::collections::HashMap;

    const CAPTURE: &str = r#"{"type":"record","name":"EventData","namespace":"Microsoft.ServiceBus.Messaging","fields":[
        {"name":"SequenceNumber","type":"long"},
        {"name":"Offset","type":"string"},
        {"name":"EnqueuedTimeUtc","type":"string"},
        {"name":"SystemProperties","type":{"type":"map","values":["long","double","string","bytes"]}},
        {"name":"Properties","type":{"type":"map","values":["long","double","string","bytes","null"]}},
        {"name":"Body","type":["null","bytes"]}]}"#;

    const CONNECT: &str = r#"{"time":"2026-03-02T08:00:05Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/H","operationName":"deviceConnect","category":"Connections","level":"Information","properties":"{\"deviceId\":\"pump-0042\",\"protocol\":\"Mqtt\"}"}"#;

    fn records(heard: &Recorded) -> usize {
        let records = heard.outcomes.iter();
        records
            .filter(|(_, o)| matches!(o, Outcome::Record(_)))
            .count()
    }

    fn skips(heard: &Recorded) -> Vec<(Option<u64>, &str)> {
        heard
            .outcomes
            .iter()
            .filter_map(|(p, o)| match o {
                Outcome::Skipped(reason) => Some((p.record, reason.as_str())),
                _ => None,
            })
            .collect()
    }

    /// A Capture event: `properties` as (key, union index, value).
    fn event(sequence: i64, properties: &[(&str, u32, Avro)], body: Option<&[u8]>) -> Avro {
        let map = |entries: &[(&str, u32, Avro)]| {
            Avro::Map(
                entries
                    .iter()
                    .map(|(k, i, v)| ((*k).to_string(), Avro::Union(*i, Box::new(v.clone()))))
                    .collect::<HashMap<_, _>>(),
            )
        };
        Avro::Record(vec![
            ("SequenceNumber".into(), Avro::Long(sequence)),
            (
                "Offset".into(),
                Avro::String(format!("{}", sequence * 4096)),
            ),
            (
                "EnqueuedTimeUtc".into(),
                Avro::String("3/2/2026 9:45:01 AM".into()),
            ),
            (
                "SystemProperties".into(),
                map(&[("x-opt-sequence-number", 0, Avro::Long(sequence))]),
            ),
            ("Properties".into(), map(properties)),
            (
                "Body".into(),
                match body {
                    Some(bytes) => Avro::Union(1, Box::new(Avro::Bytes(bytes.to_vec()))),
                    None => Avro::Union(0, Box::new(Avro::Null)),
                },
            ),
        ])
    }

    fn capture(events: &[Avro], codec: Codec) -> Vec<u8> {
        written(events, codec, false)
    }

    /// Each event in a block of its own.
    fn capture_in_blocks(events: &[Avro], codec: Codec) -> Vec<u8> {
        written(events, codec, true)
    }

    fn written(events: &[Avro], codec: Codec, block_each: bool) -> Vec<u8> {
        let schema = Schema::parse_str(CAPTURE).expect("schema");
        let mut writer = Writer::with_codec(&schema, Vec::new(), codec).expect("writer");
        for event in events {
            writer.append_value_ref(event).expect("appends");
            if block_each {
                writer.flush().expect("a block");
            }
        }
        writer.into_inner().expect("written")
    }

    fn read_bytes(bytes: &[u8], options: &Options) -> Recorded {
        let mut heard = Recorded::default();
        let mut reader: &[u8] = bytes;
        let shape = read(&mut reader, 0, options, &mut heard).expect("reads");
        assert_eq!(shape, Shape::Avro);
        heard
    }

    fn records_body(count: usize) -> Vec<u8> {
        let records = vec![CONNECT; count].join(",");
        format!("{{\"records\":[{records}]}}").into_bytes()
    }

    #[test]
    fn capture_bodies_are_read_with_either_codec_and_numbered_through_the_file() {
        for codec in [Codec::Null, Codec::Deflate(DeflateSettings::default())] {
            let events = [
                event(1, &[], Some(&records_body(2))),
                event(2, &[("retries", 0, Avro::Long(0))], Some(&records_body(3))),
            ];
            let bytes = capture(&events, codec);
            assert!(bytes.starts_with(MAGIC));
            let heard = read_bytes(&bytes, &Options::default());
            assert_eq!(records(&heard), 5, "{codec:?}");
            let places: Vec<Option<u64>> = heard.outcomes.iter().map(|(p, _)| p.record).collect();
            assert_eq!(places, (1..=5).map(Some).collect::<Vec<_>>());
            assert!(heard.outcomes.iter().all(|(p, _)| p.line.is_none()));
        }
    }

    #[test]
    fn a_capture_file_without_events_holds_no_record() {
        let heard = read_bytes(&capture(&[], Codec::Null), &Options::default());
        assert!(heard.outcomes.is_empty());
        assert!(heard.warnings.is_empty());
    }

    #[test]
    fn problems_name_the_event_they_are_in() {
        let events = [
            event(1, &[], Some(&records_body(1))),
            event(2, &[], None),
            event(3, &[], Some(b"   ")),
            event(4, &[], Some(b"\x00\x01binary")),
            event(
                5,
                &[],
                Some(format!("{{\"records\":[{CONNECT},7]}}").as_bytes()),
            ),
            event(6, &[], Some(&records_body(4))),
        ];
        let options = Options {
            max_record_size: 1000,
            ..Options::default()
        };
        let heard = read_bytes(&capture(&events, Codec::Null), &options);
        assert_eq!(records(&heard), 2);
        assert_eq!(
            skips(&heard),
            [
                (Some(2), "Avro event 2 (block 1): no body"),
                (Some(3), "Avro event 3 (block 1): an empty body"),
                (
                    Some(4),
                    "Avro event 4 (block 1): the body is neither resource logs nor connection-state events"
                ),
                (
                    Some(6),
                    "Avro event 5 (block 1): a number is not a record object"
                ),
                (
                    Some(7),
                    "Avro event 6 (block 1): a body of 1069 bytes, longer than --max-record-size"
                ),
            ]
        );
        // One event a block: the same, each in its block.
        let codec = Codec::Deflate(DeflateSettings::default());
        let heard = read_bytes(&capture_in_blocks(&events, codec), &options);
        let skipped = skips(&heard);
        assert_eq!(skipped[0], (Some(2), "Avro event 2 (block 2): no body"));
        assert_eq!(
            skipped[3],
            (
                Some(6),
                "Avro event 5 (block 5): a number is not a record object"
            )
        );
    }

    #[test]
    fn routed_connection_state_events_are_read_from_their_properties() {
        let text = |t: &str| (2, Avro::String(t.to_string()));
        let routed = |op: &str, sequence: u32| {
            let body = format!("{{\"sequenceNumber\":\"{sequence:064x}\"}}");
            let entries = [
                ("deviceId", text("valve-3")),
                ("opType", text(op)),
                ("hubName", text("contoso-fleet-hub")),
            ];
            let properties: Vec<(&str, u32, Avro)> =
                entries.into_iter().map(|(k, (i, v))| (k, i, v)).collect();
            event(i64::from(sequence), &properties, Some(body.as_bytes()))
        };
        // No operationTimestamp: Capture's enqueue time stands in. The disconnect is
        // numbered before the connect that arrived first.
        let bytes = capture(
            &[
                routed("deviceConnected", 2),
                routed("deviceDisconnected", 1),
            ],
            Codec::Null,
        );
        let heard = read_bytes(&bytes, &Options::default());
        let records: Vec<(Operation, String, bool)> = heard
            .outcomes
            .iter()
            .filter_map(|(_, o)| match o {
                Outcome::Record(r) => Some((r.operation, r.time.to_rfc3339(), r.state_event)),
                _ => None,
            })
            .collect();
        use crate::model::Operation;
        assert_eq!(
            records,
            [
                (
                    Operation::Disconnect,
                    "2026-03-02T09:45:01+00:00".into(),
                    true
                ),
                (Operation::Connect, "2026-03-02T09:45:01+00:00".into(), true),
            ]
        );
    }

    #[test]
    fn event_grid_events_in_a_body_are_read_as_state_events() {
        let body = br#"[{"eventType":"Microsoft.Devices.DeviceConnected","eventTime":"2026-03-02T08:00:37Z","data":{"deviceId":"pump-0042"}},{"eventType":"Microsoft.Devices.DeviceCreated","eventTime":"2026-03-02T08:00:37Z","data":{"deviceId":"x"}}]"#;
        let heard = read_bytes(
            &capture(&[event(1, &[], Some(body))], Codec::Null),
            &Options::default(),
        );
        assert_eq!(records(&heard), 1);
        assert!(
            matches!(&heard.outcomes[1].1, Outcome::Filtered(reason) if reason == "event type Microsoft.Devices.DeviceCreated")
        );
    }

    #[test]
    fn damaged_avro_keeps_what_came_before_and_reports_the_break() {
        let events: Vec<Avro> = (1..=40)
            .map(|n| event(n, &[], Some(&records_body(1))))
            .collect();
        let bytes = capture_in_blocks(&events, Codec::Null);
        // Cut in the middle of the last block.
        let heard = read_bytes(&bytes[..bytes.len() - 200], &Options::default());
        let skipped = skips(&heard);
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(records(&heard), 39);
        assert!(
            skipped[0]
                .1
                .starts_with("the Avro data breaks off after 39 events in 39 whole blocks"),
            "{}",
            skipped[0].1
        );
        // Only a header that breaks off.
        let heard = read_bytes(&bytes[..30], &Options::default());
        assert_eq!(skips(&heard).len(), 1);
        assert!(
            skips(&heard)[0]
                .1
                .starts_with("the Avro header cannot be read")
        );
    }

    #[test]
    fn the_file_written_by_fastavro_reads_as_its_storage_blob() {
        let root = env!("CARGO_MANIFEST_DIR");
        let avro = std::fs::read(format!("{root}/fixtures/sources/capture-fastavro.avro"))
            .expect("fixture");
        let heard = read_bytes(&avro, &Options::default());
        assert_eq!(heard.outcomes.len(), 12);
        assert_eq!(records(&heard), 11);
        let empty =
            std::fs::read(format!("{root}/fixtures/sources/capture-empty.avro")).expect("fixture");
        assert!(read_bytes(&empty, &Options::default()).outcomes.is_empty());
    }
}

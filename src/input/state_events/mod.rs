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

mod held;
mod stream;

pub use held::Held;
pub use stream::read;

use super::fields::clip;
use super::time::parse_rfc3339;
use crate::model::{Level, Operation, Record};
use chrono::{DateTime, Datelike, Utc};
use compact_str::CompactString;
use serde_json::{Map, Value};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Outcome, Recorded, Shape};
    use crate::model::Operation::{Connect, Disconnect};

    fn records(heard: &Recorded) -> Vec<(String, Operation, String)> {
        heard
            .outcomes
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

    fn others(heard: &Recorded) -> Vec<(Option<u64>, String)> {
        heard
            .outcomes
            .iter()
            .filter_map(|(position, outcome)| match outcome {
                Outcome::Filtered(reason) => Some((position.record, format!("filtered: {reason}"))),
                Outcome::Skipped(reason) => Some((position.record, format!("skipped: {reason}"))),
                Outcome::Record(_) => None,
            })
            .collect()
    }

    fn read_text(text: &str) -> Recorded {
        read_limited(text, 64 << 20)
    }

    fn read_limited(text: &str, limit: u64) -> Recorded {
        let mut heard = Recorded::default();
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
            records(&heard),
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
            records(&heard),
            own(&[
                ("pump-0042", Disconnect, "09:10:44.883"),
                ("pump-0042", Connect, "09:10:44.901"),
            ])
        );
        let heard = read_text(&fixture("monitor-events.json"));
        assert_eq!(
            records(&heard),
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
        assert_eq!(records(&heard), own(&[("b/m", Connect, "08:00:00.000")]));
        assert_eq!(
            others(&heard),
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
        assert_eq!(records(&heard).len(), 2);
        assert_eq!(others(&heard).len(), 1);
        let (at, message) = &others(&heard)[0];
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
        assert_eq!(records(&heard).len(), 2);
        assert!(
            others(&heard)[0]
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
            records(&heard),
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
}

//! Which JSON carrier a document is, beyond the resource logs: connection-state events
//! (Event Grid, CloudEvents, routed `deviceConnectionStateEvents` as `az iot hub
//! monitor-events` prints them) or a `connectedDeviceCount` metrics response. Told from
//! the keys of the first object (the first element of an array), as far as detection
//! sees; anything else is left to the resource-log readers.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// A JSON carrier that is not resource logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    StateEvents,
    Metrics,
}

/// The carrier the first object's keys name, if any. `start` begins with `{` or `[`.
pub fn carrier(start: &[u8]) -> Option<Carrier> {
    let decided = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(start);
    // Decided carriers leave by an error, so that the rest is not read.
    let _ = First { decided: &decided }.deserialize(&mut deserializer);
    decided.get().flatten()
}

/// What one key says: a carrier, resource logs (`Some(None)`), or nothing yet.
fn key_says(key: &str) -> Option<Option<Carrier>> {
    const STATE: [&str; 4] = ["eventType", "specversion", "event", "opType"];
    const METRICS: [&str; 4] = ["timespan", "interval", "resourceregion", "cost"];
    // `time` is CloudEvents' too: it decides nothing.
    const LOGS: [&str; 9] = [
        "records",
        "tables",
        "TimeGenerated",
        "operationName",
        "category",
        "resourceId",
        "resultType",
        "properties",
        "TableName",
    ];
    let is = |keys: &[&str]| keys.iter().any(|k| k.eq_ignore_ascii_case(key));
    if is(&STATE) {
        Some(Some(Carrier::StateEvents))
    } else if is(&METRICS) {
        Some(Some(Carrier::Metrics))
    } else if is(&LOGS) {
        Some(None)
    } else {
        None
    }
}

struct First<'a> {
    decided: &'a Cell<Option<Option<Carrier>>>,
}

impl<'de> DeserializeSeed<'de> for First<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for First<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Only the first element is looked at; a nested array is no carrier.
        seq.next_element_seed(Keys {
            decided: self.decided,
        })?;
        Err(de::Error::custom("looked"))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        Keys {
            decided: self.decided,
        }
        .visit_map(map)
    }
}

struct Keys<'a> {
    decided: &'a Cell<Option<Option<Carrier>>>,
}

impl<'de> DeserializeSeed<'de> for Keys<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Keys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if let Some(says) = key_says(&key) {
                self.decided.set(Some(says));
                return Err(de::Error::custom("decided"));
            }
            // CloudEvents name the event in `type`, which may come before `specversion`.
            if key.eq_ignore_ascii_case("type") {
                let kind = map.next_value::<serde_json::Value>()?;
                if kind
                    .as_str()
                    .is_some_and(|kind| kind.starts_with("Microsoft.Devices."))
                {
                    self.decided.set(Some(Some(Carrier::StateEvents)));
                    return Err(de::Error::custom("decided"));
                }
                continue;
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom("undecided"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriers_are_told_by_the_first_objects_keys() {
        let cases: [(&str, Option<Carrier>); 10] = [
            (
                r#"[{"id":"1","topic":"/x","eventType":"Microsoft.Devices.DeviceConnected"}]"#,
                Some(Carrier::StateEvents),
            ),
            (
                r#"{"id":"1","source":"/x","specversion":"1.0"}"#,
                Some(Carrier::StateEvents),
            ),
            (
                "{\n  \"event\": {\n    \"origin\": \"meter-9\",",
                Some(Carrier::StateEvents),
            ),
            (
                r#"{"cost":0,"interval":"PT1M","value":[]}"#,
                Some(Carrier::Metrics),
            ),
            (r#"{"records":[{"eventType":"x"}]}"#, None),
            (r#"{"time":"2026","operationName":"x"}"#, None),
            (
                r#"[{"id":"2","source":"/x","subject":"devices/a","type":"Microsoft.Devices.DeviceConnected","time":"2026"}]"#,
                Some(Carrier::StateEvents),
            ),
            (r#"[{"TableName":"PrimaryResult"}]"#, None),
            // Cut off before a key decides: the resource-log readers take it.
            (r#"{"id":"1","topic":"/SUBSCRIPTIONS/"#, None),
            ("[[1]]", None),
        ];
        for (text, expected) in cases {
            assert_eq!(carrier(text.as_bytes()), expected, "{text}");
        }
    }
}

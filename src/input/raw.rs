//! One record as a carrier delivers it, before validation: the fields we use, borrowed
//! from the input where the JSON allows it (no copy, no allocation on the hot path), and
//! the conversion into a [`Record`], a filter reason or a skip.

use super::fields::{Field, KeyKind, clip};
use super::time::parse_rfc3339;
use crate::model::{Level, Operation, Record};
use chrono::{DateTime, Datelike, Utc};
use compact_str::CompactString;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
#[cfg(test)]
use serde_json::Map;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// The `properties` payload: a JSON document in a string (the usual case), or already an
/// object whose device fields were taken out while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Properties<'a> {
    Text(Cow<'a, str>),
    Parsed,
    /// A number, a boolean or an array: not what any carrier writes.
    NotAnObject,
}

/// What became of one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Held inline: a box would be one more allocation per record, made on a parsing
    /// thread and freed on the analyzer's.
    Record(Record),
    /// Valid, but outside the analysis scope; the reason is a short stable phrase.
    Filtered(String),
    /// Malformed; the reason says what is wrong.
    Skipped(String),
}

/// The fields of one record as collected from a carrier, not yet validated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RawRecord<'a> {
    pub time: Option<Cow<'a, str>>,
    /// A time already parsed by the carrier (CSV locale formats).
    pub parsed_time: Option<DateTime<Utc>>,
    pub operation: Option<Cow<'a, str>>,
    pub category: Option<Cow<'a, str>>,
    pub level: Option<Cow<'a, str>>,
    pub result_type: Option<Cow<'a, str>>,
    /// The old schema's `statusType`: the code when `result_type` is absent or blank.
    pub status_type: Option<Cow<'a, str>>,
    pub properties: Option<Properties<'a>>,
    pub device_id: Option<Cow<'a, str>>,
    pub module_id: Option<Cow<'a, str>>,
    pub protocol: Option<Cow<'a, str>>,
    pub masked_ip: Option<Cow<'a, str>>,
    pub sdk_version: Option<Cow<'a, str>>,
    pub resource_id: Option<Cow<'a, str>>,
    pub resource_type: Option<Cow<'a, str>>,
    pub table_name: Option<Cow<'a, str>>,
}

/// The fields a `properties` object may give a record: the device's. A third the size
/// of a [`RawRecord`], which the quick reader would otherwise build, and move, for every
/// record's `properties`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeviceFields<'a> {
    pub device_id: Option<Cow<'a, str>>,
    pub module_id: Option<Cow<'a, str>>,
    pub protocol: Option<Cow<'a, str>>,
    pub masked_ip: Option<Cow<'a, str>>,
    pub sdk_version: Option<Cow<'a, str>>,
}

impl<'a> DeviceFields<'a> {
    /// Stores a text value for a device field, as [`RawRecord::set`] does; other fields
    /// are not a device's and are ignored.
    pub fn set(&mut self, field: Field, value: Cow<'a, str>) {
        if value.is_empty() {
            return;
        }
        let slot = match field {
            Field::DeviceId => &mut self.device_id,
            Field::ModuleId => &mut self.module_id,
            Field::Protocol => &mut self.protocol,
            Field::MaskedIp => &mut self.masked_ip,
            Field::SdkVersion => &mut self.sdk_version,
            _ => return,
        };
        *slot = Some(value);
    }
}

impl<'a> RawRecord<'a> {
    fn slot(&mut self, field: Field) -> Option<&mut Option<Cow<'a, str>>> {
        Some(match field {
            Field::Time => &mut self.time,
            Field::Operation => &mut self.operation,
            Field::Category => &mut self.category,
            Field::Level => &mut self.level,
            Field::ResultType => &mut self.result_type,
            Field::StatusType => &mut self.status_type,
            Field::Properties => return None,
            Field::DeviceId => &mut self.device_id,
            Field::ModuleId => &mut self.module_id,
            Field::Protocol => &mut self.protocol,
            Field::MaskedIp => &mut self.masked_ip,
            Field::SdkVersion => &mut self.sdk_version,
            Field::ResourceId => &mut self.resource_id,
            Field::ResourceType => &mut self.resource_type,
            Field::TableName => &mut self.table_name,
        })
    }

    /// Stores a text value for a field. Empty strings count as absent.
    pub fn set(&mut self, field: Field, value: Cow<'a, str>) {
        if value.is_empty() {
            return;
        }
        match self.slot(field) {
            Some(slot) => *slot = Some(value),
            None => self.properties = Some(Properties::Text(value)),
        }
    }

    /// Stores a JSON value for a field: strings as they are, numbers and booleans as
    /// their text, `null` as absent, an object only where `properties` may be one.
    pub fn set_json(&mut self, field: Field, value: Value) {
        match value {
            Value::Null => {}
            Value::String(text) => self.set(field, Cow::Owned(text)),
            Value::Number(number) => self.set(field, Cow::Owned(number.to_string())),
            Value::Bool(flag) => self.set(field, Cow::Owned(flag.to_string())),
            Value::Object(object) if field == Field::Properties => {
                for (key, value) in object {
                    if let Some(inner) = Field::from_key(&key).filter(|f| f.is_device_field()) {
                        let mut nested = RawRecord::default();
                        nested.set_json(inner, value);
                        self.absorb(nested);
                    }
                }
                self.properties = Some(Properties::Parsed);
            }
            other => self.set(field, Cow::Owned(other.to_string())),
        }
    }

    /// Builds a raw record from a parsed JSON object, matching keys case-insensitively:
    /// the slow path, which the tests hold the streaming one to.
    #[cfg(test)]
    pub fn from_object(object: Map<String, Value>) -> RawRecord<'static> {
        let mut raw = RawRecord::default();
        for (key, value) in object {
            if let Some(field) = Field::from_key(&key) {
                raw.set_json(field, value);
            }
        }
        raw
    }

    /// Reads one key's value from a JSON map into the record.
    pub fn read_value<'de: 'a, A: MapAccess<'de>>(
        &mut self,
        field: Field,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if field == Field::Properties {
            let properties = map.next_value_seed(PropertiesSeed { raw: self })?;
            if let Some(properties) = properties {
                self.properties = Some(properties);
            }
        } else if let Some(text) = map.next_value::<Text<'de>>()?.0 {
            self.set(field, text);
        }
        Ok(())
    }

    /// `az monitor log-analytics query` writes every null as the text `None`.
    pub fn clear_python_nones(&mut self) {
        for slot in [
            &mut self.time,
            &mut self.operation,
            &mut self.category,
            &mut self.level,
            &mut self.result_type,
            &mut self.status_type,
            &mut self.resource_id,
            &mut self.resource_type,
        ] {
            if slot.as_deref() == Some("None") {
                *slot = None;
            }
        }
        if matches!(&self.properties, Some(Properties::Text(text)) if text == "None") {
            self.properties = None;
        }
    }

    /// Validates the record and decides whether it is analyzed, filtered or skipped. Its
    /// texts are taken, not copied: the record is spent. (Taken where it lies: a record is
    /// a few hundred bytes, and moving each into this call cost a copy per record.)
    pub fn finish(&mut self) -> Outcome {
        if let Some(reason) = self.scope() {
            return Outcome::Filtered(reason);
        }
        // The record's own columns win over properties; properties fill the gaps.
        match self.properties.take() {
            Some(Properties::Text(text)) => match serde_json::from_str::<PropertyFields<'_>>(&text)
            {
                Ok(PropertyFields(Some(fields))) => self.absorb(fields),
                Ok(PropertyFields(None)) => {}
                Err(err) if err.is_data() => return Outcome::Skipped(NOT_AN_OBJECT.to_string()),
                Err(err) => {
                    return Outcome::Skipped(format!("properties is not valid JSON ({err})"));
                }
            },
            Some(Properties::NotAnObject) => return Outcome::Skipped(NOT_AN_OBJECT.to_string()),
            Some(Properties::Parsed) | None => {}
        }
        let time = match (self.parsed_time, self.time.as_deref()) {
            (Some(time), _) => time,
            (None, Some(text)) => match parse_rfc3339(text) {
                Some(time) => time,
                None => return Outcome::Skipped(format!("unreadable time {:?}", clip(text))),
            },
            (None, None) => return Outcome::Skipped("no time".to_string()),
        };
        // A valid time and offset can still land outside the years RFC 3339 can write
        // (`0001-01-01T00:00:00+14:00`), which no report could then print as it reads.
        // (`naive_utc`: `DateTime::year` adds the zero offset with overflow checks first.)
        if !(1..=9999).contains(&time.naive_utc().year()) {
            let shown = self.time.as_deref().map_or_else(|| time.to_rfc3339(), clip);
            return Outcome::Skipped(format!(
                "time {shown:?} is outside the years 0001 to 9999 once converted to UTC"
            ));
        }
        let Some(device_id) = self.device_id.take() else {
            return Outcome::Skipped(
                "no deviceId (neither in properties nor in a column)".to_string(),
            );
        };
        let Some(operation) = self.operation.as_deref() else {
            return Outcome::Skipped("no operationName".to_string());
        };
        // A record with both keeps `resultType`; 2016-2017 captures have only `statusType`.
        let code = [self.result_type.as_deref(), self.status_type.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|c| !c.is_empty())
            .map(CompactString::from);
        let text = |value: Option<Cow<'_, str>>| value.as_deref().map(CompactString::from);
        Outcome::Record(Record {
            time,
            device_id: CompactString::from(device_id),
            module_id: text(self.module_id.take()),
            operation: Operation::parse(operation),
            level: self.level.as_deref().map_or(Level::Unknown, Level::parse),
            code,
            protocol: text(self.protocol.take()),
            masked_ip: text(self.masked_ip.take()),
            sdk_version: text(self.sdk_version.take()),
            state_event: false,
        })
    }

    /// Takes the device fields another record (parsed `properties`) has, where this one
    /// has none.
    fn absorb(&mut self, other: RawRecord<'_>) {
        let owned = |value: Option<Cow<'_, str>>| value.map(|v| Cow::Owned(v.into_owned()));
        self.fill_device_fields(DeviceFields {
            device_id: owned(other.device_id),
            module_id: owned(other.module_id),
            protocol: owned(other.protocol),
            masked_ip: owned(other.masked_ip),
            sdk_version: owned(other.sdk_version),
        });
    }

    /// Takes the device fields of `properties` read in place (borrowed from the same
    /// input), where this record has none.
    pub fn fill_device_fields(&mut self, other: DeviceFields<'a>) {
        let pairs = [
            (&mut self.device_id, other.device_id),
            (&mut self.module_id, other.module_id),
            (&mut self.protocol, other.protocol),
            (&mut self.masked_ip, other.masked_ip),
            (&mut self.sdk_version, other.sdk_version),
        ];
        for (slot, value) in pairs {
            if slot.is_none() {
                *slot = value;
            }
        }
    }

    /// The filter reason when the record is valid but not an IoT Hub `Connections` event.
    fn scope(&self) -> Option<String> {
        if let Some(kind) = self.resource_type.as_deref()
            && !kind.eq_ignore_ascii_case("IOTHUBS")
        {
            return Some(format!("resource type {} is not an IoT hub", clip(kind)));
        }
        if let Some(id) = self.resource_id.as_deref()
            && !is_iot_hub_resource(id)
        {
            return Some("resource is not an IoT hub".to_string());
        }
        match self.category.as_deref() {
            Some(category) if category.eq_ignore_ascii_case("Connections") => None,
            Some(category) => Some(format!("category {}", clip(category))),
            // A projected export without a category column: the operation tells.
            None => match self.operation.as_deref().map(Operation::parse) {
                Some(Operation::Connect | Operation::Disconnect) | None => None,
                Some(Operation::Other) => {
                    Some("no category and not a connection event".to_string())
                }
            },
        }
    }
}

const NOT_AN_OBJECT: &str = "properties is not a JSON object";

/// What every IoT hub's resource id holds.
const IOT_HUB_PROVIDER: &str = "/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/";

/// True when a resource id names an IoT hub. Azure writes ids upper-case, which a
/// prebuilt searcher finds at once; other spellings take the slow way.
fn is_iot_hub_resource(id: &str) -> bool {
    // A file holds one hub's records, or a few hubs': remember the last answer.
    thread_local! {
        static LAST: std::cell::RefCell<(String, bool)> = const {
            std::cell::RefCell::new((String::new(), false))
        };
    }
    LAST.with_borrow_mut(|(last, answer)| {
        if last != id {
            *answer = search_iot_hub_provider(id);
            last.clear();
            last.push_str(id);
        }
        *answer
    })
}

fn search_iot_hub_provider(id: &str) -> bool {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(IOT_HUB_PROVIDER));
    finder.find(id.as_bytes()).is_some()
        || id
            .as_bytes()
            .windows(IOT_HUB_PROVIDER.len())
            .any(|w| w.eq_ignore_ascii_case(IOT_HUB_PROVIDER.as_bytes()))
}

/// A JSON object read straight into a [`RawRecord`], keys matched case-insensitively and
/// unknown keys skipped without building them.
impl<'de> Deserialize<'de> for RawRecord<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = RawRecord<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRecord<'de>, A::Error> {
                let mut raw = RawRecord::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match KeyKind::of(&key.0) {
                        KeyKind::Field(field) => raw.read_value(field, &mut map)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(raw)
            }
        }
        deserializer.deserialize_map(RecordVisitor)
    }
}

/// A map key, borrowed when it has no escapes.
pub struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Text::deserialize(deserializer).map(|text| Key(text.0.unwrap_or_default()))
    }
}

/// Any JSON scalar as text: strings borrowed when they have no escapes, numbers and
/// booleans as their text, `null` as nothing. Objects and arrays become their JSON text.
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Text(Some(Cow::Owned(value.to_string()))))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
                let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Text(Some(Cow::Owned(value.to_string()))))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// The value of `properties`: a string kept for later, an object whose device fields go
/// straight into the record, or `null`.
struct PropertiesSeed<'r, 'a> {
    raw: &'r mut RawRecord<'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for PropertiesSeed<'_, 'a> {
    type Value = Option<Properties<'a>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for PropertiesSeed<'_, 'a> {
    type Value = Option<Properties<'a>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("properties as a JSON string, an object or null")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then_some(Properties::Text(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| Properties::Text(Cow::Owned(v.to_string()))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then_some(Properties::Text(Cow::Owned(v))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let fields = RawRecord::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.raw.absorb(fields);
        Ok(Some(Properties::Parsed))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Some(Properties::NotAnObject))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Some(Properties::NotAnObject))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some(Properties::NotAnObject))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some(Properties::NotAnObject))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some(Properties::NotAnObject))
    }
}

/// The JSON document inside a `properties` string: an object (its device fields), or
/// `null`; anything else is a data error.
struct PropertyFields<'a>(Option<RawRecord<'a>>);

impl<'de> Deserialize<'de> for PropertyFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<RawRecord<'de>>::deserialize(deserializer).map(PropertyFields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Both ways a JSON record is read: as a parsed object (documents, arrays) and
    /// straight from its text (JSON Lines); they must agree.
    fn finish(value: Value) -> Outcome {
        let text = value.to_string();
        let streamed = serde_json::from_str::<RawRecord<'_>>(&text)
            .expect("an object")
            .finish();
        let Value::Object(object) = value else {
            unreachable!("test input is an object")
        };
        let parsed = RawRecord::from_object(object).finish();
        assert_eq!(streamed, parsed, "{text}");
        streamed
    }

    #[test]
    fn properties_may_be_a_string_an_object_or_null() {
        let as_string = json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceDisconnect",
            "category": "Connections", "resultType": "404104",
            "properties": "{\"deviceId\":\"pump-0042\",\"authType\":null,\"maskedIpAddress\":\"203.0.113.XXX\"}"});
        let as_object = json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceDisconnect",
            "category": "Connections", "resultType": 404104,
            "properties": {"deviceId": "pump-0042", "authType": {"type": "sas"}, "maskedIpAddress": "203.0.113.XXX"}});
        for value in [as_string, as_object] {
            let Outcome::Record(record) = finish(value) else {
                panic!("not a record")
            };
            assert_eq!(record.device_id, "pump-0042");
            assert_eq!(record.code.as_deref(), Some("404104"));
            assert_eq!(record.masked_ip.as_deref(), Some("203.0.113.XXX"));
        }
        let null = json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceConnect",
            "category": "Connections", "properties": null, "DeviceId": "pump-0042"});
        assert!(matches!(finish(null), Outcome::Record(_)));
    }

    #[test]
    fn other_categories_and_resources_are_filtered_with_a_reason() {
        let routes = json!({"time": "2026-03-02T09:10:05Z", "operationName": "endpointUnhealthy",
            "category": "Routes", "properties": "{}"});
        assert_eq!(
            finish(routes),
            Outcome::Filtered("category Routes".to_string())
        );
        let dps = json!({"TimeGenerated": "2026-03-02T09:10:05Z", "OperationName": "AttestationAttempt",
            "Category": "DeviceOperations", "ResourceType": "PROVISIONINGSERVICES"});
        assert_eq!(
            finish(dps),
            Outcome::Filtered("resource type PROVISIONINGSERVICES is not an IoT hub".to_string())
        );
    }

    #[test]
    fn malformed_records_are_skipped_with_the_reason() {
        let cases = [
            (
                json!({"operationName": "deviceConnect", "category": "Connections", "DeviceId": "d"}),
                "no time",
            ),
            (
                json!({"time": "yesterday", "operationName": "deviceConnect", "category": "Connections", "DeviceId": "d"}),
                "unreadable time \"yesterday\"",
            ),
            (
                json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceConnect", "category": "Connections",
                    "properties": "{\"protocol\":\"Mqtt\"}"}),
                "no deviceId (neither in properties nor in a column)",
            ),
            (
                json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceConnect", "category": "Connections",
                    "properties": "{not json"}),
                "properties is not valid JSON",
            ),
        ];
        for (value, reason) in cases {
            match finish(value) {
                Outcome::Skipped(message) => assert!(message.starts_with(reason), "{message}"),
                other => panic!("expected a skip for {reason}, got {other:?}"),
            }
        }
    }

    #[test]
    fn iot_hub_resource_ids_are_recognised_in_any_case() {
        let upper = "/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/HUB";
        assert!(is_iot_hub_resource(upper));
        assert!(is_iot_hub_resource(&upper.to_lowercase()));
        assert!(!is_iot_hub_resource(
            "/SUBSCRIPTIONS/X/PROVIDERS/MICROSOFT.DEVICES/PROVISIONINGSERVICES/DPS"
        ));
    }

    #[test]
    fn values_without_escapes_are_borrowed_from_the_input() {
        let text = r#"{"time":"2026-03-02T09:10:05Z","operationName":"deviceConnect","properties":"{\"deviceId\":\"d\"}"}"#;
        let raw: RawRecord<'_> = serde_json::from_str(text).expect("an object");
        assert!(matches!(raw.time, Some(Cow::Borrowed(_))));
        assert!(
            matches!(raw.properties, Some(Properties::Text(Cow::Owned(_)))),
            "escaped, so unescaped into a copy"
        );
    }

    #[test]
    fn the_operations_monitoring_code_is_read_where_there_is_no_result_type() {
        let old = |extra: Value| {
            let mut value = json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceDisconnect",
                "category": "Connections", "level": "Error", "deviceId": "pump-0042", "protocol": "Mqtt",
                "authType": "{\"scope\":\"device\",\"type\":\"sas\",\"issuer\":\"iothub\"}",
                "durationMs": 0, "statusCode": "401", "statusDescription": "IotHubUnauthorized"});
            if let (Value::Object(record), Value::Object(extra)) = (&mut value, extra) {
                record.extend(extra);
            }
            match finish(value) {
                Outcome::Record(record) => (record.device_id.to_string(), record.code),
                other => panic!("not a record: {other:?}"),
            }
        };
        let code = |text: &str| Some(CompactString::from(text));
        let device = "pump-0042".to_string();
        assert_eq!(
            old(json!({"statusType": "401003"})),
            (device.clone(), code("401003"))
        );
        assert_eq!(
            old(json!({"statusType": 404104})),
            (device.clone(), code("404104"))
        );
        assert_eq!(
            old(json!({"resultType": " ", "statusType": "404104"})),
            (device.clone(), code("404104"))
        );
        assert_eq!(
            old(json!({"resultType": "409002", "statusType": "404104"})),
            (device.clone(), code("409002"))
        );
        assert_eq!(old(json!({"statusType": ""})), (device, None));
    }

    #[test]
    fn properties_of_another_type_are_skipped() {
        for properties in [json!(5), json!(true), json!([1, 2])] {
            let value = json!({"time": "2026-03-02T09:10:05Z", "operationName": "deviceConnect",
                "category": "Connections", "properties": properties});
            assert_eq!(finish(value), Outcome::Skipped(NOT_AN_OBJECT.to_string()));
        }
    }
}

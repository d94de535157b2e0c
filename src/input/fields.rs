//! The carrier-independent middle of every parser: export columns and keys mapped to the
//! fields we use (case-insensitively, across resource-log and Log Analytics names), and
//! the conversion of one collected record into a [`Record`], a filter reason or a skip.

use super::time::parse_rfc3339;
use crate::model::{Level, Operation, Position, Record};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The fields the analysis needs, whatever a carrier calls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Time,
    Operation,
    Category,
    Level,
    ResultType,
    ResultDescription,
    Properties,
    DeviceId,
    ModuleId,
    Protocol,
    MaskedIp,
    SdkVersion,
    ResourceId,
    ResourceType,
    TableName,
}

impl Field {
    /// Maps a key or column name to a field. Case-insensitive; Log Analytics type
    /// suffixes (`_s`, `_d`) and portal suffixes (` [UTC]`) are ignored.
    pub fn from_key(key: &str) -> Option<Field> {
        let key = strip_time_suffix(key).0.trim();
        let lower = key.to_ascii_lowercase();
        let base = lower
            .strip_suffix("_s")
            .or_else(|| lower.strip_suffix("_d"))
            .unwrap_or(&lower);
        Some(match base {
            "time" | "timegenerated" => Field::Time,
            "operationname" => Field::Operation,
            "category" => Field::Category,
            "level" => Field::Level,
            "resulttype" => Field::ResultType,
            "resultdescription" => Field::ResultDescription,
            "properties" => Field::Properties,
            "deviceid" | "device_id" | "device" => Field::DeviceId,
            "moduleid" | "module_id" => Field::ModuleId,
            "protocol" => Field::Protocol,
            "maskedipaddress" => Field::MaskedIp,
            "sdkversion" => Field::SdkVersion,
            "resourceid" | "_resourceid" => Field::ResourceId,
            "resourcetype" => Field::ResourceType,
            "tablename" => Field::TableName,
            _ => return None,
        })
    }
}

/// How a column's times are to be read, from the portal's header suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBasis {
    /// No suffix, or ` [UTC]`.
    Utc,
    /// ` [Local Time]`: the exporting browser's zone, not stated in the file.
    Local,
    /// ` [UTC+01:00]` and the like: a stated offset, in seconds east of UTC.
    Offset(i32),
}

/// Splits a portal header into the column name and the zone its suffix states.
pub fn strip_time_suffix(header: &str) -> (&str, TimeBasis) {
    let header = header.trim();
    let Some(open) = header.rfind('[') else {
        return (header, TimeBasis::Utc);
    };
    let Some(inner) = header[open + 1..].strip_suffix(']') else {
        return (header, TimeBasis::Utc);
    };
    let name = header[..open].trim_end();
    let inner = inner.trim();
    if inner.eq_ignore_ascii_case("local time") || inner.eq_ignore_ascii_case("local") {
        return (name, TimeBasis::Local);
    }
    if inner.eq_ignore_ascii_case("utc") {
        return (name, TimeBasis::Utc);
    }
    match inner
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("utc"))
        .and_then(|_| parse_offset(&inner[3..]))
    {
        Some(seconds) => (name, TimeBasis::Offset(seconds)),
        None => (header, TimeBasis::Utc),
    }
}

/// Parses `+01:00`, `-0530`, `+2`, `Z` or `UTC` into seconds east of UTC.
pub fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("z") || text.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes()[0] {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// The `properties` payload, as a carrier delivers it.
#[derive(Debug, Clone)]
pub enum Properties {
    Text(String),
    Object(Map<String, Value>),
}

/// The fields of one record as collected from a carrier, not yet validated.
#[derive(Debug, Default, Clone)]
pub struct RawRecord {
    pub time: Option<String>,
    /// A time already parsed by the carrier (CSV locale formats).
    pub parsed_time: Option<DateTime<Utc>>,
    pub operation: Option<String>,
    pub category: Option<String>,
    pub level: Option<String>,
    pub result_type: Option<String>,
    pub result_description: Option<String>,
    pub properties: Option<Properties>,
    pub device_id: Option<String>,
    pub module_id: Option<String>,
    pub protocol: Option<String>,
    pub masked_ip: Option<String>,
    pub sdk_version: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub table_name: Option<String>,
}

/// What became of one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Record(Box<Record>),
    /// Valid, but outside the analysis scope; the reason is a short stable phrase.
    Filtered(String),
    /// Malformed; the reason says what is wrong.
    Skipped(String),
}

impl RawRecord {
    /// Stores a text value for a field. Empty strings count as absent.
    pub fn set(&mut self, field: Field, value: String) {
        if value.is_empty() {
            return;
        }
        let slot = match field {
            Field::Time => &mut self.time,
            Field::Operation => &mut self.operation,
            Field::Category => &mut self.category,
            Field::Level => &mut self.level,
            Field::ResultType => &mut self.result_type,
            Field::ResultDescription => &mut self.result_description,
            Field::Properties => {
                self.properties = Some(Properties::Text(value));
                return;
            }
            Field::DeviceId => &mut self.device_id,
            Field::ModuleId => &mut self.module_id,
            Field::Protocol => &mut self.protocol,
            Field::MaskedIp => &mut self.masked_ip,
            Field::SdkVersion => &mut self.sdk_version,
            Field::ResourceId => &mut self.resource_id,
            Field::ResourceType => &mut self.resource_type,
            Field::TableName => &mut self.table_name,
        };
        *slot = Some(value);
    }

    /// Stores a JSON value for a field: strings as they are, numbers and booleans as
    /// their text, `null` as absent, an object only where `properties` may be one.
    pub fn set_json(&mut self, field: Field, value: Value) {
        match value {
            Value::Null => {}
            Value::String(text) => self.set(field, text),
            Value::Number(number) => self.set(field, number.to_string()),
            Value::Bool(flag) => self.set(field, flag.to_string()),
            Value::Object(object) if field == Field::Properties => {
                self.properties = Some(Properties::Object(object));
            }
            other => self.set(field, other.to_string()),
        }
    }

    /// Builds a raw record from a JSON object, matching keys case-insensitively.
    pub fn from_object(object: Map<String, Value>) -> RawRecord {
        let mut raw = RawRecord::default();
        for (key, value) in object {
            if let Some(field) = Field::from_key(&key) {
                raw.set_json(field, value);
            }
        }
        raw
    }

    /// `az monitor log-analytics query` writes every null as the text `None`.
    pub fn clear_python_nones(&mut self) {
        for slot in [
            &mut self.time,
            &mut self.operation,
            &mut self.category,
            &mut self.level,
            &mut self.result_type,
            &mut self.result_description,
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

    /// Validates the record and decides whether it is analyzed, filtered or skipped.
    pub fn finish(mut self, position: Position) -> Outcome {
        if let Some(reason) = self.scope() {
            return Outcome::Filtered(reason);
        }
        if let Err(reason) = self.absorb_properties() {
            return Outcome::Skipped(reason);
        }
        let time = match (self.parsed_time, self.time.as_deref()) {
            (Some(time), _) => time,
            (None, Some(text)) => match parse_rfc3339(text) {
                Some(time) => time,
                None => return Outcome::Skipped(format!("unreadable time {:?}", clip(text))),
            },
            (None, None) => return Outcome::Skipped("no time".to_string()),
        };
        let Some(device_id) = self.device_id.take() else {
            return Outcome::Skipped(
                "no deviceId (neither in properties nor in a column)".to_string(),
            );
        };
        let Some(operation) = self.operation.as_deref() else {
            return Outcome::Skipped("no operationName".to_string());
        };
        let code = self
            .result_type
            .take()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        Outcome::Record(Box::new(Record {
            time,
            device_id,
            module_id: self.module_id.take(),
            operation: Operation::parse(operation),
            level: self.level.as_deref().map_or(Level::Unknown, Level::parse),
            code,
            description: self.result_description.take(),
            protocol: self.protocol.take(),
            masked_ip: self.masked_ip.take(),
            sdk_version: self.sdk_version.take(),
            position,
        }))
    }

    /// The filter reason when the record is valid but not an IoT Hub `Connections` event.
    fn scope(&self) -> Option<String> {
        if let Some(kind) = self.resource_type.as_deref()
            && !kind.eq_ignore_ascii_case("IOTHUBS")
        {
            return Some(format!("resource type {} is not an IoT hub", clip(kind)));
        }
        if let Some(id) = self.resource_id.as_deref()
            && !id
                .to_ascii_uppercase()
                .contains("/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/")
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

    /// Takes device fields out of `properties`; columns already set win.
    fn absorb_properties(&mut self) -> Result<(), String> {
        let object = match self.properties.take() {
            None => return Ok(()),
            Some(Properties::Object(object)) => object,
            Some(Properties::Text(text)) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(object)) => object,
                Ok(Value::Null) => return Ok(()),
                Ok(_) => return Err("properties is not a JSON object".to_string()),
                Err(err) => return Err(format!("properties is not valid JSON ({err})")),
            },
        };
        for (key, value) in object {
            let Some(field) = Field::from_key(&key) else {
                continue;
            };
            if !matches!(
                field,
                Field::DeviceId
                    | Field::ModuleId
                    | Field::Protocol
                    | Field::MaskedIp
                    | Field::SdkVersion
            ) {
                continue;
            }
            let mut inner = RawRecord::default();
            inner.set_json(field, value);
            let (slot, value) = match field {
                Field::DeviceId => (&mut self.device_id, inner.device_id),
                Field::ModuleId => (&mut self.module_id, inner.module_id),
                Field::Protocol => (&mut self.protocol, inner.protocol),
                Field::MaskedIp => (&mut self.masked_ip, inner.masked_ip),
                _ => (&mut self.sdk_version, inner.sdk_version),
            };
            if slot.is_none() {
                *slot = value;
            }
        }
        Ok(())
    }
}

/// Shortens untrusted text quoted in a message.
pub fn clip(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            _ => unreachable!("test input is an object"),
        }
    }

    fn finish(value: Value) -> Outcome {
        RawRecord::from_object(object(value)).finish(Position::line(0, 1))
    }

    #[test]
    fn keys_match_across_carriers_and_case() {
        let cases = [
            ("time", Some(Field::Time)),
            ("TimeGenerated", Some(Field::Time)),
            ("TimeGenerated [UTC]", Some(Field::Time)),
            ("TimeGenerated [Local Time]", Some(Field::Time)),
            ("properties_s", Some(Field::Properties)),
            ("PROPERTIES", Some(Field::Properties)),
            ("deviceId_s", Some(Field::DeviceId)),
            ("DeviceId", Some(Field::DeviceId)),
            ("resourceid", Some(Field::ResourceId)),
            ("_ResourceId", Some(Field::ResourceId)),
            ("TenantId", None),
        ];
        for (key, field) in cases {
            assert_eq!(Field::from_key(key), field, "{key}");
        }
    }

    #[test]
    fn header_suffixes_state_the_time_basis() {
        assert_eq!(
            strip_time_suffix("TimeGenerated [UTC]"),
            ("TimeGenerated", TimeBasis::Utc)
        );
        assert_eq!(
            strip_time_suffix("TimeGenerated [Local Time]"),
            ("TimeGenerated", TimeBasis::Local)
        );
        assert_eq!(
            strip_time_suffix("TimeGenerated [UTC+01:00]"),
            ("TimeGenerated", TimeBasis::Offset(3600))
        );
        assert_eq!(
            strip_time_suffix("TimeGenerated [UTC-05:30]"),
            ("TimeGenerated", TimeBasis::Offset(-19800))
        );
        assert_eq!(
            strip_time_suffix("TimeGenerated"),
            ("TimeGenerated", TimeBasis::Utc)
        );
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
    fn offsets_parse_in_their_usual_spellings() {
        for (text, seconds) in [
            ("+01:00", 3600),
            ("-0530", -19800),
            ("+2", 7200),
            ("Z", 0),
            ("UTC", 0),
        ] {
            assert_eq!(parse_offset(text), Some(seconds), "{text}");
        }
        assert_eq!(parse_offset("Europe/Paris"), None);
    }
}

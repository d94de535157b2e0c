//! The names of things across carriers: export columns and keys mapped to the fields we
//! use (case-insensitively, across resource-log and Log Analytics names), the portal's
//! time-zone header suffixes, and UTC offsets.

/// The fields the analysis needs, whatever a carrier calls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Time,
    Operation,
    Category,
    Level,
    ResultType,
    /// The operations-monitoring schema's code (2016-2017 captures), used where a
    /// record has no `resultType`.
    StatusType,
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

/// What a key of a JSON object is: one of our fields, one of the keys that make an object a
/// wrapper rather than a record, or something we skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Field(Field),
    /// `records` of an Event Hubs body.
    Records,
    /// `tables` of a Log Analytics query response.
    Tables,
    /// `error` beside the tables (`PartialError`).
    Error,
    Other,
}

impl KeyKind {
    /// Classifies a key. Keys as Azure spells them are recognised at once; any other
    /// spelling goes through the case-insensitive match.
    pub fn of(key: &str) -> KeyKind {
        match key {
            "time" | "TimeGenerated" => KeyKind::Field(Field::Time),
            "operationName" | "OperationName" => KeyKind::Field(Field::Operation),
            "category" | "Category" => KeyKind::Field(Field::Category),
            "level" | "Level" => KeyKind::Field(Field::Level),
            "resultType" | "ResultType" => KeyKind::Field(Field::ResultType),
            "statusType" => KeyKind::Field(Field::StatusType),
            "properties" | "properties_s" => KeyKind::Field(Field::Properties),
            "deviceId" => KeyKind::Field(Field::DeviceId),
            "protocol" => KeyKind::Field(Field::Protocol),
            "maskedIpAddress" => KeyKind::Field(Field::MaskedIp),
            "sdkVersion" => KeyKind::Field(Field::SdkVersion),
            "resourceId" | "ResourceId" | "_ResourceId" => KeyKind::Field(Field::ResourceId),
            "ResourceType" => KeyKind::Field(Field::ResourceType),
            "records" => KeyKind::Records,
            "tables" => KeyKind::Tables,
            "resultDescription" | "ResultDescription" | "location" | "location_s" | "authType"
            | "statusCode" | "errorMessage" | "durationMs" | "DurationMs" | "TenantId"
            | "SourceSystem" | "Type" | "SubscriptionId" | "ResourceGroup" | "ResourceProvider"
            | "Resource" | "statusDescription" => KeyKind::Other,
            _ => KeyKind::of_any_case(key),
        }
    }

    fn of_any_case(key: &str) -> KeyKind {
        if let Some(field) = Field::from_key(key) {
            return KeyKind::Field(field);
        }
        if key.eq_ignore_ascii_case("records") {
            KeyKind::Records
        } else if key.eq_ignore_ascii_case("tables") {
            KeyKind::Tables
        } else if key.eq_ignore_ascii_case("error") {
            KeyKind::Error
        } else {
            KeyKind::Other
        }
    }
}

impl Field {
    /// Maps a key or column name to a field. Case-insensitive; Log Analytics type
    /// suffixes (`_s`, `_d`) and portal suffixes (` [UTC]`) are ignored.
    pub fn from_key(key: &str) -> Option<Field> {
        let key = if key.ends_with(']') {
            strip_time_suffix(key).0
        } else {
            key.trim()
        };
        let base = match key.len().checked_sub(2).and_then(|at| key.get(at..)) {
            Some(suffix)
                if suffix.eq_ignore_ascii_case("_s") || suffix.eq_ignore_ascii_case("_d") =>
            {
                &key[..key.len() - 2]
            }
            _ => key,
        };
        // Lower-case into a small buffer (every name is short) and match bytes: this runs
        // for every key of every record.
        let mut lower = [0u8; LONGEST_NAME];
        let folded = lower.get_mut(..base.len())?;
        folded.copy_from_slice(base.as_bytes());
        folded.make_ascii_lowercase();
        Some(match &*folded {
            b"time" | b"timegenerated" => Field::Time,
            b"operationname" => Field::Operation,
            b"category" => Field::Category,
            b"level" => Field::Level,
            b"resulttype" => Field::ResultType,
            b"statustype" => Field::StatusType,
            b"properties" => Field::Properties,
            b"deviceid" | b"device_id" | b"device" => Field::DeviceId,
            b"moduleid" | b"module_id" => Field::ModuleId,
            b"protocol" => Field::Protocol,
            b"maskedipaddress" => Field::MaskedIp,
            b"sdkversion" => Field::SdkVersion,
            b"resourceid" | b"_resourceid" => Field::ResourceId,
            b"resourcetype" => Field::ResourceType,
            b"tablename" => Field::TableName,
            _ => return None,
        })
    }

    /// Fields that `properties` carries about the device.
    pub fn is_device_field(self) -> bool {
        matches!(
            self,
            Field::DeviceId
                | Field::ModuleId
                | Field::Protocol
                | Field::MaskedIp
                | Field::SdkVersion
        )
    }
}

/// The longest name a field goes by (`maskedipaddress`, 15 bytes), rounded up.
const LONGEST_NAME: usize = 16;

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
        // `split_at_checked`: the middle of a multi-byte character is no place to cut.
        None if rest.len() == 4 => rest.split_at_checked(2)?,
        None => (rest, "0"),
    };
    let (hours, minutes) = (unsigned(hours)?, unsigned(minutes)?);
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Digits only: `i32::from_str` would also take a sign (`+-5`), and with it hours that
/// overflow once turned into seconds.
fn unsigned(digits: &str) -> Option<i32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Shortens untrusted text quoted in a message.
/// Shortens untrusted text quoted in a message, with control characters (terminal
/// escapes among them) written as escapes so that a message cannot drive the terminal.
pub fn clip(text: &str) -> String {
    const MAX: usize = 60;
    let mut clipped = String::new();
    for (index, c) in text.chars().enumerate() {
        if index == MAX {
            clipped.push('…');
            break;
        }
        if c.is_control() {
            clipped.extend(c.escape_debug());
        } else {
            clipped.push(c);
        }
    }
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_azure_spells_them_classify_like_any_other_spelling() {
        let keys = [
            "time",
            "TimeGenerated",
            "operationName",
            "OperationName",
            "category",
            "Category",
            "level",
            "Level",
            "resultType",
            "ResultType",
            "properties",
            "properties_s",
            "deviceId",
            "protocol",
            "maskedIpAddress",
            "sdkVersion",
            "resourceId",
            "ResourceId",
            "_ResourceId",
            "ResourceType",
            "records",
            "tables",
            "resultDescription",
            "ResultDescription",
            "location",
            "location_s",
            "authType",
            "statusCode",
            "errorMessage",
            "durationMs",
            "DurationMs",
            "TenantId",
            "SourceSystem",
            "Type",
            "SubscriptionId",
            "ResourceGroup",
            "ResourceProvider",
            "Resource",
            "statusType",
            "statusDescription",
        ];
        for key in keys {
            assert_eq!(KeyKind::of(key), KeyKind::of_any_case(key), "{key}");
        }
        assert_eq!(KeyKind::of("RECORDS"), KeyKind::Records);
        assert_eq!(KeyKind::of("Error"), KeyKind::Error);
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
            ("statusType", Some(Field::StatusType)),
            ("StatusType_s", Some(Field::StatusType)),
            ("statusDescription", None),
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

//! One synthetic event, and the resource-log record it becomes: the hub's fixed
//! identity, the codes the scenarios use, and the `properties` JSON string, all laid
//! out field for field like the reference samples (section 8).

use super::device::{MODULE_SAS, Profile};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::io;

pub(super) const RESOURCE_ID: &str = "/SUBSCRIPTIONS/5F1C2A4E-0000-4000-8000-00000000ABCD/RESOURCEGROUPS/IOT-PROD-RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/CONTOSO-FLEET-HUB";
/// Log Analytics' `_ResourceId`: the same path, lower-cased.
pub(super) const RESOURCE_ID_LOWER: &str = "/subscriptions/5f1c2a4e-0000-4000-8000-00000000abcd/resourcegroups/iot-prod-rg/providers/microsoft.devices/iothubs/contoso-fleet-hub";
pub(super) const TENANT_ID: &str = "0b7c9e1d-0000-4000-8000-0000000000aa";
pub(super) const SUBSCRIPTION_ID: &str = "5f1c2a4e-0000-4000-8000-00000000abcd";
pub(super) const RESOURCE_GROUP: &str = "IOT-PROD-RG";
pub(super) const RESOURCE: &str = "CONTOSO-FLEET-HUB";
pub(super) const LOCATION: &str = "westeurope";
pub(super) const CATEGORY: &str = "Connections";

/// The IoT Hub error codes the scenarios produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Code {
    ClosedRemotely,
    Unauthorized,
    LinkConflict,
    ForcefullyClosed,
    ServerError,
    GenericTimeout,
    /// A refused connect: the hub's rate limit.
    Throttled,
    /// A refused connect: the hub's daily message quota is used up.
    QuotaExceeded,
}

impl Code {
    /// `(resultType, resultDescription, statusCode, errorMessage)`.
    fn texts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        macro_rules! message {
            ($code:literal) => {
                concat!(
                    "Device disconnected, see cause and resolution at https://aka.ms/iothub",
                    $code
                )
            };
        }
        macro_rules! refused {
            ($code:literal) => {
                concat!(
                    "Device connection refused, see cause and resolution at https://aka.ms/iothub",
                    $code
                )
            };
        }
        match self {
            Code::ClosedRemotely => (
                "404104",
                "DeviceConnectionClosedRemotely",
                "404",
                message!("404104"),
            ),
            Code::Unauthorized => ("401003", "IotHubUnauthorized", "401", message!("401003")),
            Code::LinkConflict => ("409002", "LinkCreationConflict", "409", message!("409002")),
            Code::ForcefullyClosed => (
                "400027",
                "ConnectionForcefullyClosedOnNewConnection",
                "400",
                message!("400027"),
            ),
            Code::ServerError => ("500001", "ServerError", "500", message!("500001")),
            Code::GenericTimeout => ("500008", "GenericTimeout", "500", message!("500008")),
            Code::Throttled => ("429001", "ThrottlingException", "429", refused!("429001")),
            Code::QuotaExceeded => ("403002", "IotHubQuotaExceeded", "403", refused!("403002")),
        }
    }

    pub(super) fn result_type(self) -> &'static str {
        self.texts().0
    }

    pub(super) fn description(self) -> &'static str {
        self.texts().1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Connect,
    /// A disconnect; `None` is the informational kind (level Information, no code).
    Disconnect(Option<Code>),
    /// A connect the hub refused (level Error, with the code).
    Refused(Code),
}

impl Kind {
    /// Logged at level `Error`: disconnects with a code and refused connects.
    pub(super) fn is_error(self) -> bool {
        matches!(self, Kind::Disconnect(Some(_)) | Kind::Refused(_))
    }
}

/// One event of one device: a few words, rendered to text only when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Event {
    /// Seconds since the start of the log.
    pub at: i64,
    pub device: u32,
    pub kind: Kind,
    /// Which of the device's two addresses the client used.
    pub address: u8,
    /// 0 for the device identity itself, `n` for its `n`th module (`Profile::modules`).
    pub module: u8,
}

/// A rendered record, borrowed from the [`Renderer`]'s buffers; every shape writes these.
pub(super) struct Row<'a> {
    pub time: DateTime<Utc>,
    /// `time` as RFC 3339, whole seconds, `Z`.
    pub time_text: &'a str,
    pub operation: &'static str,
    pub level: &'static str,
    pub code: Option<Code>,
    /// The `properties` JSON document, as text.
    pub properties: &'a str,
}

/// The `properties` document, keys in the order the hub writes them.
#[derive(Serialize)]
struct Properties<'a> {
    #[serde(rename = "deviceId")]
    device_id: &'a str,
    /// Only module identities have one; absent, not null, for devices.
    #[serde(rename = "moduleId", skip_serializing_if = "Option::is_none")]
    module_id: Option<&'a str>,
    #[serde(rename = "sdkVersion", skip_serializing_if = "Option::is_none")]
    sdk_version: Option<&'a str>,
    protocol: &'a str,
    #[serde(rename = "authType")]
    auth_type: Option<&'a str>,
    #[serde(rename = "maskedIpAddress")]
    masked_ip: &'a str,
    #[serde(rename = "statusCode")]
    status_code: Option<&'a str>,
    #[serde(rename = "errorMessage")]
    error_message: &'a str,
}

/// The resource-log record (JSON Lines, `records`, arrays).
#[derive(Serialize)]
pub(super) struct LogRecord<'a> {
    time: &'a str,
    #[serde(rename = "resourceId")]
    resource_id: &'static str,
    #[serde(rename = "operationName")]
    operation_name: &'static str,
    category: &'static str,
    level: &'static str,
    #[serde(rename = "resultType", skip_serializing_if = "Option::is_none")]
    result_type: Option<&'static str>,
    #[serde(rename = "resultDescription", skip_serializing_if = "Option::is_none")]
    result_description: Option<&'static str>,
    properties: &'a str,
    location: &'static str,
}

impl<'a> LogRecord<'a> {
    pub(super) fn new(row: &Row<'a>) -> LogRecord<'a> {
        LogRecord {
            time: row.time_text,
            resource_id: RESOURCE_ID,
            operation_name: row.operation,
            category: CATEGORY,
            level: row.level,
            result_type: row.code.map(Code::result_type),
            result_description: row.code.map(Code::description),
            properties: row.properties,
            location: LOCATION,
        }
    }
}

/// Turns events into rows, reusing its buffers: one allocation-free render per record.
pub(super) struct Renderer {
    start: i64,
    /// The last rendered time; events come in time order, so the text is rarely redone.
    time_at: Option<i64>,
    time: DateTime<Utc>,
    time_text: String,
    properties: Vec<u8>,
}

impl Renderer {
    pub(super) fn new(start: DateTime<Utc>) -> Renderer {
        Renderer {
            start: start.timestamp(),
            time_at: None,
            time: start,
            time_text: String::new(),
            properties: Vec::with_capacity(512),
        }
    }

    pub(super) fn render<'a>(
        &'a mut self,
        event: &Event,
        device: &'a Profile,
    ) -> io::Result<Row<'a>> {
        if self.time_at != Some(event.at) {
            let unix = self.start.saturating_add(event.at);
            self.time = DateTime::from_timestamp(unix, 0).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "fleet time out of range")
            })?;
            self.time_text = self.time.to_rfc3339_opts(SecondsFormat::Secs, true);
            self.time_at = Some(event.at);
        }
        let (operation, level, code) = match event.kind {
            Kind::Connect => ("deviceConnect", "Information", None),
            Kind::Disconnect(None) => ("deviceDisconnect", "Information", None),
            Kind::Disconnect(Some(code)) => ("deviceDisconnect", "Error", Some(code)),
            Kind::Refused(code) => ("deviceConnect", "Error", Some(code)),
        };
        let texts = code.map(Code::texts);
        let module_id = usize::from(event.module)
            .checked_sub(1)
            .and_then(|index| device.modules.get(index).copied());
        let properties = Properties {
            device_id: &device.id,
            module_id,
            // The hub names the SDK on connects (refused ones too) only.
            sdk_version: matches!(event.kind, Kind::Connect | Kind::Refused(_))
                .then_some(device.sdk),
            protocol: device.protocol,
            // The samples carry authType on connects and on 401003, null elsewhere.
            auth_type: match code {
                None | Some(Code::Unauthorized) if event.kind != Kind::Disconnect(None) => {
                    if module_id.is_some() {
                        Some(MODULE_SAS)
                    } else {
                        device.auth
                    }
                }
                _ => None,
            },
            masked_ip: device.addresses[usize::from(event.address & 1)],
            status_code: texts.map(|t| t.2),
            error_message: texts.map_or("", |t| t.3),
        };
        self.properties.clear();
        serde_json::to_writer(&mut self.properties, &properties)?;
        let properties = std::str::from_utf8(&self.properties)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(Row {
            time: self.time,
            time_text: &self.time_text,
            operation,
            level,
            code,
            properties,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::spec::default_start;

    fn pump() -> Profile {
        Profile {
            id: "pump-0042".to_string(),
            sdk: ".NET/1.42.0 (.NET 6.0.25; Linux 5.15.0-1051-azure #59-Ubuntu SMP; X64)",
            protocol: "Mqtt",
            auth: Some(
                r#"{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}"#,
            ),
            addresses: ["203.0.113.XXX", "192.0.2.XXX"],
            modules: &["$edgeAgent", "$edgeHub", "tempSensor"],
        }
    }

    fn line(at: i64, kind: Kind) -> String {
        module_line(at, kind, 0)
    }

    fn module_line(at: i64, kind: Kind, module: u8) -> String {
        let device = pump();
        let mut renderer = Renderer::new(default_start());
        let event = Event {
            at,
            device: 0,
            kind,
            address: 0,
            module,
        };
        let row = renderer.render(&event, &device).map_err(|e| e.to_string());
        row.and_then(|row| serde_json::to_string(&LogRecord::new(&row)).map_err(|e| e.to_string()))
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn renders_the_reference_samples_byte_for_byte() {
        // Section 8.1, the pump-0042 token renewal, minus nothing.
        let connect = r#"{"time":"2026-03-02T08:00:05Z","resourceId":"/SUBSCRIPTIONS/5F1C2A4E-0000-4000-8000-00000000ABCD/RESOURCEGROUPS/IOT-PROD-RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/CONTOSO-FLEET-HUB","operationName":"deviceConnect","category":"Connections","level":"Information","properties":"{\"deviceId\":\"pump-0042\",\"sdkVersion\":\".NET/1.42.0 (.NET 6.0.25; Linux 5.15.0-1051-azure #59-Ubuntu SMP; X64)\",\"protocol\":\"Mqtt\",\"authType\":\"{\\\"scope\\\":\\\"device\\\",\\\"type\\\":\\\"sas\\\",\\\"issuer\\\":\\\"iothub\\\",\\\"acceptingIpFilterRule\\\":null}\",\"maskedIpAddress\":\"203.0.113.XXX\",\"statusCode\":null,\"errorMessage\":\"\"}","location":"westeurope"}"#;
        let unauthorized = r#"{"time":"2026-03-02T09:10:04Z","resourceId":"/SUBSCRIPTIONS/5F1C2A4E-0000-4000-8000-00000000ABCD/RESOURCEGROUPS/IOT-PROD-RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/CONTOSO-FLEET-HUB","operationName":"deviceDisconnect","category":"Connections","level":"Error","resultType":"401003","resultDescription":"IotHubUnauthorized","properties":"{\"deviceId\":\"pump-0042\",\"protocol\":\"Mqtt\",\"authType\":\"{\\\"scope\\\":\\\"device\\\",\\\"type\\\":\\\"sas\\\",\\\"issuer\\\":\\\"iothub\\\",\\\"acceptingIpFilterRule\\\":null}\",\"maskedIpAddress\":\"203.0.113.XXX\",\"statusCode\":\"401\",\"errorMessage\":\"Device disconnected, see cause and resolution at https://aka.ms/iothub401003\"}","location":"westeurope"}"#;
        let closed = r#"{"time":"2026-03-02T09:10:05Z","resourceId":"/SUBSCRIPTIONS/5F1C2A4E-0000-4000-8000-00000000ABCD/RESOURCEGROUPS/IOT-PROD-RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/CONTOSO-FLEET-HUB","operationName":"deviceDisconnect","category":"Connections","level":"Error","resultType":"404104","resultDescription":"DeviceConnectionClosedRemotely","properties":"{\"deviceId\":\"pump-0042\",\"protocol\":\"Mqtt\",\"authType\":null,\"maskedIpAddress\":\"203.0.113.XXX\",\"statusCode\":\"404\",\"errorMessage\":\"Device disconnected, see cause and resolution at https://aka.ms/iothub404104\"}","location":"westeurope"}"#;
        assert_eq!(line(8 * 3600 + 5, Kind::Connect), connect);
        assert_eq!(
            line(9 * 3600 + 604, Kind::Disconnect(Some(Code::Unauthorized))),
            unauthorized
        );
        assert_eq!(
            line(9 * 3600 + 605, Kind::Disconnect(Some(Code::ClosedRemotely))),
            closed
        );
    }

    #[test]
    fn an_informational_disconnect_has_no_code_and_no_message() {
        let text = line(60, Kind::Disconnect(None));
        assert!(text.contains(r#""level":"Information""#), "{text}");
        assert!(!text.contains("resultType"), "{text}");
        assert!(text.contains(r#"\"authType\":null"#), "{text}");
        assert!(
            text.contains(r#"\"statusCode\":null,\"errorMessage\":\"\""#),
            "{text}"
        );
    }

    #[test]
    fn a_module_event_names_its_module_after_the_device_with_the_module_scope() {
        let text = module_line(60, Kind::Connect, 2);
        assert!(
            text.contains(
                r#"{\"deviceId\":\"pump-0042\",\"moduleId\":\"$edgeHub\",\"sdkVersion\""#
            ),
            "{text}"
        );
        assert!(text.contains(r#"\"scope\\\":\\\"module\\\""#), "{text}");
        assert!(!line(60, Kind::Connect).contains("moduleId"));
    }
}

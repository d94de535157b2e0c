//! What every IoT Hub error code means: the code table as sorted data, and the lookup
//! that also classifies codes the table does not know by their HTTP family.

pub mod links;
pub mod sdk;
mod table;

use crate::model::Severity;
use serde::Serialize;

pub use table::CODES;

/// The kind of problem a code points at. Used to group findings and, later, by rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Auth,
    DuplicateConnection,
    RemoteClose,
    TransientService,
    Maintenance,
    ThrottleQuota,
    DeviceState,
    C2dQueue,
    FileUpload,
    BadRequest,
    Conflict,
    Precondition,
    SizeLimit,
    RoutingConfig,
    AdmConfig,
    PnpModel,
    HubState,
    ClientCancel,
    IdentityMsi,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Auth => "auth",
            Class::DuplicateConnection => "duplicate-connection",
            Class::RemoteClose => "remote-close",
            Class::TransientService => "transient-service",
            Class::Maintenance => "maintenance",
            Class::ThrottleQuota => "throttle-quota",
            Class::DeviceState => "device-state",
            Class::C2dQueue => "c2d-queue",
            Class::FileUpload => "file-upload",
            Class::BadRequest => "bad-request",
            Class::Conflict => "conflict",
            Class::Precondition => "precondition",
            Class::SizeLimit => "size-limit",
            Class::RoutingConfig => "routing-config",
            Class::AdmConfig => "adm-config",
            Class::PnpModel => "pnp-model",
            Class::HubState => "hub-state",
            Class::ClientCancel => "client-cancel",
            Class::IdentityMsi => "identity-msi",
        }
    }
}

/// One documented code. All text is ours, written from the public documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    /// Written as a string in reports, as the logs write it.
    #[serde(serialize_with = "code_as_string")]
    pub code: u32,
    pub name: &'static str,
    pub class: Class,
    pub severity: Severity,
    pub root_cause: &'static str,
    pub resolution: &'static str,
    pub doc: &'static str,
    /// Where sources disagree about this code, what we decided and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference"
)]
fn code_as_string<S: serde::Serializer>(code: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(code)
}

/// What the tool knows about a code as logged, known or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    pub info: CodeInfo,
    /// False when the code is not in the table and `info` was derived from its family.
    pub known: bool,
}

/// Looks a code up in the table.
pub fn lookup(code: u32) -> Option<&'static CodeInfo> {
    CODES
        .binary_search_by_key(&code, |info| info.code)
        .ok()
        .map(|index| &CODES[index])
}

/// The codes whose name is `name`, ignoring case: `iothubunauthorized` is 401003.
pub fn by_name(name: &str) -> Vec<&'static CodeInfo> {
    let name = name.trim();
    CODES
        .iter()
        .filter(|info| info.name.eq_ignore_ascii_case(name))
        .collect()
}

/// Up to `count` codes nearest to `text`, nearest first: by the edit distance (a swap of
/// two neighbours counting once) of their number when `text` is digits, of their name
/// otherwise. Only those close enough to be a slip of the keyboard (a third of the text's
/// length, at least 2 edits) are offered.
pub fn nearest(text: &str, count: usize) -> Vec<&'static CodeInfo> {
    let text = text.trim().to_ascii_lowercase();
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let limit = (text.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &'static CodeInfo)> = CODES
        .iter()
        .map(|info| {
            let against = if digits {
                info.code.to_string()
            } else {
                info.name.to_ascii_lowercase()
            };
            (strsim::osa_distance(&text, &against), info)
        })
        .filter(|(distance, _)| *distance <= limit)
        .collect();
    scored.sort_by_key(|(distance, info)| (*distance, info.code));
    scored
        .into_iter()
        .take(count)
        .map(|(_, info)| info)
        .collect()
}

/// Explains a `ResultType` string: the table entry, or a classification by the HTTP
/// family (the first three digits) flagged as unknown. `None` when it is not numeric.
pub fn explain(code: &str) -> Option<Explanation> {
    let code = code.trim();
    if code.is_empty() || code.len() > 9 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = code.parse().ok()?;
    if let Some(info) = lookup(number) {
        return Some(Explanation {
            info: *info,
            known: true,
        });
    }
    Some(Explanation {
        info: family(code),
        known: false,
    })
}

/// A stand-in entry for a code the table does not hold, from its HTTP family.
fn family(code: &str) -> CodeInfo {
    let status: u32 = code.get(..3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (name, class, severity, root_cause, resolution) = match status {
        400 => (
            "UnknownBadRequest",
            Class::BadRequest,
            Severity::Medium,
            "The hub rejected the request as malformed (HTTP 400 family); this sub-code is not documented",
            "Check what the client sends; update the SDK",
        ),
        401 => (
            "UnknownUnauthorized",
            Class::Auth,
            Severity::High,
            "Authentication failed (HTTP 401 family); this sub-code is not documented",
            "Check the device credentials (SAS token, key, certificate) and the device clock",
        ),
        403 => (
            "UnknownForbidden",
            Class::ThrottleQuota,
            Severity::High,
            "The hub refused the operation (HTTP 403 family: quota, tier or permission); this sub-code is not documented",
            "Check the hub's quotas, tier and the identity's permissions",
        ),
        404 => (
            "UnknownNotFound",
            Class::DeviceState,
            Severity::Medium,
            "Something the request names was not found (HTTP 404 family); this sub-code is not documented",
            "Check device, module and endpoint ids",
        ),
        405 => (
            "UnknownMethodNotAllowed",
            Class::BadRequest,
            Severity::Medium,
            "Operation not allowed (HTTP 405 family); this sub-code is not documented",
            "Check the operation against the resource's state",
        ),
        409 => (
            "UnknownConflict",
            Class::Conflict,
            Severity::Medium,
            "Conflict with the resource's current state (HTTP 409 family); this sub-code is not documented",
            "Re-read the resource and retry",
        ),
        412 => (
            "UnknownPreconditionFailed",
            Class::Precondition,
            Severity::Medium,
            "A precondition failed (HTTP 412 family); this sub-code is not documented",
            "Re-read the resource (ETag) and retry",
        ),
        413 => (
            "UnknownTooLarge",
            Class::SizeLimit,
            Severity::Medium,
            "Request too large (HTTP 413 family); this sub-code is not documented",
            "Reduce the size of the request",
        ),
        415 => (
            "UnknownUnsupportedMediaType",
            Class::BadRequest,
            Severity::Medium,
            "Unsupported media type (HTTP 415 family); this sub-code is not documented",
            "Check content type and encoding",
        ),
        429 => (
            "UnknownThrottling",
            Class::ThrottleQuota,
            Severity::High,
            "Throttled (HTTP 429 family); this sub-code is not documented",
            "Back off and spread the load; check the hub's tier and units",
        ),
        499 => (
            "UnknownClientClosed",
            Class::ClientCancel,
            Severity::Low,
            "The client closed the request (HTTP 499 family); this sub-code is not documented",
            "Check client timeouts; retry",
        ),
        500..=599 => (
            "UnknownServerError",
            Class::TransientService,
            Severity::Medium,
            "Server-side fault (HTTP 5xx family); this sub-code is not documented",
            "Retry with back-off; if it persists check Resource Health and Azure status",
        ),
        _ => (
            "Unknown",
            Class::BadRequest,
            Severity::Medium,
            "Not an IoT Hub error code family the documentation describes",
            "Look the value up in the hub's documentation or open a support case",
        ),
    };
    CodeInfo {
        code: code.parse().unwrap_or(0),
        name,
        class,
        severity,
        root_cause,
        resolution,
        doc: DOC_ERROR_CODES,
        note: None,
    }
}

/// The error-code troubleshooting article, the link of every entry (see [`links`]).
pub const DOC_ERROR_CODES: &str = links::ERROR_CODES;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_by_name_whatever_the_case_and_near_misses_are_offered() {
        let found: Vec<u32> = by_name("iothubunauthorized")
            .iter()
            .map(|i| i.code)
            .collect();
        assert_eq!(found, [401_003]);
        assert!(by_name("NoSuchName").is_empty());
        let near: Vec<u32> = nearest("DeviceConectionClosedRemotly", 3)
            .iter()
            .map(|i| i.code)
            .collect();
        assert_eq!(near.first(), Some(&404_104));
        let near: Vec<u32> = nearest("404140", 3).iter().map(|i| i.code).collect();
        assert!(near.contains(&404_104), "{near:?}");
        assert!(nearest("zzzzzzzzzzzzzzzz", 3).is_empty());
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in CODES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} must come before {}",
                pair[0].code,
                pair[1].code
            );
        }
    }

    #[test]
    fn every_entry_is_complete() {
        for info in CODES {
            assert!(!info.name.is_empty(), "{} has no name", info.code);
            assert!(
                info.root_cause.len() > 10,
                "{} has no root cause",
                info.code
            );
            assert!(info.resolution.len() > 3, "{} has no resolution", info.code);
            assert!(
                links::ALL.contains(&info.doc),
                "{}: every link comes from rules::links",
                info.code
            );
        }
    }

    #[test]
    fn transient_server_errors_follow_the_troubleshooting_order() {
        for code in ["500001", "500008"] {
            let resolution = explain(code).expect("known").info.resolution;
            let order = [
                "back-off",
                "Resource Health",
                "Azure status",
                "support case",
            ]
            .map(|step| resolution.find(step).expect(step));
            assert!(order.is_sorted(), "{code}: {resolution}");
            assert!(!resolution.contains("failover"), "{code}: {resolution}");
        }
    }

    #[test]
    fn table_holds_every_documented_family() {
        assert!(CODES.len() >= 150, "only {} codes", CODES.len());
        for code in [
            400027, 401003, 404104, 409002, 500001, 500008, 503003, 504101,
        ] {
            assert!(lookup(code).is_some(), "{code} missing");
        }
    }

    #[test]
    fn unknown_codes_are_classified_by_family_and_flagged() {
        let cases = [
            ("408002", Class::BadRequest),
            ("401999", Class::Auth),
            ("500777", Class::TransientService),
            ("429555", Class::ThrottleQuota),
        ];
        for (code, class) in cases {
            let explanation = explain(code).expect("numeric");
            assert!(!explanation.known, "{code}");
            assert_eq!(explanation.info.class, class, "{code}");
        }
    }

    #[test]
    fn known_codes_are_found_and_non_numeric_values_are_not_codes() {
        let known = explain("404104").expect("numeric");
        assert!(known.known);
        assert_eq!(known.info.name, "DeviceConnectionClosedRemotely");
        assert!(explain("Success").is_none());
        assert!(explain("").is_none());
    }
}

//! The kinds of pattern the analysis reports, each with its name and its general texts
//! in one table: every output that describes a kind (SARIF rules, the HTML and Markdown
//! legends) reads them from here.

use serde::Serialize;

/// The pattern an insight reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InsightKind {
    TokenRenewal,
    Flapping,
    DuplicateIdentity,
    CredentialFailure,
    Offline,
    Takeover,
    PeriodicDrop,
    SideEffect,
    HubIncident,
    MassDisconnect,
    Throttling,
    Cohort,
}

/// What a kind is called and what it means in general; each insight's own summary and
/// action have the specifics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindText {
    /// The stable name: JSON `kind` and rule ids `insight/<name>`.
    pub name: &'static str,
    /// One line: what the pattern is.
    pub title: &'static str,
    /// What to do about it, in general.
    pub help: &'static str,
}

impl InsightKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [InsightKind; 12] = [
        InsightKind::TokenRenewal,
        InsightKind::Flapping,
        InsightKind::DuplicateIdentity,
        InsightKind::CredentialFailure,
        InsightKind::Offline,
        InsightKind::Takeover,
        InsightKind::PeriodicDrop,
        InsightKind::SideEffect,
        InsightKind::HubIncident,
        InsightKind::MassDisconnect,
        InsightKind::Throttling,
        InsightKind::Cohort,
    ];

    /// The kind's name and texts. The match is exhaustive: a new kind cannot go
    /// without them.
    pub fn text(self) -> KindText {
        let (name, title, help) = match self {
            InsightKind::TokenRenewal => (
                "token_renewal",
                "SAS token renewal: the SDK reconnects to renew its token",
                "Expected behaviour, no action needed. A longer token lifetime makes the reconnects rarer.",
            ),
            InsightKind::Flapping => (
                "flapping",
                "Flapping: the device loses its connection again and again",
                "Look at the dominant code: 404104 points to keep-alive or the network, 401003 to credentials, 400027 or 409002 to a second client using the identity.",
            ),
            InsightKind::DuplicateIdentity => (
                "duplicate_identity",
                "Duplicate identity: two clients share one device or module identity",
                "Give every client its own identity: stop duplicate processes or containers and re-provision cloned images.",
            ),
            InsightKind::CredentialFailure => (
                "credential_failure",
                "Credential failure: repeated authentication failures since the last connect",
                "Check the device's SAS token, key or certificate and its clock.",
            ),
            InsightKind::Offline => (
                "offline",
                "Offline: the device disconnected and never came back",
                "Check the device's power, network and logs around the disconnect, and that it retries with back-off.",
            ),
            InsightKind::Takeover => (
                "takeover",
                "Takeover: a newer connection of the same identity closed the older one",
                "None if rare: close the client before opening a new connection; if it recurs, look for a second client using the identity.",
            ),
            InsightKind::PeriodicDrop => (
                "periodic_drop",
                "Periodic drop: the connection ends after about the same time, again and again",
                "Something on the path closes idle or long connections on a timer: a NAT, firewall or proxy idle timeout shorter than the MQTT keep-alive (lower the keep-alive below it), or edgeHub's one-hour idle timeout for module connections.",
            ),
            InsightKind::SideEffect => (
                "side_effect",
                "Side effect: 409002 caused by another error of the device",
                "Fix the preceding error; the 409002s follow from the immediate reconnect.",
            ),
            InsightKind::HubIncident => (
                "hub_incident",
                "Hub incident: many devices got server errors together",
                "Server-side: check Azure Resource Health and Azure status for the hub; devices need no change.",
            ),
            InsightKind::MassDisconnect => (
                "mass_disconnect",
                "Mass disconnect: many identities dropped together",
                "Look at what the dropped devices share (address ranges, site, network, firmware or SDK rollout) at that time; devices should reconnect with exponential back-off and jitter.",
            ),
            InsightKind::Throttling => (
                "throttling",
                "Throttling: the hub refused operations over its quota or rate limits",
                "Compare the traffic with the tier's limits; spread the load, add units or upgrade the tier; retries need exponential back-off with jitter.",
            ),
            InsightKind::Cohort => (
                "cohort",
                "Cohort: one group of devices has a problem far more often than the rest",
                "Look at what the cohort shares (SDK version, firmware, protocol, network) and compare it with the devices that do not have the problem.",
            ),
        };
        KindText { name, title, help }
    }

    pub fn as_str(self) -> &'static str {
        self.text().name
    }

    /// The kind named `name` (as [`InsightKind::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<InsightKind> {
        InsightKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        let mut names: Vec<&str> = InsightKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), InsightKind::ALL.len());
        for kind in InsightKind::ALL {
            assert_eq!(InsightKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
    }
}

//! Who the synthetic devices are: id, SDK, protocol, authentication, client addresses
//! and, for IoT Edge devices, module identities. Fixed per device for the whole log,
//! and shaped like the reference samples.

use super::hub::SITES;
use super::rng::Rng;
use super::spec::Scenario;

/// Id stems, picked by device index only, so an id never gives its scenario away.
const STEMS: [&str; 10] = [
    "pump", "meter", "cam", "gw-edge", "sensor", "valve", "hvac", "tracker", "chiller", "kiosk",
];

/// `sdkVersion` strings, shaped `<sdk>/<version> (<runtime>; <OS>; <arch>)` like the
/// reference samples (section 8 and 1.3); the Java one follows the same documented form.
const DOTNET: [&str; 3] = [
    ".NET/1.42.0 (.NET 6.0.25; Linux 5.15.0-1051-azure #59-Ubuntu SMP; X64)",
    ".NET/1.38.0 (.NET Core 3.1.19; Microsoft Windows 10.0.22000 WindowsProduct:0x00000030; X64)",
    ".NET/1.41.3 (.NET 8.0.1; Linux 6.5.0-1016-azure #16~22.04.1-Ubuntu SMP; X64)",
];
const JAVA: [&str; 1] = [
    "com.microsoft.azure.sdk.iot.iot-device-client/2.4.1 (Java 17.0.9; Linux 5.15.0-91-generic; amd64)",
];
const NODE: [&str; 2] = [
    "azure-iot-device/1.18.3 (node v18.19.0; Linux 5.15.0-91-generic; x64)",
    "azure-iot-device/1.17.1 (node v10.16.0; Windows_NT 10.0.18363; x64)",
];
const PYTHON: [&str; 2] = [
    "azure-iot-device-iothub-py/2.12.0 (Python 3.11.4; Linux; x86_64)",
    "azure-iot-device-iothub-py/2.11.0 (Python 3.9.2; Linux; armv7l)",
];
const C: [&str; 2] = [
    "iothubclient/1.11.0 (native; Linux; x86_64)",
    "iothubclient/1.12.0 (native; Linux; armv7l)",
];
/// The C SDK release of `SdkCohortDefect` devices, and of no other device.
pub(super) const C_DEFECTIVE: &str = "iothubclient/1.9.0 (native; Linux; x86_64)";

/// The `authType` values: JSON documents that the record carries as strings.
const SAS: &str =
    r#"{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}"#;
const X509: &str = r#"{"scope":"device","type":"x509Certificate","issuer":"external","acceptingIpFilterRule":null}"#;

/// The `authType` of a module identity: the same document with the module scope.
pub(super) const MODULE_SAS: &str =
    r#"{"scope":"module","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}"#;

/// The module identities of an IoT Edge device: the two runtime modules, then one
/// custom module (Microsoft's simulated sensor, or one of two common workloads).
const EDGE_MODULES: [[&str; 3]; 3] = [
    ["$edgeAgent", "$edgeHub", "tempSensor"],
    ["$edgeAgent", "$edgeHub", "opcPublisher"],
    ["$edgeAgent", "$edgeHub", "modbusReader"],
];

/// Masked client addresses from the RFC 5737 documentation ranges only.
const ADDRESSES: [&str; 3] = ["192.0.2.XXX", "198.51.100.XXX", "203.0.113.XXX"];

/// One device's fixed identity.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    pub id: String,
    pub sdk: &'static str,
    pub protocol: &'static str,
    /// `None` is logged as `"authType":null`, as in most real captures.
    pub auth: Option<&'static str>,
    /// The device's address; the second is the other client of a duplicated identity,
    /// or the new address of a device whose connection was taken over.
    pub addresses: [&'static str; 2],
    /// Module identities logging under this device (IoT Edge), none for most devices.
    pub modules: &'static [&'static str],
}

#[derive(Clone, Copy)]
enum Family {
    Dotnet,
    Java,
    Node,
    Python,
    C,
}

impl Profile {
    /// `sites` are the address ranges of the log's site outage, where `SiteOutage`
    /// devices sit (the first two of [`SITES`] when the log has no outage).
    pub(super) fn new(
        index: usize,
        scenario: Scenario,
        rng: &mut Rng,
        sites: &[&'static str],
    ) -> Profile {
        let stem = STEMS[index % STEMS.len()];
        let family = match scenario {
            // These scenarios are what those SDKs do; the rest is independent of the SDK.
            Scenario::TokenRenewalMqtt if rng.chance(300) => Family::Java,
            Scenario::TokenRenewalMqtt => Family::Dotnet,
            Scenario::TokenRenewalNode => Family::Node,
            Scenario::TokenRenewalShort if rng.chance(300) => Family::Java,
            Scenario::TokenRenewalShort | Scenario::TokenRenewalNo404104 => Family::Dotnet,
            Scenario::TokenRenewalC => Family::C,
            Scenario::TokenRenewalPython => Family::Python,
            // The IoT Edge runtime and Microsoft's modules are .NET.
            Scenario::EdgeModules | Scenario::EdgeIdleModule => Family::Dotnet,
            Scenario::NatIdle | Scenario::SdkCohortDefect => Family::C,
            _ => rng.pick(&[
                Family::Dotnet,
                Family::Dotnet,
                Family::Dotnet,
                Family::Node,
                Family::Node,
                Family::Python,
                Family::Python,
                Family::C,
                Family::C,
                Family::Java,
            ]),
        };
        let sdk = match family {
            Family::Dotnet => rng.pick(&DOTNET),
            Family::Java => rng.pick(&JAVA),
            Family::Node => rng.pick(&NODE),
            Family::Python => rng.pick(&PYTHON),
            Family::C if scenario == Scenario::SdkCohortDefect => C_DEFECTIVE,
            Family::C => rng.pick(&C),
        };
        // Token expiry needs a token: those devices use SAS (logged or null), never X.509.
        let uses_sas = matches!(
            scenario,
            Scenario::TokenRenewalMqtt
                | Scenario::TokenRenewalNode
                | Scenario::CredentialFailure
                | Scenario::TokenRenewalShort
                | Scenario::TokenRenewalC
                | Scenario::TokenRenewalPython
                | Scenario::TokenRenewalNo404104
                | Scenario::FlappingWith401003
        );
        let auth = match family {
            Family::Dotnet | Family::Java => rng.pick(&[Some(SAS), Some(SAS), Some(SAS), None]),
            Family::Node | Family::C => rng.pick(&[Some(SAS), None]),
            Family::Python if uses_sas => Some(SAS),
            Family::Python => rng.pick(&[Some(X509), Some(SAS)]),
        };
        // Some gateways speak AMQP; the MQTT-only patterns keep MQTT. Renewal by
        // disconnecting is what the SDKs do over MQTT (AMQP renews on the open link).
        let mqtt_only = matches!(
            scenario,
            Scenario::TokenRenewalMqtt
                | Scenario::TokenRenewalNode
                | Scenario::DuplicateIdentity
                | Scenario::TokenRenewalShort
                | Scenario::TokenRenewalC
                | Scenario::TokenRenewalPython
                | Scenario::TokenRenewalNo404104
                | Scenario::NatIdle
                | Scenario::SdkCohortDefect
        );
        let protocol = match scenario {
            // edgeHub's upstream protocol is AMQP unless configured otherwise.
            Scenario::EdgeModules | Scenario::EdgeIdleModule => "Amqp",
            // Both kinds of takeover (400027 over MQTT, 409002 over AMQP) are wanted.
            Scenario::Takeover if rng.chance(300) => "Amqp",
            _ if stem == "gw-edge" && !mqtt_only && rng.chance(600) => "Amqp",
            _ => "Mqtt",
        };
        let first = rng.below(ADDRESSES.len() as u64) as usize;
        let second = (first + 1 + rng.below(ADDRESSES.len() as u64 - 1) as usize) % ADDRESSES.len();
        let modules: &'static [&'static str] = match scenario {
            Scenario::EdgeModules | Scenario::EdgeIdleModule => {
                &EDGE_MODULES[rng.below(EDGE_MODULES.len() as u64) as usize]
            }
            _ => &[],
        };
        let mut addresses = [ADDRESSES[first], ADDRESSES[second]];
        if scenario == Scenario::SiteOutage {
            // At a site: its range only (the second address is never used).
            let sites = if sites.is_empty() { &SITES[..2] } else { sites };
            addresses = [rng.pick(sites), ADDRESSES[first]];
        }
        Profile {
            id: format!("{stem}-{:04}", index + 1),
            sdk,
            protocol,
            auth,
            addresses,
            modules,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_index_and_addresses_differ() {
        let mut rng = Rng::new(9);
        for (index, scenario) in Scenario::ALL.iter().enumerate() {
            let profile = Profile::new(index, *scenario, &mut rng, &[]);
            assert_eq!(
                profile.id,
                format!("{}-{:04}", STEMS[index % 10], index + 1)
            );
            assert_ne!(profile.addresses[0], profile.addresses[1]);
        }
    }

    #[test]
    fn renewal_scenarios_get_their_sdk() {
        let mut rng = Rng::new(2);
        for index in 0..50 {
            let node = Profile::new(index, Scenario::TokenRenewalNode, &mut rng, &[]);
            assert!(node.sdk.starts_with("azure-iot-device/"));
            assert_eq!(node.protocol, "Mqtt");
            let mqtt = Profile::new(index, Scenario::TokenRenewalMqtt, &mut rng, &[]);
            assert!(mqtt.sdk.starts_with(".NET/") || mqtt.sdk.starts_with("com.microsoft"));
            assert_ne!(mqtt.auth, Some(X509));
        }
        // The prefixes of the reference's section 5.3, longest first for Python.
        let expected = [
            (Scenario::TokenRenewalC, &["iothubclient/"][..]),
            (
                Scenario::TokenRenewalPython,
                &["azure-iot-device-iothub-py/"],
            ),
            (Scenario::TokenRenewalNo404104, &[".NET/"]),
            (
                Scenario::TokenRenewalShort,
                &[".NET/", "com.microsoft.azure.sdk.iot.iot-device-client/"],
            ),
            (Scenario::EdgeModules, &[".NET/"]),
        ];
        for (scenario, prefixes) in expected {
            for index in 0..30 {
                let profile = Profile::new(index, scenario, &mut rng, &[]);
                assert!(
                    prefixes.iter().any(|p| profile.sdk.starts_with(p)),
                    "{scenario:?}: {}",
                    profile.sdk
                );
                assert_eq!(
                    profile.protocol == "Amqp",
                    scenario == Scenario::EdgeModules
                );
                assert_ne!(profile.auth, Some(X509), "{scenario:?}");
            }
        }
    }

    #[test]
    fn only_edge_devices_have_modules_and_those_start_with_the_runtime() {
        let mut rng = Rng::new(4);
        for scenario in Scenario::ALL {
            let profile = Profile::new(3, scenario, &mut rng, &[]);
            if matches!(scenario, Scenario::EdgeModules | Scenario::EdgeIdleModule) {
                assert_eq!(profile.modules[..2], ["$edgeAgent", "$edgeHub"]);
                assert_eq!(profile.modules.len(), 3);
            } else {
                assert!(profile.modules.is_empty(), "{scenario:?}");
            }
        }
    }

    #[test]
    fn takeover_devices_use_both_protocols() {
        let mut rng = Rng::new(6);
        let protocols: Vec<&str> = (0..100)
            .map(|index| Profile::new(index, Scenario::Takeover, &mut rng, &[]).protocol)
            .collect();
        assert!(protocols.contains(&"Amqp") && protocols.contains(&"Mqtt"));
    }
}

//! The Azure IoT device SDK families as `sdkVersion` names them, and the SAS token
//! renewal period each uses by default. The renewal detector recognises renewal by its
//! signature; this table only says what period to expect, so a report can tell a default
//! from a configured token lifetime.

/// One SDK family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SdkFamily {
    /// As reports name it: ".NET SDK".
    pub name: &'static str,
    /// `sdkVersion` prefixes, matched case-insensitively.
    pub prefixes: &'static [&'static str],
    /// The default renewal, in words: "every 60-70 min (token lifetime plus grace)".
    pub renewal: &'static str,
    /// The default period's range in minutes; `None` where the SDK renews without a
    /// disconnect the Connections log shows as renewal.
    pub default_minutes: Option<(f64, f64)>,
    /// Where the default comes from.
    pub source: &'static str,
    /// The MQTT keep-alive the SDK sends pings at by default, in seconds. The hub closes
    /// a connection after 1.5 times it without a ping (at most 1767 s).
    pub keep_alive_seconds: u32,
}

const TROUBLESHOOT: &str = super::links::CONNECTIVITY;

/// The longest time the hub waits for a ping before it closes a connection.
pub const HUB_IDLE_CLOSE_MAX_SECONDS: u32 = 1767;

/// Every family, in the order their prefixes are tried: longest prefixes first, so that
/// `azure-iot-device-iothub-py` (Python) is not taken for `azure-iot-device` (Node.js).
pub const FAMILIES: [SdkFamily; 5] = [
    SdkFamily {
        name: "Python SDK",
        prefixes: &["azure-iot-device-iothub-py"],
        renewal: "every 58 min (120 s before a 60-min token expires)",
        default_minutes: Some((55.0, 61.0)),
        source: TROUBLESHOOT,
        keep_alive_seconds: 60,
    },
    SdkFamily {
        name: "Java SDK",
        prefixes: &[
            "com.microsoft.azure.sdk.iot.iot-device-client",
            "com.microsoft.azure.iothub-java-client",
        ],
        renewal: "every 60-70 min (token lifetime plus grace)",
        default_minutes: Some((55.0, 75.0)),
        source: TROUBLESHOOT,
        keep_alive_seconds: 230,
    },
    SdkFamily {
        name: ".NET SDK",
        prefixes: &["microsoft.azure.devices.client", ".net"],
        renewal: "every 60-70 min (token lifetime plus a 10-min grace)",
        default_minutes: Some((55.0, 75.0)),
        source: TROUBLESHOOT,
        keep_alive_seconds: 300,
    },
    SdkFamily {
        name: "Node.js SDK",
        prefixes: &["azure-iot-device"],
        renewal: "every 60 min, with informational disconnects only",
        default_minutes: Some((55.0, 65.0)),
        source: TROUBLESHOOT,
        keep_alive_seconds: 180,
    },
    SdkFamily {
        name: "C SDK",
        prefixes: &["iothubclient", "c"],
        renewal: "every 48 min (0.8 of a 60-min token)",
        default_minutes: Some((44.0, 52.0)),
        source: "https://github.com/Azure/azure-iot-sdk-c/issues/2274",
        keep_alive_seconds: 240,
    },
];

/// The family whose prefix starts `sdk_version`.
pub fn family(sdk_version: &str) -> Option<&'static SdkFamily> {
    // Compared in place, without a lowercase copy: the prefixes are lowercase ASCII.
    let text = sdk_version.trim().as_bytes();
    FAMILIES.iter().find(|family| {
        family.prefixes.iter().any(|prefix| {
            text.get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
                // "c" alone names the embedded C SDK: "C/1.1.0", "C + (OSSimplified...)".
                && (prefix.len() > 1
                    || matches!(text.get(prefix.len()), Some(b'/' | b' ' | b'+' | b'(')))
        })
    })
}

impl SdkFamily {
    /// How a measured period compares with the family's default, in words.
    pub fn compare(&self, period_minutes: f64) -> String {
        let Some((low, high)) = self.default_minutes else {
            return format!("the {} renews {} by default", self.name, self.renewal);
        };
        let name = self.name;
        if period_minutes < low {
            format!(
                "a shorter token than the {name}'s default, which renews {}",
                self.renewal
            )
        } else if period_minutes > high {
            format!(
                "a longer token than the {name}'s default, which renews {}",
                self.renewal
            )
        } else {
            format!("the {name}'s default")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_lowercase_ascii_as_family_compares_them() {
        for family in FAMILIES {
            for prefix in family.prefixes {
                assert!(prefix.is_ascii(), "{prefix}");
                assert_eq!(*prefix, prefix.to_ascii_lowercase());
            }
        }
        assert_eq!(family("PYTHON").map(|f| f.name), None);
        assert_eq!(family("C").map(|f| f.name), None);
        assert_eq!(family("c(").map(|f| f.name), Some("C SDK"));
        assert_eq!(family("  IOTHUBCLIENT/1").map(|f| f.name), Some("C SDK"));
        assert_eq!(family("cé/1").map(|f| f.name), None);
    }

    #[test]
    fn sdk_versions_name_their_family_by_the_longest_prefix() {
        let cases = [
            (".NET/1.42.0 (.NET 6.0.25; Linux; X64)", Some(".NET SDK")),
            ("Microsoft.Azure.Devices.Client/1.36.0", Some(".NET SDK")),
            (
                "com.microsoft.azure.sdk.iot.iot-device-client/2.1.5",
                Some("Java SDK"),
            ),
            ("azure-iot-device-iothub-py/2.13.0", Some("Python SDK")),
            (
                "azure-iot-device/1.18.2 (node v18.19.0)",
                Some("Node.js SDK"),
            ),
            ("iothubclient/1.9.0 (native; Linux; x86_64)", Some("C SDK")),
            ("C/1.1.0 (Eclipse ThreadX)", Some("C SDK")),
            ("C + (OSSimplified = Eclipse ThreadX)", Some("C SDK")),
            ("curl/8.0", None),
            ("", None),
        ];
        for (text, name) in cases {
            assert_eq!(family(text).map(|f| f.name), name, "{text}");
        }
    }

    #[test]
    fn a_period_is_compared_with_the_family_default() {
        let dotnet = family(".NET/1.42.0").expect(".NET");
        assert_eq!(dotnet.compare(65.0), "the .NET SDK's default");
        assert!(dotnet.compare(30.0).starts_with(
            "a shorter token than the .NET SDK's default, which renews every 60-70 min"
        ));
        assert!(dotnet.compare(720.0).starts_with("a longer token"));
    }

    #[test]
    fn every_family_has_a_source_and_a_sane_default() {
        for family in FAMILIES {
            assert!(family.source.starts_with("https://"), "{}", family.name);
            if let Some((low, high)) = family.default_minutes {
                assert!(0.0 < low && low < high, "{}", family.name);
            }
        }
    }
}

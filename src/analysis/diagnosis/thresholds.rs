//! The numbers the detectors decide with. Each field becomes a CLI flag; the defaults
//! come from the SDK behaviour and Microsoft guidance in the logs reference (§1.4, §4.5, §7).

use chrono::TimeDelta;

/// Detector thresholds. [`Thresholds::default`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Default 2 min. A token renewal cycle (`401003` → `404104` → successful connect, or
    /// an informational disconnect → successful connect) must fit within this span.
    pub renewal_window: TimeDelta,
    /// Default 40 min. Renewal cycles closer than this to another cycle are a reconnect
    /// loop, not renewal; intervals from here to `renewal_period_max` count as steady.
    pub renewal_period_min: TimeDelta,
    /// Default 100 min. Upper end of a steady renewal interval (SDKs renew every ~60-70
    /// min; .NET and Java at token lifetime + 10 min grace).
    pub renewal_period_max: TimeDelta,
    /// Default 10. Drops within `flapping_rapid_window` that make a device flap rapidly (high).
    pub flapping_rapid_drops: u32,
    /// Default 5 min. Window for `flapping_rapid_drops`.
    pub flapping_rapid_window: TimeDelta,
    /// Default 4. Drops within `flapping_chronic_window` that make a device flap
    /// chronically (medium).
    pub flapping_chronic_drops: u32,
    /// Default 60 min. Window for `flapping_chronic_drops`.
    pub flapping_chronic_window: TimeDelta,
    /// Default 2. `400027` events that make a device a duplicate identity.
    pub duplicate_min_400027: u32,
    /// Default 3. `401003` events after the last successful connect that make a credential failure.
    pub credential_min_401003: u32,
    /// Default 15 min. How long before the end of the log a device's last drop must be
    /// for the device to count as offline.
    pub offline_after: TimeDelta,
    /// Default 60 s. A `409002` this soon after another error of the device is a side effect of it.
    pub side_effect_window: TimeDelta,
    /// Default 5 min. Window in which many devices hitting server faults make a hub incident.
    pub incident_window: TimeDelta,
    /// Default 5. Fewest distinct devices hit in one window for a hub incident.
    pub incident_min_devices: u64,
    /// Default 0.10. Fewest devices hit, as a share of the devices active in the window.
    pub incident_min_share: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            renewal_window: TimeDelta::minutes(2),
            renewal_period_min: TimeDelta::minutes(40),
            renewal_period_max: TimeDelta::minutes(100),
            flapping_rapid_drops: 10,
            flapping_rapid_window: TimeDelta::minutes(5),
            flapping_chronic_drops: 4,
            flapping_chronic_window: TimeDelta::minutes(60),
            duplicate_min_400027: 2,
            credential_min_401003: 3,
            offline_after: TimeDelta::minutes(15),
            side_effect_window: TimeDelta::seconds(60),
            incident_window: TimeDelta::minutes(5),
            incident_min_devices: 5,
            incident_min_share: 0.10,
        }
    }
}

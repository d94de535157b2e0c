//! The numbers the detectors decide with. Each field becomes a CLI flag; the defaults
//! come from the SDK behaviour and Microsoft guidance in the logs reference (§1.4, §4.5, §7).

use chrono::TimeDelta;

/// Detector thresholds. [`Thresholds::default`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Default 2 min. A token renewal cycle (`401003` → `404104` → successful connect, or
    /// an informational disconnect → successful connect) must fit within this span.
    pub renewal_window: TimeDelta,
    /// Default 10 min. The shortest renewal period: a connection closed by 401003 sooner
    /// after it began is not a token expiring (configured short tokens renew every 15 min).
    pub renewal_period_min: TimeDelta,
    /// Default 24 h. The longest renewal period (SDKs renew every 48-70 min by default;
    /// tokens may be configured to last a day).
    pub renewal_period_max: TimeDelta,
    /// Default 2 min. How far a cycle may stray from the device's renewal period (or a
    /// tenth of the period, whichever is more) and still be part of the cadence.
    pub renewal_jitter: TimeDelta,
    /// Default 10. Drops within `flapping_rapid_window` that make a device flap rapidly (high).
    pub flapping_rapid_drops: u32,
    /// Default 5 min. Window for `flapping_rapid_drops`.
    pub flapping_rapid_window: TimeDelta,
    /// Default 4. Drops within `flapping_chronic_window` that make a device flap
    /// chronically (medium).
    pub flapping_chronic_drops: u32,
    /// Default 60 min. Window for `flapping_chronic_drops`.
    pub flapping_chronic_window: TimeDelta,
    /// Default 3. Conflicts (`400027`, or `409002` that is no side effect) within
    /// `duplicate_window` that make two clients fighting over one identity; fewer are
    /// takeovers by a newer connection of the same device.
    pub duplicate_min_conflicts: u32,
    /// Default 60 min. Window for `duplicate_min_conflicts`.
    pub duplicate_window: TimeDelta,
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
    /// Default 2 min. Window in which many identities dropping make a mass disconnect.
    pub mass_window: TimeDelta,
    /// Default 5. Fewest identities dropping in one window for a mass disconnect.
    pub mass_min_devices: u64,
    /// Default 0.10. Fewest identities dropping, as a share of those active in the window.
    pub mass_min_share: f64,
    /// Default 4. Connections ending after about the same time that make a periodic drop.
    pub periodic_min_drops: u32,
    /// Default 5. Fewest identities in a cohort, and with the insight in it, to report it.
    pub cohort_min_devices: u64,
    /// Default 3. How many times more often a cohort must have the insight than the rest.
    pub cohort_min_lift: f64,
    /// Default 0.001. Largest chance (one-sided Fisher's exact test) that the cohort's
    /// share is luck.
    pub cohort_max_p: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            renewal_window: TimeDelta::minutes(2),
            renewal_period_min: TimeDelta::minutes(10),
            renewal_period_max: TimeDelta::hours(24),
            renewal_jitter: TimeDelta::minutes(2),
            flapping_rapid_drops: 10,
            flapping_rapid_window: TimeDelta::minutes(5),
            flapping_chronic_drops: 4,
            flapping_chronic_window: TimeDelta::minutes(60),
            duplicate_min_conflicts: 3,
            duplicate_window: TimeDelta::minutes(60),
            credential_min_401003: 3,
            offline_after: TimeDelta::minutes(15),
            side_effect_window: TimeDelta::seconds(60),
            incident_window: TimeDelta::minutes(5),
            incident_min_devices: 5,
            incident_min_share: 0.10,
            mass_window: TimeDelta::minutes(2),
            mass_min_devices: 5,
            mass_min_share: 0.10,
            periodic_min_drops: 4,
            cohort_min_devices: 5,
            cohort_min_lift: 3.0,
            cohort_max_p: 0.001,
        }
    }
}

//! The diagnosis thresholds as flags, each defaulting to the documented value.

use super::values::parse_duration;
use crate::analysis::diagnosis::Thresholds;
use chrono::TimeDelta;
use clap::Args;

/// The diagnosis thresholds; each default is the documented one.
#[derive(Debug, Args)]
#[command(next_help_heading = "Diagnosis thresholds")]
pub struct ThresholdArgs {
    /// Token renewal: 401003, 404104 and the reconnect (or an informational disconnect
    /// and the reconnect) all within this span.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub renewal_window: TimeDelta,
    /// Token renewal: the shortest period; a 401003 this soon after a connection began
    /// is no token expiring.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub renewal_period_min: TimeDelta,
    /// Token renewal: the longest period.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub renewal_period_max: TimeDelta,
    /// Token renewal: how far a cycle may stray from the period (or a tenth of it,
    /// whichever is more).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub renewal_jitter: TimeDelta,
    /// Rapid flapping: this many drops within --flap-rapid-window.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub flap_rapid_drops: u32,
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    /// Rapid flapping window.
    pub flap_rapid_window: TimeDelta,
    /// Chronic flapping: this many drops within --flap-chronic-window.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub flap_chronic_drops: u32,
    /// Chronic flapping window.
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = parse_duration)]
    pub flap_chronic_window: TimeDelta,
    /// Duplicate identity: this many conflicts (400027, or 409002 that is no side
    /// effect) within --duplicate-window; fewer are takeovers by a newer connection.
    #[arg(
        long,
        alias = "duplicate-min-400027",
        value_name = "N",
        default_value_t = 3
    )]
    pub duplicate_min_conflicts: u32,
    /// Duplicate identity window.
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = parse_duration)]
    pub duplicate_window: TimeDelta,
    /// Credential failure: this many 401003 with no successful connect after them.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub credential_min_401003: u32,
    /// Offline: the last event is a drop at least this long before the end of the log.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub offline_after: TimeDelta,
    /// Side effect: a 409002 this soon after another error of the device.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub side_effect_window: TimeDelta,
    /// Hub incident: window in which devices hit server faults together.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub incident_window: TimeDelta,
    /// Hub incident: fewest devices hit in one window.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub incident_min_devices: u64,
    /// Hub incident: fewest devices hit, as a share of those active in the window.
    #[arg(long, value_name = "SHARE", default_value_t = 0.10)]
    pub incident_min_share: f64,
    /// Mass disconnect: window in which identities drop together.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub mass_window: TimeDelta,
    /// Mass disconnect: fewest identities dropping in one window.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub mass_min_devices: u64,
    /// Mass disconnect: fewest identities dropping, as a share of those active then.
    #[arg(long, value_name = "SHARE", default_value_t = 0.10)]
    pub mass_min_share: f64,
    /// Periodic drop: this many connections ending after about the same time.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub periodic_min_drops: u32,
    /// Cohort: fewest identities in a cohort, and with the insight in it.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub cohort_min_devices: u64,
    /// Cohort: how many times more often than the rest of the fleet.
    #[arg(long, value_name = "RATIO", default_value_t = 3.0)]
    pub cohort_min_lift: f64,
    /// Cohort: largest chance that the cohort's share is luck (Fisher's exact test).
    #[arg(long, value_name = "P", default_value_t = 0.001)]
    pub cohort_max_p: f64,
}

impl ThresholdArgs {
    pub fn into_thresholds(self) -> Thresholds {
        Thresholds {
            renewal_window: self.renewal_window,
            renewal_period_min: self.renewal_period_min,
            renewal_period_max: self.renewal_period_max,
            renewal_jitter: self.renewal_jitter,
            flapping_rapid_drops: self.flap_rapid_drops,
            flapping_rapid_window: self.flap_rapid_window,
            flapping_chronic_drops: self.flap_chronic_drops,
            flapping_chronic_window: self.flap_chronic_window,
            duplicate_min_conflicts: self.duplicate_min_conflicts,
            duplicate_window: self.duplicate_window,
            credential_min_401003: self.credential_min_401003,
            offline_after: self.offline_after,
            side_effect_window: self.side_effect_window,
            incident_window: self.incident_window,
            incident_min_devices: self.incident_min_devices,
            incident_min_share: self.incident_min_share,
            mass_window: self.mass_window,
            mass_min_devices: self.mass_min_devices,
            mass_min_share: self.mass_min_share,
            periodic_min_drops: self.periodic_min_drops,
            cohort_min_devices: self.cohort_min_devices,
            cohort_min_lift: self.cohort_min_lift,
            cohort_max_p: self.cohort_max_p,
        }
    }
}

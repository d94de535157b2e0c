//! The numbers the detectors decide with, declared once: each threshold's field, its
//! flag, its documented default and its help come from one row of [`thresholds!`], so
//! the command line cannot forget one and the defaults cannot drift from the flags. The
//! defaults come from the SDK behaviour and Microsoft guidance in the logs reference
//! (§1.4, §4.5, §7).

use chrono::TimeDelta;

/// One threshold as the command line offers it.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// The long flag, without its dashes.
    pub flag: &'static str,
    /// An older name the flag still answers to.
    pub alias: Option<&'static str>,
    pub value_name: &'static str,
    /// The documented default, as the flag takes it.
    pub default: &'static str,
    pub help: &'static str,
    /// The field it sets.
    pub slot: fn(&mut Thresholds) -> Slot<'_>,
}

/// A threshold's field, by the kind of value it holds.
#[derive(Debug)]
pub enum Slot<'a> {
    Duration(&'a mut TimeDelta),
    Count(&'a mut u32),
    Devices(&'a mut u64),
    Number(&'a mut f64),
}

impl Slot<'_> {
    /// Sets the field from text as the flag takes it.
    ///
    /// # Errors
    ///
    /// Text that is not a value of the field's kind.
    pub fn set(self, text: &str) -> Result<(), String> {
        let invalid = |err: &dyn std::fmt::Display| format!("{text:?}: {err}");
        match self {
            Slot::Duration(slot) => *slot = parse_duration(text)?,
            Slot::Count(slot) => *slot = text.parse().map_err(|err| invalid(&err))?,
            Slot::Devices(slot) => *slot = text.parse().map_err(|err| invalid(&err))?,
            Slot::Number(slot) => *slot = text.parse().map_err(|err| invalid(&err))?,
        }
        Ok(())
    }
}

/// `90s`, `2m`, `1h 30m`: humantime's duration syntax.
///
/// # Errors
///
/// Text that is no duration, or one too long to be a time span.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let duration = humantime::parse_duration(text).map_err(|err| format!("{text:?}: {err}"))?;
    TimeDelta::from_std(duration).map_err(|_| format!("{text:?} is too long"))
}

macro_rules! thresholds {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $kind:ident($ty:ty) = $default:literal,
        flag $flag:literal $(alias $alias:literal)?, value $value:literal,
        help $help:literal;
    )*) => {
        /// Detector thresholds. [`Thresholds::default`] gives the documented defaults.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Thresholds {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        /// Every threshold, in the order of the help.
        pub const THRESHOLDS: &[Threshold] = &[$(
            Threshold {
                flag: $flag,
                alias: thresholds!(@alias $($alias)?),
                value_name: $value,
                default: $default,
                help: $help,
                slot: |thresholds| Slot::$kind(&mut thresholds.$field),
            },
        )*];

        impl Default for Thresholds {
            fn default() -> Thresholds {
                let mut thresholds = Thresholds {
                    $( $field: Default::default(), )*
                };
                for threshold in THRESHOLDS {
                    // Every default is read by a unit test: this cannot fail.
                    let _ = (threshold.slot)(&mut thresholds).set(threshold.default);
                }
                thresholds
            }
        }
    };
    (@alias $alias:literal) => { Some($alias) };
    (@alias) => { None };
}

thresholds! {
    /// Default 2 min. A token renewal cycle (`401003` → `404104` → successful connect, or
    /// an informational disconnect → successful connect) must fit within this span.
    renewal_window: Duration(TimeDelta) = "2m",
    flag "renewal-window", value "DURATION",
    help "Token renewal: 401003, 404104 and the reconnect (or an informational disconnect and the reconnect) all within this span";
    /// Default 10 min. The shortest renewal period: a connection closed by 401003 sooner
    /// after it began is not a token expiring (configured short tokens renew every 15 min).
    renewal_period_min: Duration(TimeDelta) = "10m",
    flag "renewal-period-min", value "DURATION",
    help "Token renewal: the shortest period; a 401003 this soon after a connection began is no token expiring";
    /// Default 24 h. The longest renewal period (SDKs renew every 48-70 min by default;
    /// tokens may be configured to last a day).
    renewal_period_max: Duration(TimeDelta) = "24h",
    flag "renewal-period-max", value "DURATION",
    help "Token renewal: the longest period";
    /// Default 2 min. How far a cycle may stray from the device's renewal period (or a
    /// tenth of the period, whichever is more) and still be part of the cadence.
    renewal_jitter: Duration(TimeDelta) = "2m",
    flag "renewal-jitter", value "DURATION",
    help "Token renewal: how far a cycle may stray from the period (or a tenth of it, whichever is more)";
    /// Default 10. Drops within `flapping_rapid_window` that make a device flap rapidly (high).
    flapping_rapid_drops: Count(u32) = "10",
    flag "flap-rapid-drops", value "N",
    help "Rapid flapping: this many drops within --flap-rapid-window";
    /// Default 5 min. Window for `flapping_rapid_drops`.
    flapping_rapid_window: Duration(TimeDelta) = "5m",
    flag "flap-rapid-window", value "DURATION",
    help "Rapid flapping window";
    /// Default 4. Drops within `flapping_chronic_window` that make a device flap
    /// chronically (medium).
    flapping_chronic_drops: Count(u32) = "4",
    flag "flap-chronic-drops", value "N",
    help "Chronic flapping: this many drops within --flap-chronic-window";
    /// Default 60 min. Window for `flapping_chronic_drops`.
    flapping_chronic_window: Duration(TimeDelta) = "60m",
    flag "flap-chronic-window", value "DURATION",
    help "Chronic flapping window";
    /// Default 3. Conflicts (`400027`, or `409002` that is no side effect) within
    /// `duplicate_window` that make two clients fighting over one identity; fewer are
    /// takeovers by a newer connection of the same device.
    duplicate_min_conflicts: Count(u32) = "3",
    flag "duplicate-min-conflicts" alias "duplicate-min-400027", value "N",
    help "Duplicate identity: this many conflicts (400027, or 409002 that is no side effect) within --duplicate-window; fewer are takeovers by a newer connection";
    /// Default 60 min. Window for `duplicate_min_conflicts`.
    duplicate_window: Duration(TimeDelta) = "60m",
    flag "duplicate-window", value "DURATION",
    help "Duplicate identity window";
    /// Default 3. `401003` events after the last successful connect that make a credential failure.
    credential_min_401003: Count(u32) = "3",
    flag "credential-min-401003", value "N",
    help "Credential failure: this many 401003 with no successful connect after them";
    /// Default 15 min. How long before the end of the log a device's last drop must be
    /// for the device to count as offline.
    offline_after: Duration(TimeDelta) = "15m",
    flag "offline-after", value "DURATION",
    help "Offline: the last event is a drop at least this long before the end of the log";
    /// Default 60 s. A `409002` this soon after another error of the device is a side effect of it.
    side_effect_window: Duration(TimeDelta) = "60s",
    flag "side-effect-window", value "DURATION",
    help "Side effect: a 409002 this soon after another error of the device";
    /// Default 5 min. Window in which many devices hitting server faults make a hub incident.
    incident_window: Duration(TimeDelta) = "5m",
    flag "incident-window", value "DURATION",
    help "Hub incident: window in which devices hit server faults together";
    /// Default 5. Fewest distinct devices hit in one window for a hub incident.
    incident_min_devices: Devices(u64) = "5",
    flag "incident-min-devices", value "N",
    help "Hub incident: fewest devices hit in one window";
    /// Default 0.10. Fewest devices hit, as a share of the devices active in the window.
    incident_min_share: Number(f64) = "0.1",
    flag "incident-min-share", value "SHARE",
    help "Hub incident: fewest devices hit, as a share of those active in the window";
    /// Default 2 min. Window in which many identities dropping make a mass disconnect.
    mass_window: Duration(TimeDelta) = "2m",
    flag "mass-window", value "DURATION",
    help "Mass disconnect: window in which identities drop together";
    /// Default 5. Fewest identities dropping in one window for a mass disconnect.
    mass_min_devices: Devices(u64) = "5",
    flag "mass-min-devices", value "N",
    help "Mass disconnect: fewest identities dropping in one window";
    /// Default 0.10. Fewest identities dropping, as a share of those active in the window.
    mass_min_share: Number(f64) = "0.1",
    flag "mass-min-share", value "SHARE",
    help "Mass disconnect: fewest identities dropping, as a share of those active then";
    /// Default 4. Connections ending after about the same time that make a periodic drop.
    periodic_min_drops: Count(u32) = "4",
    flag "periodic-min-drops", value "N",
    help "Periodic drop: this many connections ending after about the same time";
    /// Default 5. Fewest identities in a cohort, and with the insight in it, to report it.
    cohort_min_devices: Devices(u64) = "5",
    flag "cohort-min-devices", value "N",
    help "Cohort: fewest identities in a cohort, and with the insight in it";
    /// Default 3. How many times more often a cohort must have the insight than the rest.
    cohort_min_lift: Number(f64) = "3",
    flag "cohort-min-lift", value "RATIO",
    help "Cohort: how many times more often than the rest of the fleet";
    /// Default 0.001. Largest chance (one-sided Fisher's exact test) that the cohort's
    /// share is luck.
    cohort_max_p: Number(f64) = "0.001",
    flag "cohort-max-p", value "P",
    help "Cohort: largest chance that the cohort's share is luck (Fisher's exact test)";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_read_and_flags_are_unique() {
        let mut thresholds = Thresholds::default();
        for threshold in THRESHOLDS {
            assert_eq!(
                (threshold.slot)(&mut thresholds).set(threshold.default),
                Ok(()),
                "--{}",
                threshold.flag
            );
        }
        let mut flags: Vec<&str> = THRESHOLDS.iter().map(|t| t.flag).collect();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!(flags.len(), THRESHOLDS.len());
    }

    #[test]
    fn the_defaults_are_the_documented_values() {
        let t = Thresholds::default();
        assert_eq!(t.renewal_window, TimeDelta::minutes(2));
        assert_eq!(t.renewal_period_max, TimeDelta::hours(24));
        assert_eq!(t.flapping_rapid_drops, 10);
        assert_eq!(t.flapping_chronic_window, TimeDelta::minutes(60));
        assert_eq!(t.side_effect_window, TimeDelta::seconds(60));
        assert_eq!(t.incident_min_devices, 5);
        assert!((t.incident_min_share - 0.10).abs() < f64::EPSILON);
        assert!((t.cohort_min_lift - 3.0).abs() < f64::EPSILON);
        assert!((t.cohort_max_p - 0.001).abs() < f64::EPSILON);
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused() {
        let mut t = Thresholds::default();
        assert!(Slot::Count(&mut t.periodic_min_drops).set("-1").is_err());
        assert!(Slot::Duration(&mut t.mass_window).set("soon").is_err());
        assert!(Slot::Number(&mut t.mass_min_share).set("a tenth").is_err());
    }
}

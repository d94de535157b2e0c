//! Pattern detectors over sorted event lists: what a device's timeline (or the whole
//! fleet's) says beyond its error counts. Token renewal, flapping, duplicate identities,
//! credential failures, devices gone offline, side-effect codes, hub-wide incidents and
//! the connected-devices curve.
//!
//! Everything here is a pure function of events already sorted by
//! [`Event::order_key`](super::event::Event::order_key) and of [`Thresholds`]: no I/O,
//! no clock, no hash order, so the same log always gives the same diagnosis.

mod credential;
mod curve;
mod diagnose;
mod duplicate;
mod flapping;
mod gaps;
mod incident;
mod insight;
mod mass;
mod offline;
mod periodic;
mod side_effect;
mod thresholds;
mod throttling;
mod token_renewal;

use crate::model::InsightKind;
pub use curve::{Curve, CurveDrop, CurveMark, CurvePoint, connected_curve};
pub use diagnose::{DeviceContext, DeviceDiagnosis, diagnose_device};
pub use incident::{hub_incidents, in_incident};
pub use insight::{CodeCount, Evidence, Insight};
pub use mass::{Dropped, FleetDevice, drops, is_server_side, mass_disconnects};
pub use periodic::{
    EDGE_IDLE_SECONDS, SHORTEST as PERIODIC_SHORTEST, STEADY_PERCENT as PERIODIC_STEADY_PERCENT,
};
pub use thresholds::{Slot, THRESHOLDS, Threshold, Thresholds, parse_duration};
pub use throttling::{
    DAILY_QUOTA, EPISODE_GAP as THROTTLING_EPISODE_GAP, is_throttling, throttling,
};
pub use token_renewal::CLEAN_PERIOD_MINUTES as CLEAN_RENEWAL_MINUTES;

/// The kinds [`diagnose_device`] finds on one identity's timeline, in the order it runs
/// their detectors: each event is claimed by the first that explains it.
/// A few conflicts are a [`InsightKind::Takeover`], more a duplicate identity.
pub const DEVICE_KINDS: [InsightKind; 8] = [
    InsightKind::TokenRenewal,
    InsightKind::SideEffect,
    InsightKind::DuplicateIdentity,
    InsightKind::Takeover,
    InsightKind::CredentialFailure,
    InsightKind::Offline,
    InsightKind::PeriodicDrop,
    InsightKind::Flapping,
];

/// The kinds found over the whole fleet once every identity is diagnosed: [`hub_incidents`],
/// [`mass_disconnects`], [`throttling`] and the cohorts.
pub const FLEET_KINDS: [InsightKind; 4] = [
    InsightKind::HubIncident,
    InsightKind::MassDisconnect,
    InsightKind::Throttling,
    InsightKind::Cohort,
];

/// Builders for the unit tests of every detector: events on one fixed day.
#[cfg(test)]
pub(crate) mod testing {
    use crate::analysis::event::{AddressId, Event};
    use crate::model::{Level, Operation};
    use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

    pub use crate::model::Operation::{Connect, Disconnect};

    /// `hh:mm:ss` on 2026-03-02, UTC.
    pub fn at(time: &str) -> DateTime<Utc> {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("test date");
        let time = NaiveTime::parse_from_str(time, "%H:%M:%S").expect("test time");
        day.and_time(time).and_utc()
    }

    pub fn minutes(count: i64) -> TimeDelta {
        TimeDelta::minutes(count)
    }

    /// An event at `time`; a code makes it an error, as IoT Hub logs them.
    pub fn event(
        time: DateTime<Utc>,
        operation: Operation,
        code: Option<u32>,
        address: Option<AddressId>,
    ) -> Event {
        Event {
            time,
            sequence: 0,
            operation,
            level: if code.is_some() {
                Level::Error
            } else {
                Level::Information
            },
            code,
            address,
            code_text: 0,
        }
    }

    /// [`event`] at `hh:mm:ss` on the test day.
    pub fn ev(
        time: &str,
        operation: Operation,
        code: Option<u32>,
        address: Option<AddressId>,
    ) -> Event {
        event(at(time), operation, code, address)
    }

    /// Sorts by time (stable) and numbers the events in that order, as the analyzer does.
    pub fn timeline(mut events: Vec<Event>) -> Vec<Event> {
        events.sort_by_key(|e| e.time);
        for (sequence, event) in events.iter_mut().enumerate() {
            event.sequence = u32::try_from(sequence).unwrap_or(u32::MAX);
        }
        events
    }

    /// One SDK token renewal starting at `start`: 401003, 404104, then a connect 20 s later.
    pub fn renewal_cycle(start: DateTime<Utc>) -> [Event; 3] {
        [
            event(start, Disconnect, Some(401_003), None),
            event(
                start + TimeDelta::seconds(1),
                Disconnect,
                Some(404_104),
                None,
            ),
            event(start + TimeDelta::seconds(20), Connect, None, None),
        ]
    }

    /// `count` renewal cycles, one every `every`, from `start`, after an initial connect
    /// `every` before the first.
    pub fn renewals(start: DateTime<Utc>, every: TimeDelta, count: i32) -> Vec<Event> {
        let mut events = vec![event(start - every, Connect, None, None)];
        for cycle in 0..count {
            events.extend(renewal_cycle(start + every * cycle));
        }
        timeline(events)
    }
}

#[cfg(test)]
mod registry {
    use super::{DEVICE_KINDS, FLEET_KINDS};
    use crate::model::InsightKind;

    #[test]
    fn every_kind_has_exactly_one_place_where_it_is_found() {
        for kind in InsightKind::ALL {
            let places = DEVICE_KINDS
                .iter()
                .chain(&FLEET_KINDS)
                .filter(|k| **k == kind);
            assert_eq!(places.count(), 1, "{kind:?}");
        }
    }
}

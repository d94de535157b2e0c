//! The hub side of the fleet: how long the log runs, when the hub incidents happen,
//! when the fleet-level events happen (a site outage, a reconnect storm), and what they
//! really looked like once written (for the truth).

use super::rng::Rng;
use super::spec::Scenario;

pub(super) const MINUTE: i64 = 60;
pub(super) const HOUR: i64 = 3600;
pub(super) const DAY: i64 = 86_400;
/// All victims of an incident are dropped within this window.
pub(super) const INCIDENT_WINDOW: i64 = 3 * MINUTE;
/// Healthy devices keep their one clean reconnect this far from an incident, so the
/// incident is the only thing happening to victims around it.
const INCIDENT_CLEARANCE: i64 = 20 * MINUTE;

/// The masked address ranges of the sites a site outage can hit (`SiteOutage` devices
/// sit there, and nothing else does).
pub(super) const SITES: [&str; 8] = [
    "198.51.0.XXX",
    "198.51.1.XXX",
    "198.51.2.XXX",
    "198.51.3.XXX",
    "198.51.4.XXX",
    "198.51.5.XXX",
    "198.51.6.XXX",
    "198.51.7.XXX",
];
/// The devices of an outage's sites all drop within this window ...
pub(super) const OUTAGE_WINDOW: i64 = 90;
/// ... and those that come back do so this long after their drop, at most.
pub(super) const OUTAGE_BACK_MAX: i64 = 10 * MINUTE;
/// The devices of a reconnect storm all drop within this window ...
pub(super) const STORM_WINDOW: i64 = 60;
/// ... and are refused for this long at most after their drop.
pub(super) const STORM_THROTTLED_MAX: i64 = 4 * MINUTE;
/// Fleet-level events keep this far from incidents and from each other, so that each is
/// the only thing happening around it.
const FLEET_EVENT_CLEARANCE: i64 = HOUR;
/// Tries at a clear moment for a fleet-level event before the log is said to have none.
const FLEET_EVENT_TRIES: usize = 64;

/// A site outage: when, where, who never comes back, and what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Outage {
    pub start: i64,
    /// The 2-3 masked address ranges that go down.
    pub sites: Vec<&'static str>,
    /// Device indices, sorted: the tenth of the site's devices that never come back.
    pub never_back: Vec<u32>,
    /// First and last drop, and how many identities dropped, as written.
    pub span: Option<(i64, i64)>,
    pub dropped: u32,
}

/// A reconnect storm: when, and what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Storm {
    pub start: i64,
    /// First and last drop, and how many identities dropped, as written.
    pub span: Option<(i64, i64)>,
    pub dropped: u32,
    /// The last refused connect.
    pub throttled_until: Option<i64>,
}

/// Hub-wide facts: the end of the log, and the incidents with what was really written.
#[derive(Debug)]
pub(super) struct Hub {
    /// Seconds from the start of the log to its end; nothing is written at or after it.
    pub end: i64,
    /// Start of each incident's window.
    pub incidents: Vec<i64>,
    /// First and last victim disconnect of each incident, as written.
    pub spans: Vec<Option<(i64, i64)>>,
    /// The log's site outage, when `SiteOutage` devices were dealt and the log holds one.
    pub outage: Option<Outage>,
    /// The log's reconnect storm, likewise for `ReconnectStorm` devices.
    pub storm: Option<Storm>,
}

impl Hub {
    /// One incident per day of log, at a seeded time well inside the day and the log.
    pub(super) fn new(end: i64, with_incidents: bool, rng: &mut Rng) -> Hub {
        let mut incidents = Vec::new();
        let mut day = 0;
        while with_incidents && day < end {
            let lo = day + HOUR;
            let hi = (day + DAY - HOUR).min(end - 30 * MINUTE - INCIDENT_WINDOW);
            if lo <= hi {
                incidents.push(rng.range(lo, hi));
            }
            day += DAY;
        }
        let spans = vec![None; incidents.len()];
        Hub {
            end,
            incidents,
            spans,
            outage: None,
            storm: None,
        }
    }

    /// Plans the fleet-level events of the scenarios dealt (`scenarios`, by device
    /// index), drawing from `rng` only when there is one to plan: a fleet without those
    /// scenarios is written exactly as before they existed.
    pub(super) fn plan_fleet_events(&mut self, scenarios: &[Scenario], rng: &mut Rng) {
        let at_sites: Vec<u32> = (0..scenarios.len() as u32)
            .filter(|&i| scenarios[i as usize] == Scenario::SiteOutage)
            .collect();
        if !at_sites.is_empty()
            && let Some(start) = self.clear_moment(OUTAGE_WINDOW + OUTAGE_BACK_MAX, 2 * HOUR, rng)
        {
            let mut sites = SITES.to_vec();
            let count = rng.range(2, 3) as usize;
            // A partial Fisher-Yates: the first `count` are the sites that go down.
            for i in 0..count {
                let j = i + rng.below((sites.len() - i) as u64) as usize;
                sites.swap(i, j);
            }
            sites.truncate(count);
            // A tenth of the site's devices, rounded, never come back.
            let mut devices = at_sites;
            let never = (devices.len() + 5) / 10;
            for i in 0..never {
                let j = i + rng.below((devices.len() - i) as u64) as usize;
                devices.swap(i, j);
            }
            devices.truncate(never);
            devices.sort_unstable();
            self.outage = Some(Outage {
                start,
                sites,
                never_back: devices,
                span: None,
                dropped: 0,
            });
        }
        if scenarios.contains(&Scenario::ReconnectStorm)
            && let Some(start) =
                self.clear_moment(STORM_WINDOW + STORM_THROTTLED_MAX + 5, 30 * MINUTE, rng)
        {
            self.storm = Some(Storm {
                start,
                span: None,
                dropped: 0,
                throttled_until: None,
            });
        }
    }

    /// A moment an hour or more into the log, from which an event of `length` still ends
    /// `tail` before the end, an hour clear of incidents and of the other fleet-level
    /// events; `None` when the log has no such moment. (An outage leaves two hours, so
    /// that the devices that never come back are seen to be offline.)
    fn clear_moment(&self, length: i64, tail: i64, rng: &mut Rng) -> Option<i64> {
        let (lo, hi) = (HOUR, self.end - tail - length);
        if lo > hi {
            return None;
        }
        let taken: Vec<(i64, i64)> = (self.incidents.iter())
            .map(|&start| (start, start + INCIDENT_WINDOW))
            .chain(
                (self.outage.iter()).map(|o| (o.start, o.start + OUTAGE_WINDOW + OUTAGE_BACK_MAX)),
            )
            .collect();
        (0..FLEET_EVENT_TRIES)
            .map(|_| rng.range(lo, hi))
            .find(|&at| {
                taken.iter().all(|&(from, to)| {
                    at + length + FLEET_EVENT_CLEARANCE <= from || at >= to + FLEET_EVENT_CLEARANCE
                })
            })
    }

    /// Whether `at` is near the site outage or the reconnect storm: devices keep their
    /// clean reconnects away from them, so that each is the only thing happening then.
    pub(super) fn near_fleet_event(&self, at: i64) -> bool {
        let near = |start: i64, length: i64| {
            at >= start - INCIDENT_CLEARANCE && at <= start + length + INCIDENT_CLEARANCE
        };
        self.outage
            .as_ref()
            .is_some_and(|o| near(o.start, OUTAGE_WINDOW + OUTAGE_BACK_MAX))
            || self
                .storm
                .as_ref()
                .is_some_and(|s| near(s.start, STORM_WINDOW + STORM_THROTTLED_MAX))
    }

    pub(super) fn near_incident(&self, at: i64) -> bool {
        self.incidents.iter().any(|&start| {
            at >= start - INCIDENT_CLEARANCE && at <= start + INCIDENT_WINDOW + INCIDENT_CLEARANCE
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_incident_per_day_that_fits_inside_the_log() {
        let hub = |hours: i64| Hub::new(hours * HOUR, true, &mut Rng::new(hours as u64));
        assert_eq!(hub(24).incidents.len(), 1);
        assert_eq!(hub(72).incidents.len(), 3);
        // A second day of 1.5 h cannot hold one an hour in and half an hour before the end.
        assert_eq!(hub(25).incidents.len(), 1);
        assert!(hub(1).incidents.is_empty());
        for hours in [2, 3, 24, 30, 48, 100] {
            let hub = hub(hours);
            for start in &hub.incidents {
                assert!(*start >= HOUR && start + INCIDENT_WINDOW + 30 * MINUTE <= hours * HOUR);
            }
        }
        assert!(
            Hub::new(48 * HOUR, false, &mut Rng::new(1))
                .incidents
                .is_empty()
        );
    }
}

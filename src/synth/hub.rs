//! The hub side of the fleet: how long the log runs, when the hub incidents happen,
//! and what the incidents really looked like once written (for the truth).

use super::rng::Rng;

pub(super) const MINUTE: i64 = 60;
pub(super) const HOUR: i64 = 3600;
pub(super) const DAY: i64 = 86_400;
/// All victims of an incident are dropped within this window.
pub(super) const INCIDENT_WINDOW: i64 = 3 * MINUTE;
/// Healthy devices keep their one clean reconnect this far from an incident, so the
/// incident is the only thing happening to victims around it.
const INCIDENT_CLEARANCE: i64 = 20 * MINUTE;

/// Hub-wide facts: the end of the log, and the incidents with what was really written.
#[derive(Debug)]
pub(super) struct Hub {
    /// Seconds from the start of the log to its end; nothing is written at or after it.
    pub end: i64,
    /// Start of each incident's window.
    pub incidents: Vec<i64>,
    /// First and last victim disconnect of each incident, as written.
    pub spans: Vec<Option<(i64, i64)>>,
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
        }
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

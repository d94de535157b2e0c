//! What the rest of the log holds for a device once it has first connected: the
//! first episode of a repeating pattern, or an agenda of a few one-off episodes
//! (clean reconnects, incident drops, takeovers, a final drop).

use super::{DeviceGen, EDGE_IDLE, NAT_IDLE, RENEWAL_LENGTH, RESTART_LENGTH, Renewal, Step};
use crate::synth::hub::{DAY, HOUR, Hub, INCIDENT_WINDOW, MINUTE, OUTAGE_WINDOW, STORM_WINDOW};
use crate::synth::spec::Scenario;
use std::cmp::Reverse;

impl DeviceGen {
    /// After the first connect: what the rest of the log holds for this device.
    pub(super) fn plan(&mut self, connected: i64, hub: &Hub) {
        let end = self.end;
        match self.scenario {
            Scenario::Healthy => self.agenda_until(end - 30 * MINUTE, hub, None),
            Scenario::IncidentVictim => {
                self.agenda_until(end - 30 * MINUTE, hub, None);
                for (index, &start) in hub.incidents.iter().enumerate() {
                    let at = start + self.rng.range(0, INCIDENT_WINDOW);
                    self.agenda.push((at, Step::Incident(index)));
                }
                self.start_agenda();
            }
            Scenario::Offline => {
                let lo = (connected + 15 * MINUTE).max(end * 3 / 10);
                let hi = end - HOUR - 5 * MINUTE;
                let last = if lo <= hi {
                    self.rng.range(lo, hi)
                } else {
                    hi.max(connected + MINUTE)
                };
                self.agenda_until(last - 30 * MINUTE, hub, Some(last));
            }
            Scenario::QuietAtEnd => {
                let last = (end - self.rng.range(4 * MINUTE, 6 * MINUTE)).max(connected + MINUTE);
                self.agenda_until(last - 30 * MINUTE, hub, Some(last));
            }
            Scenario::TokenRenewalMqtt => {
                let next = connected + 65 * MINUTE + self.rng.range(-MINUTE, MINUTE);
                self.repeat(Step::RenewalMqtt, next, 42);
            }
            Scenario::TokenRenewalNode => {
                let next = connected + HOUR + self.rng.range(-45, 45);
                self.repeat(Step::RenewalNode, next, 31);
            }
            Scenario::RapidFlapping | Scenario::FlappingWith401003 => {
                let next = self.fitting(connected + 10 * MINUTE, connected + 3 * HOUR, 6 * MINUTE);
                self.repeat(Step::Burst, next, 5 * MINUTE);
            }
            Scenario::ChronicFlapping => {
                self.repeat(Step::ChronicHour, connected / HOUR * HOUR, HOUR - 1);
            }
            Scenario::DuplicateIdentity => {
                let next = connected + self.rng.range(MINUTE, 10 * MINUTE);
                self.repeat(Step::Takeover, next, 2);
            }
            Scenario::CredentialFailure => {
                // Late enough to look settled, early enough for five or more refusals.
                let lo = (connected + 15 * MINUTE).max(end / 4);
                let hi = (end * 6 / 10).min(end - 40 * MINUTE);
                let at = self.rng.range(lo, hi);
                self.repeat(Step::CredentialFailure, at, 1);
            }
            Scenario::SideEffect => {
                let next = self.fitting(connected + 10 * MINUTE, connected + 2 * HOUR, MINUTE);
                self.repeat(Step::SideEffect, next, 51);
            }
            Scenario::TokenRenewalShort => {
                let minutes = if self.rng.chance(500) { 15 } else { 30 };
                self.renew(connected, minutes * MINUTE, 30, true);
            }
            Scenario::TokenRenewalC => {
                let logs_close = self.rng.chance(500);
                self.renew(connected, 48 * MINUTE, 30, logs_close);
            }
            Scenario::TokenRenewalPython => self.renew(connected, 58 * MINUTE, 30, true),
            Scenario::TokenRenewalNo404104 => self.renew(connected, 65 * MINUTE, MINUTE, false),
            Scenario::Takeover => self.plan_takeovers(connected),
            Scenario::RestartTwiceDaily => {
                // The restarts keep the phase of the first one, anywhere in the first 12 h.
                let next = connected + self.rng.range(30 * MINUTE, 12 * HOUR);
                self.repeat(Step::Restart, next, RESTART_LENGTH);
            }
            Scenario::EdgeModules => {
                self.connect_modules(connected);
                self.agenda_until(end - 30 * MINUTE, hub, None);
            }
            Scenario::SiteOutage => {
                let outage = hub.outage.as_ref();
                let never =
                    outage.is_some_and(|o| o.never_back.binary_search(&self.device).is_ok());
                self.agenda_until(end - 30 * MINUTE, hub, None);
                if let Some(outage) = outage {
                    let at = outage.start + self.rng.range(0, OUTAGE_WINDOW);
                    // A device that never comes back has nothing after its drop.
                    if never {
                        self.agenda.retain(|&(time, _)| time < at);
                    }
                    self.agenda.push((at, Step::Outage));
                    self.start_agenda();
                }
            }
            Scenario::ReconnectStorm => {
                self.agenda_until(end - 30 * MINUTE, hub, None);
                if let Some(storm) = hub.storm.as_ref() {
                    let at = storm.start + self.rng.range(0, STORM_WINDOW);
                    self.agenda.push((at, Step::Storm));
                    self.start_agenda();
                }
            }
            Scenario::NatIdle => {
                let next = connected + NAT_IDLE + self.rng.range(0, 2);
                self.repeat(Step::NatIdle, next, 5);
            }
            Scenario::EdgeIdleModule => {
                let custom = self.connect_modules(connected);
                let next = custom + EDGE_IDLE + self.rng.range(0, 2);
                self.repeat(Step::ModuleIdle, next, 8);
            }
            Scenario::SdkCohortDefect => {
                let next = self.fitting(connected + 10 * MINUTE, connected + 3 * HOUR, 6 * MINUTE);
                self.repeat(Step::Burst, next, 5 * MINUTE);
            }
        }
    }

    /// Renews every `period` ±`jitter` from the first connect.
    fn renew(&mut self, connected: i64, period: i64, jitter: i64, logs_close: bool) {
        self.renewal = Renewal {
            period,
            jitter,
            logs_close,
        };
        let next = connected + period + self.rng.range(-jitter, jitter);
        self.repeat(Step::Renewal, next, RENEWAL_LENGTH);
    }

    /// One or two takeovers a day, at least 20 minutes apart and 45 minutes before the
    /// end of the log; then, for most devices, a later clean restart, so that the story
    /// goes on after the last takeover as it does in a real fleet.
    fn plan_takeovers(&mut self, connected: i64) {
        const APART: i64 = 10 * MINUTE;
        let end = self.end;
        self.moves = self.rng.chance(300);
        let mut last = None;
        let mut day = 0;
        while day < end {
            let lo = (day + HOUR).max(connected + 10 * MINUTE);
            let hi = (day + DAY - HOUR).min(end - 45 * MINUTE);
            if lo <= hi {
                let middle = lo + (hi - lo) / 2;
                let times = if self.rng.chance(500) && middle - APART > lo {
                    vec![
                        self.rng.range(lo, middle - APART),
                        self.rng.range(middle + APART, hi),
                    ]
                } else {
                    vec![self.rng.range(lo, hi)]
                };
                for at in times {
                    self.agenda.push((at, Step::Reopen));
                    last = Some(at);
                }
            }
            day += DAY;
        }
        if let Some(last) = last
            && self.rng.chance(850)
        {
            let at = self.rng.range(last + 10 * MINUTE, end - 5 * MINUTE);
            self.agenda.push((at, Step::CleanReconnect));
        }
        self.start_agenda();
    }

    /// Maybe one clean reconnect a day before `limit`, then the `last` drop if any.
    fn agenda_until(&mut self, limit: i64, hub: &Hub, last: Option<i64>) {
        let mut day = 0;
        while day < limit {
            if self.rng.chance(500) {
                let at = day + self.rng.range(HOUR, DAY - HOUR);
                let near = (self.scenario == Scenario::IncidentVictim && hub.near_incident(at))
                    || hub.near_fleet_event(at);
                if at > self.connected_at + 10 * MINUTE && at < limit && !near {
                    self.agenda.push((at, Step::CleanReconnect));
                }
            }
            day += DAY;
        }
        if let Some(at) = last {
            self.agenda.push((at, Step::FinalDrop));
        }
        self.start_agenda();
    }

    fn start_agenda(&mut self) {
        // Stable sort, latest first, so `pop` yields the next episode.
        self.agenda.sort_by_key(|&(at, _)| Reverse(at));
        match self.agenda.last() {
            Some(&(at, _)) => {
                self.step = Step::Agenda;
                self.next = at;
            }
            None => self.step = Step::Done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::record::{Code, Kind};
    use crate::synth::schedule::tests::{drops, play};

    #[test]
    fn offline_and_quiet_devices_end_on_a_drop_at_their_distance_from_the_end() {
        for seed in 0..20 {
            let (offline, _) = play(Scenario::Offline, 24, seed);
            let last = offline.last().map_or(0, |e| e.at);
            assert!(24 * HOUR - last >= HOUR, "seed {seed}");
            let (quiet, _) = play(Scenario::QuietAtEnd, 24, seed);
            let last = quiet.last().map_or(0, |e| e.at);
            assert!(
                (4 * MINUTE..=6 * MINUTE).contains(&(24 * HOUR - last)),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn credential_failures_never_reconnect_after_five_refusals() {
        for seed in 0..20 {
            let (events, _) = play(Scenario::CredentialFailure, 24, seed);
            let refusals = drops(&events, Code::Unauthorized);
            let first = refusals.first().copied().unwrap_or(i64::MAX);
            assert!(refusals.len() >= 5, "seed {seed}");
            assert!(
                !events
                    .iter()
                    .any(|e| e.at > first && e.kind == Kind::Connect)
            );
        }
    }

    #[test]
    fn victims_are_dropped_inside_the_incident_window() {
        let (events, hub) = play(Scenario::IncidentVictim, 48, 3);
        assert_eq!(hub.incidents.len(), 2);
        let server = [
            drops(&events, Code::GenericTimeout),
            drops(&events, Code::ServerError),
        ]
        .concat();
        assert_eq!(server.len(), 2);
        for (start, span) in hub.incidents.iter().zip(&hub.spans) {
            let (first, last) = span.unwrap_or_default();
            assert!(*start <= first && last <= start + INCIDENT_WINDOW);
        }
    }
}

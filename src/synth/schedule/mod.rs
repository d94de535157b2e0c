//! When each device does what. A device plays its scenario as a series of short
//! episodes (a renewal, a burst, a takeover, a restart...), generated lazily: only
//! episodes that start before the hour being written are played, so a device holds at
//! most one episode's events at a time and memory follows the fleet, not the log's
//! length.

mod plan;

use super::device::Profile;
use super::hub::{DAY, HOUR, Hub, MINUTE, OUTAGE_BACK_MAX, STORM_THROTTLED_MAX};
use super::record::{Code, Event, Kind};
use super::rng::Rng;
use super::spec::Scenario;
use std::collections::VecDeque;

/// What a device does at its next episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    FirstConnect,
    /// The earliest entry of the agenda.
    Agenda,
    CleanReconnect,
    Incident(usize),
    FinalDrop,
    RenewalMqtt,
    RenewalNode,
    Burst,
    ChronicHour,
    Takeover,
    CredentialFailure,
    Refusal,
    SideEffect,
    /// A token renewal of the device's [`Renewal`] kind.
    Renewal,
    /// A new connection opened before the old one was closed (an application restart
    /// that left its socket open): connect, then the hub closes the old connection.
    Reopen,
    /// A clean restart: informational disconnect, connect 20-60 s later.
    Restart,
    /// The site goes down: 404104, then back 2-10 min later unless never.
    Outage,
    /// The storm: 404104, refused every 2-5 s for 2-4 min, then in.
    Storm,
    /// A NAT forgot the idle connection: 404104, reconnect 1-5 s later.
    NatIdle,
    /// edgeHub closed the custom module's idle connection: informational disconnect of
    /// the module, which reconnects 2-8 s later.
    ModuleIdle,
    Done,
}

/// How a device's SDK renews its SAS token: how often, and whether the device side's
/// close is logged (as 404104) between the hub's 401003 and the reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Renewal {
    pub period: i64,
    /// The period varies by at most this much either way.
    pub jitter: i64,
    pub logs_close: bool,
}

/// A clean restart takes the device this long at most, disconnect to connect.
const RESTART_LENGTH: i64 = 60;
/// A renewal episode: 401003, 404104 a second later, connect 10-40 s after that.
const RENEWAL_LENGTH: i64 = 42;
/// The idle timeout of the NAT in front of `NatIdle` devices ...
pub(super) const NAT_IDLE: i64 = 240;
/// ... and edgeHub's for module connections to the cloud (`CloudConnectionIdleTimeoutSecs`).
pub(super) const EDGE_IDLE: i64 = 3600;
/// A storm device is refused for at least this long after its drop.
const STORM_THROTTLED_MIN: i64 = 2 * MINUTE;

/// One device's generator.
#[derive(Debug)]
pub(super) struct DeviceGen {
    device: u32,
    scenario: Scenario,
    rng: Rng,
    end: i64,
    /// Played but not yet written: the tail of the current episode at most.
    pending: VecDeque<Event>,
    /// When the next episode starts, and what it is.
    next: i64,
    step: Step,
    /// Sparse one-off episodes (clean reconnects, incidents, a final drop), latest first.
    agenda: Vec<(i64, Step)>,
    connected_at: i64,
    /// Duplicate identity: which of the two clients holds the connection. After a
    /// takeover from a new address: which address the device now uses.
    holder: u8,
    /// Logged over AMQP, where a takeover closes the old link with 409002, not 400027.
    amqp: bool,
    /// Module identities of an IoT Edge device, connected after the device.
    modules: u8,
    /// Token renewal scenarios: how this device renews (drawn at its first connect).
    renewal: Renewal,
    /// Takeover: whether the new connection comes from the other address.
    moves: bool,
    /// Flapping with 401003: the day of the last burst, and how many of that day's
    /// bursts still hold a 401003.
    burst_day: i64,
    unauthorized_left: i64,
}

impl DeviceGen {
    pub(super) fn new(
        device: u32,
        profile: &Profile,
        scenario: Scenario,
        mut rng: Rng,
        hub: &Hub,
    ) -> DeviceGen {
        // Devices come up over the first half hour (less in very short logs). Scenario
        // details are drawn at the first connect, after this, so that adding a scenario
        // never shifts the draws of the others.
        let first = rng.range(0, (hub.end / 4).min(30 * MINUTE));
        DeviceGen {
            device,
            scenario,
            rng,
            end: hub.end,
            pending: VecDeque::new(),
            next: first,
            step: Step::FirstConnect,
            agenda: Vec::new(),
            connected_at: first,
            holder: 0,
            amqp: profile.protocol == "Amqp",
            modules: u8::try_from(profile.modules.len()).unwrap_or(u8::MAX),
            renewal: Renewal {
                period: HOUR,
                jitter: 0,
                logs_close: true,
            },
            moves: false,
            burst_day: -1,
            unauthorized_left: 0,
        }
    }

    /// Plays every episode that starts before `until`.
    pub(super) fn advance(&mut self, until: i64, hub: &mut Hub) {
        while self.step != Step::Done && self.next < until {
            self.play(self.step, self.next, hub);
        }
    }

    /// Moves the events due before `until` to `out`, in time order.
    pub(super) fn drain_before(&mut self, until: i64, out: &mut Vec<Event>) {
        while let Some(event) = self.pending.front()
            && event.at < until
        {
            out.extend(self.pending.pop_front());
        }
    }

    fn emit(&mut self, at: i64, kind: Kind, address: u8) {
        self.emit_as(at, kind, address, 0);
    }

    /// An event of the device (`module` 0) or of its `module`th module identity.
    fn emit_as(&mut self, at: i64, kind: Kind, address: u8, module: u8) {
        debug_assert!(
            self.pending.back().is_none_or(|e| e.at <= at),
            "episodes overlap"
        );
        if at < self.end {
            self.pending.push_back(Event {
                at,
                device: self.device,
                kind,
                address,
                module,
            });
        }
    }

    fn drop_with(&mut self, at: i64, code: Code) {
        self.emit(at, Kind::Disconnect(Some(code)), self.holder);
    }

    fn connect(&mut self, at: i64) {
        self.emit(at, Kind::Connect, self.holder);
    }

    /// Schedules `step` at `at` if an episode lasting `length` still ends inside the log.
    fn repeat(&mut self, step: Step, at: i64, length: i64) {
        if at + length < self.end {
            self.step = step;
            self.next = at;
        } else {
            self.step = Step::Done;
        }
    }

    /// A time in `lo..=hi`, pulled in so that an episode of `length` fits in the log.
    fn fitting(&mut self, lo: i64, hi: i64, length: i64) -> i64 {
        let hi = hi.min(self.end - length - 1);
        self.rng.range(lo, hi)
    }

    fn play(&mut self, step: Step, at: i64, hub: &mut Hub) {
        let rng = &mut self.rng;
        match step {
            Step::FirstConnect => {
                self.connect(at);
                self.plan(at, hub);
            }
            Step::Agenda => {
                if let Some((at, step)) = self.agenda.pop() {
                    self.play(step, at, hub);
                }
                match self.agenda.last() {
                    Some(&(next, _)) if self.step == Step::Agenda => self.next = next,
                    _ if self.step == Step::Agenda => self.step = Step::Done,
                    _ => {}
                }
            }
            Step::CleanReconnect => {
                let back = at + rng.range(5, 60);
                self.emit(at, Kind::Disconnect(None), self.holder);
                self.connect(back);
            }
            Step::Incident(index) => {
                let code = if rng.chance(600) {
                    Code::GenericTimeout
                } else {
                    Code::ServerError
                };
                let back = at + rng.range(30, 120);
                self.drop_with(at, code);
                self.connect(back);
                if let Some(span) = hub.spans.get_mut(index) {
                    let (first, last) = span.unwrap_or((at, at));
                    *span = Some((first.min(at), last.max(at)));
                }
            }
            Step::FinalDrop => self.drop_with(at, Code::ClosedRemotely),
            Step::RenewalMqtt => {
                // The hub drops the expired token, the device side closes, then reconnects.
                let back = at + 1 + rng.range(10, 40);
                let next = at + 65 * MINUTE + rng.range(-MINUTE, MINUTE);
                self.drop_with(at, Code::Unauthorized);
                self.drop_with(at + 1, Code::ClosedRemotely);
                self.connect(back);
                self.repeat(Step::RenewalMqtt, next, 42);
            }
            Step::RenewalNode => {
                let back = at + rng.range(5, 30);
                let next = at + HOUR + rng.range(-45, 45);
                self.emit(at, Kind::Disconnect(None), 0);
                self.connect(back);
                self.repeat(Step::RenewalNode, next, 31);
            }
            Step::Burst => {
                // At most 16 cycles of at most 18 s: 12 or more drops inside 5 minutes.
                let drops = self.rng.range(12, 16);
                let unauthorized = match self.scenario {
                    Scenario::FlappingWith401003 => self.unauthorized_drop(at, drops),
                    _ => None,
                };
                let mut clock = at;
                for drop in 0..drops {
                    let code = self.rng.chance(850).then_some(Code::ClosedRemotely);
                    let code = match unauthorized {
                        Some(chosen) if chosen == drop => Some(Code::Unauthorized),
                        _ => code,
                    };
                    self.emit(clock, Kind::Disconnect(code), 0);
                    clock += self.rng.range(2, 6);
                    self.connect(clock);
                    clock += self.rng.range(6, 12);
                }
                let next = at + self.rng.range(3 * HOUR, 6 * HOUR);
                self.repeat(Step::Burst, next, 5 * MINUTE);
            }
            Step::ChronicHour => self.chronic_hour(at),
            Step::Takeover => {
                // The other client connects; the hub closes the one that held the identity.
                let kicked = self.holder;
                let next = at + rng.range(6 * MINUTE, 20 * MINUTE);
                self.holder = 1 - kicked;
                self.connect(at);
                self.emit(
                    at + 1,
                    Kind::Disconnect(Some(Code::ForcefullyClosed)),
                    kicked,
                );
                self.repeat(Step::Takeover, next, 2);
            }
            Step::CredentialFailure => {
                let next = at + rng.range(2 * MINUTE, 7 * MINUTE);
                self.drop_with(at, Code::Unauthorized);
                self.drop_with(at + 1, Code::ClosedRemotely);
                self.repeat(Step::Refusal, next, 0);
            }
            Step::Refusal => {
                let next = at + rng.range(2 * MINUTE, 7 * MINUTE);
                self.drop_with(at, Code::Unauthorized);
                self.repeat(Step::Refusal, next, 0);
            }
            Step::SideEffect => {
                let conflict = at + rng.range(1, 20);
                let back = conflict + rng.range(5, 30);
                let next = at + rng.range(HOUR, 4 * HOUR);
                self.drop_with(at, Code::ClosedRemotely);
                self.drop_with(conflict, Code::LinkConflict);
                self.connect(back);
                self.repeat(Step::SideEffect, next, 51);
            }
            Step::Renewal => {
                let Renewal {
                    period,
                    jitter,
                    logs_close,
                } = self.renewal;
                let back = at + 1 + rng.range(10, 40);
                let next = at + period + rng.range(-jitter, jitter);
                self.drop_with(at, Code::Unauthorized);
                if logs_close {
                    self.drop_with(at + 1, Code::ClosedRemotely);
                }
                self.connect(back);
                self.repeat(Step::Renewal, next, RENEWAL_LENGTH);
            }
            Step::Reopen => {
                // The new connection is logged first; the hub then closes the old one.
                let closed = at + rng.range(0, 5);
                let old = self.holder;
                if self.moves {
                    self.holder = 1 - old;
                }
                let code = if self.amqp {
                    Code::LinkConflict
                } else {
                    Code::ForcefullyClosed
                };
                self.connect(at);
                self.emit(closed, Kind::Disconnect(Some(code)), old);
            }
            Step::Restart => {
                let back = at + rng.range(20, RESTART_LENGTH);
                let next = at + 12 * HOUR + rng.range(-10 * MINUTE, 10 * MINUTE);
                self.emit(at, Kind::Disconnect(None), self.holder);
                self.connect(back);
                self.repeat(Step::Restart, next, RESTART_LENGTH);
            }
            Step::Outage => {
                let never = hub
                    .outage
                    .as_ref()
                    .is_some_and(|o| o.never_back.binary_search(&self.device).is_ok());
                let back = at + rng.range(2 * MINUTE, OUTAGE_BACK_MAX);
                self.drop_with(at, Code::ClosedRemotely);
                if never {
                    // Nothing more from this device: the rest of its agenda is dropped.
                    self.agenda.clear();
                } else {
                    self.connect(back);
                }
                if let Some(outage) = hub.outage.as_mut() {
                    let (first, last) = outage.span.unwrap_or((at, at));
                    outage.span = Some((first.min(at), last.max(at)));
                    outage.dropped += 1;
                }
            }
            Step::Storm => {
                let code = if rng.chance(150) {
                    Code::QuotaExceeded
                } else {
                    Code::Throttled
                };
                let admitted = at + rng.range(STORM_THROTTLED_MIN, STORM_THROTTLED_MAX);
                self.drop_with(at, Code::ClosedRemotely);
                let mut clock = at + self.rng.range(2, 5);
                let mut refused = None;
                while clock < admitted {
                    self.emit(clock, Kind::Refused(code), self.holder);
                    refused = Some(clock);
                    clock += self.rng.range(2, 5);
                }
                self.connect(clock);
                if let Some(storm) = hub.storm.as_mut() {
                    let (first, last) = storm.span.unwrap_or((at, at));
                    storm.span = Some((first.min(at), last.max(at)));
                    storm.dropped += 1;
                    storm.throttled_until = storm.throttled_until.max(refused);
                }
            }
            Step::NatIdle => {
                let back = at + rng.range(1, 5);
                let next = back + NAT_IDLE + self.rng.range(0, 2);
                self.drop_with(at, Code::ClosedRemotely);
                self.connect(back);
                self.repeat(Step::NatIdle, next, 5);
            }
            Step::ModuleIdle => {
                let module = self.modules;
                let back = at + rng.range(2, 8);
                let next = back + EDGE_IDLE + self.rng.range(0, 2);
                self.emit_as(at, Kind::Disconnect(None), self.holder, module);
                self.emit_as(back, Kind::Connect, self.holder, module);
                self.repeat(Step::ModuleIdle, next, 8);
            }
            Step::Done => {}
        }
    }

    /// Flapping with 401003: which drop of a burst of `drops` starting at `at` is a
    /// 401003, if any. The first 2-3 bursts of each day hold one each (a day holds at
    /// least four bursts), so a day shows 2-3 of them among many 404104s.
    fn unauthorized_drop(&mut self, at: i64, drops: i64) -> Option<i64> {
        if at / DAY != self.burst_day {
            self.burst_day = at / DAY;
            self.unauthorized_left = self.rng.range(2, 3);
        }
        if self.unauthorized_left == 0 {
            return None;
        }
        self.unauthorized_left -= 1;
        // Not the first drop: the burst is under way when the token is refused.
        Some(self.rng.range(1, drops - 1))
    }

    /// The module identities connect after the device, each a few seconds after the
    /// one before: edgeAgent starts edgeHub, which then starts the custom modules.
    /// Returns when the last one connected.
    fn connect_modules(&mut self, connected: i64) -> i64 {
        let mut clock = connected;
        for module in 1..=self.modules {
            clock += self.rng.range(2, 8);
            self.emit_as(clock, Kind::Connect, self.holder, module);
        }
        clock
    }

    /// 5-8 drops at random moments of the hour, at least 95 s apart so that each
    /// reconnect (20-90 s) comes before the next drop and inside the hour.
    fn chronic_hour(&mut self, hour: i64) {
        const GAP: i64 = 95;
        let drops = self.rng.range(5, 8) as usize;
        let room = HOUR - drops as i64 * GAP;
        let mut offsets = [0i64; 8];
        for offset in offsets.iter_mut().take(drops) {
            *offset = self.rng.range(0, room - 1);
        }
        offsets[..drops].sort_unstable();
        for (i, offset) in offsets[..drops].iter().enumerate() {
            let at = hour + offset + i as i64 * GAP;
            let back = at + self.rng.range(20, 90);
            if at > self.connected_at + 30 {
                self.drop_with(at, Code::ClosedRemotely);
                self.connect(back);
            }
        }
        self.repeat(Step::ChronicHour, hour + HOUR, HOUR - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event of one device over a whole log.
    pub(super) fn play(scenario: Scenario, hours: i64, seed: u64) -> (Vec<Event>, Hub) {
        let mut hub = Hub::new(hours * HOUR, true, &mut Rng::new(seed));
        hub.plan_fleet_events(&[scenario], &mut Rng::new(seed + 3));
        let sites = hub.outage.as_ref().map_or(Vec::new(), |o| o.sites.clone());
        let profile = Profile::new(0, scenario, &mut Rng::new(seed + 2), &sites);
        let mut device = DeviceGen::new(0, &profile, scenario, Rng::new(seed + 1), &hub);
        let mut events = Vec::new();
        for hour in 1..=hours {
            device.advance(hour * HOUR, &mut hub);
            device.drain_before(hour * HOUR, &mut events);
        }
        (events, hub)
    }

    pub(super) fn drops(events: &[Event], code: Code) -> Vec<i64> {
        let kind = Kind::Disconnect(Some(code));
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.at)
            .collect()
    }

    #[test]
    fn every_scenario_writes_in_time_order_inside_the_log() {
        for scenario in Scenario::ALL {
            for seed in 0..20 {
                let (events, _) = play(scenario, 24, seed);
                assert!(
                    events.windows(2).all(|w| w[0].at <= w[1].at),
                    "{scenario:?}"
                );
                assert!(
                    events.iter().all(|e| (0..24 * HOUR).contains(&e.at)),
                    "{scenario:?}"
                );
                assert_eq!(
                    events.first().map(|e| e.kind),
                    Some(Kind::Connect),
                    "{scenario:?}"
                );
            }
        }
    }

    #[test]
    fn renewing_and_healthy_devices_end_connected() {
        for scenario in [
            Scenario::Healthy,
            Scenario::TokenRenewalMqtt,
            Scenario::TokenRenewalNode,
            Scenario::TokenRenewalShort,
            Scenario::TokenRenewalC,
            Scenario::TokenRenewalPython,
            Scenario::TokenRenewalNo404104,
            Scenario::RestartTwiceDaily,
            Scenario::EdgeModules,
        ] {
            for seed in 0..20 {
                let (events, _) = play(scenario, 24, seed);
                assert_eq!(
                    events.last().map(|e| e.kind),
                    Some(Kind::Connect),
                    "{scenario:?}"
                );
            }
        }
    }

    #[test]
    fn mqtt_renewal_recurs_about_every_65_minutes() {
        let (events, _) = play(Scenario::TokenRenewalMqtt, 24, 4);
        let expiries = drops(&events, Code::Unauthorized);
        assert!(expiries.len() >= 20, "{}", expiries.len());
        assert!(
            expiries
                .windows(2)
                .all(|w| (64 * MINUTE..=66 * MINUTE).contains(&(w[1] - w[0])))
        );
    }

    #[test]
    fn rapid_bursts_pack_twelve_drops_into_five_minutes() {
        let (events, _) = play(Scenario::RapidFlapping, 24, 8);
        let drops: Vec<i64> = events
            .iter()
            .filter(|e| matches!(e.kind, Kind::Disconnect(_)))
            .map(|e| e.at)
            .collect();
        assert!(drops.len() >= 12);
        assert!(drops.windows(12).any(|w| w[11] - w[0] <= 5 * MINUTE));
    }
}

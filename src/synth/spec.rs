//! What a synthetic fleet is made of: the spec (seed, size, duration, start, mix), the
//! scenarios a device can play, and how devices are dealt scenarios from the mix's
//! shares (see `mix.rs`).

use super::mix::Mix;
use super::rng::Rng;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// 2026-03-02T00:00:00Z, the day the reference samples are set on.
const DEFAULT_START_UNIX: i64 = 1_772_409_600;

/// A fleet needs this many devices for the hub incident to be told from chance.
pub(super) const INCIDENT_MIN_DEVICES: usize = 20;
/// Victims of an incident: at least this many devices ...
const VICTIMS_MIN: usize = 6;
/// ... and at least this share of the fleet, in per cent.
const VICTIMS_MIN_PERCENT: usize = 15;
/// From this size on, every scenario with a non-zero share gets at least one device.
const EVERY_SCENARIO_FROM: usize = 30;
/// From this size on, `SdkCohortDefect` (when in the mix) gets at least ...
const COHORT_FROM: usize = 60;
/// ... this many devices: a cohort to be told from chance.
const COHORT_MIN: usize = 10;

/// Everything that decides the output; the same spec always gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSpec {
    pub seed: u64,
    pub devices: usize,
    pub hours: u32,
    /// The log starts here; whole seconds are used.
    pub start: DateTime<Utc>,
    pub mix: Mix,
    /// Write only the records of level `Error`, as the troubleshooting page's query
    /// (`Category == "Connections" and Level == "Error"`) exports them: the devices
    /// play the same, but connects and informational disconnects are left out.
    pub errors_only: bool,
}

impl FleetSpec {
    /// A fleet starting 2026-03-02T00:00:00Z with the default [`Mix`].
    pub fn new(seed: u64, devices: usize, hours: u32) -> Self {
        FleetSpec {
            seed,
            devices,
            hours,
            start: default_start(),
            mix: Mix::default(),
            errors_only: false,
        }
    }

    /// Whether this fleet has hub incidents (and so `IncidentVictim` devices).
    pub(super) fn has_incidents(&self) -> bool {
        self.devices >= INCIDENT_MIN_DEVICES && self.mix.incident_victim > 0
    }
}

/// 2026-03-02T00:00:00Z.
pub fn default_start() -> DateTime<Utc> {
    DateTime::from_timestamp(DEFAULT_START_UNIX, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// What a device does during the log; see the crate's synth docs for each pattern.
///
/// The serde names (snake_case) are the names of the truth file and of
/// `generate --scenario`; [`Scenario::name`] gives the same text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Connects once and stays connected (maybe one clean reconnect a day).
    Healthy,
    /// .NET/Java SAS renewal: 401003, 404104 a second later, connect 10-40 s later, every ~65 min.
    TokenRenewalMqtt,
    /// Node SAS renewal: informational disconnect, connect 5-30 s later, every ~60 min.
    TokenRenewalNode,
    /// Bursts of 12 or more drops within 5 minutes, reconnecting in between.
    RapidFlapping,
    /// 5-8 random 404104 drops an hour, each followed by a reconnect 20-90 s later.
    ChronicFlapping,
    /// Two clients with one identity kick each other off (400027, alternating addresses).
    DuplicateIdentity,
    /// Connected, then repeated 401003 refusals and never a successful connect again.
    CredentialFailure,
    /// A final 404104 at least an hour before the end of the log, then silence.
    Offline,
    /// Occasional 404104 followed within 1-20 s by a 409002, then a reconnect.
    SideEffect,
    /// Look-alike of `Offline`: the last event is a disconnect only ~5 min before the end.
    QuietAtEnd,
    /// Healthy, but dropped (500008/500001) with many others in the hub incident.
    IncidentVictim,
    // The scenarios below come after `IncidentVictim` so that the default mix, which
    // gives them no share, deals exactly as it did before they existed.
    /// .NET/Java with a configured short token: 401003, 404104, connect, every 15 or
    /// 30 min (per device) ±30 s.
    TokenRenewalShort,
    /// C SDK renewal every 48 min ±30 s; half of these devices log no 404104.
    TokenRenewalC,
    /// Python SDK renewal 120 s before a 60-min expiry: every 58 min ±30 s, with 404104.
    TokenRenewalPython,
    /// .NET renewal every 65 min ±1 min logged as 401003 then connect, no 404104.
    #[serde(rename = "token_renewal_no_404104")]
    TokenRenewalNo404104,
    /// Healthy, but once or twice a day a new connection opens before the old one is
    /// closed: connect, then 400027 (MQTT) or 409002 (AMQP) for the old one within 5 s.
    Takeover,
    /// Healthy, restarting cleanly every 12 h ±10 min (informational disconnect, connect).
    RestartTwiceDaily,
    /// A rapid flapper whose first 2-3 bursts of each day hold one 401003 drop each.
    #[serde(rename = "flapping_with_401003")]
    FlappingWith401003,
    /// An IoT Edge device with `$edgeAgent`, `$edgeHub` and one custom module, all
    /// connected and staying connected.
    EdgeModules,
    // The fleet-level scenarios below are in no preset but `fleet`.
    /// Healthy, at one of the 2-3 sites (masked address ranges `198.51.N.XXX`) of the
    /// log's site outage: dropped with 404104 within 90 s with the whole site, back 2-10
    /// min later; a tenth of them (exactly, fleet-wide) never come back.
    SiteOutage,
    /// Healthy, until the log's reconnect storm: dropped with 404104 within a minute
    /// with the others, then retrying every 2-5 s and refused with 429001 (a few devices
    /// with 403002) for 2-4 min, then in.
    ReconnectStorm,
    /// A C SDK device behind a NAT that forgets idle connections after 240 s: every
    /// connection ends with 404104 after 240-242 s, reconnecting 1-5 s later, all day.
    NatIdle,
    /// An IoT Edge device like `EdgeModules` whose custom module's connection edgeHub
    /// closes when idle (`CloudConnectionIdleTimeoutSecs`, 3600 s): an informational
    /// disconnect every 3600-3602 s of connection, reconnecting 2-8 s later.
    EdgeIdleModule,
    /// A rapid flapper on the C SDK release `iothubclient/1.9.0` (the cohort of a bad
    /// SDK version); the fleet's other C SDK devices are on other versions.
    SdkCohortDefect,
}

impl Scenario {
    pub const ALL: [Scenario; 24] = [
        Scenario::Healthy,
        Scenario::TokenRenewalMqtt,
        Scenario::TokenRenewalNode,
        Scenario::RapidFlapping,
        Scenario::ChronicFlapping,
        Scenario::DuplicateIdentity,
        Scenario::CredentialFailure,
        Scenario::Offline,
        Scenario::SideEffect,
        Scenario::QuietAtEnd,
        Scenario::IncidentVictim,
        Scenario::TokenRenewalShort,
        Scenario::TokenRenewalC,
        Scenario::TokenRenewalPython,
        Scenario::TokenRenewalNo404104,
        Scenario::Takeover,
        Scenario::RestartTwiceDaily,
        Scenario::FlappingWith401003,
        Scenario::EdgeModules,
        Scenario::SiteOutage,
        Scenario::ReconnectStorm,
        Scenario::NatIdle,
        Scenario::EdgeIdleModule,
        Scenario::SdkCohortDefect,
    ];

    /// The name in the truth file and on the command line (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::TokenRenewalMqtt => "token_renewal_mqtt",
            Scenario::TokenRenewalNode => "token_renewal_node",
            Scenario::RapidFlapping => "rapid_flapping",
            Scenario::ChronicFlapping => "chronic_flapping",
            Scenario::DuplicateIdentity => "duplicate_identity",
            Scenario::CredentialFailure => "credential_failure",
            Scenario::Offline => "offline",
            Scenario::SideEffect => "side_effect",
            Scenario::QuietAtEnd => "quiet_at_end",
            Scenario::IncidentVictim => "incident_victim",
            Scenario::TokenRenewalShort => "token_renewal_short",
            Scenario::TokenRenewalC => "token_renewal_c",
            Scenario::TokenRenewalPython => "token_renewal_python",
            Scenario::TokenRenewalNo404104 => "token_renewal_no_404104",
            Scenario::Takeover => "takeover",
            Scenario::RestartTwiceDaily => "restart_twice_daily",
            Scenario::FlappingWith401003 => "flapping_with_401003",
            Scenario::EdgeModules => "edge_modules",
            Scenario::SiteOutage => "site_outage",
            Scenario::ReconnectStorm => "reconnect_storm",
            Scenario::NatIdle => "nat_idle",
            Scenario::EdgeIdleModule => "edge_idle_module",
            Scenario::SdkCohortDefect => "sdk_cohort_defect",
        }
    }

    /// The scenario of that [`name`](Scenario::name).
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How many scenarios there are: the length of every per-scenario table.
pub(super) const SCENARIOS: usize = Scenario::ALL.len();
/// Where `IncidentVictim` sits in [`Scenario::ALL`].
pub(super) const INCIDENT_VICTIM: usize = 10;
/// Where the fleet-level scenarios start in [`Scenario::ALL`].
#[cfg(test)]
pub(super) const FLEET_LEVEL: usize = 19;

/// The index of `scenario` in [`Scenario::ALL`].
fn index_of(scenario: Scenario) -> usize {
    Scenario::ALL
        .iter()
        .position(|s| *s == scenario)
        .unwrap_or(0)
}

/// Each device's scenario, by device index: counts from the shares, then shuffled so
/// that neither the index nor the id says anything about the scenario.
pub(super) fn deal(spec: &FleetSpec, rng: &mut Rng) -> Vec<Scenario> {
    let counts = counts(spec);
    let mut dealt: Vec<Scenario> = Scenario::ALL
        .iter()
        .zip(counts)
        .flat_map(|(&scenario, count)| std::iter::repeat_n(scenario, count))
        .collect();
    // Fisher-Yates, from the top down.
    for i in (1..dealt.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        dealt.swap(i, j);
    }
    dealt
}

/// Devices per scenario, in `Scenario::ALL` order, summing to `spec.devices`.
fn counts(spec: &FleetSpec) -> [usize; SCENARIOS] {
    let n = spec.devices;
    let weights = Scenario::ALL.map(|s| match s {
        // Without an incident a victim is only a healthy device under a false name.
        Scenario::IncidentVictim if !spec.has_incidents() => 0,
        _ => u64::from(spec.mix.share(s)),
    });
    let total: u64 = weights.iter().sum();
    let mut counts = [0usize; SCENARIOS];
    if total == 0 {
        counts[0] = n;
        return counts;
    }
    // Largest remainder, ties to the earlier scenario: integer-only, so exact everywhere.
    let mut remainders = [0u64; SCENARIOS];
    for (i, w) in weights.iter().enumerate() {
        let scaled = n as u128 * u128::from(*w);
        counts[i] = (scaled / u128::from(total)) as usize;
        remainders[i] = (scaled % u128::from(total)) as u64;
    }
    let mut order: Vec<usize> = (0..SCENARIOS).collect();
    order.sort_by(|a, b| remainders[*b].cmp(&remainders[*a]).then(a.cmp(b)));
    let short = n - counts.iter().sum::<usize>();
    for &i in order.iter().take(short) {
        counts[i] += 1;
    }

    let mut minimum = [0usize; SCENARIOS];
    for (i, w) in weights.iter().enumerate() {
        if *w > 0 && n >= EVERY_SCENARIO_FROM {
            minimum[i] = 1;
        }
    }
    if spec.has_incidents() {
        minimum[INCIDENT_VICTIM] = VICTIMS_MIN.max((n * VICTIMS_MIN_PERCENT).div_ceil(100));
    }
    // A site outage and a reconnect storm take as many devices as an incident, to be
    // told from chance; an SDK cohort is ten devices once the fleet can spare them.
    for scenario in [Scenario::SiteOutage, Scenario::ReconnectStorm] {
        let i = index_of(scenario);
        if weights[i] > 0 {
            minimum[i] = VICTIMS_MIN
                .max((n * VICTIMS_MIN_PERCENT).div_ceil(100))
                .min(n);
        }
    }
    let cohort = index_of(Scenario::SdkCohortDefect);
    if weights[cohort] > 0 && n >= COHORT_FROM {
        minimum[cohort] = COHORT_MIN;
    }
    // Top up each scenario below its minimum from the one with the most to spare.
    for i in 0..SCENARIOS {
        while counts[i] < minimum[i] {
            let donor = (0..SCENARIOS)
                .filter(|&d| counts[d] > minimum[d])
                .max_by(|&a, &b| {
                    (counts[a] - minimum[a])
                        .cmp(&(counts[b] - minimum[b]))
                        .then(b.cmp(&a))
                });
            let Some(donor) = donor else { break };
            counts[donor] -= 1;
            counts[i] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_of(spec: &FleetSpec, scenario: Scenario) -> usize {
        let index = Scenario::ALL
            .iter()
            .position(|s| *s == scenario)
            .unwrap_or(0);
        counts(spec)[index]
    }

    #[test]
    fn default_start_is_the_second_of_march_2026() {
        assert_eq!(default_start().to_rfc3339(), "2026-03-02T00:00:00+00:00");
    }

    #[test]
    fn counts_always_sum_to_the_fleet() {
        for n in [0, 1, 7, 19, 20, 29, 30, 31, 60, 999, 20_000] {
            let spec = FleetSpec::new(1, n, 24);
            assert_eq!(counts(&spec).iter().sum::<usize>(), n, "{n} devices");
        }
    }

    #[test]
    fn thirty_devices_cover_every_scenario_of_the_mix() {
        for mix in [Mix::default(), Mix::field()] {
            for n in [30, 31, 45, 60, 100] {
                let spec = FleetSpec {
                    mix,
                    ..FleetSpec::new(1, n, 24)
                };
                let counts = counts(&spec);
                for (scenario, count) in Scenario::ALL.iter().zip(counts) {
                    assert_eq!(
                        count > 0,
                        mix.share(*scenario) > 0,
                        "{n} devices, {scenario:?}: {counts:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn names_are_the_serde_names_and_read_back() {
        for scenario in Scenario::ALL {
            assert_eq!(
                serde_json::to_value(scenario).ok(),
                Some(serde_json::Value::from(scenario.name()))
            );
            assert_eq!(Scenario::from_name(scenario.name()), Some(scenario));
        }
        assert_eq!(
            Scenario::TokenRenewalNo404104.name(),
            "token_renewal_no_404104"
        );
        assert_eq!(Scenario::from_name("Healthy"), None);
    }

    #[test]
    fn a_mix_of_scenarios_deals_them_in_equal_parts() {
        let mut spec = FleetSpec::new(3, 40, 24);
        spec.mix = Mix::of(&[Scenario::Takeover, Scenario::EdgeModules]);
        let dealt = deal(&spec, &mut Rng::new(3));
        let takeovers = dealt.iter().filter(|s| **s == Scenario::Takeover).count();
        assert_eq!(takeovers, 20);
        assert_eq!(dealt.len(), 40);
    }

    #[test]
    fn incident_victims_are_at_least_six_and_fifteen_percent() {
        let cases = [
            (19, 0),
            (20, 6),
            (30, 6),
            (100, 15),
            (1000, 150),
            (1001, 151),
        ];
        for (n, at_least) in cases {
            let spec = FleetSpec::new(1, n, 24);
            let victims = count_of(&spec, Scenario::IncidentVictim);
            assert!(victims >= at_least, "{n} devices: {victims} victims");
            if n < INCIDENT_MIN_DEVICES {
                assert_eq!(victims, 0);
            }
        }
    }

    #[test]
    fn a_single_scenario_mix_deals_only_that_scenario() {
        let mut spec = FleetSpec::new(3, 40, 24);
        spec.mix = Mix::only(Scenario::RapidFlapping);
        let dealt = deal(&spec, &mut Rng::new(3));
        assert!(dealt.iter().all(|s| *s == Scenario::RapidFlapping));
    }

    #[test]
    fn deal_is_a_shuffle_not_a_sort() {
        let spec = FleetSpec::new(5, 200, 24);
        let dealt = deal(&spec, &mut Rng::new(5));
        let mut sorted = dealt.clone();
        sorted.sort();
        assert_ne!(dealt, sorted);
    }
}

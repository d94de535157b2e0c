//! The later scenarios checked on whole generated fleets, read back from the written
//! JSON Lines the way a user's tool would see them: the periods of each SDK's token
//! renewal, the 404104 that some leave out, the order of a takeover, the modules of an
//! IoT Edge device, and `errors_only` leaving exactly the `Error` records.

use super::hub::{DAY, HOUR, MINUTE};
use super::*;
use std::collections::BTreeMap;

/// One written record, as much of it as the checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// Seconds since the start of the log.
    at: i64,
    operation: String,
    level: String,
    code: Option<String>,
    address: String,
    protocol: String,
    sdk: Option<String>,
}

impl Seen {
    fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    fn is_connect(&self) -> bool {
        self.operation == "deviceConnect"
    }
}

/// The fleet of `scenario` alone, its records by identity (`device` or `device/module`)
/// in log order, and its truth.
fn fleet(scenario: Scenario, devices: usize, hours: u32) -> (BTreeMap<String, Vec<Seen>>, Truth) {
    let spec = FleetSpec {
        mix: Mix::only(scenario),
        ..FleetSpec::new(17, devices, hours)
    };
    let (bytes, truth) = lines(&spec);
    (by_identity(&bytes), truth)
}

fn lines(spec: &FleetSpec) -> (Vec<u8>, Truth) {
    let mut out = Vec::new();
    let truth = write_fleet(spec, Shape::JsonLines, &mut out);
    (out, truth.unwrap_or_else(|err| panic!("{spec:?}: {err}")))
}

fn by_identity(bytes: &[u8]) -> BTreeMap<String, Vec<Seen>> {
    let mut identities: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    let start = default_start();
    for line in String::from_utf8_lossy(bytes).lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let properties: serde_json::Value =
            serde_json::from_str(record["properties"].as_str().unwrap_or_default())
                .unwrap_or_default();
        let text = |value: &serde_json::Value| value.as_str().map(str::to_string);
        let time = text(&record["time"]).unwrap_or_default();
        let time = DateTime::parse_from_rfc3339(&time).map(|t| t.with_timezone(&Utc));
        let identity = match (text(&properties["deviceId"]), text(&properties["moduleId"])) {
            (Some(device), Some(module)) => format!("{device}/{module}"),
            (Some(device), None) => device,
            _ => panic!("no deviceId: {line}"),
        };
        identities.entry(identity).or_default().push(Seen {
            at: time.map_or(-1, |t| (t - start).num_seconds()),
            operation: text(&record["operationName"]).unwrap_or_default(),
            level: text(&record["level"]).unwrap_or_default(),
            code: text(&record["resultType"]),
            address: text(&properties["maskedIpAddress"]).unwrap_or_default(),
            protocol: text(&properties["protocol"]).unwrap_or_default(),
            sdk: text(&properties["sdkVersion"]),
        });
    }
    identities
}

fn times(events: &[Seen], code: &str) -> Vec<i64> {
    events.iter().filter(|e| e.is(code)).map(|e| e.at).collect()
}

fn gaps(times: &[i64]) -> Vec<i64> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Every renewal: 401003, the 404104 a second later if `close` is logged, then a
/// connect 10-40 s after the close (11-41 s after the 401003 without one).
fn assert_renewals(id: &str, events: &[Seen], with_close: bool) {
    for (index, event) in events.iter().enumerate() {
        if !event.is("401003") {
            continue;
        }
        let rest = &events[index + 1..];
        let connect = if with_close {
            assert!(
                rest.first()
                    .is_some_and(|e| e.is("404104") && e.at == event.at + 1),
                "{id}: no 404104 after the 401003 at {}",
                event.at
            );
            rest.get(1)
        } else {
            rest.first()
        };
        match connect {
            Some(c) if c.is_connect() => {
                assert!((11..=41).contains(&(c.at - event.at)), "{id}: {c:?}");
            }
            // The log may end inside a renewal only if the connect would fall after it.
            None => {}
            other => panic!("{id}: after the 401003 at {}: {other:?}", event.at),
        }
    }
}

#[test]
fn short_token_devices_renew_every_15_or_30_minutes_with_both_periods_in_the_fleet() {
    let (identities, _) = fleet(Scenario::TokenRenewalShort, 30, 12);
    let mut periods = Vec::new();
    for (id, events) in &identities {
        let gaps = gaps(&times(events, "401003"));
        assert!(gaps.len() >= 20, "{id}: {gaps:?}");
        let period = if gaps[0] < 20 * MINUTE {
            15 * MINUTE
        } else {
            30 * MINUTE
        };
        assert!(
            gaps.iter().all(|g| (g - period).abs() <= 30),
            "{id}: {gaps:?}"
        );
        assert_renewals(id, events, true);
        let sdk = events
            .iter()
            .find_map(|e| e.sdk.clone())
            .unwrap_or_default();
        assert!(
            sdk.starts_with(".NET/")
                || sdk.starts_with("com.microsoft.azure.sdk.iot.iot-device-client/"),
            "{id}: {sdk}"
        );
        periods.push(period);
    }
    assert!(periods.contains(&(15 * MINUTE)) && periods.contains(&(30 * MINUTE)));
}

#[test]
fn c_devices_renew_every_48_minutes_and_half_of_them_log_no_404104() {
    let (identities, _) = fleet(Scenario::TokenRenewalC, 40, 24);
    let mut without_close = 0;
    for (id, events) in &identities {
        let gaps = gaps(&times(events, "401003"));
        assert!(gaps.len() >= 25, "{id}: {gaps:?}");
        assert!(
            gaps.iter().all(|g| (g - 48 * MINUTE).abs() <= 30),
            "{id}: {gaps:?}"
        );
        let closes = times(events, "404104").len();
        let with_close = closes > 0;
        if !with_close {
            without_close += 1;
        }
        assert_renewals(id, events, with_close);
        let sdk = events
            .iter()
            .find_map(|e| e.sdk.clone())
            .unwrap_or_default();
        assert!(sdk.starts_with("iothubclient/"), "{id}: {sdk}");
    }
    assert!((10..=30).contains(&without_close), "{without_close} of 40");
}

#[test]
fn python_devices_renew_every_58_minutes_with_a_404104() {
    let (identities, _) = fleet(Scenario::TokenRenewalPython, 20, 24);
    for (id, events) in &identities {
        let gaps = gaps(&times(events, "401003"));
        assert!(gaps.len() >= 20, "{id}: {gaps:?}");
        assert!(
            gaps.iter().all(|g| (g - 58 * MINUTE).abs() <= 30),
            "{id}: {gaps:?}"
        );
        assert_renewals(id, events, true);
        let sdk = events
            .iter()
            .find_map(|e| e.sdk.clone())
            .unwrap_or_default();
        assert!(
            sdk.starts_with("azure-iot-device-iothub-py/"),
            "{id}: {sdk}"
        );
    }
}

#[test]
fn no_404104_devices_renew_every_65_minutes_without_any_404104() {
    let (identities, _) = fleet(Scenario::TokenRenewalNo404104, 20, 24);
    for (id, events) in &identities {
        let gaps = gaps(&times(events, "401003"));
        assert!(gaps.len() >= 18, "{id}: {gaps:?}");
        assert!(
            gaps.iter().all(|g| (g - 65 * MINUTE).abs() <= MINUTE),
            "{id}: {gaps:?}"
        );
        assert!(times(events, "404104").is_empty(), "{id}");
        assert_renewals(id, events, false);
        let sdk = events
            .iter()
            .find_map(|e| e.sdk.clone())
            .unwrap_or_default();
        assert!(sdk.starts_with(".NET/"), "{id}: {sdk}");
    }
}

#[test]
fn a_takeover_connects_first_then_closes_the_old_connection_with_the_protocols_code() {
    let (identities, _) = fleet(Scenario::Takeover, 60, 48);
    let (mut ends_on_takeover, mut moved, mut amqp) = (0, 0, 0);
    for (id, events) in &identities {
        let mut takeovers = Vec::new();
        for (index, event) in events.iter().enumerate() {
            if event.level != "Error" {
                continue;
            }
            let code = if event.protocol == "Amqp" {
                "409002"
            } else {
                "400027"
            };
            assert!(event.is(code), "{id}: {event:?}");
            // The record just before is the new connection's, 0-5 s earlier.
            let connect = index.checked_sub(1).map(|i| &events[i]);
            let Some(connect) = connect.filter(|c| c.is_connect()) else {
                panic!("{id}: no connect before {event:?}");
            };
            assert!(
                (0..=5).contains(&(event.at - connect.at)),
                "{id}: {event:?}"
            );
            // The closed connection is the one opened before the new one.
            let previous = events[..index - 1].iter().rev().find(|e| e.is_connect());
            assert_eq!(
                previous.map(|p| &p.address),
                Some(&event.address),
                "{id}: {event:?}"
            );
            moved += usize::from(connect.address != event.address);
            takeovers.push(event.at);
        }
        for day in 0..2 {
            let today = takeovers.iter().filter(|t| **t / DAY == day).count();
            assert!((1..=2).contains(&today), "{id}: {takeovers:?}");
        }
        ends_on_takeover += usize::from(events.last().is_some_and(|e| e.level == "Error"));
        amqp += usize::from(events[0].protocol == "Amqp");
    }
    assert!(
        ends_on_takeover <= 20,
        "{ends_on_takeover} of 60 end on a takeover"
    );
    assert!(
        moved > 0 && amqp > 0 && amqp < 60,
        "moved {moved}, amqp {amqp}"
    );
}

#[test]
fn twice_daily_restarts_are_12_hours_apart_and_clean() {
    let (identities, _) = fleet(Scenario::RestartTwiceDaily, 20, 48);
    for (id, events) in &identities {
        let restarts: Vec<i64> = events
            .iter()
            .filter(|e| e.operation == "deviceDisconnect")
            .map(|e| e.at)
            .collect();
        assert!(restarts.len() >= 3, "{id}: {restarts:?}");
        assert!(
            gaps(&restarts)
                .iter()
                .all(|g| (g - 12 * HOUR).abs() <= 10 * MINUTE),
            "{id}: {restarts:?}"
        );
        assert!(events.iter().all(|e| e.level == "Information"), "{id}");
        for pair in events[1..].chunks(2) {
            assert_eq!(pair[0].operation, "deviceDisconnect", "{id}");
            if let Some(back) = pair.get(1) {
                assert!(back.is_connect() && (20..=60).contains(&(back.at - pair[0].at)));
            }
        }
    }
}

#[test]
fn flappers_with_401003_burst_and_hold_two_or_three_401003_a_day() {
    let (identities, _) = fleet(Scenario::FlappingWith401003, 20, 48);
    for (id, events) in &identities {
        let drops: Vec<&Seen> = events
            .iter()
            .filter(|e| e.operation == "deviceDisconnect")
            .collect();
        assert!(
            drops.windows(12).any(|w| w[11].at - w[0].at <= 5 * MINUTE),
            "{id}"
        );
        let closed = drops.iter().filter(|e| e.is("404104")).count();
        assert!(
            closed * 10 >= drops.len() * 7,
            "{id}: {closed} of {}",
            drops.len()
        );
        for day in 0..2 {
            let today = drops
                .iter()
                .filter(|e| e.is("401003") && e.at / DAY == day)
                .count();
            assert!((2..=3).contains(&today), "{id}: day {day}: {today}");
        }
        for (index, event) in events.iter().enumerate() {
            if event.is("401003") {
                assert!(events.get(index + 1).is_some_and(Seen::is_connect), "{id}");
            }
        }
    }
}

#[test]
fn edge_devices_connect_their_modules_which_stay_connected_and_are_in_the_truth() {
    let (identities, truth) = fleet(Scenario::EdgeModules, 10, 24);
    let devices: Vec<&String> = identities.keys().filter(|id| !id.contains('/')).collect();
    assert_eq!(devices.len(), 10);
    assert_eq!(truth.devices.len(), 40);
    for device in devices {
        let modules: Vec<&String> = identities
            .keys()
            .filter(|id| id.starts_with(&format!("{device}/")))
            .collect();
        assert_eq!(modules.len(), 3, "{device}: {modules:?}");
        for runtime in ["$edgeAgent", "$edgeHub"] {
            assert!(
                modules.contains(&&format!("{device}/{runtime}")),
                "{device}"
            );
        }
        let connected = identities[device][0].at;
        for module in modules {
            let events = &identities[module];
            assert_eq!(events.len(), 1, "{module}: {events:?}");
            assert!(
                events[0].is_connect() && events[0].at > connected,
                "{module}"
            );
            assert!(
                truth
                    .devices
                    .contains(&(module.clone(), Scenario::EdgeModules)),
                "{module}"
            );
        }
    }
}

#[test]
fn errors_only_writes_exactly_the_error_records_of_the_full_log_in_every_shape() {
    let full = FleetSpec {
        mix: Mix::field(),
        ..FleetSpec::new(5, 80, 24)
    };
    let errors = FleetSpec {
        errors_only: true,
        ..full.clone()
    };
    let (all, all_truth) = lines(&full);
    let (only, truth) = lines(&errors);
    let all = String::from_utf8_lossy(&all);
    let expected: Vec<&str> = all
        .lines()
        .filter(|line| line.contains(r#""level":"Error""#))
        .collect();
    let only = String::from_utf8_lossy(&only);
    assert_eq!(only.lines().collect::<Vec<_>>(), expected);
    assert!(!only.contains("deviceConnect") && !only.contains(r#""level":"Information""#));
    assert!(truth.errors_only && !all_truth.errors_only);
    assert_eq!(truth.records, expected.len() as u64);
    assert_eq!(truth.devices, all_truth.devices);
    assert_eq!(truth.incidents, all_truth.incidents);
    for shape in [
        Shape::Records,
        Shape::JsonArray,
        Shape::Tables,
        Shape::AzCli,
        Shape::Csv,
    ] {
        let mut bytes = Vec::new();
        let shaped = write_fleet(&errors, shape, &mut bytes).map_err(|e| e.to_string());
        assert_eq!(shaped, Ok(truth.clone()), "{shape:?}");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("deviceConnect"),
            "{shape:?}"
        );
    }
}

/// The fleet of equal shares of `scenarios`, by identity, and its truth.
fn mixed(
    scenarios: &[Scenario],
    devices: usize,
    hours: u32,
    seed: u64,
) -> (BTreeMap<String, Vec<Seen>>, Truth) {
    let spec = FleetSpec {
        mix: Mix::of(scenarios),
        ..FleetSpec::new(seed, devices, hours)
    };
    let (bytes, truth) = lines(&spec);
    (by_identity(&bytes), truth)
}

/// The identities the truth gives `scenario`.
fn playing(truth: &Truth, scenario: Scenario) -> Vec<String> {
    (truth.devices.iter())
        .filter(|(_, s)| *s == scenario)
        .map(|(id, _)| id.clone())
        .collect()
}

/// Seconds since the start of the log.
fn offset(time: DateTime<Utc>) -> i64 {
    (time - default_start()).num_seconds()
}

#[test]
fn a_site_outage_drops_its_sites_within_90_s_and_a_tenth_never_come_back() {
    for seed in [3, 8, 21] {
        let (identities, truth) = mixed(&[Scenario::SiteOutage, Scenario::Healthy], 40, 24, seed);
        let at_sites = playing(&truth, Scenario::SiteOutage);
        assert_eq!(at_sites.len(), 20);
        assert_eq!(truth.outages.len(), 1, "seed {seed}");
        let outage = &truth.outages[0];
        let (start, end) = (offset(outage.start), offset(outage.end));
        assert!(end - start <= hub::OUTAGE_WINDOW, "seed {seed}: {outage:?}");
        assert!((2..=3).contains(&outage.ranges.len()), "{outage:?}");
        assert_eq!(outage.identities, 20);
        assert_eq!(outage.never_back, 2);
        let mut never = 0;
        for id in &at_sites {
            let events = &identities[id];
            assert!(
                events
                    .iter()
                    .all(|e| outage.ranges.contains(&e.address.as_str())),
                "{id}"
            );
            let drops = times(events, "404104");
            assert_eq!(drops.len(), 1, "{id}: {drops:?}");
            assert!((start..=end).contains(&drops[0]), "{id}");
            let after: Vec<&Seen> = events.iter().filter(|e| e.at > drops[0]).collect();
            match after.first() {
                None => never += 1,
                Some(back) => {
                    assert!(back.is_connect(), "{id}: {back:?}");
                    assert!((120..=600).contains(&(back.at - drops[0])), "{id}");
                }
            }
        }
        assert_eq!(never, 2, "seed {seed}");
        // The rest of the fleet is elsewhere, and quiet around the outage.
        for (id, events) in &identities {
            if at_sites.contains(id) {
                continue;
            }
            for event in events {
                assert!(!outage.ranges.contains(&event.address.as_str()), "{id}");
                assert!(
                    event.at < start - 20 * MINUTE || event.at > end + 20 * MINUTE,
                    "{id}: {event:?}"
                );
            }
        }
        assert!(truth.storms.is_empty() && truth.incidents.is_empty());
    }
}

#[test]
fn a_reconnect_storm_is_refused_every_few_seconds_for_minutes_then_lets_them_in() {
    let (identities, truth) = mixed(&[Scenario::ReconnectStorm, Scenario::Healthy], 40, 24, 4);
    let stormed = playing(&truth, Scenario::ReconnectStorm);
    assert_eq!(truth.storms.len(), 1);
    let storm = &truth.storms[0];
    let (start, end) = (offset(storm.start), offset(storm.end));
    assert!(end - start <= hub::STORM_WINDOW, "{storm:?}");
    assert_eq!(storm.identities as usize, stormed.len());
    let (mut last_refusal, mut quota) = (0, 0);
    for id in &stormed {
        let events = &identities[id];
        let drops = times(events, "404104");
        assert_eq!(drops.len(), 1, "{id}");
        let drop = drops[0];
        assert!((start..=end).contains(&drop), "{id}");
        let after: Vec<&Seen> = events.iter().filter(|e| e.at > drop).collect();
        let admitted = after.iter().position(|e| e.level == "Information");
        let Some(admitted) = admitted else {
            panic!("{id}: never let in");
        };
        let refused = &after[..admitted];
        assert!(after[admitted].is_connect(), "{id}");
        // One code per device, each retry 2-5 s after the one before.
        let code = refused[0].code.clone();
        assert!(
            matches!(code.as_deref(), Some("429001" | "403002")),
            "{id}: {code:?}"
        );
        quota += usize::from(code.as_deref() == Some("403002"));
        let mut previous = drop;
        for attempt in refused.iter().chain([&after[admitted]]) {
            assert!((2..=5).contains(&(attempt.at - previous)), "{id}");
            previous = attempt.at;
        }
        for attempt in refused {
            assert!(attempt.is_connect() && attempt.level == "Error" && attempt.code == code);
        }
        let throttled = refused.last().map_or(0, |r| r.at) - drop;
        assert!((115..=4 * MINUTE).contains(&throttled), "{id}: {throttled}");
        last_refusal = last_refusal.max(refused.last().map_or(0, |r| r.at));
    }
    assert!(quota > 0 && quota * 3 < stormed.len(), "{quota} on 403002");
    assert_eq!(storm.throttled_until.map(offset), Some(last_refusal));
    assert!(truth.outages.is_empty());
}

#[test]
fn nat_idle_devices_lose_every_connection_after_240_s_all_day() {
    let (identities, _) = fleet(Scenario::NatIdle, 5, 24);
    for (id, events) in &identities {
        assert!(
            events.iter().all(|e| e.is_connect() || e.is("404104")),
            "{id}"
        );
        assert!(times(events, "404104").len() >= 300, "{id}");
        for pair in events.windows(2) {
            let gap = pair[1].at - pair[0].at;
            if pair[0].is_connect() {
                assert!((240..=242).contains(&gap), "{id}: {pair:?}");
            } else {
                assert!((1..=5).contains(&gap), "{id}: {pair:?}");
            }
        }
        let sdk = events[0].sdk.clone().unwrap_or_default();
        assert!(sdk.starts_with("iothubclient/1.1"), "{id}: {sdk}");
        assert_eq!(events[0].protocol, "Mqtt");
    }
}

#[test]
fn an_idle_edge_module_is_closed_every_hour_and_the_rest_stays_connected() {
    let (identities, truth) = fleet(Scenario::EdgeIdleModule, 6, 24);
    assert_eq!(truth.devices.len(), 24);
    let mut idle = 0;
    for (id, events) in &identities {
        let custom = id.contains('/') && !id.contains("/$edge");
        if !custom {
            assert_eq!(events.len(), 1, "{id}: {events:?}");
            continue;
        }
        idle += 1;
        let closes: Vec<&Seen> = events.iter().filter(|e| !e.is_connect()).collect();
        assert!(closes.len() >= 22, "{id}: {}", closes.len());
        assert!(
            closes
                .iter()
                .all(|e| e.level == "Information" && e.code.is_none())
        );
        for pair in events.windows(2) {
            let gap = pair[1].at - pair[0].at;
            if pair[0].is_connect() {
                assert!((3600..=3602).contains(&gap), "{id}: {pair:?}");
            } else {
                assert!((2..=8).contains(&gap), "{id}: {pair:?}");
            }
        }
    }
    assert_eq!(idle, 6);
}

#[test]
fn the_defective_sdk_cohort_flaps_in_bursts_and_only_it_runs_that_release() {
    let spec = FleetSpec {
        mix: Mix::fleet(),
        ..FleetSpec::new(6, 200, 24)
    };
    let (bytes, truth) = lines(&spec);
    let identities = by_identity(&bytes);
    let cohort = playing(&truth, Scenario::SdkCohortDefect);
    assert!(cohort.len() >= 10, "{}", cohort.len());
    for (id, events) in &identities {
        let defective = (events.iter())
            .filter_map(|e| e.sdk.as_deref())
            .any(|sdk| sdk == device::C_DEFECTIVE);
        assert_eq!(defective, cohort.contains(id), "{id}");
        if defective {
            let drops: Vec<&Seen> = events.iter().filter(|e| !e.is_connect()).collect();
            assert!(
                drops.windows(12).any(|w| w[11].at - w[0].at <= 5 * MINUTE),
                "{id}"
            );
        }
    }
}

#[test]
fn the_fleet_mix_deals_enough_devices_for_each_fleet_level_event() {
    for (devices, seed) in [(60, 1), (200, 2), (400, 3)] {
        let spec = FleetSpec {
            mix: Mix::fleet(),
            ..FleetSpec::new(seed, devices, 24)
        };
        let (_, truth) = lines(&spec);
        let count = |scenario| {
            (truth.devices.iter())
                .filter(|(id, s)| *s == scenario && !id.contains('/'))
                .count()
        };
        let fifteen_percent = (devices * 15).div_ceil(100);
        assert!(count(Scenario::SiteOutage) >= fifteen_percent, "{devices}");
        assert!(
            count(Scenario::ReconnectStorm) >= fifteen_percent,
            "{devices}"
        );
        assert!(count(Scenario::SdkCohortDefect) >= 10, "{devices}");
        assert_eq!(truth.outages.len(), 1, "{devices}");
        assert_eq!(truth.storms.len(), 1, "{devices}");
        assert_eq!(truth.incidents.len(), 1, "{devices}");
        // An hour between the three, so that none is mistaken for another.
        let mut starts = vec![
            offset(truth.outages[0].start),
            offset(truth.storms[0].start),
            offset(truth.incidents[0].0),
        ];
        starts.sort_unstable();
        assert!(starts.windows(2).all(|w| w[1] - w[0] >= HOUR), "{starts:?}");
    }
    // No fleet-level event where no device plays one.
    let (_, truth) = lines(&FleetSpec::new(7, 60, 24));
    assert!(truth.outages.is_empty() && truth.storms.is_empty());
}

#[test]
fn errors_only_keeps_the_refused_connects_of_a_storm() {
    let full = FleetSpec {
        mix: Mix::fleet(),
        ..FleetSpec::new(9, 80, 24)
    };
    let errors = FleetSpec {
        errors_only: true,
        ..full.clone()
    };
    let (all, all_truth) = lines(&full);
    let (only, truth) = lines(&errors);
    let all = String::from_utf8_lossy(&all);
    let expected: Vec<&str> = all
        .lines()
        .filter(|line| line.contains(r#""level":"Error""#))
        .collect();
    let only = String::from_utf8_lossy(&only);
    assert_eq!(only.lines().collect::<Vec<_>>(), expected);
    assert!(only.contains(r#""operationName":"deviceConnect""#) && only.contains("429001"));
    assert_eq!(
        (truth.outages, truth.storms),
        (all_truth.outages, all_truth.storms)
    );
}

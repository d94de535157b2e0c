//! Fleet-level reasoning on small fixtures of `fixtures/fleet/`: a site outage, a
//! reconnect storm into the hub's throttling, connections ending on a timer, an SDK
//! cohort, and the look-alikes where each must stay silent.

use super::{analyze_json, device, kinds};
use serde_json::Value;

fn fleet_kinds(report: &Value) -> Vec<&str> {
    kinds(&report["insights"])
}

fn fleet_insight<'r>(report: &'r Value, kind: &str) -> &'r Value {
    report["insights"]
        .as_array()
        .expect("insights")
        .iter()
        .find(|i| i["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind} insight"))
}

#[test]
fn a_site_outage_is_one_mass_disconnect_with_its_ranges_and_recovery() {
    let report = analyze_json(&["fixtures/fleet/site-outage.json"]);
    assert_eq!(fleet_kinds(&report), ["mass_disconnect"]);
    let mass = fleet_insight(&report, "mass_disconnect");
    assert_eq!(mass["severity"], "high", "a tenth never came back");
    assert_eq!(mass["evidence"]["devices"], 30);
    assert_eq!(mass["evidence"]["active_devices"], 60);
    assert_eq!(mass["evidence"]["never_back"], 3);
    assert!(mass["evidence"]["half_back_seconds"].as_i64().is_some());
    let summary = mass["summary"].as_str().unwrap_or("");
    assert!(
        summary.contains("30 of 30 from 3 address ranges"),
        "{summary}"
    );
    assert!(summary.contains("a network or site outage"), "{summary}");
    // The dropped devices that came back point at it and have nothing of their own; the
    // renewals of the fleet, at every phase, are not an outage.
    let back = device(&report, "meter-00");
    assert_eq!(back["incidents"], serde_json::json!([0]));
    assert_eq!(back["severity"], "info");
    let gone = device(&report, "meter-09");
    assert!(kinds(&gone["insights"]).contains(&"offline"));
}

#[test]
fn ten_unrelated_drops_in_one_hour_are_not_a_mass_disconnect() {
    let report = analyze_json(&["fixtures/fleet/spread-drops.json"]);
    assert!(fleet_kinds(&report).is_empty());
    assert_eq!(device(&report, "meter-00")["severity"], "low");
}

#[test]
fn throttling_after_a_mass_disconnect_is_a_reconnect_storm_not_device_highs() {
    let report = analyze_json(&["fixtures/fleet/reconnect-storm.json"]);
    let mut found = fleet_kinds(&report);
    found.sort_unstable();
    assert_eq!(found, ["mass_disconnect", "throttling"]);
    let throttling = fleet_insight(&report, "throttling");
    assert_eq!(throttling["severity"], "high", "the daily quota is used up");
    assert_eq!(throttling["evidence"]["devices"], 30);
    let summary = throttling["summary"].as_str().unwrap_or("");
    assert!(summary.contains("a reconnect storm"), "{summary}");
    assert!(
        throttling["action"]
            .as_str()
            .is_some_and(|a| a.contains("exponential back-off with jitter"))
    );
    // No device is high for the hub's limits: the fleet finding explains them.
    for device in report["devices"].as_array().expect("devices") {
        assert_ne!(device["severity"], "high", "{}", device["device_id"]);
        for code in device["codes"].as_array().expect("codes") {
            assert_eq!(
                code["finding_severity"],
                Value::Null,
                "{}",
                device["device_id"]
            );
        }
    }
}

#[test]
fn connections_ending_on_a_timer_name_their_cause_and_renewal_stays_renewal() {
    let report = analyze_json(&["fixtures/fleet/periodic-drops.json"]);
    let summary = |id: &str| {
        let found = device(&report, id);
        assert_eq!(kinds(&found["insights"]), ["periodic_drop"], "{id}");
        found["insights"][0]["summary"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(summary("nat-behind").contains("NAT, firewall or proxy idle timeout"));
    assert!(summary("pings-lost").contains("1.5 times the .NET SDK's keep-alive"));
    let edge = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["module_id"] == "tempSensor")
        .expect("the module");
    assert_eq!(kinds(&edge["insights"]), ["periodic_drop"]);
    assert_eq!(edge["severity"], "low");
    assert!(
        edge["insights"][0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("CloudConnectionIdleTimeoutSecs"))
    );
    assert_eq!(
        kinds(&device(&report, "renewing")["insights"]),
        ["token_renewal"]
    );
}

#[test]
fn a_bad_sdk_version_is_a_cohort_and_a_cohort_of_three_is_not() {
    let report = analyze_json(&["fixtures/fleet/sdk-cohort.json"]);
    let cohorts = report["cohorts"].as_array().expect("cohorts");
    assert_eq!(cohorts.len(), 1, "{cohorts:?}");
    let cohort = &cohorts[0];
    assert_eq!(cohort["kind"], "flapping");
    assert_eq!(cohort["attribute"], "sdk_version");
    assert_eq!(cohort["value"], "iothubclient/1.9.0");
    assert_eq!(
        (cohort["devices"].clone(), cohort["with_kind"].clone()),
        (10.into(), 10.into())
    );
    assert!(cohort["p_value"].as_f64().is_some_and(|p| p < 1e-6));
    let insight = fleet_insight(&report, "cohort");
    assert_eq!(
        insight["summary"],
        "flapping: 10 of 10 identities with sdk_version iothubclient/1.9.0 (100%), 4 of 60 \
         others (6.7%)"
    );
}

#[test]
fn a_hub_incident_stays_a_hub_incident_and_no_mass_disconnect() {
    let report = analyze_json(&["fixtures/insights/hub-incident.json"]);
    assert_eq!(fleet_kinds(&report), ["hub_incident"]);
}

/// Generates a fleet of equal shares of `scenarios` and analyzes it: the report and the
/// truth.
fn generated(seed: &str, devices: &str, scenarios: &[&str], name: &str) -> (Value, Value) {
    let mut args = vec!["--seed", seed, "--devices", devices, "--hours", "24"];
    for scenario in scenarios {
        args.extend(["--scenario", scenario]);
    }
    let (log, truth) = super::generate(&args, name);
    (super::analyze_bytes(log), truth)
}

/// The identities the truth gives `scenario`, modules as `device/module`.
fn playing<'t>(truth: &'t Value, scenario: &str) -> Vec<&'t str> {
    truth["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|entry| entry[1] == scenario)
        .filter_map(|entry| entry[0].as_str())
        .collect()
}

/// The report's entry of `device` or `device/module`.
fn identity<'r>(report: &'r Value, name: &str) -> &'r Value {
    let (device, module) = match name.split_once('/') {
        Some((device, module)) => (device, Value::from(module)),
        None => (name, Value::Null),
    };
    report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["device_id"] == device && d["module_id"] == module)
        .unwrap_or_else(|| panic!("{name} in the report"))
}

#[test]
fn a_generated_site_outage_is_a_mass_disconnect_of_the_truths_identities_and_ranges() {
    for seed in ["2", "3", "5"] {
        let (report, truth) = generated(seed, "40", &["site_outage", "healthy"], "site-outage");
        let outage = &truth["outages"][0];
        assert_eq!(truth["outages"].as_array().map(Vec::len), Some(1));
        assert_eq!(fleet_kinds(&report), ["mass_disconnect"], "seed {seed}");
        let mass = fleet_insight(&report, "mass_disconnect");
        assert_eq!(
            mass["evidence"]["devices"], outage["identities"],
            "seed {seed}"
        );
        assert_eq!(mass["evidence"]["never_back"], outage["never_back"]);
        assert_eq!(mass["severity"], "high", "a tenth never came back");
        let mut ranges: Vec<&Value> = mass["evidence"]["addresses"]
            .as_array()
            .expect("ranges")
            .iter()
            .collect();
        let mut expected: Vec<&Value> = outage["ranges"]
            .as_array()
            .expect("ranges")
            .iter()
            .collect();
        ranges.sort_by_key(|r| r.as_str());
        expected.sort_by_key(|r| r.as_str());
        assert_eq!(ranges, expected, "seed {seed}");
        let summary = mass["summary"].as_str().unwrap_or("");
        assert!(summary.contains("a network or site outage"), "{summary}");
        assert_eq!(mass["start"], outage["start"], "seed {seed}");
        // The devices that never came back are offline; the others have nothing of
        // their own, and the rest of the fleet was never touched.
        let offline = report["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .filter(|d| kinds(&d["insights"]).contains(&"offline"))
            .count();
        assert_eq!(Value::from(offline), outage["never_back"], "seed {seed}");
        for id in playing(&truth, "healthy") {
            assert_eq!(identity(&report, id)["severity"], Value::Null, "{id}");
        }
    }
}

#[test]
fn a_generated_reconnect_storm_is_throttling_named_a_reconnect_storm() {
    for seed in ["4", "5"] {
        let (report, truth) = generated(
            seed,
            "40",
            &["reconnect_storm", "healthy"],
            "reconnect-storm",
        );
        let storm = &truth["storms"][0];
        let mut found = fleet_kinds(&report);
        found.sort_unstable();
        assert_eq!(found, ["mass_disconnect", "throttling"], "seed {seed}");
        let throttling = fleet_insight(&report, "throttling");
        assert_eq!(throttling["evidence"]["devices"], storm["identities"]);
        let summary = throttling["summary"].as_str().unwrap_or("");
        assert!(summary.contains("a reconnect storm"), "{summary}");
        assert!(
            throttling["action"]
                .as_str()
                .is_some_and(|a| a.contains("exponential back-off with jitter"))
        );
        assert_eq!(throttling["end"], storm["throttled_until"], "seed {seed}");
        let mass = fleet_insight(&report, "mass_disconnect");
        assert_eq!(mass["evidence"]["devices"], storm["identities"]);
        assert_eq!(mass["start"], storm["start"]);
        assert_eq!(mass["evidence"]["never_back"], 0);
        // The hub's limits are the fleet's finding, not a high row per device.
        for id in playing(&truth, "reconnect_storm") {
            let found = identity(&report, id);
            assert_ne!(found["severity"], "high", "{id}");
        }
    }
}

#[test]
fn a_generated_device_behind_a_nat_drops_every_240_s_on_a_full_or_errors_only_export() {
    let (log, truth) = super::generate(
        &[
            "--seed",
            "1",
            "--devices",
            "8",
            "--hours",
            "24",
            "--scenario",
            "nat_idle",
            "--scenario",
            "healthy",
        ],
        "nat-idle",
    );
    let errors: Vec<u8> = log
        .split_inclusive(|&b| b == b'\n')
        .filter(|line| line.windows(15).any(|w| w == br#""level":"Error""#))
        .flatten()
        .copied()
        .collect();
    let behind = playing(&truth, "nat_idle");
    assert_eq!(behind.len(), 4);
    for (export, report) in [
        ("full", super::analyze_bytes(log)),
        ("errors only", super::analyze_bytes(errors)),
    ] {
        assert!(fleet_kinds(&report).is_empty(), "{export}");
        for id in &behind {
            let found = identity(&report, id);
            assert_eq!(
                kinds(&found["insights"]),
                ["periodic_drop"],
                "{export} {id}"
            );
            let insight = &found["insights"][0];
            let period = insight["evidence"]["period_seconds"].as_i64().unwrap_or(0);
            assert!((240..=248).contains(&period), "{export} {id}: {period}");
            let summary = insight["summary"].as_str().unwrap_or("");
            assert!(
                summary.contains("NAT, firewall or proxy idle timeout"),
                "{export} {id}: {summary}"
            );
        }
    }
}

#[test]
fn a_generated_idle_edge_module_is_edgehubs_hour_and_busy_modules_are_quiet() {
    let (report, truth) = generated("1", "6", &["edge_idle_module", "edge_modules"], "edge-idle");
    assert!(fleet_kinds(&report).is_empty());
    let idle = playing(&truth, "edge_idle_module");
    let mut closed = 0;
    for id in idle {
        let found = identity(&report, id);
        let custom = id.contains('/') && !id.contains("/$edge");
        if !custom {
            assert_eq!(found["severity"], Value::Null, "{id}");
            continue;
        }
        closed += 1;
        assert_eq!(kinds(&found["insights"]), ["periodic_drop"], "{id}");
        assert_eq!(found["severity"], "low", "{id}");
        assert!(
            found["insights"][0]["summary"]
                .as_str()
                .is_some_and(|s| s.contains("CloudConnectionIdleTimeoutSecs")),
            "{id}"
        );
    }
    assert_eq!(closed, 3);
    for id in playing(&truth, "edge_modules") {
        assert_eq!(identity(&report, id)["severity"], Value::Null, "{id}");
    }
}

#[test]
fn a_generated_sdk_cohort_defect_is_the_cohort_of_its_sdk_version() {
    let (report, truth) = generated(
        "5",
        "60",
        &["sdk_cohort_defect", "healthy", "token_renewal_c"],
        "sdk-cohort",
    );
    let defective = playing(&truth, "sdk_cohort_defect").len();
    let cohorts = report["cohorts"].as_array().expect("cohorts");
    assert_eq!(cohorts.len(), 1, "{cohorts:?}");
    let cohort = &cohorts[0];
    assert_eq!(cohort["kind"], "flapping");
    assert_eq!(cohort["attribute"], "sdk_version");
    assert_eq!(cohort["value"], "iothubclient/1.9.0");
    assert_eq!(cohort["devices"], defective);
    assert_eq!(cohort["with_kind"], defective);
    assert_eq!(cohort["others_with_kind"], 0);
    assert_eq!(fleet_kinds(&report), ["cohort"]);
}

#[test]
fn the_fleet_mix_deals_a_defective_sdk_cohort_big_enough_to_be_found() {
    let (log, truth) = super::generate(
        &[
            "--seed",
            "12",
            "--devices",
            "200",
            "--hours",
            "24",
            "--mix",
            "fleet",
        ],
        "fleet-mix-cohort",
    );
    let defective = playing(&truth, "sdk_cohort_defect").len();
    assert!(defective >= 10, "{defective}");
    let report = super::analyze_bytes(log);
    let cohort = report["cohorts"]
        .as_array()
        .expect("cohorts")
        .iter()
        .find(|c| c["attribute"] == "sdk_version" && c["value"] == "iothubclient/1.9.0")
        .expect("the 1.9.0 cohort");
    assert_eq!(cohort["kind"], "flapping");
    assert_eq!(cohort["devices"], defective);
    for key in ["outages", "storms", "incidents"] {
        assert_eq!(truth[key].as_array().map(Vec::len), Some(1), "{key}");
    }
}

#[test]
fn generated_look_alikes_of_fleet_events_stay_silent() {
    // Token renewal at every SDK's period and phase: no mass disconnect, no timer.
    let renewals = [
        "token_renewal_mqtt",
        "token_renewal_node",
        "token_renewal_short",
        "token_renewal_c",
        "token_renewal_python",
        "token_renewal_no_404104",
    ];
    for seed in ["1", "2"] {
        let (report, _) = generated(seed, "60", &renewals, "look-alike-renewal");
        assert!(fleet_kinds(&report).is_empty(), "seed {seed}");
        assert!(report["cohorts"].as_array().is_some_and(Vec::is_empty));
        for found in report["devices"].as_array().expect("devices") {
            assert_eq!(kinds(&found["insights"]), ["token_renewal"]);
        }
    }
    // The hub's own 5xx incident is a hub incident, not a mass disconnect.
    let (report, truth) = generated("1", "40", &["incident_victim", "healthy"], "look-alike-5xx");
    assert_eq!(fleet_kinds(&report), ["hub_incident"]);
    assert!(truth["outages"].as_array().is_some_and(Vec::is_empty));
    // Flappers on every SDK are no cohort; a site outage is no throttling.
    let (report, _) = generated("1", "60", &["rapid_flapping", "healthy"], "look-alike-flap");
    assert!(fleet_kinds(&report).is_empty());
    assert!(report["cohorts"].as_array().is_some_and(Vec::is_empty));
    let (report, _) = generated("1", "40", &["site_outage", "healthy"], "look-alike-outage");
    assert!(!fleet_kinds(&report).contains(&"throttling"));
}

/// The mass disconnects of a report.
fn mass_disconnects(report: &Value) -> Vec<&Value> {
    report["insights"]
        .as_array()
        .expect("insights")
        .iter()
        .filter(|i| i["kind"] == "mass_disconnect")
        .collect()
}

#[test]
fn in_a_mixed_fleet_the_outage_and_the_storm_are_the_only_mass_disconnects() {
    let (log, truth) = super::generate(
        &[
            "--seed",
            "12",
            "--devices",
            "400",
            "--hours",
            "24",
            "--mix",
            "fleet",
        ],
        "fleet-mix-mass",
    );
    let report = super::analyze_bytes(log);
    let (outage, storm) = (&truth["outages"][0], &truth["storms"][0]);
    let found = mass_disconnects(&report);
    assert_eq!(found.len(), 2, "{found:#?}");
    // A window of 2 min also takes in the fleet's ordinary drops just before or after
    // the event: its start within a window of the truth's, its identities within a tenth.
    let time =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or("")).expect("a time");
    for (event, mass) in [(storm, found[0]), (outage, found[1])] {
        let early = time(&event["start"]) - time(&mass["start"]);
        assert!((0..=120).contains(&early.num_seconds()), "{mass:#?}");
        let (found, truth) = (
            mass["evidence"]["devices"].as_i64().unwrap_or(0),
            event["identities"].as_i64().unwrap_or(0),
        );
        assert!(
            (found - truth).abs() * 10 <= truth,
            "{found} of {truth}: {mass:#?}"
        );
    }
    let summary = found[1]["summary"].as_str().unwrap_or("");
    assert!(summary.contains("a network or site outage"), "{summary}");
    assert!(fleet_kinds(&report).contains(&"hub_incident"));
}

#[test]
fn devices_dropping_on_their_own_timers_are_no_mass_disconnect() {
    let (report, _) = generated("5", "10", &["nat_idle", "healthy"], "nat-idle-in-phase");
    assert!(mass_disconnects(&report).is_empty());
}

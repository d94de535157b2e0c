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

//! The diagnosis on what users really hold: every SDK's token renewal, takeovers, Edge
//! modules, restarts, errors-only exports, and the look-alikes where each insight must
//! stay silent. Fixtures in `fixtures/field/` are small and read by eye; fleets come from
//! the generator, whose truth names each device's behaviour.

use super::{analyze_json, device, generate, kinds, triage};
use serde_json::Value;
use std::collections::BTreeMap;

/// The insight kinds and severity of every identity of a report.
fn diagnoses(report: &Value) -> BTreeMap<String, (Vec<String>, String)> {
    report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| {
            let identity = match d["module_id"].as_str() {
                Some(module) => format!("{}/{module}", d["device_id"].as_str().unwrap_or("")),
                None => d["device_id"].as_str().unwrap_or("").to_string(),
            };
            let mut found: Vec<String> = kinds(&d["insights"])
                .into_iter()
                .map(str::to_string)
                .collect();
            found.sort();
            let severity = d["severity"].as_str().unwrap_or("none").to_string();
            (identity, (found, severity))
        })
        .collect()
}

/// A log's error records only, as `where Level == "Error"` exports them.
fn errors_only(log: &[u8]) -> Vec<u8> {
    log.split_inclusive(|&b| b == b'\n')
        .filter(|line| line.windows(15).any(|w| w == br#""level":"Error""#))
        .flatten()
        .copied()
        .collect()
}

fn analyze_stdin(log: Vec<u8>, args: &[&str]) -> (Value, String) {
    let output = triage()
        .args(["analyze", "-", "--format", "json"])
        .args(args)
        .write_stdin(log)
        .output()
        .expect("runs");
    assert!(output.status.success());
    let report = serde_json::from_slice(&output.stdout).expect("JSON");
    (report, String::from_utf8_lossy(&output.stderr).into_owned())
}

const RENEWALS: &str = "fixtures/field/renewal-and-look-alikes.json";

#[test]
fn renewal_is_found_on_every_sdk_and_period_with_or_without_the_404104() {
    let report = analyze_json(&[RENEWALS]);
    let periods = [
        ("net-65", 65.0, ".NET SDK"),
        ("net-30-no404104", 30.0, ".NET SDK"),
        ("java-15", 15.0, "Java SDK"),
        ("java-65-no404104", 65.0, "Java SDK"),
        ("c-48", 48.0, "C SDK"),
        ("c-48-no404104", 48.0, "C SDK"),
        ("python-58", 58.0, "Python SDK"),
        ("python-15-no404104", 15.0, "Python SDK"),
    ];
    for (id, period, sdk) in periods {
        let found = device(&report, id);
        assert_eq!(kinds(&found["insights"]), ["token_renewal"], "{id}");
        assert_eq!(found["severity"], "info", "{id}");
        let evidence = &found["insights"][0]["evidence"];
        let measured = evidence["period_minutes"].as_f64().expect("a period");
        assert!((measured - period).abs() < 1.0, "{id}: {measured}");
        assert_eq!(evidence["sdk"], sdk, "{id}");
        // Every 401003 and 404104 of the device is explained: no finding of their own.
        for code in found["codes"].as_array().expect("codes") {
            assert_eq!(code["expected"], code["count"], "{id}");
        }
    }
    // Short tokens are named as configured, defaults as defaults.
    let summary = |id| device(&report, id)["insights"][0]["summary"].clone();
    assert!(
        summary("java-15")
            .as_str()
            .is_some_and(|s| s.contains("a shorter token"))
    );
    assert!(
        summary("net-65")
            .as_str()
            .is_some_and(|s| s.contains("the .NET SDK's default"))
    );
}

#[test]
fn renewal_look_alikes_stay_what_they_are() {
    let report = analyze_json(&[RENEWALS]);
    let all = diagnoses(&report);
    let expect = |id: &str, kinds: &[&str], severity: &str| {
        let (found, found_severity) = all.get(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(found, kinds, "{id}");
        assert_eq!(found_severity, severity, "{id}");
    };
    // Clean restarts twice a day: nothing to report, and no renewal "every 720 min".
    expect("restart-12h", &[], "none");
    // A rapid flapper with a 401003 in each burst: flapping, not renewal.
    expect("flapper", &["flapping"], "high");
    // 401003 at irregular times among network drops: recurring errors, not renewal.
    expect("irregular", &[], "medium");
    // Three refusals, then in: isolated, recovered.
    expect("refused-then-in", &[], "low");
}

#[test]
fn on_an_errors_only_export_renewal_is_still_found_and_nothing_is_claimed_offline() {
    let log = std::fs::read(RENEWALS).expect("fixture");
    let (full, _) = analyze_stdin(log.clone(), &[]);
    let (errors, stderr) = analyze_stdin(errors_only(&log), &[]);
    assert!(
        stderr.contains("the input holds only error records"),
        "{stderr}"
    );
    assert!(stderr.contains(
        "AzureDiagnostics | where ResourceType == \"IOTHUBS\" and Category == \"Connections\""
    ));
    assert_eq!(errors["summary"]["coverage"]["records"], "errors_only");
    assert_eq!(errors["summary"]["coverage"]["device_state"], "unknown");
    assert_eq!(full["summary"]["coverage"]["records"], "all");
    let full = diagnoses(&full);
    for (id, (found, _)) in diagnoses(&errors) {
        let (full_kinds, _) = &full[&id];
        if full_kinds.iter().any(|k| k == "token_renewal") {
            assert_eq!(found, ["token_renewal"], "{id}");
        }
        assert!(
            !found
                .iter()
                .any(|k| k == "offline" || k == "credential_failure"),
            "{id}: {found:?}"
        );
    }
    for device in errors["devices"].as_array().expect("devices") {
        assert_eq!(device["last_state"], "unknown");
    }
}

#[test]
fn a_takeover_leaves_the_identity_connected_and_two_fighting_clients_are_a_duplicate() {
    let report = analyze_json(&["fixtures/field/takeovers.json"]);
    for id in ["mqtt-same-address", "mqtt-new-address", "amqp-409002"] {
        let found = device(&report, id);
        assert_eq!(kinds(&found["insights"]), ["takeover"], "{id}");
        assert_eq!(found["severity"], "low", "{id}");
        assert_eq!(found["last_state"], "connected", "{id}");
    }
    let summary = |id| device(&report, id)["insights"][0]["summary"].clone();
    assert!(
        summary("mqtt-same-address")
            .as_str()
            .is_some_and(|s| s.contains("same address"))
    );
    assert!(
        summary("mqtt-new-address")
            .as_str()
            .is_some_and(|s| s.contains("another address"))
    );
    let cloned = device(&report, "cloned");
    assert_eq!(kinds(&cloned["insights"]), ["duplicate_identity"]);
    assert_eq!(cloned["severity"], "high");
    // A later drop is an outage of its own.
    let dropped = diagnoses(&report)["dropped-after"].clone();
    assert_eq!(
        dropped,
        (vec!["offline".into(), "takeover".into()], "high".into())
    );
}

#[test]
fn the_timeline_of_a_takeover_shows_both_connections() {
    let output = triage()
        .args([
            "timeline",
            "mqtt-new-address",
            "fixtures/field/takeovers.json",
        ])
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let timeline: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let sessions = timeline["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    // The older connection ends at the takeover; the newer one runs to the end.
    assert_eq!(sessions[0]["to"], "2026-03-02T02:00:01Z");
    assert_eq!(sessions[0]["ended_by"], "400027");
    assert_eq!(sessions[1]["from"], "2026-03-02T02:00:00Z");
    assert_eq!(sessions[1]["to"], Value::Null);
}

#[test]
fn edge_modules_are_identities_of_their_own_listed_with_their_device() {
    let report = analyze_json(&["fixtures/field/edge-modules.json"]);
    let devices = report["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 4);
    let device_id = devices[0]["device_id"].clone();
    let modules: Vec<&Value> = devices.iter().map(|d| &d["module_id"]).collect();
    assert_eq!(modules[0], &Value::Null, "the device itself comes first");
    assert!(modules[1..].iter().all(|m| m.is_string()));
    assert!(devices.iter().all(|d| d["device_id"] == device_id));
    let table = triage()
        .args(["analyze", "fixtures/field/edge-modules.json", "--top", "0"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!("{}/$edgeHub", device_id.as_str().unwrap_or(""))),
        "{text}"
    );
}

/// What the truth's scenario must give, on a full export.
fn as_expected(scenario: &str, kinds: &[String], severity: &str) -> bool {
    let has = |kind: &str| kinds.iter().any(|k| k == kind);
    match scenario {
        "healthy" | "restart_twice_daily" | "edge_modules" => {
            kinds.is_empty() && severity == "none"
        }
        "token_renewal_mqtt"
        | "token_renewal_node"
        | "token_renewal_short"
        | "token_renewal_c"
        | "token_renewal_python"
        | "token_renewal_no_404104" => kinds == ["token_renewal"] && severity == "info",
        "takeover" => has("takeover") && !has("duplicate_identity") && severity != "medium",
        "rapid_flapping" | "flapping_with_401003" => {
            has("flapping") && !has("token_renewal") && severity == "high"
        }
        "chronic_flapping" => has("flapping"),
        "duplicate_identity" => has("duplicate_identity"),
        "credential_failure" => has("credential_failure"),
        "offline" => has("offline"),
        "side_effect" => has("side_effect") && !has("duplicate_identity"),
        "quiet_at_end" => !has("offline"),
        "incident_victim" => severity == "info",
        other => panic!("unknown scenario {other}"),
    }
}

const FIELD: [&str; 8] = [
    "--seed",
    "12",
    "--devices",
    "400",
    "--hours",
    "24",
    "--mix",
    "field",
];

#[test]
fn every_scenario_of_a_field_fleet_is_diagnosed_as_it_is() {
    let (log, truth) = generate(&FIELD, "field-full");
    let (report, _) = analyze_stdin(log, &[]);
    let found = diagnoses(&report);
    for entry in truth["devices"].as_array().expect("devices") {
        let (id, scenario) = (
            entry[0].as_str().unwrap_or(""),
            entry[1].as_str().unwrap_or(""),
        );
        let (kinds, severity) = &found[id];
        // A takeover that ends the log is an identity still connected.
        assert!(
            as_expected(scenario, kinds, severity),
            "{id} ({scenario}): {kinds:?} {severity}"
        );
    }
}

/// Severities in the order of the scale; no finding lowest.
fn rank(severity: &str) -> u8 {
    match severity {
        "info" => 1,
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => 0,
    }
}

#[test]
fn an_errors_only_fleet_contradicts_nothing_and_keeps_renewal_and_flapping() {
    let mut args = FIELD.to_vec();
    let (full_log, truth) = generate(&args, "field-errors-full");
    args.push("--errors-only");
    let (log, _) = generate(&args, "field-errors-only");
    let (full, _) = analyze_stdin(full_log, &[]);
    let (errors, _) = analyze_stdin(log, &[]);
    let (full, errors) = (diagnoses(&full), diagnoses(&errors));
    let (mut renewal, mut flapping) = ((0, 0), (0, 0));
    for entry in truth["devices"].as_array().expect("devices") {
        let (id, scenario) = (
            entry[0].as_str().unwrap_or(""),
            entry[1].as_str().unwrap_or(""),
        );
        let (full_kinds, full_severity) = &full[id];
        let Some((kinds, severity)) = errors.get(id) else {
            continue; // no error record at all
        };
        // Never more alarming, never a kind the full export does not show.
        assert!(
            rank(severity) <= rank(full_severity),
            "{id} ({scenario}): {severity}"
        );
        for kind in kinds {
            assert!(full_kinds.contains(kind), "{id} ({scenario}): {kind}");
        }
        let has = |kind: &str| kinds.iter().any(|k| k == kind);
        if scenario.starts_with("token_renewal") && scenario != "token_renewal_node" {
            renewal = (renewal.0 + usize::from(has("token_renewal")), renewal.1 + 1);
        }
        if scenario.contains("flapping") {
            flapping = (flapping.0 + usize::from(has("flapping")), flapping.1 + 1);
        }
    }
    for (what, (found, all)) in [("renewal", renewal), ("flapping", flapping)] {
        assert!(all > 10, "{what}: {all} devices");
        assert!(found * 100 >= all * 95, "{what}: {found} of {all}");
    }
}

#[test]
fn a_fleet_of_healthy_renewing_and_restarting_devices_passes_a_medium_gate() {
    let scenarios = [
        "healthy",
        "token_renewal_mqtt",
        "token_renewal_node",
        "token_renewal_short",
        "token_renewal_c",
        "token_renewal_python",
        "token_renewal_no_404104",
        "restart_twice_daily",
        "edge_modules",
    ];
    let mut args = vec!["--seed", "3", "--devices", "180", "--hours", "24"];
    for scenario in &scenarios {
        args.extend(["--scenario", scenario]);
    }
    let (log, _) = generate(&args, "healthy-gate");
    for errors in [false, true] {
        let log = if errors {
            errors_only(&log)
        } else {
            log.clone()
        };
        for gate in ["medium", "high"] {
            let output = triage()
                .args(["analyze", "-", "--fail-on", gate])
                .write_stdin(log.clone())
                .output()
                .expect("runs");
            assert_eq!(
                output.status.code(),
                Some(0),
                "errors only {errors}, --fail-on {gate}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

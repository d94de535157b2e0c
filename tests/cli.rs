//! The command line as users run it: every export shape, the reports, the errors and the
//! exit codes, over the fixtures in `fixtures/`.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

#[path = "cli/broken.rs"]
mod broken;
#[path = "cli/field.rs"]
mod field;
#[path = "cli/fleet.rs"]
mod fleet;
#[path = "cli/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "cli/harness.rs"]
mod harness;
#[path = "cli/hostile.rs"]
mod hostile;
#[path = "cli/html.rs"]
mod html;
#[path = "cli/kql.rs"]
mod kql;
#[path = "cli/kql_results.rs"]
mod kql_results;
#[path = "cli/layers.rs"]
mod layers;
#[path = "cli/properties.rs"]
mod properties;
#[path = "cli/sources.rs"]
mod sources;
#[path = "cli/storage.rs"]
mod storage;

/// The binary, for assert_cmd's checks (see [`harness::Triage`]).
fn triage() -> Command {
    harness::Triage::new().into_command()
}

/// Runs `analyze --format json` and parses the report.
fn analyze_json(args: &[&str]) -> Value {
    harness::Triage::new()
        .args(["analyze"])
        .args(args)
        .args(["--format", "json"])
        .run()
        .exits(0)
        .json()
}

/// The report without what names the place of records (file, line, record number), which
/// differs between shapes of the same data by nature.
fn without_locations(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            map.remove("location");
            for item in map.values_mut() {
                *item = without_locations(item.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = without_locations(item.take());
            }
        }
        _ => {}
    }
    value
}

/// The same scenario in every shape, with the flags the shape needs.
const SHAPES: &[(&str, &[&str], u64)] = &[
    ("fixtures/shapes/PT1H.json", &[], 12),
    ("fixtures/shapes/eventhubs-records.json", &[], 12),
    ("fixtures/shapes/records-array.json", &[], 12),
    ("fixtures/shapes/log-analytics-tables.json", &[], 12),
    ("fixtures/shapes/az-cli.json", &[], 12),
    ("fixtures/shapes/portal-all-columns-en-us.csv", &[], 12),
    (
        "fixtures/shapes/portal-projected-en-gb-local.csv",
        &["--date-order", "dmy", "--tz", "+01:00"],
        11,
    ),
    // Spreadsheets in many locales write `;` or tabs, and dates as `02.03.2026 08:00:05`.
    (
        "fixtures/shapes/excel-semicolon-de.csv",
        &["--date-order", "dmy"],
        12,
    ),
    (
        "fixtures/shapes/excel-tab.txt",
        &["--date-order", "dmy"],
        12,
    ),
];

#[test]
fn every_shape_gives_the_same_per_device_result() {
    let baseline = analyze_json(&["fixtures/shapes/PT1H.json"]);
    for (file, flags, _) in SHAPES {
        let mut args = vec![*file];
        args.extend_from_slice(flags);
        let report = analyze_json(&args);
        assert_eq!(
            without_locations(report["devices"].clone()),
            without_locations(baseline["devices"].clone()),
            "{file}"
        );
        assert_eq!(
            report["summary"]["codes"], baseline["summary"]["codes"],
            "{file}"
        );
    }
}

#[test]
fn every_shape_is_detected_and_named() {
    let expected = [
        "json-lines",
        "records",
        "json-array",
        "tables",
        "az-cli",
        "csv",
        "csv",
    ];
    for ((file, flags, _), shape) in SHAPES.iter().zip(expected) {
        let mut args = vec![*file];
        args.extend_from_slice(flags);
        assert_eq!(analyze_json(&args)["inputs"][0]["shape"], shape, "{file}");
    }
}

#[test]
fn counts_reconcile_and_match_the_records_in_each_fixture() {
    let broken: &[(&str, &[&str], u64)] = &[
        ("fixtures/broken/malformed-lines.json", &[], 6),
        ("fixtures/broken/ragged-row.csv", &[], 3),
        ("fixtures/broken/truncated-array.json", &[], 4),
        ("fixtures/broken/empty.json", &[], 0),
    ];
    for (file, flags, records) in SHAPES.iter().chain(broken) {
        let mut args = vec![*file];
        args.extend_from_slice(flags);
        let summary = analyze_json(&args)["summary"].clone();
        let read = summary["records_read"].as_u64().expect("count");
        let parts: u64 = ["records_skipped", "records_filtered", "records_analyzed"]
            .iter()
            .map(|key| summary[key].as_u64().expect("count"))
            .sum();
        assert_eq!(read, parts, "{file}");
        assert_eq!(read, *records, "{file}");
    }
}

#[test]
fn the_2017_operations_monitoring_schema_has_its_status_type_codes_read_and_diagnosed() {
    let file = "fixtures/shapes/operations-monitoring-2017.json";
    let report = analyze_json(&[file]);
    assert_eq!(report["summary"]["records_analyzed"], 7);
    assert_eq!(report["summary"]["devices_with_errors"], 2);
    let codes = |id: &str| -> Vec<(String, u64)> {
        device(&report, id)["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| {
                let code = c["code"].as_str().expect("code").to_string();
                (code, c["count"].as_u64().expect("count"))
            })
            .collect()
    };
    assert_eq!(
        codes("thermo-01"),
        [("401003".to_string(), 1), ("404104".to_string(), 1)]
    );
    assert_eq!(codes("door-7"), [("404104".to_string(), 1)]);
    assert_eq!(codes("boiler-3"), []);
    // 401003, 404104 a second later, a reconnect: the renewal pattern, not a failure.
    assert!(kinds(&device(&report, "thermo-01")["insights"]).contains(&"token_renewal"));
    assert_eq!(device(&report, "thermo-01")["protocol"], "Amqp");
}

#[test]
fn other_categories_are_filtered_with_their_reason() {
    let summary = analyze_json(&["fixtures/shapes/PT1H.json"])["summary"].clone();
    assert_eq!(summary["records_filtered"], 1);
    assert_eq!(summary["filtered"][0]["reason"], "category Routes");
}

#[test]
fn last_state_follows_event_time_not_input_order() {
    let text = std::fs::read_to_string("fixtures/shapes/PT1H.json").expect("fixture");
    let reversed: String = text.lines().rev().map(|line| format!("{line}\n")).collect();
    let output = triage()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(reversed)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let pump = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["device_id"] == "pump-0042")
        .cloned();
    let pump = pump.expect("pump-0042 is reported");
    assert_eq!(pump["last_state"], "connected");
    assert_eq!(pump["first_seen"], "2026-03-02T08:00:05Z");
    assert_eq!(pump["last_seen"], "2026-03-02T09:10:31Z");
}

#[test]
fn devices_are_listed_worst_finding_first_benign_and_healthy_last() {
    let report = analyze_json(&["fixtures/shapes/PT1H.json"]);
    let devices = report["devices"].as_array().expect("devices");
    let order: Vec<(&str, &str)> = devices
        .iter()
        .map(|d| {
            (
                d["device_id"].as_str().unwrap_or(""),
                d["severity"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("gw-edge-01", "low"),
            ("meter-9", "low"),
            ("sensor-17", "low"),
            ("pump-0042", "info"),
            ("cam-x509-7", "none")
        ]
    );
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let text = std::fs::read("fixtures/shapes/az-cli.json").expect("fixture");
    triage()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(text)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"source\": \"<stdin>\""))
        .stdout(predicate::str::contains("\"records_analyzed\": 11"));
}

#[test]
fn unknown_codes_are_reported_flagged_and_classified_by_family() {
    let record = r#"{"time":"2026-03-02T09:10:05Z","operationName":"deviceDisconnect","category":"Connections","level":"Error","resultType":"404999","properties":"{\"deviceId\":\"d1\"}"}"#;
    let output = triage()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(record)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let code = &report["devices"][0]["codes"][0];
    assert_eq!(code["code"], "404999");
    assert_eq!(code["known"], false);
    assert_eq!(code["class"], "device-state");
    assert_eq!(report["summary"]["codes"][0]["known"], false);
}

#[test]
fn table_report_of_the_storage_sample() {
    let output = triage()
        .args(["analyze", "fixtures/shapes/PT1H.json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "nothing on stderr for a clean file"
    );
    // The table itself is the renderer's unit snapshot; here, that the command line
    // writes it: the summary and a finding of the sample.
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("pump-0042"), "{text}");
    assert!(text.contains("404104"), "{text}");
}

/// The table at a terminal's width: `$COLUMNS` stands for the terminal in the tests.
fn table_at(width: u16, inputs: &[&str]) -> String {
    let output = triage()
        .arg("analyze")
        .args(inputs)
        .env("COLUMNS", width.to_string())
        .output()
        .expect("runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_table_fits_80_120_and_200_columns_and_never_cuts_a_time() {
    let inputs = ["fixtures/insights", "fixtures/shapes/PT1H.json"];
    for width in [80, 120, 200] {
        let text = table_at(width, &inputs);
        for line in text.lines() {
            // A link is never wrapped: it may run past the edge, on a line of its own.
            if line.trim_start().starts_with("https://") {
                continue;
            }
            assert!(
                line.chars().count() <= usize::from(width),
                "{width} columns: {line:?}"
            );
        }
        // Every time is whole: each `2026-` starts a date that goes on to its seconds.
        for (at, _) in text.match_indices("2026-") {
            let rest = &text[at..];
            let date = &rest[..rest.len().min(10)];
            assert!(
                date.len() == 10 && date.chars().all(|c| c.is_ascii_digit() || c == '-'),
                "{width} columns: a date cut at {:?}",
                &rest[..rest.len().min(20)]
            );
        }
        insta::assert_snapshot!(format!("table_at_{width}_columns"), text);
    }
}

#[test]
fn documentation_links_stand_on_lines_of_their_own() {
    let text = table_at(80, &["fixtures/shapes/PT1H.json"]);
    let links: Vec<&str> = text.lines().filter(|l| l.contains("https://")).collect();
    assert!(!links.is_empty());
    for line in links {
        assert!(line.trim().starts_with("https://"), "{line:?}");
        assert!(!line.trim().contains(' '), "{line:?}");
    }
    assert!(!text.contains('\u{1b}'), "no escape sequence into a pipe");
}

#[test]
fn json_report_of_the_storage_sample() {
    // Every field is in the renderer's unit snapshot; here, the command line's report.
    let report = analyze_json(&["fixtures/shapes/PT1H.json"]);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["inputs"][0]["source"], "fixtures/shapes/PT1H.json");
    assert!(report["devices"].as_array().is_some_and(|d| !d.is_empty()));
}

#[test]
fn malformed_records_are_skipped_and_reported_with_their_line() {
    triage()
        .args([
            "analyze",
            "fixtures/broken/malformed-lines.json",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("skipped 4 malformed records"))
        .stderr(predicate::str::contains(
            "malformed-lines.json:2: invalid JSON: EOF while parsing a string at column 319",
        ))
        .stderr(predicate::str::contains(
            "malformed-lines.json:3: unreadable time \"02.03.2026 09:06\"",
        ))
        .stderr(predicate::str::contains(
            "malformed-lines.json:4: no deviceId (neither in properties nor in a column)",
        ))
        .stderr(predicate::str::contains(
            "malformed-lines.json:5: properties is not valid JSON",
        ))
        .stdout(predicate::str::contains("\"line\": 5"));
}

#[test]
fn strict_makes_the_first_malformed_record_fatal() {
    triage()
        .args([
            "analyze",
            "fixtures/broken/malformed-lines.json",
            "--strict",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "error: fixtures/broken/malformed-lines.json:2: invalid JSON",
        ));
}

#[test]
fn a_truncated_document_keeps_the_records_before_the_break() {
    let report = analyze_json(&["fixtures/broken/truncated-array.json"]);
    assert_eq!(report["summary"]["records_analyzed"], 3);
    let message = report["problems"][0]["message"].as_str().expect("message");
    assert!(
        message.starts_with("invalid JSON, the rest of the input is unreadable: EOF"),
        "{message}"
    );
    assert_eq!(report["problems"][0]["record"], 4);
}

#[test]
fn a_ragged_csv_row_is_skipped_with_its_line() {
    let report = analyze_json(&["fixtures/broken/ragged-row.csv"]);
    assert_eq!(report["problems"][0]["line"], 3);
    assert_eq!(
        report["problems"][0]["message"],
        "row has 3 fields but the header has 5"
    );
}

#[test]
fn an_empty_input_warns_and_reports_no_devices() {
    triage()
        .args(["analyze", "fixtures/broken/empty.json"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: fixtures/broken/empty.json: the input is empty",
        ))
        .stdout(predicate::str::contains("Devices: 0"));
}

#[test]
fn ambiguous_csv_dates_are_refused_until_the_order_is_given() {
    triage()
        .args(["analyze", "fixtures/broken/ambiguous-dates.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ambiguous-dates.csv: dates such as \"02/03/2026 09:10:04.000\" (line 2)",
        ))
        .stderr(predicate::str::contains(
            "pass --date-order dmy or --date-order mdy",
        ));
    let report = analyze_json(&["fixtures/broken/ambiguous-dates.csv", "--date-order", "mdy"]);
    assert_eq!(report["summary"]["first_event"], "2026-02-03T09:10:04Z");
}

#[test]
fn local_time_columns_without_tz_are_read_as_utc_with_a_warning() {
    triage()
        .args([
            "analyze",
            "fixtures/shapes/portal-projected-en-gb-local.csv",
            "--date-order",
            "dmy",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "[Local Time] header) and were read as UTC; pass --tz",
        ));
}

#[test]
fn exits_2_and_names_the_file_when_input_is_missing() {
    triage()
        .args(["analyze", "fixtures/no-such-file.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "iothub-triage: error: fixtures/no-such-file.json: cannot open",
        ));
}

#[test]
fn a_directory_is_read_recursively_in_name_order() {
    let report = analyze_json(&["fixtures/bundles/nested"]);
    let sources: Vec<&str> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["source"].as_str())
        .collect();
    assert_eq!(
        sources,
        [
            "fixtures/bundles/nested/a/PT1H.json",
            "fixtures/bundles/nested/b/c/PT1H.json.gz"
        ]
    );
    assert_eq!(report["summary"]["records_read"], 12);
    triage()
        .args(["analyze", "fixtures/bundles/nested"])
        .assert()
        .success()
        .stderr(predicate::str::contains("skipped 1 file not named like a log export (for example fixtures/bundles/nested/b/ignore.png)"));
}

#[test]
fn exits_2_on_content_that_is_not_an_export() {
    triage()
        .args(["analyze", "fixtures/broken/not-a-log.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not-a-log.txt: not a known export shape",
        ));
}

#[test]
fn exits_2_on_a_usage_error() {
    triage()
        .args(["analyze", "--format", "yaml"])
        .assert()
        .code(2);
    triage()
        .args(["analyze", "--tz", "Mars/Olympus"])
        .assert()
        .code(2);
}

#[test]
fn timeline_offers_only_the_formats_it_writes_and_refuses_others_before_reading() {
    // A format without a timeline renderer is a usage error, named with the choices,
    // even when the input does not exist: nothing is read first.
    harness::run(
        &["timeline", "d", "--format", "sarif", "no-such-file.json"],
        b"",
    )
    .exits(2)
    .stderr_has("invalid value 'sarif'")
    .stderr_has("[possible values: json, table]");
}

#[test]
fn explain_gives_cause_resolution_and_link() {
    let output = triage().args(["explain", "404104"]).output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for part in [
        "DeviceConnectionClosedRemotely",
        "https://learn.microsoft.com/",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

#[test]
fn explain_classifies_an_unknown_code_by_its_family() {
    triage()
        .args(["explain", "500777"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "500777 is not a documented IoT Hub code; by its HTTP family (500)",
        ))
        .stdout(predicate::str::contains("class:      transient-service"));
    triage()
        .args(["explain", "Success"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not an IoT Hub error code"));
}

#[test]
fn a_date_alone_as_since_and_until_is_that_whole_day() {
    let day = analyze_json(&[
        "fixtures/shapes/PT1H.json",
        "--since",
        "2026-03-02",
        "--until",
        "2026-03-02",
    ]);
    assert_eq!(day["summary"]["records_analyzed"], 11);
    let before = analyze_json(&["fixtures/shapes/PT1H.json", "--until", "2026-03-01"]);
    assert_eq!(before["summary"]["records_analyzed"], 0);
}

#[test]
fn explain_takes_names_in_any_case_and_suggests_near_misses() {
    triage()
        .args(["explain", "devicecONNECTIONclosedremotely"])
        .assert()
        .success()
        .stdout(predicate::str::contains("404104"));
    triage()
        .args(["explain", "DeviceConectionClosedRemotly"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean 404104 DeviceConnectionClosedRemotely",
        ));
}

#[test]
fn codes_lists_every_documented_code_in_order() {
    let output = triage()
        .args(["codes", "--format", "json"])
        .output()
        .expect("runs");
    let codes: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let codes = codes.as_array().expect("array");
    assert!(codes.len() >= 150, "{}", codes.len());
    let numbers: Vec<u64> = codes
        .iter()
        .map(|c| {
            c["code"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("code")
        })
        .collect();
    assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]));
    for key in [
        "name",
        "class",
        "severity",
        "root_cause",
        "resolution",
        "doc",
    ] {
        assert!(codes.iter().all(|c| c[key].is_string()), "{key}");
    }
}

/// Each insight fixture: the insight kinds each named device must have (exactly), and the
/// fleet-level kinds. Look-alikes expect nothing.
/// A fixture, its devices with the insight kinds each must have, and the fleet kinds.
type InsightCase = (
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
    &'static [&'static str],
);

const INSIGHT_CASES: &[InsightCase] = &[
    (
        "token-renewal.json",
        &[
            ("pump-0042", &["token_renewal"]),
            ("node-7", &["token_renewal"]),
        ],
        &[],
    ),
    ("flapping-rapid.json", &[("cam-12", &["flapping"])], &[]),
    ("flapping-chronic.json", &[("meter-31", &["flapping"])], &[]),
    (
        "duplicate-identity.json",
        &[("sensor-17", &["duplicate_identity"])],
        &[],
    ),
    (
        "credential-failure.json",
        &[("gw-3", &["credential_failure"]), ("cam-x509-7", &[])],
        &[],
    ),
    ("offline.json", &[("pump-9", &["offline"])], &[]),
    ("side-effect.json", &[("gw-edge-01", &["side_effect"])], &[]),
    (
        "hub-incident.json",
        &[("pump-0001", &[]), ("pump-0008", &[]), ("pump-0011", &[])],
        &["hub_incident"],
    ),
    // Look-alikes: quiet for 5 min at the end is not offline; 3 devices with 500001 in an
    // hour is not an incident.
    ("quiet-at-end.json", &[("pump-5", &[])], &[]),
    (
        "sporadic-500001.json",
        &[("meter-00", &[]), ("meter-01", &[]), ("meter-02", &[])],
        &[],
    ),
];

fn device<'r>(report: &'r Value, id: &str) -> &'r Value {
    let devices = report["devices"].as_array().expect("devices");
    devices
        .iter()
        .find(|d| d["device_id"] == id)
        .unwrap_or_else(|| panic!("{id} is reported"))
}

fn kinds(insights: &Value) -> Vec<&str> {
    insights
        .as_array()
        .expect("insights")
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn each_insight_fires_where_it_must_and_not_on_look_alikes() {
    for (file, devices, fleet) in INSIGHT_CASES {
        let report = analyze_json(&[&format!("fixtures/insights/{file}")]);
        assert_eq!(kinds(&report["insights"]), *fleet, "{file}: fleet insights");
        for (id, expected) in *devices {
            let mut found = kinds(&device(&report, id)["insights"]);
            found.sort_unstable();
            let mut expected = expected.to_vec();
            expected.sort_unstable();
            assert_eq!(found, expected, "{file}: {id}");
        }
    }
}

#[test]
fn token_renewal_is_benign_its_codes_expected_and_its_period_reported() {
    let report = analyze_json(&["fixtures/insights/token-renewal.json"]);
    let pump = device(&report, "pump-0042");
    assert_eq!(pump["severity"], "info");
    assert_eq!(pump["insights"][0]["evidence"]["period_minutes"], 65.0);
    assert_eq!(pump["insights"][0]["evidence"]["count"], 6);
    for code in pump["codes"].as_array().expect("codes") {
        assert_eq!(code["expected"], code["count"], "{}", code["code"]);
    }
    assert_eq!(
        device(&report, "node-7")["insights"][0]["evidence"]["period_minutes"],
        60.0
    );
    assert_eq!(report["summary"]["devices_by_severity"]["info"], 2);
}

#[test]
fn flapping_is_high_when_rapid_and_medium_when_chronic() {
    let rapid = analyze_json(&["fixtures/insights/flapping-rapid.json"]);
    let insight = &device(&rapid, "cam-12")["insights"][0];
    assert_eq!(insight["severity"], "high");
    assert_eq!(insight["evidence"]["count"], 12);
    assert_eq!(insight["evidence"]["codes"][0]["code"], "404104");
    let chronic = analyze_json(&["fixtures/insights/flapping-chronic.json"]);
    assert_eq!(
        device(&chronic, "meter-31")["insights"][0]["severity"],
        "medium"
    );
}

#[test]
fn a_duplicate_identity_names_both_addresses() {
    let report = analyze_json(&["fixtures/insights/duplicate-identity.json"]);
    let insight = &device(&report, "sensor-17")["insights"][0];
    assert_eq!(insight["kind"], "duplicate_identity");
    assert_eq!(
        insight["evidence"]["addresses"],
        serde_json::json!(["192.0.2.XXX", "198.51.100.XXX"])
    );
}

#[test]
fn a_409002_after_a_404104_is_attributed_to_it() {
    let report = analyze_json(&["fixtures/insights/side-effect.json"]);
    let gateway = device(&report, "gw-edge-01");
    assert_eq!(gateway["insights"][0]["evidence"]["caused_by"], "404104");
    let conflict = gateway["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["code"] == "409002")
        .cloned();
    assert_eq!(conflict.expect("409002 counted")["side_effect"], 1);
}

#[test]
fn an_offline_device_reports_since_when_and_its_last_code() {
    let report = analyze_json(&["fixtures/insights/offline.json"]);
    let insight = &device(&report, "pump-9")["insights"][0];
    assert_eq!(insight["evidence"]["last_code"], "404104");
    assert_eq!(insight["start"], "2026-03-02T09:00:00Z");
}

#[test]
fn a_hub_incident_explains_the_devices_server_errors() {
    let report = analyze_json(&["fixtures/insights/hub-incident.json"]);
    let incident = &report["insights"][0];
    assert_eq!(incident["severity"], "critical");
    assert_eq!(incident["evidence"]["devices"], 8);
    assert_eq!(incident["start"], "2026-03-02T02:14:00Z");
    let victim = device(&report, "pump-0001");
    assert_eq!(victim["incidents"], serde_json::json!([0]));
    assert_eq!(
        victim["severity"], "info",
        "the incident, not the device, is the problem"
    );
    assert_eq!(
        victim["codes"][0]["in_incident"],
        victim["codes"][0]["count"]
    );
    assert!(
        !report["connected_devices"]["drops"]
            .as_array()
            .expect("drops")
            .is_empty()
    );
}

#[test]
fn thresholds_are_adjustable_by_flags() {
    let report = analyze_json(&[
        "fixtures/insights/quiet-at-end.json",
        "--offline-after",
        "2m",
    ]);
    assert_eq!(kinds(&device(&report, "pump-5")["insights"]), ["offline"]);
    let report = analyze_json(&[
        "fixtures/insights/sporadic-500001.json",
        "--incident-window",
        "1h",
        "--incident-min-devices",
        "3",
    ]);
    assert_eq!(kinds(&report["insights"]), ["hub_incident"]);
}

#[test]
fn table_report_of_a_hub_incident() {
    let output = triage()
        .args(["analyze", "fixtures/insights/hub-incident.json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.to_lowercase().contains("hub incident"), "{text}");
}

#[test]
fn timeline_shows_sessions_and_explains_renewal_events() {
    let output = triage()
        .args(["timeline", "pump-0042", "fixtures/shapes/PT1H.json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("pump-0042") && text.contains("Connected from"),
        "{text}"
    );
    let output = triage()
        .args([
            "timeline",
            "pump-0042",
            "fixtures/insights/token-renewal.json",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let timeline: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(timeline["sessions"].as_array().expect("sessions").len(), 7);
    assert_eq!(timeline["sessions"][0]["duration_seconds"], 3900);
    assert_eq!(timeline["events"][1]["note"], "token renewal");
}

#[test]
fn timeline_of_an_unknown_device_suggests_similar_ids() {
    triage()
        .args(["timeline", "pump", "fixtures/shapes/PT1H.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "device \"pump\" is not in the logs; similar ids: pump-0042",
        ));
}

/// Generates a synthetic fleet with the binary, returning the log and its truth.
fn generate(args: &[&str], name: &str) -> (Vec<u8>, Value) {
    let truth_path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-truth.json"));
    let truth_arg = truth_path.to_string_lossy().to_string();
    let output = triage()
        .arg("generate")
        .args(args)
        .args(["--truth", &truth_arg])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let truth = serde_json::from_slice(&std::fs::read(&truth_path).expect("truth written"))
        .expect("truth is JSON");
    (output.stdout, truth)
}

fn analyze_bytes(log: Vec<u8>) -> Value {
    let output = triage()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(log)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn the_diagnosis_recovers_every_scenario_of_a_synthetic_fleet() {
    let (log, truth) = generate(
        &["--seed", "7", "--devices", "300", "--hours", "24"],
        "recovery",
    );
    let report = analyze_bytes(log);
    assert_eq!(report["summary"]["records_analyzed"], truth["records"]);
    for entry in truth["devices"].as_array().expect("devices") {
        let (id, scenario) = (
            entry[0].as_str().expect("id"),
            entry[1].as_str().expect("scenario"),
        );
        let found = device(&report, id);
        let kinds = kinds(&found["insights"]);
        let has = |kind: &str| kinds.contains(&kind);
        let ok = match scenario {
            "healthy" => found["severity"].is_null(),
            "token_renewal_mqtt" | "token_renewal_node" => {
                has("token_renewal") && found["severity"] == "info"
            }
            "rapid_flapping" => has("flapping") && found["severity"] == "high",
            "chronic_flapping" => has("flapping"),
            "duplicate_identity" => has("duplicate_identity"),
            "credential_failure" => has("credential_failure"),
            "offline" => has("offline"),
            "side_effect" => has("side_effect") && !has("duplicate_identity"),
            "quiet_at_end" => !has("offline"),
            "incident_victim" => {
                found["incidents"] == serde_json::json!([0]) && found["severity"] == "info"
            }
            other => panic!("unknown scenario {other}"),
        };
        assert!(
            ok,
            "{id} ({scenario}) got {kinds:?}, severity {}",
            found["severity"]
        );
    }
    let incidents = truth["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert_eq!(kinds(&report["insights"]), ["hub_incident"]);
    assert_eq!(report["insights"][0]["start"], incidents[0][0]);
    assert_eq!(report["insights"][0]["end"], incidents[0][1]);
}

#[test]
fn a_synthetic_fleet_reads_the_same_in_every_shape() {
    let args = ["--seed", "3", "--devices", "60", "--hours", "6"];
    let (log, _) = generate(&args, "shape-json-lines");
    let baseline = analyze_bytes(log);
    for shape in ["records", "json-array", "tables", "az-cli", "csv"] {
        let mut with_shape = args.to_vec();
        with_shape.extend(["--shape", shape]);
        let (log, _) = generate(&with_shape, &format!("shape-{shape}"));
        let report = analyze_bytes(log);
        assert_eq!(
            without_locations(report["devices"].clone()),
            without_locations(baseline["devices"].clone()),
            "{shape}"
        );
        assert_eq!(report["insights"], baseline["insights"], "{shape}");
    }
}

#[test]
fn generate_errors_only_writes_error_records_and_a_truth_that_says_so() {
    let args = [
        "--seed",
        "4",
        "--devices",
        "40",
        "--hours",
        "12",
        "--mix",
        "field",
    ];
    let (full, full_truth) = generate(&args, "errors-only-full");
    let mut errors_args = args.to_vec();
    errors_args.push("--errors-only");
    let (log, truth) = generate(&errors_args, "errors-only");
    let text = String::from_utf8(log.clone()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let record: Value = serde_json::from_str(line).expect("a JSON record");
        assert_eq!(record["level"], "Error", "{line}");
        assert_eq!(record["operationName"], "deviceDisconnect", "{line}");
    }
    assert_eq!(truth["errors_only"], true);
    assert_eq!(full_truth["errors_only"], false);
    assert_eq!(truth["records"], lines.len());
    assert_eq!(truth["devices"], full_truth["devices"]);
    assert_eq!(truth["incidents"], full_truth["incidents"]);
    let full = String::from_utf8(full).expect("UTF-8");
    let errors_of_full: Vec<&str> = full
        .lines()
        .filter(|line| line.contains(r#""level":"Error""#))
        .collect();
    assert_eq!(lines, errors_of_full);
    let report = analyze_bytes(log);
    assert_eq!(report["summary"]["records_analyzed"], truth["records"]);
}

#[test]
fn generate_deals_one_scenario_to_every_device() {
    let (_, truth) = generate(
        &[
            "--devices",
            "5",
            "--hours",
            "2",
            "--scenario",
            "edge_modules",
        ],
        "one-scenario",
    );
    let devices = truth["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 20);
    assert!(devices.iter().all(|entry| entry[1] == "edge_modules"));
    assert!(devices.iter().any(|entry| {
        entry[0]
            .as_str()
            .is_some_and(|id| id.ends_with("/$edgeHub"))
    }));
}

#[test]
fn the_generator_is_deterministic() {
    let (first, _) = generate(
        &["--seed", "11", "--devices", "40", "--hours", "3"],
        "determinism-a",
    );
    let (second, _) = generate(
        &["--seed", "11", "--devices", "40", "--hours", "3"],
        "determinism-b",
    );
    assert_eq!(first, second);
}

#[test]
fn exits_1_when_findings_reach_the_fail_on_severity_and_0_below_it() {
    triage()
        .args([
            "analyze",
            "fixtures/bundles/ci-artifact.zip",
            "--fail-on",
            "high",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "iothub-triage: failing: 1 finding(s) at or above high (--fail-on high)",
        ));
    // The sample's takeovers and one isolated timeout recovered: low, below a medium gate.
    for gate in ["high", "medium"] {
        triage()
            .args(["analyze", "fixtures/shapes/PT1H.json", "--fail-on", gate])
            .assert()
            .code(0);
    }
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "--fail-on", "low"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "iothub-triage: failing: 3 finding(s) at or above low (--fail-on low)",
        ));
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(0);
    triage()
        .args([
            "analyze",
            "fixtures/insights/hub-incident.json",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(1);
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json"])
        .assert()
        .code(0);
}

#[test]
fn exits_1_when_there_are_more_findings_than_allowed() {
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--max-findings",
            "2",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "3 findings, more than --max-findings 2",
        ));
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--max-findings",
            "3",
        ])
        .assert()
        .code(0);
}

#[test]
fn a_baseline_gates_only_on_new_findings() {
    let baseline = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("baseline.json");
    let baseline_arg = format!("json={}", baseline.display());
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "-o", &baseline_arg])
        .assert()
        .success();
    let baseline = baseline.to_string_lossy().to_string();
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--fail-on",
            "low",
            "--baseline",
            &baseline,
        ])
        .assert()
        .code(0);
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "fixtures/insights/flapping-rapid.json",
        ])
        .args(["--fail-on", "high", "--baseline", &baseline])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "1 new finding(s) at or above high",
        ));
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--baseline",
            "fixtures/shapes/az-cli.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "az-cli.json: not an iothub-triage JSON report",
        ));
}

#[test]
fn filters_leave_records_out_and_count_them_by_reason() {
    let report = analyze_json(&[
        "fixtures/shapes/PT1H.json",
        "--device",
        "pump-*",
        "--device",
        "cam-*",
    ]);
    let ids: Vec<&str> = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter_map(|d| d["device_id"].as_str())
        .collect();
    assert_eq!(ids, ["pump-0042", "cam-x509-7"]);
    assert_eq!(
        report["summary"]["records_filtered"], 7,
        "6 of other devices, 1 of another category"
    );
    let report = analyze_json(&[
        "fixtures/shapes/PT1H.json",
        "--since",
        "2026-03-02T09:00:00Z",
        "--until",
        "2026-03-02T09:30:00Z",
        "--level",
        "error",
    ]);
    let reasons: Vec<(&str, u64)> = report["summary"]["filtered"]
        .as_array()
        .expect("filtered")
        .iter()
        .map(|f| {
            (
                f["reason"].as_str().unwrap_or(""),
                f["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // --level chooses the devices shown, not the records analyzed.
    assert_eq!(
        reasons,
        [
            ("at or after --until", 2),
            ("before --since", 1),
            ("category Routes", 1)
        ]
    );
    assert_eq!(report["summary"]["records_analyzed"], 8);
    assert_eq!(report["summary"]["devices"], 5);
    assert_eq!(report["summary"]["devices_shown"], 3);
    let report = analyze_json(&[
        "fixtures/shapes/PT1H.json",
        "--code",
        "404104",
        "--code",
        "401003",
    ]);
    assert_eq!(report["summary"]["records_analyzed"], 11);
    let ids: Vec<&str> = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter_map(|d| d["device_id"].as_str())
        .collect();
    assert_eq!(ids, ["pump-0042"], "the one device with such records");
}

/// Each shown device's report, by identity.
fn devices_by_id(report: &Value) -> std::collections::BTreeMap<String, Value> {
    report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| (d["device_id"].as_str().unwrap_or("").to_string(), d.clone()))
        .collect()
}

#[test]
fn code_and_level_choose_the_devices_shown_never_their_diagnosis() {
    let (log, _) = generate(
        &["--seed", "5", "--devices", "200", "--hours", "24"],
        "selection",
    );
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("selection.json");
    std::fs::write(&path, &log).expect("log written");
    let path = path.to_string_lossy();
    let whole = devices_by_id(&analyze_json(&[&path]));
    for flags in [
        &["--code", "401003"][..],
        &["--code", "404104", "--code", "400027"],
        &["--level", "error"],
        &["--level", "information"],
    ] {
        let mut args = vec![&*path];
        args.extend_from_slice(flags);
        let report = analyze_json(&args);
        let shown = devices_by_id(&report);
        assert!(!shown.is_empty(), "{flags:?} shows devices");
        assert!(
            shown.len() < whole.len() || flags[1] == "information",
            "{flags:?}"
        );
        assert_eq!(report["summary"]["devices_shown"], shown.len());
        for (id, device) in &shown {
            assert_eq!(Some(device), whole.get(id), "{flags:?}: {id}");
        }
    }
}

#[test]
fn reports_go_to_stdout_and_to_files_in_one_run() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("outputs");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let json = dir.join("report.json");
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "--format", "table"])
        .args(["-o", &format!("json={}", json.display())])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Records: 12 read"));
    let written: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("written")).expect("JSON");
    assert_eq!(written["summary"]["records_read"], 12);
    let main = dir.join("main.json");
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--format",
            "json",
            "-o",
            &main.to_string_lossy(),
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    assert!(std::fs::metadata(&main).expect("written").len() > 1000);
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "-o",
            "a.json",
            "-o",
            "b.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "only one --output may take the --format report",
        ));
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        triage()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("iothub-triage"));
    }
    triage()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH iothub-triage 1"));
}

#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    use std::io::Read;
    use std::process::Stdio;
    let (log, _) = generate(
        &["--seed", "5", "--devices", "400", "--hours", "24"],
        "pipe",
    );
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pipe.json");
    std::fs::write(&path, log).expect("written");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("iothub-triage"))
        .args(["analyze", &path.to_string_lossy(), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut head = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("reads the start");
    let output = child.wait_with_output().expect("ends");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_report_format_from_the_command_line() {
    // Each renderer's output is its unit snapshot; here, that each name on the command
    // line reaches its renderer, on stdout and through `-o FORMAT=FILE` alike.
    let signature = |format: &str| match format {
        "csv" => "device_id,module_id,",
        "github" => "::",
        "html" => "<!DOCTYPE html>",
        "json" => "\"schema_version\"",
        "junit" => "<testsuites",
        "markdown" => "## ",
        "ndjson" => "{\"",
        "sarif" => "\"$schema\"",
        "table" => "Devices",
        other => panic!("a format without a signature here: {other}"),
    };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    for format in iothub_triage::report::FORMATS
        .iter()
        .map(|format| format.name)
    {
        let output = triage()
            .args(["analyze", "fixtures/shapes/PT1H.json", "--format", format])
            .output()
            .expect("runs");
        assert!(output.status.success(), "{format}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(signature(format)), "{format}: {text}");
        let file = dir.join(format!("report.{format}"));
        let target = format!("{format}={}", file.display());
        triage()
            .args([
                "analyze",
                "fixtures/shapes/PT1H.json",
                "--format",
                "json",
                "-o",
                &target,
            ])
            .assert()
            .success();
        let written = std::fs::read_to_string(&file).expect("the report file");
        assert!(written.contains(signature(format)), "{format} file");
    }
}

/// The README's examples marked `<!-- runs: exit N -->`: shell blocks whole, and the
/// `run: |` steps of YAML blocks, with the exit code each must end with.
fn readme_examples(readme: &str) -> Vec<(i32, String)> {
    let mut examples = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(code) = line
            .strip_prefix("<!-- runs: exit ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let code: i32 = code.parse().expect("an exit code");
        let fence = lines.next().unwrap_or_default();
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        if fence == "```sh" {
            examples.push((code, block.join("\n")));
            continue;
        }
        let mut index = 0;
        while index < block.len() {
            let line = block[index];
            index += 1;
            if !line.trim_end().ends_with("run: |") {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let body: Vec<&str> = block[index..]
                .iter()
                .take_while(|l| l.len() - l.trim_start().len() > indent)
                .copied()
                .collect();
            index += body.len();
            let margin = body
                .iter()
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            examples.push((
                code,
                body.iter()
                    .map(|l| &l[margin..])
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
    }
    examples
}

#[test]
fn the_readme_examples_run_against_the_fixtures() {
    let readme = std::fs::read_to_string("README.md").expect("README");
    let examples = readme_examples(&readme);
    assert!(examples.len() >= 4, "found {} examples", examples.len());
    let work = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-examples");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let fixtures = std::env::current_dir().expect("cwd").join("fixtures");
    std::os::unix::fs::symlink(&fixtures, work.join("fixtures")).expect("link the fixtures");
    let binary = assert_cmd::cargo::cargo_bin("iothub-triage");
    let bin_dir = binary.parent().expect("bin dir").to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let summary = work.join("step-summary.md");
    for (code, script) in examples {
        let output = std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(&work)
            .env("PATH", &path)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .expect("bash runs");
        assert_eq!(
            output.status.code(),
            Some(code),
            "{script}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let written = std::fs::read_to_string(&summary).expect("the step summary was written");
    assert!(written.starts_with("## iothub-triage"), "{written}");
    assert!(work.join("iothub-triage.sarif").exists());
}

#[test]
fn a_zip_bundle_in_the_storage_layout_reads_like_the_blob() {
    let baseline = analyze_json(&["fixtures/shapes/PT1H.json"]);
    let report = analyze_json(&["fixtures/bundles/ci-artifact.zip"]);
    let sources: Vec<&str> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["source"].as_str())
        .collect();
    assert_eq!(sources.len(), 2);
    assert!(
        sources[0].ends_with("/y=2026/m=03/d=02/h=08/m=00/PT1H.json"),
        "{}",
        sources[0]
    );
    assert!(
        sources[0].starts_with("fixtures/bundles/ci-artifact.zip:resourceId=/SUBSCRIPTIONS/"),
        "{}",
        sources[0]
    );
    assert!(
        sources[1].ends_with("/h=09/m=00/PT1H.json"),
        "{}",
        sources[1]
    );
    // The bundle holds the sample and gw-3's credential failure besides.
    let mut devices = report["devices"].as_array().expect("devices").clone();
    let gw3 = devices.iter().position(|d| d["device_id"] == "gw-3");
    assert_eq!(devices.remove(gw3.expect("gw-3"))["severity"], "high");
    assert_eq!(
        without_locations(Value::Array(devices)),
        without_locations(baseline["devices"].clone())
    );
}

#[test]
fn gzip_is_read_from_files_and_from_standard_input() {
    let report = analyze_json(&["fixtures/bundles/PT1H.json.gz"]);
    assert_eq!(report["summary"]["records_read"], 12);
    let gz = std::fs::read("fixtures/bundles/PT1H.json.gz").expect("fixture");
    triage()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(gz)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"records_read\": 12"));
}

#[test]
fn an_archive_entry_that_escapes_is_refused_and_the_rest_is_read() {
    triage()
        .args([
            "analyze",
            "fixtures/bundles/traversal.zip",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "fixtures/bundles/traversal.zip: refused entry ../../evil.json: it escapes the archive",
        ))
        .stdout(predicate::str::contains("\"records_read\": 12"));
}

#[test]
fn an_input_over_the_decompression_limit_stops_with_exit_2() {
    triage()
        .args(["analyze", "fixtures/bundles/bomb.gz", "--max-decompressed-size", "1MiB"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "fixtures/bundles/bomb.gz: decompressed size exceeds the limit of 1048576 bytes (--max-decompressed-size)",
        ));
}

#[test]
fn a_small_bomb_among_small_inputs_is_read_again_streamed_and_meets_its_limit() {
    // 64 KiB compressed, 64 MiB of blanks: small enough to be read beside the others,
    // too large to be held, so it is read again at its turn and stopped by the limit.
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "fixtures/bundles/bomb.gz",
            "fixtures/insights/offline.json",
            "--max-decompressed-size",
            "20MiB",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "fixtures/bundles/bomb.gz: decompressed size exceeds the limit of 20971520 bytes (--max-decompressed-size)",
        ));
}

#[test]
fn the_same_inputs_in_another_order_give_byte_identical_reports() {
    let forward = triage()
        .args([
            "analyze",
            "fixtures/insights/offline.json",
            "fixtures/insights/side-effect.json",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let backward = triage()
        .args([
            "analyze",
            "fixtures/insights/side-effect.json",
            "fixtures/insights/offline.json",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(forward.status.success());
    assert_eq!(forward.stdout, backward.stdout);
}

#[test]
fn exact_duplicate_records_are_counted_once_unless_kept() {
    let report = analyze_json(&["fixtures/shapes/PT1H.json", "fixtures/bundles/PT1H.json.gz"]);
    assert_eq!(report["summary"]["records_read"], 24);
    assert_eq!(report["summary"]["records_analyzed"], 11);
    let duplicates = report["summary"]["filtered"]
        .as_array()
        .expect("filtered")
        .iter()
        .find(|f| {
            f["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("exact duplicate"))
        })
        .cloned();
    assert_eq!(
        duplicates.expect("duplicates are filtered with their reason")["count"],
        11
    );
    assert_eq!(device(&report, "pump-0042")["codes"][0]["count"], 1);
    // Inputs are read in name order; the repeats are counted against the later one.
    let counts: Vec<(&str, u64, u64)> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["source"].as_str().unwrap_or_default(),
                i["records_analyzed"].as_u64().unwrap_or_default(),
                i["records_filtered"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("fixtures/bundles/PT1H.json.gz", 11, 1),
            ("fixtures/shapes/PT1H.json", 0, 12)
        ]
    );
    let kept = analyze_json(&[
        "fixtures/shapes/PT1H.json",
        "fixtures/bundles/PT1H.json.gz",
        "--keep-duplicates",
    ]);
    assert_eq!(kept["summary"]["records_analyzed"], 22);
}

#[test]
fn terminal_escapes_in_device_ids_are_shown_not_run() {
    let properties = serde_json::json!({ "deviceId": "\u{1b}[2J\u{1b}[31mowned\u{7}" }).to_string();
    let record = serde_json::json!({
        "time": "2026-03-02T09:10:05Z", "operationName": "deviceDisconnect", "category": "Connections",
        "level": "Error", "resultType": "404104", "properties": properties,
    });
    let broken = "{\"time\": \"\u{1b}[2J\"}";
    let input = format!("{record}\n{broken}\n");
    for args in [
        vec!["analyze", "-"],
        vec!["timeline", "\u{1b}[2J\u{1b}[31mowned\u{7}", "-"],
    ] {
        let output = triage()
            .args(&args)
            .write_stdin(input.clone())
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !output.stdout.contains(&0x1b),
            "no escape byte reaches stdout: {args:?}"
        );
        assert!(!output.stderr.contains(&0x1b), "nor stderr: {args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("\\u{1b}[31mowned"),
            "{args:?}"
        );
    }
}

#[test]
fn the_report_is_the_same_on_any_number_of_threads() {
    // About 2.7 MB of JSON Lines: several blocks, parsed on one thread or on several.
    let log = triage()
        .args([
            "generate",
            "--seed",
            "7",
            "--devices",
            "100",
            "--hours",
            "24",
        ])
        .output()
        .expect("runs")
        .stdout;
    assert!(log.len() > 2 << 20, "{} bytes", log.len());
    let report = |threads: Option<&str>| {
        let mut command = triage();
        command.args(["analyze", "-", "--format", "json"]);
        if let Some(threads) = threads {
            command.args(["--threads", threads]);
        }
        let output = command.write_stdin(log.clone()).output().expect("runs");
        assert!(output.status.success(), "{threads:?} threads");
        output.stdout
    };
    let every_core = report(None);
    assert!(String::from_utf8_lossy(&every_core).contains("\"records_analyzed\""));
    for threads in ["1", "2", "3"] {
        assert!(report(Some(threads)) == every_core, "{threads} threads");
    }
}

#[test]
fn zero_threads_is_a_usage_error() {
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "-j", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threads"));
}

#[test]
fn every_insight_kind_is_found_on_some_fixture() {
    // A new kind whose detector is written but never called fails here: the fixtures
    // must show each kind at least once, through the command users run.
    let mut found = std::collections::BTreeSet::new();
    for folder in ["fixtures/insights", "fixtures/fleet", "fixtures/field"] {
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .expect("the fixture folder exists")
            .map(|entry| entry.expect("a folder entry").path())
            .collect();
        files.sort();
        for file in files {
            let report = analyze_json(&[file.to_str().expect("a UTF-8 path")]);
            let fleet = report["insights"].as_array().into_iter().flatten();
            let devices = report["devices"].as_array().into_iter().flatten();
            let device_insights = devices
                .flat_map(|device| device["insights"].as_array().cloned().unwrap_or_default());
            for insight in fleet.cloned().chain(device_insights) {
                found.insert(insight["kind"].as_str().expect("a kind").to_string());
            }
            if report["cohorts"].as_array().is_some_and(|c| !c.is_empty()) {
                found.insert("cohort".to_string());
            }
        }
    }
    let all: std::collections::BTreeSet<String> = iothub_triage::model::InsightKind::ALL
        .iter()
        .map(|kind| kind.as_str().to_string())
        .collect();
    assert_eq!(found, all);
}

/// A folder under the tests' scratch space, made afresh, holding `files`.
fn folder(name: &str, files: &[(&str, &[u8])]) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("folders")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates the folder");
    for (file, content) in files {
        std::fs::write(dir.join(file), content).expect("writes the file");
    }
    dir
}

/// A zip archive of `entries`.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("starts an entry");
        std::io::Write::write_all(&mut writer, content).expect("writes");
    }
    writer.finish().expect("finishes").into_inner()
}

#[test]
fn files_in_a_folder_that_are_not_logs_are_skipped_with_a_warning_and_counted() {
    let log = std::fs::read("fixtures/shapes/PT1H.json").expect("the sample");
    let dir = folder(
        "mixed",
        &[
            ("PT1H.json", &log),
            ("notes.txt", b"restarted the gateway at 9\n"),
            ("broken.zip", b"PK\x03\x04 not an archive after all"),
            ("cut.gz", b"\x1f\x8b\x08\x00 not a gzip stream"),
        ],
    );
    let output = triage()
        .args(["analyze", dir.to_str().expect("UTF-8"), "--format", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for name in ["notes.txt", "broken.zip", "cut.gz"] {
        assert!(
            stderr.contains(&format!("{name}: skipped, not read as a log: ")),
            "{name}: {stderr}"
        );
    }
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let shapes: Vec<&str> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["shape"].as_str().expect("a shape"))
        .collect();
    assert_eq!(shapes, ["json-lines", "skipped", "skipped", "skipped"]);
    assert_eq!(report["summary"]["records_read"], 12);
}

#[test]
fn an_entry_of_a_bundle_that_is_not_a_log_is_skipped_with_a_warning() {
    let log = std::fs::read("fixtures/shapes/PT1H.json").expect("the sample");
    let bundle = zip_of(&[("PT1H.json", &log), ("README.txt", b"hourly blobs\n")]);
    let dir = folder("bundle", &[("logs.zip", &bundle)]);
    let archive = dir.join("logs.zip");
    let output = triage()
        .args(["analyze", archive.to_str().expect("UTF-8")])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("logs.zip:README.txt: skipped, not read as a log"),
        "{stderr}"
    );
}

#[test]
fn exits_2_when_nothing_in_a_folder_could_be_read_or_under_strict() {
    let dir = folder("notes-only", &[("notes.txt", b"nothing to see\n")]);
    let path = dir.to_str().expect("UTF-8");
    triage()
        .args(["analyze", path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "nothing could be read: 1 input found, none of them a log",
        ));
    let empty = folder("empty", &[]);
    triage()
        .args(["analyze", empty.to_str().expect("UTF-8")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no log files"));
    let log = std::fs::read("fixtures/shapes/PT1H.json").expect("the sample");
    let mixed = folder("strict", &[("PT1H.json", &log), ("notes.txt", b"x y\n")]);
    triage()
        .args(["analyze", mixed.to_str().expect("UTF-8"), "--strict"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "notes.txt: not a known export shape",
        ))
        .stderr(predicate::str::contains("--strict stops at an input"));
}

#[test]
fn exits_2_when_a_file_named_on_the_command_line_is_not_a_log() {
    let dir = folder("named", &[("notes.txt", b"nothing to see\n")]);
    triage()
        .args(["analyze", dir.join("notes.txt").to_str().expect("UTF-8")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a known export shape"));
}

#[test]
fn an_unknown_report_format_is_named_with_the_formats_there_are() {
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "-o", "xml=out.xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown report format \"xml\"; the formats are csv, github, html, json, junit, markdown, ndjson, sarif, table",
        ));
    assert!(!std::path::Path::new("xml=out.xml").exists());
}

#[test]
fn a_relative_since_says_what_it_came_to_and_warns_when_it_leaves_out_every_record() {
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "--since", "2h"])
        .assert()
        .success()
        .stderr(predicate::str::is_match(
            r"iothub-triage: note: --since 2h is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(2h before now\)",
        ).expect("a pattern"))
        .stderr(predicate::str::contains(
            "leaves out every record: the log runs from 2026-03-02T08:00:05Z to 2026-03-02T10:02:11Z",
        ));
    // An absolute window over the log says nothing.
    triage()
        .args([
            "analyze",
            "fixtures/shapes/PT1H.json",
            "--since",
            "2026-03-02",
        ])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn last_counts_back_from_the_end_of_the_log_in_analyze_and_timeline() {
    let report = analyze_json(&["fixtures/shapes/PT1H.json", "--last", "30m"]);
    assert_eq!(report["summary"]["records_analyzed"], 1);
    assert_eq!(report["summary"]["first_event"], "2026-03-02T10:02:11Z");
    triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "--last", "30m"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "--last 30m is from 2026-03-02T09:32:11Z on (30m before the log's latest record, 2026-03-02T10:02:11Z)",
        ));
    triage()
        .args([
            "timeline",
            "pump-0042",
            "fixtures/shapes/PT1H.json",
            "--last",
            "1h",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("pump-0042: 3 events"));
    triage()
        .args([
            "timeline",
            "pump-0042",
            "fixtures/shapes/PT1H.json",
            "--since",
            "2026-03-02T09:10:00Z",
            "--until",
            "2026-03-02T09:10:30Z",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("pump-0042: 2 events"));
    triage()
        .args(["analyze", "-", "--last", "1h"])
        .pipe_stdin("fixtures/shapes/PT1H.json")
        .expect("the sample")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "standard input can be read only once",
        ));
}

#[test]
fn a_spreadsheet_csv_with_semicolons_and_dotted_dates_is_read_without_flags() {
    let csv = "TimeGenerated [UTC];OperationName;Category;Level;ResultType;properties_s\r\n\
        21.09.2021 22:16:00;deviceConnect;Connections;Information;;\"{\"\"deviceId\"\":\"\"pump-1\"\"}\"\r\n\
        21.09.2021 22:17:30;deviceDisconnect;Connections;Error;404104;\"{\"\"deviceId\"\":\"\"pump-1\"\"}\"\r\n";
    let dir = folder("semicolon", &[("export.csv", csv.as_bytes())]);
    let report = analyze_json(&[dir.join("export.csv").to_str().expect("UTF-8")]);
    assert_eq!(report["summary"]["records_analyzed"], 2, "{report}");
    assert_eq!(report["summary"]["first_event"], "2021-09-21T22:16:00Z");
    assert_eq!(report["devices"][0]["codes"][0]["code"], "404104");
}

#[test]
fn a_note_beside_a_query_result_in_a_folder_is_passed_over() {
    let result = std::fs::read("fixtures/kql/takeovers-result.json").expect("the result");
    let dir = folder(
        "result",
        &[("result.json", &result), ("notes.txt", b"ran at 9\n")],
    );
    triage()
        .args(["analyze", dir.to_str().expect("UTF-8")])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Findings read from a query result: 12",
        ))
        .stderr(predicate::str::contains(
            "notes.txt: skipped: neither findings nor a log",
        ));
}

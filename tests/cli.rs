//! The command line as users run it: every export shape, the reports, the errors and the
//! exit codes, over the fixtures in `fixtures/`.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// The binary, with a fixed environment so output does not depend on the caller's shell.
fn triage() -> Command {
    let mut command = Command::cargo_bin("iothub-triage").expect("binary is built");
    command.env_remove("COLUMNS").env_remove("NO_COLOR");
    command
}

/// Runs `analyze --format json` and parses the report.
fn analyze_json(args: &[&str]) -> Value {
    let output = triage()
        .arg("analyze")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
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
];

#[test]
fn every_shape_gives_the_same_per_device_result() {
    let baseline = analyze_json(&["fixtures/shapes/PT1H.json"]);
    for (file, flags, _) in SHAPES {
        let mut args = vec![*file];
        args.extend_from_slice(flags);
        let report = analyze_json(&args);
        assert_eq!(report["devices"], baseline["devices"], "{file}");
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
            ("gw-edge-01", "high"),
            ("sensor-17", "high"),
            ("meter-9", "medium"),
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
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn json_report_of_the_storage_sample() {
    let output = triage()
        .args(["analyze", "fixtures/shapes/PT1H.json", "--format", "json"])
        .output()
        .expect("runs");
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
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
fn exits_2_when_a_directory_is_given_as_a_file() {
    triage()
        .args(["analyze", "fixtures"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "fixtures: is a directory, not a log file",
        ));
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
fn explain_gives_cause_resolution_and_link() {
    let output = triage().args(["explain", "404104"]).output().expect("runs");
    assert!(output.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
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

//! The corpus of broken inputs in `fixtures/broken/`: for each file, what the tool decided
//! (skipped with a reason, repaired, or refused with exit 2), asserted to the exact stderr
//! lines and the counts of the JSON summary. The files already covered by `tests/cli.rs`
//! are not tested again here.

use super::harness::{Ran, Triage};
use serde_json::Value;
use std::io::Write;

/// The warning for a file of error records only.
const ERRORS_ONLY: &str = "iothub-triage: warning: the input holds only error records (exported with Level == \"Error\"?): offline devices and credential failures cannot be told from it and device states are unknown (renewal, flapping, duplicates and incidents are still found); export every level for a full diagnosis: AzureDiagnostics | where ResourceType == \"IOTHUBS\" and Category == \"Connections\"";

/// Runs `analyze --format json` on a fixture of `fixtures/broken/` with extra flags.
fn analyze(file: &str, flags: &[&str]) -> Ran {
    analyze_path(&format!("fixtures/broken/{file}"), flags)
}

fn analyze_path(path: &str, flags: &[&str]) -> Ran {
    Triage::new()
        .args(["analyze", path, "--format", "json"])
        .args(flags)
        .run()
}

/// The first and last event of each device, sorted by device id.
fn spans(report: &Value) -> Vec<(String, String, String)> {
    let mut spans: Vec<(String, String, String)> = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| {
            let text = |key: &str| d[key].as_str().unwrap_or_default().to_string();
            (text("device_id"), text("first_seen"), text("last_seen"))
        })
        .collect();
    spans.sort();
    spans
}

/// The codes each device has, with their counts, sorted by device id.
fn codes(report: &Value) -> Vec<(String, String, u64)> {
    let mut codes = Vec::new();
    for device in report["devices"].as_array().expect("devices") {
        for code in device["codes"].as_array().expect("codes") {
            codes.push((
                device["device_id"].as_str().unwrap_or_default().to_string(),
                code["code"].as_str().unwrap_or_default().to_string(),
                code["count"].as_u64().unwrap_or_default(),
            ));
        }
    }
    codes.sort();
    codes
}

fn owned(items: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    items
        .iter()
        .map(|(a, b, n)| ((*a).to_string(), (*b).to_string(), *n))
        .collect()
}

/// pump-0042 connects, drops with 404104 and reconnects: the three records most fixtures
/// are made of.
fn three_records(report: &Value) {
    assert_eq!(
        spans(report),
        [(
            "pump-0042".to_string(),
            "2026-03-02T08:00:05Z".to_string(),
            "2026-03-02T09:05:26Z".to_string()
        )]
    );
    assert_eq!(codes(report), owned(&[("pump-0042", "404104", 1)]));
}

#[test]
fn whitespace_only_warns_that_the_input_is_empty_and_reports_nothing() {
    analyze("whitespace-only.json", &[])
        .exits(0)
        .stderr_is(&[
            "iothub-triage: warning: fixtures/broken/whitespace-only.json: the input is empty: no records",
        ])
        .counts_are([0, 0, 0, 0])
        .shape("empty");
}

#[test]
fn a_utf8_bom_before_json_lines_is_dropped_and_every_line_read() {
    let run = analyze("bom-json-lines.json", &[]);
    run.exits(0)
        .stderr_is(&[])
        .counts_are([3, 0, 0, 3])
        .shape("json-lines");
    three_records(&run.json());
}

#[test]
fn a_utf16_file_exits_2_and_says_how_to_convert_it() {
    analyze("utf16le-bom.json", &[])
        .exits(2)
        .no_report()
        .stderr_is(&[
            "iothub-triage: error: fixtures/broken/utf16le-bom.json: the file is UTF-16 encoded; convert it to UTF-8 (for example with iconv -f UTF-16 -t UTF-8)",
        ]);
}

#[test]
fn invalid_utf8_in_a_value_skips_its_line_unless_the_value_is_one_never_read() {
    let run = analyze("invalid-utf8.json", &[]);
    // Line 2 has the bad byte in `level`, line 3 inside `properties` (serde_json names the
    // place of the escape after it), line 4 in `location`, which is never read.
    run.exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 2 malformed records:",
            "  fixtures/broken/invalid-utf8.json:2: invalid JSON: invalid unicode code point at column 252",
            "  fixtures/broken/invalid-utf8.json:3: invalid JSON: invalid unicode code point at column 322",
        ])
        .counts_are([5, 2, 0, 3]);
    assert_eq!(
        codes(&run.json()),
        owned(&[("meter-9", "500008", 1)]),
        "the record with a bad byte in location is analyzed"
    );
}

#[test]
fn a_last_line_cut_off_mid_record_is_skipped_and_the_lines_before_it_kept() {
    let run = analyze("truncated-last-line.json", &[]);
    run.exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 1 malformed record:",
            "  fixtures/broken/truncated-last-line.json:3: invalid JSON: EOF while parsing a string at column 120",
        ])
        .counts_are([3, 1, 0, 2]);
    assert_eq!(codes(&run.json()), owned(&[("pump-0042", "404104", 1)]));
}

#[test]
fn crlf_line_ends_in_json_lines_read_like_lf() {
    let run = analyze("crlf-json-lines.json", &[]);
    run.exits(0)
        .stderr_is(&[])
        .counts_are([3, 0, 0, 3])
        .shape("json-lines");
    three_records(&run.json());
}

#[test]
fn ten_thousand_open_brackets_end_the_input_with_a_reason_not_a_crash() {
    // The one element is counted twice: as an array that is no record, then as the break
    // inside it (reported to the lead; see the README of fixtures/).
    analyze("deeply-nested.json", &[])
        .exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 2 malformed records:",
            "  fixtures/broken/deeply-nested.json: record 1: an array is not a record object",
            "  fixtures/broken/deeply-nested.json: record 2: invalid JSON, the rest of the input is unreadable: EOF while parsing a list at line 1 column 10000",
        ])
        .counts_are([2, 2, 0, 0])
        .shape("json-array");
}

#[test]
fn deep_nesting_in_a_line_is_skipped_where_read_and_passed_over_where_ignored() {
    // Line 2 nests 1000 levels in a key the tool ignores, line 3 in `resultType`.
    let run = analyze("deeply-nested-line.json", &[]);
    run.exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 1 malformed record:",
            "  fixtures/broken/deeply-nested-line.json:3: invalid JSON: recursion limit exceeded at column 395",
        ])
        .counts_are([4, 1, 0, 3]);
    three_records(&run.json());
}

#[test]
fn properties_that_are_not_a_json_object_skip_the_record_with_the_reason() {
    let run = analyze("properties-not-json.json", &[]);
    run.exits(0)
        .stderr_is(&[
            ERRORS_ONLY,
            "iothub-triage: skipped 5 malformed records:",
            "  fixtures/broken/properties-not-json.json:1: properties is not valid JSON (expected value at line 1 column 1)",
            "  fixtures/broken/properties-not-json.json:2: properties is not valid JSON (EOF while parsing an object at line 1 column 23)",
            "  fixtures/broken/properties-not-json.json:3: properties is not a JSON object",
            "  fixtures/broken/properties-not-json.json:4: properties is not a JSON object",
            "  fixtures/broken/properties-not-json.json:5: properties is not a JSON object",
        ])
        .counts_are([6, 5, 0, 1]);
    // An object instead of a string of JSON is read as well.
    assert_eq!(codes(&run.json()), owned(&[("pump-0042", "404104", 1)]));
}

#[test]
fn a_result_type_written_as_a_number_is_read_as_its_code() {
    let run = analyze("result-type-number.json", &[]);
    run.exits(0)
        .stderr_is(&[ERRORS_ONLY])
        .counts_are([4, 0, 0, 4]);
    let report = run.json();
    assert_eq!(
        codes(&report),
        owned(&[
            ("gw-edge-01", "true", 1),
            ("meter-9", "500008", 1),
            ("pump-0042", "404104", 1),
            ("sensor-17", "400027", 1),
        ]),
        "404104 and 400027.0 as numbers, true as its text"
    );
    let not_a_code = report["summary"]["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["code"] == "true")
        .cloned()
        .expect("true is listed");
    assert_eq!(not_a_code["name"], "NotAnErrorCode");
    assert_eq!(not_a_code["known"], false);
}

#[test]
fn records_without_a_device_id_are_skipped_with_the_reason() {
    // No deviceId in properties, no properties, a null and an empty deviceId.
    analyze("missing-device-id.json", &[])
        .exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 4 malformed records:",
            "  fixtures/broken/missing-device-id.json:2: no deviceId (neither in properties nor in a column)",
            "  fixtures/broken/missing-device-id.json:3: no deviceId (neither in properties nor in a column)",
            "  fixtures/broken/missing-device-id.json:4: no deviceId (neither in properties nor in a column)",
            "  fixtures/broken/missing-device-id.json:5: no deviceId (neither in properties nor in a column)",
        ])
        .counts_are([5, 4, 0, 1]);
}

#[test]
fn missing_and_unreadable_times_skip_the_record_with_the_value() {
    let run = analyze("bad-times.json", &[]);
    run.exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 6 malformed records:",
            "  fixtures/broken/bad-times.json:2: no time",
            "  fixtures/broken/bad-times.json:3: no time",
            "  fixtures/broken/bad-times.json:4: unreadable time \"yesterday\"",
            "  fixtures/broken/bad-times.json:5: unreadable time \"2026-02-30T09:05:00Z\"",
            "  fixtures/broken/bad-times.json:6: unreadable time \"2026-03-02T25:05:00Z\"",
            "  ... and 1 more (all listed under \"problems\" with --format json)",
        ])
        .counts_are([7, 6, 0, 1]);
    let report = run.json();
    assert_eq!(report["problems"][5]["line"], 7);
    assert_eq!(
        report["problems"][5]["message"], "unreadable time \"1772442300\"",
        "a Unix time is not taken for one"
    );
}

#[test]
fn times_with_0_to_7_fraction_digits_and_any_offset_are_read_as_utc() {
    let run = analyze("time-formats.json", &[]);
    run.exits(0).stderr_is(&[]).counts_are([12, 0, 0, 12]);
    let expected = [
        ("t-0", "2026-03-02T08:00:05Z"),
        ("t-1", "2026-03-02T08:00:06.100Z"),
        ("t-10", "2026-03-02T08:00:15Z"),
        ("t-11", "2026-03-02T08:00:16Z"),
        ("t-2", "2026-03-02T08:00:07.120Z"),
        ("t-3", "2026-03-02T08:00:08.123Z"),
        ("t-4", "2026-03-02T08:00:09.123400Z"),
        ("t-5", "2026-03-02T08:00:10.123450Z"),
        ("t-6", "2026-03-02T08:00:11.123456Z"),
        ("t-7", "2026-03-02T08:00:12.123456700Z"),
        ("t-8", "2026-03-02T08:00:13Z"),
        ("t-9", "2026-03-02T08:00:14.500Z"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(id, time)| ((*id).to_string(), (*time).to_string(), (*time).to_string()))
        .collect();
    assert_eq!(spans(&run.json()), expected);
}

#[test]
fn exact_duplicate_records_are_analyzed_once_and_the_repeats_filtered() {
    let run = analyze("duplicates.json", &[]);
    run.exits(0).stderr_is(&[]).counts_are([6, 0, 3, 3]);
    let report = run.json();
    assert_eq!(
        report["summary"]["filtered"],
        serde_json::json!([{
            "reason": "exact duplicate of an earlier record (same time, device, operation, code)",
            "count": 3
        }])
    );
    three_records(&report);
    analyze("duplicates.json", &["--keep-duplicates"]).counts_are([6, 0, 0, 6]);
}

#[test]
fn csv_columns_are_found_by_name_in_any_order() {
    let run = analyze("csv-column-order.csv", &[]);
    run.exits(0)
        .stderr_is(&[])
        .counts_are([4, 0, 0, 4])
        .shape("csv");
    assert_eq!(
        codes(&run.json()),
        owned(&[("meter-9", "500008", 1), ("pump-0042", "404104", 1)])
    );
}

#[test]
fn a_csv_without_device_columns_skips_every_row_with_the_reason() {
    // Neither properties_s nor DeviceId: each row is skipped, not the file refused.
    analyze("csv-missing-columns.csv", &[])
        .exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 4 malformed records:",
            "  fixtures/broken/csv-missing-columns.csv:2: no deviceId (neither in properties nor in a column)",
            "  fixtures/broken/csv-missing-columns.csv:3: no deviceId (neither in properties nor in a column)",
            "  fixtures/broken/csv-missing-columns.csv:4: no deviceId (neither in properties nor in a column)",
            "  fixtures/broken/csv-missing-columns.csv:5: no deviceId (neither in properties nor in a column)",
        ])
        .counts_are([4, 4, 0, 0])
        .shape("csv");
}

#[test]
fn a_records_body_followed_by_json_lines_reads_both() {
    let run = analyze("records-then-lines.json", &[]);
    run.exits(0)
        .stderr_is(&[])
        .counts_are([4, 0, 0, 4])
        .shape("records");
    assert_eq!(
        codes(&run.json()),
        owned(&[("meter-9", "500008", 1), ("pump-0042", "404104", 1)])
    );
}

#[test]
fn csv_after_json_lines_is_skipped_line_by_line_and_the_json_kept() {
    // Each CSV line is one skipped line (not a run of stray JSON values such as `2026`).
    let run = analyze("lines-then-csv.json", &[]);
    run.exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 2 malformed records:",
            "  fixtures/broken/lines-then-csv.json:4: not a JSON record: the line starts with \"TimeGenerated [UTC],Oper\"",
            "  fixtures/broken/lines-then-csv.json:5: not a JSON record: the line starts with \"2026-03-02T09:31:55Z,dev\"",
        ])
        .counts_are([5, 2, 0, 3])
        .shape("json-lines");
    three_records(&run.json());
}

#[test]
fn a_png_exits_2_as_binary_data() {
    analyze("not-a-log.png", &[])
        .exits(2)
        .no_report()
        .stderr_is(&[
            "iothub-triage: error: fixtures/broken/not-a-log.png: it holds binary data, not a log export",
        ]);
}

/// A connect, one line of `size` bytes (a record padded with `x`), and a reconnect,
/// written in pieces of 1 MiB.
fn write_with_a_long_line(path: &std::path::Path, size: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("created"));
    let record = |time: &str, operation: &str, code: &str| {
        format!(
            r#"{{"time":"{time}","operationName":"{operation}","category":"Connections","level":"Information","resultType":"{code}","properties":"{{\"deviceId\":\"pump-0042\"}}"}}"#
        )
    };
    writeln!(
        file,
        "{}",
        record("2026-03-02T08:00:05Z", "deviceConnect", "")
    )
    .expect("written");
    let head = r#"{"time":"2026-03-02T09:05:00Z","operationName":"deviceDisconnect","category":"Connections","level":"Error","resultType":"404104","properties":"{\"deviceId\":\"pump-0042\"}","padding":""#;
    let tail = "\"}\n";
    file.write_all(head.as_bytes()).expect("written");
    let piece = vec![b'x'; 1 << 20];
    let mut left = size - head.len() - (tail.len() - 1);
    while left > 0 {
        let n = left.min(piece.len());
        file.write_all(&piece[..n]).expect("written");
        left -= n;
    }
    file.write_all(tail.as_bytes()).expect("written");
    writeln!(
        file,
        "{}",
        record("2026-03-02T09:05:26Z", "deviceConnect", "")
    )
    .expect("written");
    file.flush().expect("written");
}

#[test]
fn a_line_longer_than_max_record_size_is_skipped_with_its_length_and_reading_goes_on() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("a-50-mb-line.json");
    let size = 50 << 20;
    write_with_a_long_line(&path, size);
    let name = path.to_string_lossy().to_string();
    let run = analyze_path(&name, &["--max-record-size", "1MiB"]);
    run.exits(0)
        .stderr_is(&[
            "iothub-triage: skipped 1 malformed record:",
            &format!(
                "  {name}:2: line is 52428800 bytes, longer than --max-record-size (1048576 bytes)"
            ),
        ])
        .counts_are([3, 1, 0, 2]);
    assert_eq!(run.json()["problems"][0]["line"], 2);
    analyze_path(&name, &["--max-record-size", "1MiB", "--strict"])
        .exits(2)
        .no_report()
        .stderr_is(&[&format!(
            "iothub-triage: error: {name}:2: line is 52428800 bytes, longer than --max-record-size (1048576 bytes) (--strict stops at the first malformed record)"
        )]);
    let _ = std::fs::remove_file(&path);
}

//! The sources beyond the resource-log exports: Event Hubs Capture and routing Avro
//! files (one written by fastavro), Event Grid and routed connection-state events, the
//! `connectedDeviceCount` metric, and a folder mixing them with a storage blob.

use super::{analyze_json, device, triage, without_locations};
use serde_json::Value;

const SOURCES: &str = "fixtures/sources";

fn source(name: &str) -> String {
    format!("{SOURCES}/{name}")
}

/// `analyze --format json`, with what it said on stderr.
fn analyze_with_stderr(args: &[&str]) -> (Value, String) {
    let output = triage()
        .arg("analyze")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (
        serde_json::from_slice(&output.stdout).expect("the report is JSON"),
        stderr,
    )
}

fn reconciles(report: &Value) {
    let summary = &report["summary"];
    let count = |key: &str| summary[key].as_u64().expect("a count");
    assert_eq!(
        count("records_read"),
        count("records_skipped") + count("records_filtered") + count("records_analyzed")
    );
    for input in report["inputs"].as_array().expect("inputs") {
        let count = |key: &str| input[key].as_u64().expect("a count");
        assert_eq!(
            count("records_read"),
            count("records_skipped") + count("records_filtered") + count("records_analyzed"),
            "{input}"
        );
    }
}

fn shapes(report: &Value) -> Vec<(String, String)> {
    report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|input| {
            let name = input["source"].as_str().unwrap_or_default();
            let name = name.rsplit('/').next().unwrap_or_default().to_string();
            (
                name,
                input["shape"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn insight_summaries(report: &Value) -> Vec<String> {
    let devices = report["devices"].as_array().expect("devices");
    devices
        .iter()
        .flat_map(|d| d["insights"].as_array().expect("insights"))
        .chain(report["insights"].as_array().expect("insights"))
        .map(|i| i["summary"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_capture_file_written_by_fastavro_gives_the_storage_blobs_result() {
    let baseline = analyze_json(&["fixtures/shapes/PT1H.json"]);
    let report = analyze_json(&[&source("capture-fastavro.avro")]);
    assert_eq!(
        shapes(&report),
        [("capture-fastavro.avro".into(), "avro".into())]
    );
    assert_eq!(
        without_locations(report["devices"].clone()),
        without_locations(baseline["devices"].clone())
    );
    assert_eq!(report["summary"]["codes"], baseline["summary"]["codes"]);
    assert_eq!(report["summary"]["records_read"], 12);
    reconciles(&report);
}

#[test]
fn an_empty_capture_file_is_an_input_without_records_and_without_a_warning() {
    let (report, stderr) = analyze_with_stderr(&[&source("capture-empty.avro")]);
    assert_eq!(
        shapes(&report),
        [("capture-empty.avro".into(), "avro".into())]
    );
    assert_eq!(report["summary"]["records_read"], 0);
    assert_eq!(stderr, "");
}

#[test]
fn a_directory_mixing_a_storage_blob_avro_and_event_grid_is_one_fleet() {
    let baseline = analyze_json(&["fixtures/shapes/PT1H.json"]);
    let (report, stderr) = analyze_with_stderr(&[&source("mixed")]);
    // The Capture file is named as routing names its files, without `.avro`: it is
    // taken by its content.
    assert_eq!(
        shapes(&report),
        [
            ("03".into(), "avro".into()),
            ("PT1H.json".into(), "json-lines".into()),
            ("eventgrid.json".into(), "state-events".into()),
        ]
    );
    assert!(!stderr.contains("not named like a log export"), "{stderr}");
    assert!(stderr.contains("1 of 3 inputs"), "{stderr}");
    reconciles(&report);
    assert_eq!(report["summary"]["records_read"], 15);
    assert_eq!(report["summary"]["devices"], 7);
    // The scenario's devices, split across the blob and the Capture file, read as one.
    let scenario: Vec<Value> = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| !d["device_id"].as_str().unwrap_or("").starts_with("door-"))
        .cloned()
        .collect();
    assert_eq!(
        without_locations(Value::Array(scenario)),
        without_locations(baseline["devices"].clone())
    );
    let door = device(&report, "door-2");
    assert_eq!(door["last_state"], "disconnected");
    assert_eq!(door["codes"], serde_json::json!([]));
    let coverage = &report["inputs"][2]["coverage"];
    assert_eq!(coverage["records"], "state_events");
    assert_eq!(coverage["codes"], "not_in_source");
    assert_eq!(report["summary"]["coverage"]["records"], "all");
    assert_eq!(report["summary"]["coverage"]["state_events"], 3);
}

#[test]
fn event_grid_events_give_sessions_and_offline_devices_but_no_codes() {
    let (report, stderr) = analyze_with_stderr(&[&source("eventgrid.json")]);
    reconciles(&report);
    assert_eq!(report["summary"]["records_analyzed"], 6);
    assert_eq!(
        report["summary"]["records_skipped"], 0,
        "not 'record 1: no time'"
    );
    assert_eq!(report["summary"]["codes"], serde_json::json!([]));
    assert_eq!(report["summary"]["coverage"]["records"], "state_events");
    assert_eq!(report["summary"]["coverage"]["device_state"], "known");
    assert!(stderr.contains("about once a minute"), "{stderr}");
    assert!(stderr.contains("not in this source"), "{stderr}");
    let module = device(&report, "gw-edge-01");
    assert_eq!(module["module_id"], "telemetryFilter");
    assert_eq!(module["last_state"], "disconnected");
    let offline = &module["insights"][0];
    assert_eq!(offline["kind"], "offline");
    // A state event says the device went, not how.
    let summary = offline["summary"].as_str().unwrap_or_default();
    assert!(summary.starts_with("Disconnected at "), "{summary}");
    let pump = device(&report, "pump-0042");
    assert_eq!(
        (pump["connects"].as_u64(), pump["disconnects"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(pump["last_state"], "connected");
    // The curve is drawn from the states.
    assert!(
        !report["connected_devices"]["points"]
            .as_array()
            .expect("points")
            .is_empty()
    );
}

#[test]
fn cloud_events_and_monitor_events_read_as_state_events() {
    for (file, device_id, events) in [
        ("cloudevents.json", "pump-0042", 2),
        ("monitor-events.json", "meter-9", 2),
    ] {
        let report = analyze_json(&[&source(file)]);
        assert_eq!(shapes(&report)[0].1, "state-events", "{file}");
        assert_eq!(device(&report, device_id)["events"], events, "{file}");
        assert_eq!(report["summary"]["records_skipped"], 0, "{file}");
        reconciles(&report);
    }
}

#[test]
fn routed_state_events_in_avro_find_the_device_that_went_offline() {
    let report = analyze_json(&[&source("routing-state-events.avro")]);
    assert_eq!(report["summary"]["coverage"]["records"], "state_events");
    assert_eq!(device(&report, "valve-3")["last_state"], "connected");
    assert_eq!(device(&report, "valve-4")["last_state"], "disconnected");
}

#[test]
fn changes_a_minute_apart_are_never_claimed_as_flapping_within_the_minute() {
    // A poll a minute that saw the device go and come back, fifteen times: the events
    // of each poll share their millisecond.
    let mut events = Vec::new();
    for minute in 0..15 {
        for (kind, millis, sequence) in [
            ("Disconnected", 100, 2 * minute + 1),
            ("Connected", 118, 2 * minute + 2),
        ] {
            events.push(format!(
                r#"{{"eventType":"Microsoft.Devices.Device{kind}","eventTime":"2026-03-02T08:{minute:02}:00.{millis:03}Z","data":{{"deviceId":"pump-1","deviceConnectionStateEventInfo":{{"sequenceNumber":"{sequence:064X}"}}}}}}"#
            ));
        }
    }
    let path =
        std::env::temp_dir().join(format!("iothub-triage-{}-polls.json", std::process::id()));
    std::fs::write(&path, format!("[{}]", events.join(","))).expect("writes");
    let (report, _) = analyze_with_stderr(&[&path.display().to_string()]);
    let _ = std::fs::remove_file(&path);
    let said = insight_summaries(&report);
    assert!(
        !said.iter().any(|s| s.starts_with("Flapping:")),
        "rapid flapping needs changes faster than the polls: {said:?}"
    );
}

#[test]
fn the_metric_is_kept_beside_the_curve_and_warns_where_the_logs_miss_devices() {
    let (agreeing, stderr) =
        analyze_with_stderr(&["fixtures/shapes/PT1H.json", &source("metrics-az.json")]);
    assert!(!stderr.contains("connectedDeviceCount"), "{stderr}");
    let metric = &agreeing["connected_devices"]["metric"];
    assert_eq!(metric["name"], "connectedDeviceCount");
    assert_eq!(metric["interval_seconds"], 300);
    assert_eq!(metric["points"].as_array().expect("points").len(), 25);
    assert_eq!(metric["divergences"], serde_json::json!([]));
    assert_eq!(agreeing["inputs"][1]["shape"], "metrics");
    assert_eq!(agreeing["summary"]["records_read"], 12);
    reconciles(&agreeing);

    let (diverging, stderr) = analyze_with_stderr(&[
        "fixtures/shapes/PT1H.json",
        &source("metrics-rest-diverging.json"),
    ]);
    let divergences = diverging["connected_devices"]["metric"]["divergences"]
        .as_array()
        .expect("divergences");
    assert_eq!(divergences.len(), 1);
    assert_eq!(divergences[0]["direction"], "metric_above_logs");
    assert!(
        stderr.contains("the logs miss devices or records"),
        "{stderr}"
    );
    let warnings = diverging["warnings"].to_string();
    assert!(
        warnings.contains("connectedDeviceCount metric is above"),
        "{warnings}"
    );

    for (format, line) in [
        (
            "table",
            "Hub metric: connectedDeviceCount metric: 25 points every 300s, 9 to 12 devices; parts from the logs once",
        ),
        (
            "markdown",
            "Hub metric: connectedDeviceCount metric: 25 points every 300s",
        ),
    ] {
        let output = triage()
            .args([
                "analyze",
                "fixtures/shapes/PT1H.json",
                &source("metrics-rest-diverging.json"),
            ])
            .args(["--format", format])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(line), "{format}: {text}");
    }
}

#[test]
fn a_metric_alone_is_kept_and_said_to_be_uncompared() {
    let (report, stderr) = analyze_with_stderr(&[&source("metrics-az.json")]);
    assert_eq!(report["summary"]["records_read"], 0);
    assert!(
        stderr.contains("no successful connects to compare it with"),
        "{stderr}"
    );
    assert_eq!(
        report["connected_devices"]["metric"]["points"][0]["logs_max"],
        Value::Null
    );
}

#[test]
fn avro_entries_of_a_zip_are_read_beside_the_blobs() {
    use std::io::Write as _;
    let avro = std::fs::read(source("capture-fastavro.avro")).expect("fixture");
    let events = std::fs::read(source("mixed/eventgrid.json")).expect("fixture");
    let path =
        std::env::temp_dir().join(format!("iothub-triage-{}-sources.zip", std::process::id()));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("creates"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [
        ("hub/0/2026/03/02/10/05.avro", &avro[..]),
        ("grid/events.json", &events[..]),
    ] {
        zip.start_file(name, options).expect("zip");
        zip.write_all(bytes).expect("zip");
    }
    zip.finish().expect("zip");
    let report = analyze_json(&[&path.display().to_string()]);
    let _ = std::fs::remove_file(&path);
    let mut found: Vec<String> = shapes(&report)
        .into_iter()
        .map(|(_, shape)| shape)
        .collect();
    found.sort();
    assert_eq!(found, ["avro", "state-events"]);
    assert_eq!(report["summary"]["records_read"], 15);
    reconciles(&report);
}

#[test]
fn the_timeline_of_an_event_grid_device_shows_its_sessions() {
    let output = triage()
        .args([
            "timeline",
            "pump-0042",
            &source("eventgrid.json"),
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let timeline: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let sessions = timeline["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["duration_seconds"], 4207);
    assert_eq!(sessions[0]["ended_by"], Value::Null);
    assert_eq!(sessions[1]["to"], Value::Null, "still connected at the end");
}

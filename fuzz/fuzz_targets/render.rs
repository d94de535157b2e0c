//! Hostile text through the text reports. The fuzz bytes (as text, invalid UTF-8
//! replaced) are cut at each `\u{1F}` into an input name, a device id, a `ResultType`
//! and an SDK version; the device connects, then drops twice with the code, and the
//! report is rendered as the table, `github`, `markdown` and `junit`.
//!
//! No control character but the line end (and the tab in XML), and none of the
//! invisible characters the escaping shows (bidi overrides, zero-width characters,
//! U+2028), may reach any of them; and each must render in time proportional to the text (a quadratic path shows
//! as a timeout on long inputs). The same report as `--format json` must be byte for
//! byte what serde_json's pretty printer writes: the JSON report has a serializer of
//! its own.

#![no_main]

use iothub_triage::analysis::diagnosis::Thresholds;
use iothub_triage::analysis::{Analyzer, Filter};
use iothub_triage::input::{Outcome, Shape, Sink, parse_rfc3339};
use iothub_triage::model::{Level, Operation, Position, Record};
use iothub_triage::escape::is_deceptive;
use iothub_triage::report::table::Style;
use iothub_triage::report::{Render, RenderOptions, github, json, junit, markdown, table};
use libfuzzer_sys::fuzz_target;

fn record(at: &str, device: &str, code: Option<&str>, sdk: &str) -> Record {
    Record {
        time: parse_rfc3339(at).expect("a test time"),
        device_id: device.into(),
        module_id: None,
        operation: if code.is_some() {
            Operation::Disconnect
        } else {
            Operation::Connect
        },
        level: if code.is_some() {
            Level::Error
        } else {
            Level::Information
        },
        code: code.map(Into::into),
        protocol: Some("Mqtt".into()),
        masked_ip: None,
        sdk_version: (!sdk.is_empty()).then(|| sdk.into()),
        state_event: false,
    }
}

fn assert_shown(format: &str, bytes: &[u8]) {
    let text = String::from_utf8(bytes.to_vec()).expect("reports are UTF-8");
    // XML carries a tab as it is, and a tab runs nothing.
    let kept = |c: char| c == '\n' || (c == '\t' && format == "junit");
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && !kept(c)) || is_deceptive(c))
        .collect();
    assert!(raw.is_empty(), "{format} passed {raw:?} through");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut pieces = text.split('\u{1F}');
    let source = pieces.next().unwrap_or_default();
    let device = pieces.next().unwrap_or("d");
    let code = pieces.next().unwrap_or("404104").trim();
    let sdk = pieces.next().unwrap_or_default();
    if device.is_empty() {
        return;
    }
    let code = (!code.is_empty()).then_some(code);
    let mut analyzer = Analyzer::new(Thresholds::default(), Filter::default());
    let input = analyzer.begin_input(source.to_string());
    for (line, (at, code)) in [
        ("2026-03-02T08:00:00Z", None),
        ("2026-03-02T08:01:00Z", code),
        ("2026-03-02T09:01:00Z", code),
    ]
    .into_iter()
    .enumerate()
    {
        analyzer.outcome(
            Position::line(input, line as u64 + 1),
            Outcome::Record(record(at, device, code, sdk)),
        );
    }
    analyzer.end_input(input, Shape::JsonLines);
    let report = analyzer.finish();
    let options = RenderOptions {
        style: Style {
            width: 80,
            color: false,
            hyperlinks: false,
            top: 0,
        },
        ..RenderOptions::default()
    };
    let renderers: [(&str, Render); 4] = [
        ("table", table::render),
        ("github", github::render),
        ("markdown", markdown::render),
        ("junit", junit::render),
    ];
    for (format, render) in renderers {
        let mut out = Vec::new();
        render(&report, &options, &mut out).expect("renders");
        assert_shown(format, &out);
    }
    let mut out = Vec::new();
    json::render(&report, &options, &mut out).expect("renders");
    let expected = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
    assert!(out == expected.as_bytes(), "the JSON report differs from serde_json's");
});

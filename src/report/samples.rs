//! Reports the renderers' tests share: fixtures, a hostile device id, synthetic
//! fleets, so that each renderer's tests build their reports the same way.

use crate::analysis::Analyzer;
use crate::analysis::report::Report;
use crate::input::{self, Source};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A device id built to break every output format: a CSV formula, Markdown table
/// and link syntax, HTML, XML entities and quotes, and a newline followed by a
/// GitHub workflow command.
pub const HOSTILE_ID: &str = "=cmd|' /C calc'!A0<script>&\"\n::error::x|*_[a](b)";

/// What a renderer writes for a report, as text.
pub fn rendered(render: super::Render, report: &Report, options: &super::RenderOptions) -> String {
    let mut out = Vec::new();
    render(report, options, &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("the output is UTF-8")
}

/// The report of one fixture, named as given (relative to the crate root).
pub fn analyze(path: &str) -> Report {
    analyze_as(path, &Source::new(path))
}

/// The report of `text` read as an input named `name`. The text goes through a
/// temporary file because the reader takes files or stdin.
pub fn analyze_text(name: &str, text: &str) -> Report {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let file: PathBuf = std::env::temp_dir().join(format!(
        "iothub-triage-report-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, text).expect("write a temporary input");
    let report = analyze_as(name, &Source::Path(file.clone()));
    let _ = std::fs::remove_file(&file);
    report
}

/// The timeline of `device` (`device/module` for a module) in one fixture.
pub fn timeline(path: &str, device: &str) -> crate::analysis::Timeline {
    let (device_id, module_id) = match device.split_once('/') {
        Some((device, module)) => (device.to_string(), Some(module.to_string())),
        None => (device.to_string(), None),
    };
    read(path, &Source::new(path))
        .timeline(&crate::analysis::DeviceKey {
            device_id,
            module_id,
        })
        .expect("the device is in the fixture")
}

fn analyze_as(name: &str, source: &Source) -> Report {
    read(name, source).finish()
}

fn read(name: &str, source: &Source) -> Analyzer {
    let mut analyzer = Analyzer::new(Default::default(), Default::default());
    let index = analyzer.begin_input(name.to_string());
    let units = input::expand(
        std::slice::from_ref(source),
        &Default::default(),
        &mut |_| {},
    )
    .expect("the test input exists");
    for unit in &units {
        let shape = input::read(unit, index, &Default::default(), &mut analyzer)
            .expect("the test input is readable");
        analyzer.end_input(index, shape);
    }
    analyzer
}

/// A report whose only device is [`HOSTILE_ID`], with one unexplained 404104.
pub fn hostile() -> Report {
    let properties = serde_json::json!({ "deviceId": HOSTILE_ID }).to_string();
    let line = serde_json::json!({
        "time": "2026-03-02T09:10:05Z",
        "operationName": "deviceDisconnect",
        "category": "Connections",
        "level": "Error",
        "resultType": "404104",
        "properties": properties,
    });
    let report = analyze_text("logs/hostile.json", &format!("{line}\n"));
    assert_eq!(report.devices.len(), 1, "the hostile record is analyzed");
    assert_eq!(report.devices[0].device_id, HOSTILE_ID);
    assert!(
        !report.findings.is_empty(),
        "the hostile device has a finding"
    );
    report
}

//! `--format json`: the report as one pretty-printed JSON document, byte for byte what
//! `serde_json::to_writer_pretty` writes (the tests hold it to that). The per-device
//! list and the findings, which make most of a large fleet's report, are rendered a
//! batch at a time on every core and written in order, so the text in hand stays small.
//! The values are written by [`pretty`], a serializer made for this.

mod escape;
mod pretty;

use super::RenderOptions;
use crate::analysis::report::Report;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};

/// Items one thread renders per round: enough to pay for the thread, few enough that a
/// round's text stays small (a device is a few kilobytes).
const BATCH: usize = 256;

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // The separators between members are small writes: buffer them.
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    let threads = rayon::current_num_threads();
    out.write_all(b"{")?;
    field(&mut out, "schema_version", &report.schema_version, true)?;
    field(&mut out, "summary", &report.summary, false)?;
    field(&mut out, "inputs", &report.inputs, false)?;
    field(&mut out, "insights", &report.insights, false)?;
    field(
        &mut out,
        "connected_devices",
        &report.connected_devices,
        false,
    )?;
    field(&mut out, "breakdown", &report.breakdown, false)?;
    list(&mut out, "devices", &report.devices, threads)?;
    field(&mut out, "cohorts", &report.cohorts, false)?;
    list(&mut out, "findings", &report.findings, threads)?;
    field(&mut out, "problems", &report.problems, false)?;
    field(&mut out, "warnings", &report.warnings, false)?;
    out.write_all(b"\n}\n")?;
    out.flush()
}

/// One member of the top-level object.
fn field<W: Write>(out: &mut W, key: &str, value: &impl Serialize, first: bool) -> io::Result<()> {
    out.write_all(if first { b"\n  \"" } else { b",\n  \"" })?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\": ")?;
    let mut text = Vec::new();
    pretty(&mut text, value, 1)?;
    out.write_all(&text)
}

/// A top-level member holding a list, its items rendered on `threads` threads.
fn list<W: Write, T: Serialize + Sync>(
    out: &mut W,
    key: &str,
    items: &[T],
    threads: usize,
) -> io::Result<()> {
    if items.is_empty() {
        return field(out, key, &items, false);
    }
    out.write_all(b",\n  \"")?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\": [")?;
    // The room a batch's text is given, per item: a sixteenth more than the most a batch
    // took so far, so that a text is written once into room of the right size rather
    // than copied each time it outgrows a guess.
    let mut room = FIRST_ROOM;
    for (round, batch) in items.chunks(BATCH * threads.max(1)).enumerate() {
        let rendered: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(BATCH)
            .map(|items| items_text(items, room))
            .collect();
        for (index, (text, items)) in rendered.into_iter().zip(batch.chunks(BATCH)).enumerate() {
            let text = text?;
            let per_item = text.len().div_ceil(items.len());
            room = room.max(per_item + per_item / 16);
            // Every item's text starts with its separator; the list's first has none.
            let skip = usize::from(round == 0 && index == 0);
            out.write_all(&text[skip..])?;
        }
    }
    out.write_all(b"\n  ]")
}

/// Bytes per item a list's first batch is given: about what a device takes.
const FIRST_ROOM: usize = 2048;

/// Items of a top-level list, each preceded by `,` and its indented line, in room for
/// `room` bytes an item.
fn items_text<T: Serialize>(items: &[T], room: usize) -> io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(items.len() * room);
    for item in items {
        text.extend_from_slice(b",\n    ");
        pretty(&mut text, item, 2)?;
    }
    Ok(text)
}

/// A value as serde_json's pretty printer writes it `depth` levels into the document.
fn pretty(out: &mut Vec<u8>, value: &impl Serialize, depth: usize) -> io::Result<()> {
    pretty::write(out, value, depth).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples::{self, HOSTILE_ID, analyze, analyze_text};

    #[test]
    fn snapshot_pt1h() {
        let report = analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(samples::rendered(
            render,
            &report,
            &RenderOptions::default()
        ));
    }

    /// Reports of every kind of content: fleet incidents, every insight, skipped
    /// records and warnings, a hostile device id.
    fn samples() -> Vec<Report> {
        let mut reports: Vec<Report> = [
            "fixtures/shapes/PT1H.json",
            "fixtures/insights/hub-incident.json",
            "fixtures/insights/token-renewal.json",
            "fixtures/insights/duplicate-identity.json",
            "fixtures/broken/malformed-lines.json",
            "fixtures/broken/duplicates.json",
        ]
        .into_iter()
        .map(analyze)
        .collect();
        let properties = serde_json::json!({ "deviceId": HOSTILE_ID }).to_string();
        let line = serde_json::json!({
            "time": "2026-03-02T09:10:04Z", "operationName": "deviceDisconnect",
            "category": "Connections", "level": "Error", "resultType": "404104",
            "properties": properties,
        });
        reports.push(analyze_text("hostile.json", &line.to_string()));
        reports
    }

    fn rendered(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, &RenderOptions::default(), &mut out).expect("renders");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_report_is_written_as_serde_json_writes_it() {
        for report in samples() {
            let expected = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
            assert_eq!(rendered(&report), expected);
        }
    }

    #[test]
    fn lists_longer_than_a_round_keep_their_order_and_separators() {
        let mut report = samples().swap_remove(0);
        let device = report.devices[0].clone();
        report.devices = (0..BATCH * 5 + 3)
            .map(|n| {
                let mut device = device.clone();
                device.device_id = format!("device-{n:05}");
                device
            })
            .collect();
        let expected = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
        for threads in [1, 2, 3] {
            let mut out = Vec::new();
            let mut writer = io::BufWriter::new(&mut out);
            list(&mut writer, "devices", &report.devices, threads).expect("renders");
            drop(writer);
            let text = String::from_utf8(out).expect("UTF-8");
            assert!(expected.contains(&text), "{threads} threads");
        }
        assert_eq!(rendered(&report), expected);
    }

    #[test]
    fn empty_lists_are_written_as_brackets() {
        let mut report = samples().swap_remove(0);
        report.devices.clear();
        report.findings.clear();
        let text = rendered(&report);
        assert!(text.contains("\n  \"devices\": [],\n"), "{text}");
        assert_eq!(
            text,
            serde_json::to_string_pretty(&report).expect("serializes") + "\n"
        );
    }
}

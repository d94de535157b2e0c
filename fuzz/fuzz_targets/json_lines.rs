//! The JSON Lines reader (storage `PT1H.json`), forced with `InputFormat::JsonLines` so
//! that detection cannot send the bytes elsewhere. The first byte is the control byte
//! (see `Plan`): how the content is handed over, and in its top bits the record-size
//! limit, from the default 64 MiB down to a few bytes, so that lines longer than the limit
//! are read past in pieces. Every line reaches the line splitter and the serde walker;
//! `properties` strings reach the nested parse.

#![no_main]

use iothub_triage::input::{InputFormat, Options};
use iothub_triage_fuzz::{Plan, feed};
use libfuzzer_sys::fuzz_target;

const LIMITS: [u64; 8] = [64 << 20, 1, 16, 64, 256, 1024, 4096, 16384];

fuzz_target!(|data: &[u8]| {
    let Some((plan, content)) = Plan::split(data) else {
        return;
    };
    let options = Options {
        format: InputFormat::JsonLines,
        max_record_size: LIMITS[usize::from(plan.extra)],
        ..Options::default()
    };
    let (_, sink) = feed(content, plan, &options, true);
    let lines = content.split(|&b| b == b'\n').count() as u64;
    for (position, _) in &sink.records {
        let line = position.line.expect("JSON Lines outcomes have a line");
        assert!(line <= lines, "line {line} of {lines}");
    }
});

//! Avro files (Event Hubs Capture, message routing): the content after the control byte
//! follows the Avro magic `Obj\x01`, so detection always sends it to the Avro reader:
//! the header's metadata and schema, the codec (null, deflate), the blocks and their
//! sync markers, each event's properties and body, and the bodies on to the JSON
//! readers. The seeds are the files of `fixtures/sources/` without their magic. Records
//! are numbered through the file; connection-state events are handed over once the file
//! is read, so the outcomes need not come in input order.

#![no_main]

use iothub_triage::input::{Options, Shape};
use iothub_triage_fuzz::{Plan, feed, framed};
use libfuzzer_sys::fuzz_target;

const LIMITS: [u64; 8] = [64 << 20, 1, 16, 64, 256, 1024, 4096, 16384];

fuzz_target!(|data: &[u8]| {
    let Some((plan, content)) = Plan::split(data) else {
        return;
    };
    let options = Options {
        max_record_size: LIMITS[usize::from(plan.extra)],
        ..Options::default()
    };
    let file = framed(b"Obj\x01", content, b"");
    let (shape, sink) = feed(&file, plan, &options, false);
    if let Ok(shape) = shape {
        assert_eq!(shape, Shape::Avro);
    }
    // Every record has its own number in the file.
    let mut numbers: Vec<u64> = sink.records.iter().filter_map(|(p, _)| p.record).collect();
    let count = numbers.len();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), count, "two outcomes share a record number");
});

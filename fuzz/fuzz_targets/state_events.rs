//! Connection-state events: Event Grid, CloudEvents, `monitor-events` and routed
//! messages. The top two bits of the control byte choose the key the content follows
//! (`[{"eventType":`, `{"specversion":`, `{"event":` or `{"opType":`), so detection sends
//! it to the state-event reader; the content is the rest of the events, any number of
//! values after them, broken JSON, values past the record-size limit (chosen by the
//! third bit). Events are put in sequence-number order once read, so outcomes need not
//! come in input order, but each keeps a number of its own.

#![no_main]

use iothub_triage::input::{Options, Shape};
use iothub_triage_fuzz::{Plan, feed, framed};
use libfuzzer_sys::fuzz_target;

const FRAMES: [&[u8]; 4] = [
    b"[{\"eventType\":",
    b"{\"specversion\":",
    b"{\"event\":",
    b"{\"opType\":",
];

fuzz_target!(|data: &[u8]| {
    let Some((plan, content)) = Plan::split(data) else {
        return;
    };
    let options = Options {
        max_record_size: if plan.extra & 1 == 0 { 64 << 20 } else { 512 },
        ..Options::default()
    };
    let document = framed(FRAMES[usize::from(plan.extra >> 1)], content, b"");
    let (shape, sink) = feed(&document, plan, &options, false);
    if let Ok(shape) = shape {
        assert_eq!(shape, Shape::StateEvents);
    }
    let mut numbers: Vec<u64> = sink.records.iter().filter_map(|(p, _)| p.record).collect();
    let count = numbers.len();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), count, "two outcomes share a record number");
    for (_, outcome) in &sink.records {
        if let iothub_triage::input::Outcome::Record(record) = outcome {
            assert!(record.state_event && record.code.is_none());
        }
    }
});

//! Portal CSV exports, forced with `InputFormat::Csv`. The content after the control byte
//! (see `Plan`) is the whole file, header included, so the fuzzer reaches the header
//! mapping (column names, ` [UTC+hh:mm]` and ` [Local Time]` suffixes and their offsets),
//! the rows, the locale times and the settling of their day/month order. The top bits of
//! the control byte give the options the command line would: `--date-order` (none, dmy,
//! mdy) and `--tz` (none or +01:00). Every outcome has a line within the content,
//! whatever the quotes do.

#![no_main]

use iothub_triage::input::{DateOrder, InputFormat, Options};
use iothub_triage_fuzz::{Plan, feed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((plan, content)) = Plan::split(data) else {
        return;
    };
    let date_order = match plan.extra & 3 {
        1 => Some(DateOrder::DayFirst),
        2 => Some(DateOrder::MonthFirst),
        _ => None,
    };
    let options = Options {
        format: InputFormat::Csv,
        date_order,
        tz_offset: (plan.extra & 4 != 0).then_some(3600),
        ..Options::default()
    };
    // Rows whose order is settled late are emitted late: no order to check.
    let (_, sink) = feed(content, plan, &options, false);
    // Line ends as the row framer counts them; a last line without one counts too.
    let lines = content.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    for (position, _) in &sink.records {
        let line = position.line.expect("a CSV outcome without its line");
        // A quote left open can cost its row, never move a row past the end. (A lone
        // carriage return ends a row inside a line, so a row may share the header's.)
        assert!((1..=lines).contains(&line), "row at line {line} of {lines}");
    }
});

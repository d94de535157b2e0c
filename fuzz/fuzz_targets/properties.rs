//! The nested `properties` string and the `authType` string inside it. The first byte
//! picks where the rest of the fuzz bytes (as text, invalid UTF-8 replaced) go:
//!
//! - 0: they are the `properties` string: the nested parse (`properties` as JSON inside a
//!   JSON string) sees them as they are;
//! - 1: they are the `authType` string inside a well-formed `properties` document naming
//!   device `d`: `authType` is never read, so the record must always be device `d`'s;
//! - 2: they are the raw JSON value of `authType` inside the `properties` document, so
//!   the nested parse sees an arbitrary value in a key it skips.
//!
//! The record is then written in three carriers, each read as its reader reads it: a
//! JSON Lines line (`properties`), an element of a JSON array (`properties`) and a CSV
//! row (`properties_s`, quoted). The same `properties` must give the same outcome in each.

#![no_main]

use iothub_triage::input::{InputFormat, Outcome};
use iothub_triage_fuzz::{Plan, feed, forced};
use libfuzzer_sys::fuzz_target;

const TIME: &str = "2026-03-02T08:00:05Z";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let properties = match mode % 3 {
        0 => text.into_owned(),
        1 => serde_json::json!({"deviceId": "d", "authType": text}).to_string(),
        _ => format!("{{\"deviceId\":\"d\",\"authType\":{text}}}"),
    };
    let escaped = serde_json::Value::from(properties.as_str()).to_string();
    let record = format!(
        "{{\"time\":\"{TIME}\",\"operationName\":\"deviceConnect\",\"category\":\"Connections\",\"properties\":{escaped}}}"
    );
    let csv_cell = properties.replace('"', "\"\"");
    let carriers = [
        (format!("{record}\n"), InputFormat::JsonLines),
        (format!("[{record}]"), InputFormat::Json),
        (
            format!(
                "TimeGenerated,OperationName,Category,properties_s\n{TIME},deviceConnect,Connections,\"{csv_cell}\"\n"
            ),
            InputFormat::Csv,
        ),
    ];
    let whole = Plan::new(0);
    let outcomes: Vec<Outcome> = carriers
        .iter()
        .map(|(bytes, format)| {
            let (shape, sink) = feed(bytes.as_bytes(), whole, &forced(*format), true);
            assert!(shape.is_ok(), "{format:?}: {shape:?}");
            let mut records = sink.records;
            assert_eq!(
                records.len(),
                1,
                "{format:?}: one record in, {records:?} out"
            );
            // Its place differs between carriers; the outcome itself must not.
            let (_, outcome) = records.remove(0);
            outcome
        })
        .collect();
    assert_eq!(outcomes[0], outcomes[1], "JSON Lines and array differ");
    assert_eq!(outcomes[0], outcomes[2], "JSON Lines and CSV differ");
    if mode % 3 == 1 {
        assert!(
            matches!(&outcomes[0], Outcome::Record(record) if record.device_id == "d"),
            "authType changed the record: {:?}",
            outcomes[0]
        );
    }
});

//! Log Analytics `{"tables":[...]}` responses, read as a JSON document
//! (`InputFormat::Json`). The top bit of the control byte (see `Plan`) picks the frame:
//! set, the content is the `rows` of a table whose columns are fixed (the usual
//! `AzureDiagnostics` ones), so every row reaches the row reader and the mapping of cells
//! to columns; clear, the content is the list of tables itself, so the fuzzer also makes
//! the `columns`, their order and types, `error` beside the tables, and rows before
//! columns.

#![no_main]

use iothub_triage_fuzz::{Plan, read_document};
use libfuzzer_sys::fuzz_target;

const ROWS: &[u8] = br#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"ResourceId","type":"string"},{"name":"Category","type":"string"},{"name":"OperationName","type":"string"},{"name":"ResultType","type":"string"},{"name":"Level","type":"string"},{"name":"properties_s","type":"string"},{"name":"DeviceId","type":"string"}],"rows":["#;

fuzz_target!(|data: &[u8]| {
    let Some((plan, _)) = Plan::split(data) else {
        return;
    };
    if plan.extra & 4 != 0 {
        read_document(data, ROWS, b"]}]}");
    } else {
        read_document(data, b"{\"tables\":[", b"]}");
    }
});

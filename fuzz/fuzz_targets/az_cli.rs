//! `az monitor log-analytics query` arrays: the content (after the control byte, see
//! `Plan`) is put inside `[{"TableName":"PrimaryResult",` ... `}]` and read as a JSON
//! document (`InputFormat::Json`). The first element so carries `TableName`, which makes
//! the input az CLI rows: the content is the rest of that row (its stringified values,
//! `"None"` for null) and any rows after it, each reaching the record conversion with the
//! Python `None`s cleared.

#![no_main]

use iothub_triage_fuzz::read_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    read_document(data, b"[{\"TableName\":\"PrimaryResult\",", b"}]");
});

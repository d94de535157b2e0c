//! Plain JSON arrays of records: the content (after the control byte, see `Plan`) is put
//! inside `[` ... `]` and read as a JSON document (`InputFormat::Json`). The splitter cuts
//! the array's elements; each reaches the serde walker and the record conversion, nested
//! wrappers and arrays included; broken content hands over to the fallback walker.

#![no_main]

use iothub_triage_fuzz::read_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    read_document(data, b"[", b"]");
});

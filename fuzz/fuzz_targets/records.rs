//! Event Hubs bodies: the content (after the control byte, see `Plan`) is put inside
//! `{"records":[` ... `]}` and read as a JSON document (`InputFormat::Json`). So the
//! splitter starts inside a `records` wrapper, cuts the content into elements, and each
//! element reaches the serde walker and the record conversion; content that closes the
//! wrapper early goes on as further documents, and broken content hands over to the
//! fallback walker.

#![no_main]

use iothub_triage_fuzz::read_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    read_document(data, b"{\"records\":[", b"]}");
});

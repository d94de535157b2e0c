//! Shape detection on a prefix: the fuzz bytes are the first bytes of an input exactly as
//! `read` hands them to `detect` (after the BOM), with no control byte. Detection must
//! decide every prefix without panicking, and some decisions follow from the bytes alone.

#![no_main]

use iothub_triage::input::fuzzing::{Reader, detect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|prefix: &[u8]| {
    let decided = detect(prefix);
    let start = prefix.trim_ascii_start();
    match &decided {
        Ok(Reader::Empty) => assert!(start.is_empty(), "content called empty"),
        Ok(Reader::JsonDocuments) => assert!(matches!(start.first(), Some(b'[' | b'{'))),
        Ok(Reader::JsonLines) => assert_eq!(start.first(), Some(&b'{')),
        Ok(Reader::Csv) => assert!(!start.contains(&0), "binary content read as CSV"),
        Ok(Reader::Avro) => assert!(prefix.starts_with(b"Obj\x01"), "Avro without its magic"),
        Ok(Reader::StateEvents | Reader::Metrics) => {
            assert!(matches!(start.first(), Some(b'[' | b'{')));
        }
        Ok(Reader::Report(what)) => assert!(
            matches!(start.first(), Some(b'{' | b'd')),
            "{what} found in content that starts with neither"
        ),
        Err(reason) => assert!(!reason.0.is_empty(), "a refusal without a reason"),
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        assert!(decided.is_err(), "UTF-16 or UTF-32 accepted");
    }
    assert_eq!(detect(prefix), decided, "detection is not deterministic");
});

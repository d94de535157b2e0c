//! The quick JSON Lines reader against serde: the fuzz bytes are one line, as the line
//! splitter hands it over. Where the quick reader takes the line at all (it declines
//! anything it cannot vouch for, and serde reads those), its outcomes and their places
//! must be exactly those of the serde reader.

#![no_main]

use iothub_triage::input::fuzzing::quick_and_serde;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    if let Some((quick, serde)) = quick_and_serde(line) {
        assert_eq!(quick, serde, "the quick reader and serde differ");
    }
});

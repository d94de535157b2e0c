//! Any bytes as a zip archive: listed as the command line lists one (names that escape
//! it refused, duplicate names and entries sharing compressed data refused, the entry
//! count bounded), then every entry read to its end under the size limits.
//!
//! Whatever the central directory says, listing and reading must end without a panic,
//! the units listed must have distinct names, and no entry may yield more than the
//! limit.

#![no_main]

use iothub_triage::input::{self, Limits, Source};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

fn archive() -> &'static PathBuf {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("iothub-triage-fuzz-zip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir.join("bundle.zip")
    })
}

/// Small enough that a bomb meets it within a run.
const LIMIT: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    // Only archives are of interest here: the content must start as a zip does.
    if !data.starts_with(b"PK\x03\x04") {
        return;
    }
    std::fs::write(archive(), data).expect("the scratch file is written");
    let limits = Limits {
        max_decompressed: LIMIT,
        max_entries: 1000,
        max_total_decompressed: 4 * LIMIT,
    };
    let Ok(units) = input::expand(&[Source::Path(archive().clone())], &limits, &mut |_| {})
    else {
        return;
    };
    let mut names: Vec<&str> = units.iter().map(|unit| unit.name.as_str()).collect();
    names.sort_unstable();
    let listed = names.len();
    names.dedup();
    assert_eq!(names.len(), listed, "two units of one name");
    for unit in &units {
        let Ok(content) = unit.open(&limits) else {
            continue;
        };
        let mut read = 0u64;
        let mut buffer = [0; 64 << 10];
        let mut content = content;
        loop {
            match content.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n as u64,
            }
            assert!(read <= LIMIT, "{}: {read} bytes, past the limit", unit.name);
        }
    }
});

//! Inputs the fuzz targets in `fuzz/` found to crash or mislead the tool, minimised, each
//! run through the command line with the exact outcome asserted: exit code, message and,
//! where records are read, counts that reconcile. Inputs of more than a line live in
//! `fixtures/broken/fuzz/`.

use super::harness::{Ran, run};

const ONE_ROW: &[u8] = b"TimeGenerated,OperationName,Category,DeviceId\n2026-03-02T08:00:05Z,deviceConnect,Connections,d1\n";

// fuzz target `timestamps`, input `2b f4 2d`: `parse_offset` cut `\u{FFFD}-` (four bytes)
// in two at byte 2, inside the character, and panicked.
#[test]
fn a_tz_offset_with_a_multibyte_character_is_refused_not_a_panic() {
    run(&["analyze", "--tz", "+\u{FFFD}-", "-"], ONE_ROW)
        .exits(2)
        .stderr_is(&[
            "error: invalid value '+\u{FFFD}-' for '--tz <TZ>': \"+\u{FFFD}-\" is not a UTC offset such as +01:00 or -05:30",
            "",
            "For more information, try '--help'.",
        ]);
}

// The same function took a sign on the hours (`+-5`), and hours that overflow once
// turned into seconds.
#[test]
fn a_tz_offset_with_two_signs_is_refused() {
    for tz in ["+-5", "+-1000000:00", "-05:-30"] {
        run(&["analyze", "--tz", tz, "-"], ONE_ROW)
            .exits(2)
            .stderr_is(&[
                &format!("error: invalid value '{tz}' for '--tz <TZ>': \"{tz}\" is not a UTC offset such as +01:00 or -05:30"),
                "",
                "For more information, try '--help'.",
            ]);
    }
}

// The offset of a portal header suffix goes through the same function: such a header is
// not a time column.
#[test]
fn a_csv_time_header_whose_offset_holds_a_multibyte_character_is_not_a_time_column() {
    let csv = "\"TimeGenerated [UTC+\u{FFFD}-]\",OperationName,Category,DeviceId\n2026-03-02T08:00:05Z,deviceConnect,Connections,d1\n";
    run(&["analyze", "--format", "json", "-"], csv.as_bytes())
        .exits(2)
        .stderr_is(&["iothub-triage: error: <stdin>: the CSV header has no TimeGenerated column"]);
}

#[test]
fn a_csv_time_header_with_a_valid_offset_still_reads() {
    let csv = "\"TimeGenerated [UTC+05:30]\",OperationName,Category,DeviceId\n2026-03-02 08:00:05,deviceConnect,Connections,d1\n";
    let run = run(&["analyze", "--format", "json", "-"], csv.as_bytes());
    run.exits(0).stderr_is(&[]);
    assert_eq!(run.counts(), [1, 0, 0, 1]);
}

fn analyze_fixture(file: &str) -> Ran {
    run(
        &[
            "analyze",
            "--format",
            "json",
            &format!("fixtures/broken/fuzz/{file}"),
        ],
        b"",
    )
}

// Found while checking the time parsers the `timestamps` target drives: chrono's `%Y`
// takes six-digit signed years, and the connected-devices curve then overflowed adding
// its step to them (`DateTime + TimeDelta` overflowed, a panic). Times are four-digit
// years, as RFC 3339 writes them.
#[test]
fn times_with_six_digit_years_are_skipped_as_unreadable() {
    let run = analyze_fixture("far-years.json");
    run.exits(0).stderr_is(&[
        "iothub-triage: skipped 3 malformed records:",
        "  fixtures/broken/fuzz/far-years.json:1: unreadable time \"+262142-12-31T23:59:59\"",
        "  fixtures/broken/fuzz/far-years.json:2: unreadable time \"-262143-01-01T00:00:00\"",
        "  fixtures/broken/fuzz/far-years.json:3: unreadable time \"-262143-01-01T00:00:01\"",
    ]);
    assert_eq!(run.counts(), [4, 3, 0, 1]);
}

// The same year in a CSV whose header states an offset: subtracting the offset overflowed
// (`DateTime - TimeDelta` overflowed, a panic in the CSV reader).
#[test]
fn a_csv_time_with_a_six_digit_year_under_an_offset_is_skipped() {
    let run = analyze_fixture("far-year-offset.csv");
    run.exits(0).stderr_is(&[
        "iothub-triage: skipped 1 malformed record:",
        "  fixtures/broken/fuzz/far-year-offset.csv:2: unreadable time \"-262143-01-01T00:00:00\"",
    ]);
    assert_eq!(run.counts(), [2, 1, 0, 1]);
}

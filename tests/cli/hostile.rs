//! Inputs and command lines built to break a promise of the README or `SECURITY.md`
//! (escaping, archives, CSV quoting, time ranges, the CI gate, full disks, sizes that
//! grow the work faster than the input), each run through the command line with its
//! exact outcome asserted.

use super::harness::run;
use super::triage;
use serde_json::Value;
use std::process::Stdio;

/// One JSON Lines record of `device` with `code`, at `time`.
fn record(time: &str, device: &str, code: &str) -> String {
    let properties = serde_json::json!({"deviceId": device, "protocol": "Mqtt"}).to_string();
    serde_json::json!({
        "time": time,
        "operationName": "deviceDisconnect",
        "category": "Connections",
        "level": "Error",
        "resultType": code,
        "properties": properties,
    })
    .to_string()
        + "\n"
}

#[test]
fn a_since_far_beyond_the_calendar_is_refused_not_a_panic() {
    let run = run(&["analyze", "--since", "300000y", "-"], b"");
    run.exits(2);
    assert!(
        run.stderr
            .contains("\"300000y\" ago is before the earliest time"),
        "{}",
        run.stderr
    );
}

#[test]
fn generate_fails_when_the_truth_file_cannot_be_written_whole() {
    let run = run(
        &["generate", "--devices", "50", "--truth", "/dev/full"],
        b"",
    );
    run.exits(2);
    assert!(
        run.stderr
            .contains("iothub-triage: error: /dev/full: cannot write: No space left on device"),
        "{}",
        run.stderr
    );
}

/// A file under the tests' scratch folder, named for the test that writes it.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).expect("creates the scratch folder");
    dir.join(name)
}

/// Runs with stdout a pipe whose reader is gone before the report is written.
fn run_into_closed_pipe(args: &[&str]) -> Option<i32> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("iothub-triage"))
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    child.wait().expect("ends").code()
}

#[test]
fn a_failed_gate_exits_1_even_when_stdout_is_closed_early() {
    let fleet = scratch("gate-fleet.json");
    let generated = triage()
        .args([
            "generate",
            "--seed",
            "7",
            "--devices",
            "300",
            "--hours",
            "24",
        ])
        .output()
        .expect("runs");
    std::fs::write(&fleet, generated.stdout).expect("writes the fleet");
    let fleet = fleet.to_str().expect("a UTF-8 path");
    for format in ["table", "json"] {
        let args = ["analyze", fleet, "--format", format, "--fail-on", "high"];
        assert_eq!(run_into_closed_pipe(&args), Some(1), "{format}");
    }
    // Without a gate, a closed pipe still ends quietly.
    assert_eq!(
        run_into_closed_pipe(&["analyze", fleet, "--format", "json"]),
        Some(0)
    );
}

#[test]
fn times_that_convert_outside_the_years_0001_to_9999_are_skipped_with_the_reason() {
    let lines = [
        record("0001-01-01T00:00:00+14:00", "early", "404104"),
        record("9999-12-31T23:59:59-14:00", "late", "404104"),
        record("0001-01-01T14:00:00+14:00", "first-second", "404104"),
        record("9999-12-31T09:59:59-14:00", "last-second", "404104"),
    ]
    .concat();
    let run = run(&["analyze", "--format", "json", "-"], lines.as_bytes());
    run.exits(0);
    assert_eq!(run.counts(), [4, 2, 0, 2]);
    assert!(
        run.stderr.contains(
            "<stdin>:1: time \"0001-01-01T00:00:00+14:00\" is outside the years 0001 to 9999 once converted to UTC"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("<stdin>:2: time \"9999-12-31T23:59:59-14:00\"")
    );
    let report: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(report["summary"]["first_event"], "0001-01-01T00:00:00Z");
    assert_eq!(report["summary"]["last_event"], "9999-12-31T23:59:59Z");
    // The table prints the same, nothing before year 1 or after 9999.
    let table = self::run(&["analyze", "-"], lines.as_bytes());
    table.exits(0);
    assert!(
        table
            .stdout_text()
            .contains("Span:    0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"),
        "{}",
        table.stdout_text()
    );
}

/// The characters no text output may carry raw: C0 controls but the line end, DEL, C1
/// controls, bidi overrides and isolates, zero-width characters, the line separator.
fn unsafe_characters(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
        .collect()
}

#[test]
fn escapes_in_codes_ids_and_names_reach_no_text_output() {
    let hostile = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{0}\r\u{9b}31m\u{202E}\u{200B}\u{2028}";
    let lines = [
        record("2026-03-02T08:00:00Z", "pump-1", &format!("4{hostile}")),
        record("2026-03-02T08:01:00Z", "pump-1", &format!("4{hostile}")),
        record("2026-03-02T08:02:00Z", &format!("id{hostile}"), "404104"),
        record(
            "2026-03-02T08:03:00Z",
            &format!("id{hostile}"),
            &format!("5{hostile}"),
        ),
    ]
    .concat();
    let input = scratch(&format!("name{}.json", "\u{1b}[2J\u{7}"));
    std::fs::write(&input, &lines).expect("writes the log");
    let input = input.to_str().expect("a UTF-8 path");
    // CSV, like JSON, carries the data as it is: a spreadsheet shows it, a terminal does not.
    for format in ["table", "github", "markdown", "junit"] {
        let run = run(&["analyze", input, "--format", format], b"");
        run.exits(0);
        assert_eq!(
            unsafe_characters(&run.stdout_text()),
            [],
            "{format}: {}",
            run.stdout_text()
        );
        assert_eq!(
            unsafe_characters(&run.stderr),
            [],
            "{format}: {}",
            run.stderr
        );
    }
    let table = run(&["analyze", input], b"").stdout_text();
    for shown in ["4\\u{1b}]0;own", "\\u{202e}\\u{200b}\\u{2028}"] {
        assert!(table.contains(shown), "{shown} in {table}");
    }
    let timeline = run(&["timeline", "pump-1", input], b"");
    timeline.exits(0);
    assert_eq!(unsafe_characters(&timeline.stdout_text()), []);
}

/// The processor time (user and system) that `analyze` takes over `input`, from the
/// shell's `times`: unlike wall time, it does not grow when other tests load the machine.
fn cpu_seconds(input: &std::path::Path, format: &str) -> f64 {
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "\"$0\" analyze \"$1\" --format \"$2\" -j 1 >/dev/null; times",
        ])
        .arg(assert_cmd::cargo::cargo_bin("iothub-triage"))
        .arg(input)
        .arg(format)
        .output()
        .expect("runs");
    let times = String::from_utf8_lossy(&output.stdout).into_owned();
    // The second line holds the children's user and system times: `0m1.234s 0m0.100s`.
    let children = times.lines().nth(1).expect("times prints two lines");
    children
        .split_whitespace()
        .map(|field| {
            let (minutes, seconds) = field
                .trim_end_matches('s')
                .split_once('m')
                .expect("a time such as 0m1.234s");
            minutes.parse::<f64>().expect("minutes") * 60.0
                + seconds.parse::<f64>().expect("seconds")
        })
        .sum()
}

/// Writes the log `lines` makes of `size`, runs it, and returns the processor time.
fn timed(name: &str, size: usize, format: &str, lines: impl Fn(usize) -> String) -> f64 {
    let path = scratch(&format!("{name}-{size}.json"));
    std::fs::write(&path, lines(size)).expect("writes the log");
    let seconds = cpu_seconds(&path, format);
    std::fs::remove_file(&path).expect("removes the log");
    seconds
}

/// Four times the input must take well under sixteen times as long: a quadratic path
/// takes sixteen, a linear one four (plus the start, which is the same for both).
fn assert_linear(small: f64, large: f64, what: &str) {
    assert!(
        large < small * 8.0,
        "{what}: {small:.2} s, then {large:.2} s for four times the size"
    );
}

#[test]
fn distinct_codes_on_one_device_take_time_in_proportion_to_their_number() {
    let log = |codes: usize| {
        (0..codes)
            .map(|n| record("2026-03-02T08:00:00Z", "d", &format!("c{n}")))
            .collect::<String>()
    };
    let small = timed("codes", 50_000, "json", log);
    let large = timed("codes", 200_000, "json", log);
    assert_linear(small, large, "200,000 distinct codes");
}

#[test]
fn a_long_device_id_takes_time_in_proportion_to_its_length_in_the_table() {
    let log = |length: usize| record("2026-03-02T08:00:00Z", &"x".repeat(length), "404104");
    let small = timed("id", 1 << 20, "table", log);
    let large = timed("id", 4 << 20, "table", log);
    assert_linear(small, large, "a 4 MiB device id");
}

/// A zip of `entries`, stored, then with every `rename.0` in its bytes made `rename.1`
/// (the zip writer refuses two entries of one name, an archive need not).
fn zip_file(name: &str, entries: &[(&str, String)], rename: (&str, &str)) -> std::path::PathBuf {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (entry, content) in entries {
        writer.start_file(*entry, options).expect("starts an entry");
        std::io::Write::write_all(&mut writer, content.as_bytes()).expect("writes");
    }
    let mut bytes = writer.finish().expect("finishes").into_inner();
    let (from, to) = (rename.0.as_bytes(), rename.1.as_bytes());
    assert_eq!(from.len(), to.len());
    let mut at = 0;
    while let Some(found) = (!from.is_empty())
        .then(|| bytes[at..].windows(from.len()).position(|w| w == from))
        .flatten()
    {
        bytes[at + found..at + found + to.len()].copy_from_slice(to);
        at += found + to.len();
    }
    let path = scratch(name);
    std::fs::write(&path, bytes).expect("writes the archive");
    path
}

#[test]
fn a_zip_with_two_entries_of_one_name_is_refused_not_read_in_part() {
    let three = (1..=3)
        .map(|n| record(&format!("2026-03-02T08:00:0{n}Z"), "a", "404104"))
        .collect::<String>();
    let two = (1..=2)
        .map(|n| record(&format!("2026-03-02T09:00:0{n}Z"), "b", "404104"))
        .collect::<String>();
    let zip = zip_file(
        "duplicate-names.zip",
        &[("x/PT1H.json", three), ("y/PT1H.json", two)],
        ("y/PT1H.json", "x/PT1H.json"),
    );
    let zip = zip.to_str().expect("a UTF-8 path");
    let run = run(&["analyze", zip, "--format", "json"], b"");
    run.exits(2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "iothub-triage: error: {zip}: refused: two or more entries share a name, and only one of them could be read; rename them or give each its own archive"
        )
    );
}

#[test]
fn zip_entries_are_bounded_in_total_as_well_as_each() {
    let log = record("2026-03-02T08:00:00Z", "a", "404104");
    let entries: Vec<(String, String)> = (0..4)
        .map(|n| (format!("{n}/PT1H.json"), log.clone()))
        .collect();
    let entries: Vec<(&str, String)> = entries
        .iter()
        .map(|(name, content)| (name.as_str(), content.clone()))
        .collect();
    let zip = zip_file("many-entries.zip", &entries, ("", ""));
    let zip = zip.to_str().expect("a UTF-8 path");
    let total = log.len() * 4;
    let within = run(
        &[
            "analyze",
            zip,
            "--format",
            "json",
            "--max-total-decompressed-size",
            &total.to_string(),
        ],
        b"",
    );
    within.exits(0);
    assert_eq!(
        within.counts(),
        [4, 0, 3, 1],
        "one record, and three exact repeats"
    );
    let beyond = (total - 1).to_string();
    let run = run(
        &[
            "analyze",
            zip,
            "--max-decompressed-size",
            "1KiB",
            "--max-total-decompressed-size",
            &beyond,
        ],
        b"",
    );
    run.exits(2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "iothub-triage: error: the archives' entries declare {total} bytes uncompressed in all, more than the limit of {beyond} bytes for a run (--max-total-decompressed-size)"
        )
    );
}

#[cfg(unix)]
#[test]
fn a_named_pipe_in_a_directory_is_called_a_named_pipe() {
    let dir = scratch("with-a-fifo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates the folder");
    std::fs::write(
        dir.join("PT1H.json"),
        record("2026-03-02T08:00:00Z", "a", "404104"),
    )
    .expect("writes the log");
    let fifo = dir.join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("runs mkfifo");
    assert!(made.success());
    let run = run(
        &["analyze", dir.to_str().expect("UTF-8"), "--format", "json"],
        b"",
    );
    run.exits(0);
    assert_eq!(
        without_coverage(&run.stderr).trim_end(),
        format!(
            "iothub-triage: warning: {}: skipped, a named pipe, not a regular file (name it on the command line to read it)",
            fifo.display()
        )
    );
}

#[test]
fn a_stray_quote_in_a_csv_cell_costs_its_row_not_the_rest_of_the_file() {
    let mut csv =
        String::from("TimeGenerated [UTC],OperationName,Category,Level,ResultType,properties_s\n");
    for n in 0..11 {
        // Row 1's properties_s lacks its closing quote.
        let end = if n == 1 { "" } else { "\"" };
        csv.push_str(&format!(
            "2026-03-02T08:00:{n:02}Z,deviceDisconnect,Connections,Error,404104,\"{{\"\"deviceId\"\":\"\"d{n}\"\"}}{end}\n"
        ));
    }
    let run = run(&["analyze", "--format", "json", "-"], csv.as_bytes());
    run.exits(0);
    assert_eq!(run.counts(), [11, 1, 0, 10]);
    assert_eq!(
        without_coverage(&run.stderr).lines().collect::<Vec<_>>(),
        [
            "iothub-triage: skipped 1 malformed record:",
            "  <stdin>:3: unreadable CSV row: a quote opened on this line never closes at the end of a cell",
        ]
    );
    // Without quoted cells after it, the stray quote used to take every later row.
    let mut csv = String::from("TimeGenerated,OperationName,Category,DeviceId,ResultType\n");
    for n in 0..11 {
        let code = if n == 1 { "\"404104" } else { "404104" };
        csv.push_str(&format!(
            "2026-03-02T08:00:{n:02}Z,deviceDisconnect,Connections,d{n},{code}\n"
        ));
    }
    let run = self::run(&["analyze", "--format", "json", "-"], csv.as_bytes());
    run.exits(0);
    assert_eq!(run.counts(), [11, 1, 0, 10]);
}

#[test]
fn a_report_is_never_written_onto_an_input() {
    let log = scratch("overwrite-me.json");
    let content = record("2026-03-02T08:00:00Z", "a", "404104");
    std::fs::write(&log, &content).expect("writes the log");
    let path = log.to_str().expect("UTF-8");
    for target in [path.to_string(), format!("json={path}")] {
        let run = run(&["analyze", path, "-o", &target], b"");
        run.exits(2);
        assert_eq!(
            run.stderr.trim_end(),
            format!(
                "iothub-triage: error: {path}: refusing to write a report onto an input of the same run"
            )
        );
        assert_eq!(std::fs::read_to_string(&log).expect("reads"), content);
    }
}

#[test]
fn report_files_are_written_whole_through_a_temporary_file_beside_them() {
    let dir = scratch("reports");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates the folder");
    let target = dir.join("report.json");
    std::fs::write(&target, "the previous report").expect("writes");
    let run = run(
        &[
            "analyze",
            "fixtures/shapes/PT1H.json",
            "-o",
            &format!("json={}", target.display()),
        ],
        b"",
    );
    run.exits(0);
    let written: Value =
        serde_json::from_slice(&std::fs::read(&target).expect("reads")).expect("JSON");
    assert_eq!(written["summary"]["records_read"], 12);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("lists")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["report.json"], "no temporary file is left behind");
}

#[test]
fn reports_found_among_the_inputs_are_skipped_as_reports() {
    let dir = scratch("logs-and-reports");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates the folder");
    std::fs::copy("fixtures/shapes/PT1H.json", dir.join("PT1H.json")).expect("copies");
    let log = dir.join("PT1H.json");
    let log = log.to_str().expect("UTF-8");
    for (format, file, what) in [
        ("json", "report.json", "a JSON report"),
        ("sarif", "report.sarif.json", "a SARIF report"),
        ("ndjson", "report.ndjson", "an NDJSON report"),
        ("csv", "report.csv", "a CSV report"),
    ] {
        let target = dir.join(file);
        run(
            &[
                "analyze",
                log,
                "-o",
                &format!("{format}={}", target.display()),
            ],
            b"",
        )
        .exits(0);
        let dir = dir.to_str().expect("UTF-8");
        let run = run(&["analyze", dir, "--format", "json"], b"");
        run.exits(0);
        assert_eq!(
            run.counts(),
            [12, 0, 1, 11],
            "{format}: the log alone is read"
        );
        assert!(
            run.stderr.contains(&format!(
                "iothub-triage: warning: {}: skipped: it is {what} written by iothub-triage, not a log export",
                target.display()
            )),
            "{format}: {}",
            run.stderr
        );
        std::fs::remove_file(&target).expect("removes the report");
    }
}

#[test]
fn threads_beyond_the_cap_are_refused_with_the_cap() {
    let run = run(
        &["analyze", "-j", "100000", "fixtures/shapes/PT1H.json"],
        b"",
    );
    run.exits(2);
    assert!(
        run.stderr.contains(
            "invalid value '100000' for '--threads <N>': 100000 threads is more than the most this tool starts, 1024"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn urls_and_addresses_from_the_logs_do_not_become_links_in_markdown() {
    let lines = [
        record(
            "2026-03-02T08:00:00Z",
            "https://evil.example/login",
            "404104",
        ),
        record("2026-03-02T08:01:00Z", "www.evil.example", "404104"),
        record(
            "2026-03-02T08:02:00Z",
            "ops@evil.example",
            "https://evil.example/code",
        ),
    ]
    .concat();
    let run = run(&["analyze", "--format", "markdown", "-"], lines.as_bytes());
    run.exits(0);
    let markdown = run.stdout_text();
    for bare in ["https://evil", "www.evil", "ops@evil"] {
        assert!(!markdown.contains(bare), "{bare} in {markdown}");
    }
    assert!(
        markdown.contains(r"https\[:\]//evil.example/login"),
        "{markdown}"
    );
}

/// Stderr without the warning that an input holds error records only, which these
/// small logs of errors draw and which is tested elsewhere.
fn without_coverage(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|line| !line.contains("holds only error records"))
        .map(|line| format!("{line}\n"))
        .collect()
}

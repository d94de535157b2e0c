//! The KQL the tool emits, checked by real engines' code: every query the README shows
//! is parsed and analyzed by Kusto.Language (Microsoft's KQL compiler, run on Node), and
//! the portable tier is executed on the fixtures by duckdb-kql (KQL on DuckDB, Python),
//! its per-identity code counts and findings compared with `analyze`'s.
//!
//! Node and the Python environment come from `tests/kql/` (`npm ci` there, and a venv in
//! `tests/kql/.venv` with `requirements.txt`, or `IOTHUB_TRIAGE_KQL_PYTHON` naming the
//! interpreter). Without them the tests say so and pass, unless
//! `IOTHUB_TRIAGE_REQUIRE_KQL=1` (set by `.ci/run`) makes that a failure.

use super::{analyze_json, triage};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kql")
}

/// Says why a check cannot run: a failure in CI, a printed notice elsewhere.
fn unavailable(what: &str) -> bool {
    let required = std::env::var("IOTHUB_TRIAGE_REQUIRE_KQL").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{what} (IOTHUB_TRIAGE_REQUIRE_KQL=1: the KQL checks must run)"
    );
    eprintln!("SKIPPED: {what}; run `npm ci` and create tests/kql/.venv as .ci/run does");
    true
}

fn node() -> Option<Command> {
    let works = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        unavailable("node is not installed");
        return None;
    }
    if !harness()
        .join("node_modules/@kusto/language-service-next")
        .is_dir()
    {
        unavailable("tests/kql/node_modules is missing (npm ci)");
        return None;
    }
    let mut command = Command::new("node");
    command.current_dir(harness());
    Some(command)
}

fn python() -> Option<Command> {
    let interpreter = std::env::var_os("IOTHUB_TRIAGE_KQL_PYTHON")
        .map_or_else(|| harness().join(".venv/bin/python"), PathBuf::from);
    let works = Command::new(&interpreter)
        .args(["-c", "import duckdb_kql, duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        unavailable(&format!(
            "{} cannot import duckdb_kql",
            interpreter.display()
        ));
        return None;
    }
    Some(Command::new(interpreter))
}

/// A scratch directory of this test binary.
pub(super) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// `iothub-triage kql ARGS`, written to `dir/name.kql`.
fn emit(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let output = triage().arg("kql").args(args).output().expect("runs");
    assert!(
        output.status.success(),
        "kql {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = dir.join(format!("{name}.kql"));
    std::fs::write(&path, &output.stdout).expect("writes the query");
    path
}

/// Every source, tier and option combination the README shows.
const VARIANTS: &[(&str, &[&str])] = &[
    ("la", &[]),
    ("la-full", &["--full"]),
    ("adx", &["--source", "adx:IotHubConnections"]),
    ("adx-full", &["--source", "adx:IotHubConnections", "--full"]),
    ("adx-raw", &["--source", "adx-raw:IotHubRaw"]),
    (
        "function-raw",
        &[
            "--source",
            "adx-raw:IotHubRaw",
            "--function",
            "IotHubTriage",
            "--full",
        ],
    ),
    (
        "function-adx",
        &[
            "--source",
            "adx:IotHubConnections",
            "--function",
            "IotHubTriage",
            "--last",
            "1d",
        ],
    ),
    ("last", &["--last", "1d"]),
    (
        "filters",
        &[
            "--device",
            "pump-*",
            "--device",
            "gw-[0-9]",
            "--since",
            "2026-03-02T00:00:00Z",
            "--until",
            "2026-03-03",
        ],
    ),
    (
        "thresholds",
        &[
            "--flap-rapid-drops",
            "5",
            "--offline-after",
            "30m",
            "--incident-window",
            "10m",
            "--incident-min-share",
            "0.25",
            "--mass-window",
            "5m",
            "--mass-min-share",
            "0.2",
            "--periodic-min-drops",
            "6",
            "--cohort-min-devices",
            "8",
            "--cohort-min-lift",
            "2.5",
            "--cohort-max-p",
            "0.01",
        ],
    ),
];

#[test]
fn every_emitted_query_passes_microsofts_kql_analyzer() {
    let Some(mut node) = node() else { return };
    let dir = scratch("kql-check");
    let mut files: Vec<PathBuf> = VARIANTS
        .iter()
        .map(|(name, args)| emit(&dir, name, args))
        .collect();
    files.extend(samples());
    let output = node
        .arg("check.js")
        .args(&files)
        .output()
        .expect("runs node");
    assert!(
        output.status.success(),
        "Kusto.Language diagnostics:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_broken_query_fails_the_kql_analyzer() {
    let Some(mut node) = node() else { return };
    let output = node
        .args(["check.js", "broken.kql"])
        .output()
        .expect("runs node");
    assert!(!output.status.success(), "the broken query passed");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("KS142"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One fixture's results: per query file name, the raw az-shaped JSON.
type Results = BTreeMap<String, Vec<u8>>;

/// Every query (the portable tier, then Microsoft's samples) run on DuckDB over every
/// fixture loaded as AzureDiagnostics, once for all tests: per fixture, per query file
/// name, the raw az-shaped JSON.
fn duckdb_results() -> Option<&'static Vec<Results>> {
    static RESULTS: OnceLock<Option<Vec<Results>>> = OnceLock::new();
    RESULTS
        .get_or_init(|| {
            let mut python = python()?;
            let dir = scratch("kql-duckdb");
            let mut queries = vec![emit(&dir, "portable", &[])];
            queries.extend(samples());
            let fleet = dir.join("fleet.json");
            let (log, _) = super::generate(FLEET, "kql-fleet");
            std::fs::write(&fleet, log).expect("writes the fleet");
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let out = dir.join("results");
            let output = python
                .arg(harness().join("run_duckdb.py"))
                .arg(&out)
                .args(&queries)
                .arg("--")
                .args(FIXTURES.iter().map(|f| root.join(f)))
                .arg(&fleet)
                .output()
                .expect("runs python");
            assert!(
                output.status.success(),
                "duckdb-kql: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let results = (0..=FIXTURES.len())
                .map(|n| {
                    queries
                        .iter()
                        .map(|query| {
                            let name = query.file_name().expect("name").to_string_lossy();
                            let path = out.join(n.to_string()).join(format!("{name}.json"));
                            (name.into_owned(), std::fs::read(path).expect("a result"))
                        })
                        .collect()
                })
                .collect();
            Some(results)
        })
        .as_ref()
}

fn samples() -> Vec<PathBuf> {
    let mut samples: Vec<PathBuf> = std::fs::read_dir(harness().join("microsoft"))
        .expect("samples")
        .map(|entry| entry.expect("entry").path())
        .collect();
    samples.sort();
    samples
}

fn rows(raw: &[u8]) -> Vec<Value> {
    serde_json::from_slice(raw).expect("rows")
}

pub(super) fn text(row: &Value, column: &str) -> String {
    row[column].as_str().unwrap_or_default().to_string()
}

/// The fixtures the portable tier is executed on.
const FIXTURES: &[&str] = &[
    "fixtures/shapes/PT1H.json",
    "fixtures/insights/credential-failure.json",
    "fixtures/insights/duplicate-identity.json",
    "fixtures/insights/flapping-chronic.json",
    "fixtures/insights/flapping-rapid.json",
    "fixtures/insights/hub-incident.json",
    "fixtures/insights/offline.json",
    "fixtures/insights/quiet-at-end.json",
    "fixtures/insights/side-effect.json",
    "fixtures/insights/sporadic-500001.json",
    "fixtures/insights/token-renewal.json",
    "fixtures/field/edge-modules.json",
    "fixtures/field/flapping-with-401003.json",
    "fixtures/field/renewal-and-look-alikes.json",
    "fixtures/field/restarts.json",
    "fixtures/field/takeovers.json",
    "fixtures/kql/throttled.json",
    "fixtures/kql/renewal-errors-only.json",
    "fixtures/fleet/periodic-drops.json",
    "fixtures/fleet/reconnect-storm.json",
    "fixtures/fleet/sdk-cohort.json",
    "fixtures/fleet/site-outage.json",
    "fixtures/fleet/spread-drops.json",
];

/// A generated fleet: every scenario of the default mix, incidents included.
const FLEET: &[&str] = &["--devices", "60", "--hours", "6", "--seed", "11"];

/// Insights each of these fixtures must show, in the query's result as in `analyze`'s:
/// the fleet insights of `fixtures/fleet/` and the throttled one, and renewal known
/// without connects.
const EXPECTED_INSIGHTS: &[(&str, &str)] = &[
    ("fixtures/kql/throttled.json", "insight/throttling"),
    (
        "fixtures/kql/renewal-errors-only.json",
        "insight/token_renewal",
    ),
    (
        "fixtures/fleet/periodic-drops.json",
        "insight/periodic_drop",
    ),
    (
        "fixtures/fleet/reconnect-storm.json",
        "insight/mass_disconnect",
    ),
    ("fixtures/fleet/reconnect-storm.json", "insight/throttling"),
    ("fixtures/fleet/sdk-cohort.json", "insight/cohort"),
    ("fixtures/fleet/site-outage.json", "insight/mass_disconnect"),
];

type Key = (String, String, String);

#[test]
fn the_portable_tier_run_on_duckdb_finds_what_analyze_finds() {
    let Some(results) = duckdb_results() else {
        return;
    };
    let dir = scratch("kql-read-back");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut only_analyze, mut only_query) = (BTreeSet::new(), BTreeSet::new());
    for (fixture, results) in FIXTURES.iter().zip(results) {
        let log = root.join(fixture);
        let raw = &results["portable.kql"];
        if fixture.ends_with("takeovers.json") {
            let committed = std::fs::read(root.join("fixtures/kql/takeovers-result.json"))
                .expect("the committed result");
            assert!(
                *raw == committed,
                "fixtures/kql/takeovers-result.json is stale: write the query's result anew"
            );
        }
        let rows = rows(raw);
        let report = analyze_json(&[log.to_str().expect("path")]);

        // Per identity and code: the same counts.
        assert_eq!(
            query_code_counts(&rows),
            analyze_code_counts(&report),
            "{fixture}: code counts"
        );

        // Findings: the query's info code rows are counts, not findings of analyze.
        let analyzed: BTreeMap<Key, String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let key = (text(f, "device"), text(f, "rule"), text(f, "severity"));
                (key, text(f, "fingerprint"))
            })
            .collect();
        let path = dir.join("result.json");
        std::fs::write(&path, raw).expect("writes the result");
        let read_back = analyze_json(&[path.to_str().expect("path")]);
        let found: BTreeMap<Key, String> = read_back["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| !(text(f, "rule").starts_with("code/") && text(f, "severity") == "info"))
            .map(|f| {
                let key = (text(f, "device"), text(f, "rule"), text(f, "severity"));
                (key, text(f, "fingerprint"))
            })
            .collect();
        for (_, rule) in EXPECTED_INSIGHTS.iter().filter(|(f, _)| f == fixture) {
            for findings in [&analyzed, &found] {
                assert!(
                    findings.keys().any(|(_, r, _)| r == rule),
                    "{fixture}: no {rule}"
                );
            }
        }
        for (key, fingerprint) in &analyzed {
            match found.get(key) {
                Some(same) => assert_eq!(same, fingerprint, "{fixture}: {key:?} fingerprint"),
                None => {
                    only_analyze.insert(key.clone());
                }
            }
        }
        only_query.extend(found.keys().filter(|k| !analyzed.contains_key(*k)).cloned());
    }
    assert_eq!(only_analyze, BTreeSet::new(), "findings only analyze makes");
    assert_eq!(only_query, BTreeSet::new(), "findings only the query makes");
}

#[test]
fn the_query_returns_at_least_what_microsofts_samples_return() {
    let Some(results) = duckdb_results() else {
        return;
    };
    for (fixture, results) in FIXTURES.iter().zip(results) {
        let ours = rows(&results["portable.kql"]);
        let count = |identity: Option<&str>, code: &str| -> u64 {
            ours.iter()
                .filter(|r| text(r, "rule") == format!("code/{code}"))
                .filter(|r| {
                    identity.is_none_or(|i| text(r, "identity").split('/').next() == Some(i))
                })
                .map(|r| text(r, "records").parse::<u64>().unwrap_or(0))
                .sum()
        };
        // Every error record a sample lists is counted under its device and code.
        let errors = rows(&results["connectivity-errors.kql"]);
        let mut listed: BTreeMap<(String, String), u64> = BTreeMap::new();
        for row in &errors {
            if !text(row, "ResultType").is_empty() {
                *listed
                    .entry((text(row, "DeviceId"), text(row, "ResultType")))
                    .or_default() += 1;
            }
        }
        for ((device, code), n) in &listed {
            assert!(
                count(Some(device), code) >= *n,
                "{fixture}: {device} {code}"
            );
        }
        let summary = rows(&results["error-summary.kql"]);
        for row in &summary {
            let n: u64 = text(row, "ErrorCount").parse().expect("a count");
            assert!(
                count(None, &text(row, "ResultType")) >= n,
                "{fixture}: {row}"
            );
        }
        let throttled = rows(&results["throttling-errors.kql"]);
        for row in &throttled {
            let n: u64 = text(row, "Count").parse().expect("a count");
            assert!(
                count(Some(&text(row, "DeviceId")), "429001") >= n,
                "{fixture}: {row}"
            );
        }
        if fixture.ends_with("throttled.json") {
            assert!(!throttled.is_empty(), "the throttling sample found nothing");
        }
    }
}

#[test]
fn kql_refuses_a_source_or_function_name_that_would_change_the_query_and_functions_for_log_analytics()
 {
    for args in [
        &["--source", "adx:T | take 1"][..],
        &["--source", "sql:T"],
        &["--source", "adx:T", "--function", "f() { print 1 }"],
        &["--function", "IotHubTriage"],
    ] {
        triage().arg("kql").args(args).assert().code(2);
    }
}

#[test]
fn kql_prints_the_code_table_and_the_thresholds_it_was_given() {
    let output = triage()
        .args(["kql", "--offline-after", "45m", "--device", "pump-*"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let query = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(query.contains("let OfflineAfter = 2700s;"));
    assert!(query.contains("\"404104\", \"DeviceConnectionClosedRemotely\""));
    assert!(query.contains("matches regex \"^pump\\\\-.*$\""), "{query}");
}

/// Records per identity and code, as `analyze` counts them.
fn analyze_code_counts(report: &Value) -> BTreeMap<(String, String), Option<u64>> {
    let mut counts = BTreeMap::new();
    for device in report["devices"].as_array().expect("devices") {
        let identity = match device["module_id"].as_str() {
            Some(module) => format!("{}/{module}", text(device, "device_id")),
            None => text(device, "device_id"),
        };
        for code in device["codes"].as_array().expect("codes") {
            counts.insert(
                (identity.clone(), text(code, "code")),
                code["count"].as_u64(),
            );
        }
    }
    counts
}

/// Records per identity and code, as the query's `code/` rows count them.
fn query_code_counts(rows: &[Value]) -> BTreeMap<(String, String), Option<u64>> {
    rows.iter()
        .filter_map(|row| {
            let code = text(row, "rule").strip_prefix("code/")?.to_string();
            Some((
                (text(row, "identity"), code),
                text(row, "records").parse().ok(),
            ))
        })
        .collect()
}

#[test]
fn on_a_generated_fleet_the_query_finds_what_analyze_finds() {
    let Some(results) = duckdb_results() else {
        return;
    };
    let fleet = &results[FIXTURES.len()];
    let rows = rows(&fleet["portable.kql"]);
    let log = scratch("kql-duckdb").join("fleet.json");
    let report = analyze_json(&[log.to_str().expect("path")]);
    assert_eq!(
        query_code_counts(&rows),
        analyze_code_counts(&report),
        "code counts"
    );
    let analyzed: BTreeSet<Key> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (text(f, "device"), text(f, "rule"), text(f, "severity")))
        .collect();
    let found: BTreeSet<Key> = rows
        .iter()
        .filter(|r| !(text(r, "rule").starts_with("code/") && text(r, "severity") == "info"))
        .map(|r| (text(r, "identity"), text(r, "rule"), text(r, "severity")))
        .collect();
    // Renewal by informational disconnects, which the query once missed, among them.
    for kind in ["insight/hub_incident", "insight/token_renewal"] {
        assert!(
            analyzed.iter().any(|(_, rule, _)| rule == kind),
            "the fleet has no {kind}"
        );
    }
    assert_eq!(found, analyzed, "the query's findings and analyze's");
}

//! Reading straight from Azure Blob Storage, against Azurite (Microsoft's storage
//! emulator) started on a free loopback port for each test and filled by Microsoft's own
//! Blob Storage SDK (`tests/storage/blobs.js`). Requests are counted in Azurite's debug
//! log, so pruning by `--since` and paging are seen from the server's side.
//!
//! Azurite and the SDK come from `tests/storage/` (`npm ci` there). Without them the
//! tests say so and pass, unless `IOTHUB_TRIAGE_REQUIRE_AZURITE=1` (set by `.ci/run`)
//! makes that a failure.

use super::triage;
use iothub_triage::input::{self, Limits, Options, Outcome, Sink, Source};
use iothub_triage::model::Position;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const HUB: &str = "resourceId=/SUBSCRIPTIONS/5F1C2A4E-0000-4000-8000-00000000ABCD/RESOURCEGROUPS/IOT-PROD-RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS";

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/storage")
}

/// An Azurite blob service of its own, in memory, stopped when dropped.
struct Azurite {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Azurite {
    /// Starts Azurite, or says why it cannot: a failure in CI, a notice elsewhere.
    fn start(test: &str) -> Option<Azurite> {
        let program = harness().join("node_modules/.bin/azurite-blob");
        let sdk = harness().join("node_modules/@azure/storage-blob");
        if !program.exists() || !sdk.is_dir() {
            let required = std::env::var("IOTHUB_TRIAGE_REQUIRE_AZURITE").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "tests/storage/node_modules is missing (IOTHUB_TRIAGE_REQUIRE_AZURITE=1: the storage tests must run)"
            );
            eprintln!(
                "SKIPPED: Azurite is not installed; run `npm ci` in tests/storage as .ci/run does"
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "iothub-triage-azurite-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--loose"])
            .arg("--debug")
            .arg(dir.join("debug.log"))
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Azurite starts");
        let azurite = Azurite { child, port, dir };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Azurite did not listen on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(azurite)
    }

    /// The path-style endpoint of the emulator's account.
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/devstoreaccount1", self.port)
    }

    fn connection_string(&self, key: &str) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint={}/;",
            self.endpoint()
        )
    }

    /// Runs `blobs.js` with these arguments and returns what it printed.
    fn blobs(&self, args: &[&str]) -> String {
        let output = Command::new("node")
            .arg(harness().join("blobs.js"))
            .arg(self.endpoint())
            .args(args)
            .output()
            .expect("node runs");
        assert!(
            output.status.success(),
            "blobs.js {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// The debug log, once Azurite has stopped writing to it (it writes behind the
    /// answers).
    fn log(&self) -> String {
        let path = self.dir.join("debug.log");
        let size = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let started = Instant::now();
        let mut last = size();
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = size();
            if (now == last && now > 0) || started.elapsed() > Duration::from_secs(10) {
                break;
            }
            last = now;
        }
        std::fs::read_to_string(&path).unwrap_or_default()
    }

    /// The listing requests the tool made (the SDK's own are not counted): the `prefix`
    /// of each, and whether it went on from a marker (a page after the first).
    fn listings(&self) -> Vec<(String, bool)> {
        let log = self.log();
        log.lines()
            .filter(|line| {
                line.contains("BlobStorageContextMiddleware: RequestMethod=GET")
                    && line.contains("comp=list")
                    && line.contains("object_store/")
            })
            .map(|line| {
                let url = line
                    .split("RequestURL=")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .unwrap_or_default();
                let query = url.split_once('?').map_or("", |(_, query)| query);
                let param = |name: &str| {
                    query
                        .split('&')
                        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                        .map(|value| value.replace("%2F", "/").replace("%3D", "="))
                };
                (
                    param("prefix").unwrap_or_default(),
                    param("marker").is_some(),
                )
            })
            .collect()
    }

    /// How many blob reads (whole or a range) the tool made.
    fn blob_reads(&self) -> usize {
        let log = self.log();
        log.lines()
            .filter(|line| {
                line.contains("BlobStorageContextMiddleware: RequestMethod=GET")
                    && !line.contains("comp=list")
                    && line.contains("object_store/")
            })
            .count()
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `analyze` with the emulator's credentials in the connection string and nothing else
/// from the caller's environment.
fn triage_with(connection_string: &str) -> assert_cmd::Command {
    let mut command = triage();
    for name in [
        "AZURE_STORAGE_ACCOUNT",
        "AZURE_STORAGE_KEY",
        "AZURE_STORAGE_SAS_TOKEN",
    ] {
        command.env_remove(name);
    }
    command.env("AZURE_STORAGE_CONNECTION_STRING", connection_string);
    command
}

/// Two hubs' logs over six hours in the storage layout, one hour per `PT1H.json`, hub
/// B's third hour gzipped and its fourth in a zip archive: what a diagnostic setting
/// writes, plus what people upload.
fn layout(dir: &Path) {
    use std::io::Write as _;
    let _ = std::fs::remove_dir_all(dir);
    for (hub, seed) in [("HUB-A", "3"), ("HUB-B", "4")] {
        let output = triage()
            .args([
                "generate",
                "--seed",
                seed,
                "--devices",
                "30",
                "--hours",
                "6",
            ])
            .output()
            .expect("generates");
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).expect("UTF-8");
        let mut hours: std::collections::BTreeMap<String, String> = Default::default();
        for line in text.lines() {
            let hour = line
                .split("\"time\":\"2026-03-02T")
                .nth(1)
                .map(|rest| rest[..2].to_string())
                .expect("a time");
            let lines = hours.entry(hour).or_default();
            lines.push_str(line);
            lines.push('\n');
        }
        for (hour, lines) in hours {
            let folder = dir.join(format!("{HUB}/{hub}/y=2026/m=03/d=02/h={hour}/m=00"));
            std::fs::create_dir_all(&folder).expect("a folder");
            match (hub, hour.as_str()) {
                ("HUB-B", "02") => {
                    let mut gz = flate2::write::GzEncoder::new(
                        std::fs::File::create(folder.join("PT1H.json.gz")).expect("a file"),
                        flate2::Compression::fast(),
                    );
                    gz.write_all(lines.as_bytes()).expect("written");
                    gz.finish().expect("written");
                }
                ("HUB-B", "03") => {
                    let file = std::fs::File::create(folder.join("PT1H.zip")).expect("a file");
                    let mut zip = zip::ZipWriter::new(file);
                    zip.start_file("PT1H.json", zip::write::SimpleFileOptions::default())
                        .expect("zip");
                    zip.write_all(lines.as_bytes()).expect("zip");
                    zip.finish().expect("zip");
                }
                _ => std::fs::write(folder.join("PT1H.json"), lines).expect("written"),
            }
        }
    }
}

fn json_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

#[test]
fn a_storage_layout_of_two_hubs_reads_as_the_same_files_on_disk_and_since_prunes_its_hours() {
    let Some(azurite) = Azurite::start("layout") else {
        return;
    };
    let dir = azurite.dir.join("layout");
    layout(&dir);
    azurite.blobs(&["container", "insights-logs-connections"]);
    azurite.blobs(&[
        "upload",
        "insights-logs-connections",
        dir.to_str().expect("UTF-8"),
    ]);
    let connection = azurite.connection_string(KEY);
    let disk = format!("{}/", dir.display());
    let az = "az://devstoreaccount1/insights-logs-connections/";

    // The whole container: one flat listing, and the report of the files on disk with
    // each blob named where the file was.
    let from_disk = json_of(
        &triage()
            .arg("analyze")
            .arg(&dir)
            .args(["--format", "json"])
            .output()
            .expect("runs"),
    );
    let from_storage = json_of(
        &triage_with(&connection)
            .args(["analyze", az, "--format", "json"])
            .output()
            .expect("runs"),
    );
    assert!(from_storage.contains("/h=03/m=00/PT1H.zip:PT1H.json"));
    assert!(from_storage.contains("/h=02/m=00/PT1H.json.gz"));
    assert_eq!(from_disk.replace(&disk, az), from_storage);
    let whole = azurite.listings();
    assert_eq!(whole.len(), 1, "{whole:?}");
    let reads_whole = azurite.blob_reads();

    // The same through the URL and a SAS token made by Microsoft's SDK, no credentials
    // in the environment.
    let sas = azurite.blobs(&["sas", "insights-logs-connections"]);
    let url = format!("{}/insights-logs-connections", azurite.endpoint());
    let through_url = json_of(
        &triage_with("")
            .args(["analyze", &format!("{url}?{sas}"), "--format", "json"])
            .output()
            .expect("runs"),
    );
    assert!(!through_url.contains("sig="));
    assert_eq!(through_url.replace(&format!("{url}/"), az), from_storage);

    // From 04:00: hours 00 to 03 of either hub are never listed, never read.
    let before = azurite.listings().len();
    let reads_before = azurite.blob_reads();
    let since = json_of(
        &triage_with(&connection)
            .args([
                "analyze",
                az,
                "--since",
                "2026-03-02T04:00:00Z",
                "--format",
                "json",
            ])
            .output()
            .expect("runs"),
    );
    let pruned: Vec<(String, bool)> = azurite.listings().split_off(before);
    for (prefix, _) in &pruned {
        for hour in ["00", "01", "02", "03"] {
            assert!(!prefix.contains(&format!("h={hour}/")), "{prefix}");
        }
    }
    let hours_listed: Vec<&str> = pruned
        .iter()
        .map(|(prefix, _)| prefix.as_str())
        .filter(|prefix| prefix.contains("/h="))
        .collect();
    assert_eq!(hours_listed.len(), 4, "{hours_listed:?}");
    let reads_since = azurite.blob_reads() - reads_before;
    // Each blob is looked at twice (its compression, then its kind of content) and
    // read once.
    assert_eq!(
        reads_since,
        4 * 3,
        "{reads_since} reads of the 4 blobs in the window"
    );
    let report: serde_json::Value = serde_json::from_str(&since).expect("JSON");
    let sources: Vec<&str> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|input| input["source"].as_str())
        .collect();
    assert_eq!(sources.len(), 4, "{sources:?}");
    assert!(
        sources
            .iter()
            .all(|s| s.contains("/h=04/") || s.contains("/h=05/"))
    );
    eprintln!(
        "storage listing: {} request(s) for the whole container, {} with --since ({} reads against {})",
        whole.len(),
        pruned.len(),
        reads_since,
        reads_whole
    );
}

#[test]
fn more_than_a_page_of_blobs_is_listed_whole() {
    let Some(azurite) = Azurite::start("pages") else {
        return;
    };
    let record = azurite.dir.join("record.json");
    std::fs::write(
        &record,
        r#"{"time":"2026-03-02T10:17:10Z","operationName":"deviceConnect","category":"Connections","level":"Information","properties":"{\"deviceId\":\"pump-1\"}"}"#,
    )
    .expect("written");
    azurite.blobs(&["container", "logs"]);
    let hour = "y=2026/m=03/d=02/h=10/m=00";
    azurite.blobs(&[
        "many",
        "logs",
        hour,
        "5001",
        record.to_str().expect("UTF-8"),
    ]);
    let sas = azurite.blobs(&["sas", "logs"]);
    let url = format!("{}/logs/y=2026?{sas}", azurite.endpoint());
    // Listed through the library: reading 5,001 one-line inputs adds nothing here
    // that the layout test does not show, and takes minutes in a debug build.
    let units =
        input::expand(&[Source::new(&url)], &Limits::default(), &mut |_| {}).expect("lists");
    assert_eq!(units.len(), 5001);
    assert!(
        units[5000]
            .name
            .ends_with(&format!("{hour}/blob-05000.json"))
    );
    let mut heard = Heard::default();
    input::read(&units[5000], 0, &Options::default(), &mut heard).expect("reads");
    assert_eq!(heard.records, 1);
    // A request the client retried (a slow answer on a loaded machine) is the same
    // request twice; the emulator writes its log a little after answering.
    let mut listings = Vec::new();
    for _ in 0..50 {
        listings = azurite.listings();
        listings.dedup();
        if listings.len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(listings.len(), 2, "two pages: {listings:?}");
    assert!(
        !listings[0].1 && listings[1].1,
        "the second page goes on from the first's marker"
    );
}

#[test]
fn a_wrong_key_a_missing_container_and_no_server_exit_2_saying_which() {
    let Some(azurite) = Azurite::start("errors") else {
        return;
    };
    azurite.blobs(&["container", "logs"]);
    let wrong = azurite.connection_string("d3Jvbmcga2V5IGZvciB0ZXN0cw==");
    triage_with(&wrong)
        .args(["analyze", "az://devstoreaccount1/logs"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "az://devstoreaccount1/logs: the storage account refused the credentials (AZURE_STORAGE_CONNECTION_STRING)",
        ));
    triage_with(&azurite.connection_string(KEY))
        .args(["analyze", "az://devstoreaccount1/missing"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "az://devstoreaccount1/missing: the container does not exist",
        ));
    let sas = format!(
        "{}/logs?sv=2020-10-02&sr=c&sp=rl&sig=bm90IGEgc2lnbmF0dXJl",
        azurite.endpoint()
    );
    triage_with("")
        .args(["analyze", &sas])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "refused the credentials (the SAS token in the URL)",
        ))
        .stderr(predicates::str::contains("bm90IGEgc2lnbmF0dXJl").not());
}

#[test]
fn an_endpoint_nobody_listens_on_exits_2_after_the_retries() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let started = Instant::now();
    triage_with("")
        .args([
            "analyze",
            &format!("http://127.0.0.1:{port}/devstoreaccount1/logs?sv=1&sig=c2VjcmV0"),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "cannot reach http://127.0.0.1:{port}/devstoreaccount1 (retried with back-off)"
        )))
        .stderr(predicates::str::contains("c2VjcmV0").not());
    assert!(started.elapsed() < Duration::from_secs(60));
}

use predicates::prelude::PredicateBooleanExt as _;

/// Everything the reading says, as text.
#[derive(Default)]
struct Heard {
    records: usize,
    warnings: Vec<String>,
}

impl Sink for Heard {
    fn outcome(&mut self, _: Position, outcome: Outcome) {
        if matches!(outcome, Outcome::Record(_)) {
            self.records += 1;
        }
    }
    fn warning(&mut self, _: usize, message: String) {
        self.warnings.push(message);
    }
}

#[test]
fn a_blob_deleted_after_the_listing_is_reported_and_the_others_read() {
    let Some(azurite) = Azurite::start("deleted") else {
        return;
    };
    let dir = azurite.dir.join("layout");
    layout(&dir);
    azurite.blobs(&["container", "logs"]);
    azurite.blobs(&["upload", "logs", dir.to_str().expect("UTF-8")]);
    let sas = azurite.blobs(&["sas", "logs"]);
    let url = format!("{}/logs/{HUB}/HUB-A?{sas}", azurite.endpoint());
    let units =
        input::expand(&[Source::new(&url)], &Limits::default(), &mut |_| {}).expect("lists");
    assert_eq!(units.len(), 6);
    let gone = format!("{HUB}/HUB-A/y=2026/m=03/d=02/h=01/m=00/PT1H.json");
    azurite.blobs(&["delete", "logs", &gone]);
    let mut heard = Heard::default();
    for (index, unit) in units.iter().enumerate() {
        input::read(unit, index, &Options::default(), &mut heard).expect("reads on");
    }
    assert_eq!(
        heard.warnings,
        ["skipped, the blob was deleted after it was listed"]
    );
    assert!(heard.records > 0);
}

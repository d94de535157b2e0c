//! Expanding what the user names into readable inputs: files, standard input, whole
//! directories (walked recursively), gzip streams and the entries of zip archives (a CI
//! artifact is usually a zip of `PT1H.json` blobs in the storage folder layout).
//!
//! Compression is recognised from the content, never from the name. Everything is read
//! as a stream, and every decompressed stream is capped so that a small archive cannot
//! expand into an unbounded one. Archive entries are only ever read, never written to
//! disk, but entries whose names escape the archive are refused all the same, so nothing
//! downstream can be tricked by them.
//!
//! Here: what a [`Unit`] is, how named sources become units (directories walked, with the
//! name rule shared with archives), and how a unit is opened. Zip archives are listed and
//! their entries read in `zip`; recognising and capping compressed streams is in
//! `compression`.

mod compression;
mod zip;

use self::compression::{Compression, Limited, peek, read_head};
use self::zip::{Archive, Entry, expand_zip};
use super::Source;
use super::storage::{self, Blob};
use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Limits against decompression bombs and runaway archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one input may produce after decompression (default 4 GiB). Also caps a zip
    /// archive read from standard input, which is held in memory.
    pub max_decompressed: u64,
    /// Entries one zip archive may hold (default 100 000).
    pub max_entries: usize,
    /// Bytes the zip entries of a whole run may declare together (default 64 GiB): an
    /// archive of many entries, each under `max_decompressed`, is bounded all the same.
    /// An entry cannot yield more than it declares.
    pub max_total_decompressed: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed: 4 << 30,
            max_entries: 100_000,
            max_total_decompressed: 64 << 30,
        }
    }
}

/// One readable input: a file, stdin, a gzip stream, or one entry of a zip archive.
#[derive(Debug)]
pub struct Unit {
    /// Shown in reports: the path, `<stdin>`, or `bundle.zip:y=2026/.../PT1H.json`.
    pub name: String,
    kind: UnitKind,
    /// Named on the command line (or standard input), rather than found in a directory
    /// or an archive: only such an input stops the run when it cannot be read.
    named: bool,
}

#[derive(Debug)]
enum UnitKind {
    /// The first bytes were read to recognise the content; standard input can be opened
    /// only once.
    Stdin {
        head: Vec<u8>,
    },
    File(PathBuf),
    Entry {
        archive: Arc<Archive>,
        entry: Entry,
    },
    /// An archive entry that cannot be read; opening it reports why, like any other
    /// unreadable input.
    Unreadable(String),
    /// A blob in Azure Storage.
    Blob(Blob),
    /// A file found in a directory that could not even be listed (a damaged archive);
    /// opening it gives the whole message.
    Failed(String),
}

/// File names taken from directories and archives; a file named explicitly is always read.
const LOG_EXTENSIONS: [&str; 9] = [
    ".avro", ".csv", ".gz", ".json", ".jsonl", ".log", ".ndjson", ".txt", ".zip",
];

const STDIN: &str = "<stdin>";

/// Turns the named sources into readable units, in a deterministic order. Files and entries
/// passed over are reported through `warn`.
///
/// # Errors
///
/// A source that cannot be read as a whole: missing, not a readable zip archive, holding
/// more than `limits.max_entries` entries, or a zip on standard input larger than
/// `limits.max_decompressed`.
pub fn expand(
    sources: &[Source],
    limits: &Limits,
    warn: &mut dyn FnMut(String),
) -> Result<Vec<Unit>> {
    let mut units = Vec::new();
    for source in sources {
        match source {
            Source::Stdin => expand_stdin(limits, warn, &mut units)?,
            Source::Path(path) => {
                let name = path.display().to_string();
                let metadata =
                    fs::metadata(path).with_context(|| format!("{name}: cannot open"))?;
                if metadata.is_dir() {
                    let mut files = Vec::new();
                    let mut skipped = Skipped::default();
                    walk(path, &mut files, &mut skipped, warn)?;
                    skipped.report(&name, ("file", "files"), warn);
                    for file in files {
                        // A damaged file among many is skipped when it is read, with
                        // the others; only what was named may stop the run.
                        if let Err(err) = expand_file(&file, limits, warn, &mut units) {
                            units.push(Unit {
                                name: file.display().to_string(),
                                kind: UnitKind::Failed(format!("{err:#}")),
                                named: false,
                            });
                        }
                    }
                } else {
                    let first = units.len();
                    expand_file(path, limits, warn, &mut units)?;
                    // A named file is named; the entries of a named archive are found.
                    if let [unit] = &mut units[first..]
                        && matches!(unit.kind, UnitKind::File(_))
                    {
                        unit.named = true;
                    }
                }
            }
            Source::Storage(location) => expand_storage(location, limits, warn, &mut units)?,
        }
    }
    let declared = units
        .iter()
        .filter_map(|unit| match &unit.kind {
            UnitKind::Entry { entry, .. } => Some(entry.size),
            _ => None,
        })
        .fold(0u64, u64::saturating_add);
    if declared > limits.max_total_decompressed {
        bail!(
            "the archives' entries declare {declared} bytes uncompressed in all, more than the limit of {} bytes for a run (--max-total-decompressed-size)",
            limits.max_total_decompressed
        );
    }
    Ok(units)
}

impl Unit {
    /// Whether the input is standard input, which can be read only once.
    pub fn is_stdin(&self) -> bool {
        matches!(self.kind, UnitKind::Stdin { .. })
    }

    /// Whether the input was named on the command line (or is standard input), rather
    /// than found in a directory or an archive.
    pub fn named(&self) -> bool {
        self.named
    }

    /// The size of a plain file on disk, for progress; `None` for anything else.
    pub fn file_size(&self) -> Option<u64> {
        match &self.kind {
            UnitKind::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            _ => None,
        }
    }

    /// How many bytes the input holds, when known before reading it: a plain file's
    /// size on disk (compressed, for a gzip file), an archive entry's declared size.
    pub fn size_hint(&self) -> Option<u64> {
        match &self.kind {
            UnitKind::Entry { entry, .. } => Some(entry.size),
            UnitKind::Blob(blob) => Some(blob.size),
            _ => self.file_size(),
        }
    }

    /// Up to `n` bytes of the start of the content, decompressed, leaving the unit whole
    /// to read afterwards: standard input keeps what was read in front of the rest.
    /// Empty for compressed standard input, which can be opened only once.
    ///
    /// # Errors
    ///
    /// The input cannot be opened or read.
    pub fn prefix(&mut self, limits: &Limits, n: usize) -> Result<Vec<u8>> {
        if let UnitKind::Stdin { head } = &mut self.kind {
            if Compression::of(head) != Compression::None {
                return Ok(Vec::new());
            }
            let mut stdin = io::stdin().lock();
            let mut chunk = vec![0; 64 * 1024];
            while head.len() < n {
                let read = stdin
                    .read(&mut chunk)
                    .with_context(|| format!("{STDIN}: cannot read"))?;
                if read == 0 {
                    break;
                }
                head.extend_from_slice(&chunk[..read]);
            }
            return Ok(head[..head.len().min(n)].to_vec());
        }
        let mut out = Vec::new();
        let stream = match &self.kind {
            UnitKind::Blob(blob) => match blob.open_quietly() {
                // Gone since listed: reading it will say so.
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(out),
                other => decompressed(
                    peek(other.with_context(|| format!("{}: cannot read", self.name))?)
                        .with_context(|| format!("{}: cannot read", self.name))?,
                    limits,
                    &self.name,
                )?,
            },
            _ => self.open(limits)?,
        };
        stream
            .take(n as u64)
            .read_to_end(&mut out)
            .with_context(|| format!("{}: cannot read", self.name))?;
        Ok(out)
    }

    /// The decompressed content. Decompressed streams fail with an `InvalidData` error once
    /// they pass `limits.max_decompressed`.
    ///
    /// # Errors
    ///
    /// The input cannot be opened, an archive entry is unreadable (encrypted, an unsupported
    /// method, a damaged header) or declares more than `limits.max_decompressed` bytes.
    pub fn open(&self, limits: &Limits) -> Result<Box<dyn Read + '_>> {
        let name = &self.name;
        let limit = limits.max_decompressed;
        let (compression, stream): (_, Box<dyn Read + '_>) = match &self.kind {
            UnitKind::Stdin { head } => (
                Compression::of(head),
                Box::new(head.as_slice().chain(io::stdin().lock())),
            ),
            UnitKind::File(path) => {
                let file = File::open(path).with_context(|| format!("{name}: cannot open"))?;
                peek(file).with_context(|| format!("{name}: cannot read"))?
            }
            UnitKind::Entry { archive, entry } => {
                if entry.size > limit {
                    bail!(
                        "{name}: the entry declares {} bytes uncompressed, more than the limit of {limit} bytes (--max-decompressed-size)",
                        entry.size
                    );
                }
                // The entry fails as soon as it yields more than it declared, so its own
                // content needs no further cap; gzip inside it gets one below.
                let stream = entry
                    .open(archive)
                    .with_context(|| format!("{name}: cannot read"))?;
                peek(stream).with_context(|| format!("{name}: cannot read"))?
            }
            UnitKind::Unreadable(reason) => bail!("{name}: {reason}"),
            UnitKind::Blob(blob) => {
                let stream = blob
                    .open()
                    .with_context(|| format!("{name}: cannot read"))?;
                peek(stream).with_context(|| format!("{name}: cannot read"))?
            }
            UnitKind::Failed(message) => bail!("{message}"),
        };
        decompressed((compression, stream), limits, name)
    }
}

/// A stream as it reads once decompressed, capped at the limit.
fn decompressed<'a>(
    (compression, stream): (Compression, Box<dyn Read + 'a>),
    limits: &Limits,
    name: &str,
) -> Result<Box<dyn Read + 'a>> {
    let limit = limits.max_decompressed;
    match compression {
        Compression::Gzip => Ok(Box::new(Limited::new(MultiGzDecoder::new(stream), limit))),
        // Archives are listed by `expand`; one found only now came through a pipe.
        Compression::Zip => {
            bail!("{name}: a zip archive can only be read from a regular file or standard input")
        }
        Compression::None => Ok(stream),
    }
}

/// The blobs of a storage location, each a unit; a zip archive among them is held in
/// memory and its entries become units.
fn expand_storage(
    location: &storage::Location,
    limits: &Limits,
    warn: &mut dyn FnMut(String),
    units: &mut Vec<Unit>,
) -> Result<()> {
    let mut skipped = Skipped::default();
    let blobs = storage::list(
        location,
        &mut |name| {
            let keep = has_log_extension(name);
            if !keep {
                skipped.add(|| name.to_string());
            }
            keep
        },
        warn,
    )?;
    skipped.report(&location.display_name(), ("blob", "blobs"), warn);
    if blobs.is_empty() {
        let within = if location.window == storage::Window::default() {
            ""
        } else {
            " inside --since/--until"
        };
        warn(format!(
            "{}: no log blobs under this prefix{within}",
            location.display_name()
        ));
    }
    for blob in blobs {
        if blob.zip {
            let bytes = blob.download(limits.max_decompressed)?;
            let archive = Arc::new(Archive::Memory(bytes));
            expand_zip(&blob.name, &archive, limits, warn, units)?;
        } else {
            // A blob is found under the address named, not named itself.
            units.push(Unit {
                name: blob.name.clone(),
                kind: UnitKind::Blob(blob),
                named: false,
            });
        }
    }
    Ok(())
}

fn expand_stdin(
    limits: &Limits,
    warn: &mut dyn FnMut(String),
    units: &mut Vec<Unit>,
) -> Result<()> {
    let mut stdin = io::stdin().lock();
    let mut head = [0; 4];
    let filled =
        read_head(&mut stdin, &mut head).with_context(|| format!("{STDIN}: cannot read"))?;
    let head = &head[..filled];
    if Compression::of(head) != Compression::Zip {
        units.push(Unit {
            name: STDIN.to_string(),
            kind: UnitKind::Stdin {
                head: head.to_vec(),
            },
            named: true,
        });
        return Ok(());
    }
    let limit = limits.max_decompressed;
    let mut bytes = head.to_vec();
    stdin
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("{STDIN}: cannot read"))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{STDIN}: a zip archive on standard input is held in memory and it is larger than the limit of {limit} bytes (--max-decompressed-size); save it to a file and name the file"
        );
    }
    expand_zip(
        STDIN,
        &Arc::new(Archive::Memory(bytes)),
        limits,
        warn,
        units,
    )
}

fn expand_file(
    path: &Path,
    limits: &Limits,
    warn: &mut dyn FnMut(String),
    units: &mut Vec<Unit>,
) -> Result<()> {
    let name = path.display().to_string();
    let mut file = File::open(path).with_context(|| format!("{name}: cannot open"))?;
    // A named pipe (`<(az ...)`) can be read only once, so only `open` looks inside it.
    if file.metadata().is_ok_and(|metadata| metadata.is_file()) {
        let mut head = [0; 4];
        let filled =
            read_head(&mut file, &mut head).with_context(|| format!("{name}: cannot read"))?;
        if Compression::of(&head[..filled]) == Compression::Zip {
            let archive = Arc::new(Archive::File(path.to_path_buf()));
            return expand_zip(&name, &archive, limits, warn, units);
        }
    }
    units.push(Unit {
        name,
        kind: UnitKind::File(path.to_path_buf()),
        named: false,
    });
    Ok(())
}

/// Collects the files under `dir`, sorted by name at every level. Hidden names are passed
/// over silently; symbolic links to directories are not followed, so a link cannot loop.
fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    skipped: &mut Skipped,
    warn: &mut dyn FnMut(String),
) -> Result<()> {
    let context = || format!("{}: cannot read the directory", dir.display());
    let mut entries = fs::read_dir(dir)
        .and_then(Iterator::collect::<io::Result<Vec<_>>>)
        .with_context(context)?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let file_name = entry.file_name();
        if file_name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        let mut file_type = entry.file_type().with_context(context)?;
        if file_type.is_symlink() {
            match fs::metadata(&path) {
                Ok(target) if target.is_dir() => {
                    warn(format!(
                        "{}: a symbolic link to a directory, not followed",
                        path.display()
                    ));
                    continue;
                }
                Ok(target) => file_type = target.file_type(),
                Err(err) => {
                    warn(format!(
                        "{}: skipped, the symbolic link is broken: {err}",
                        path.display()
                    ));
                    continue;
                }
            }
        }
        if file_type.is_dir() {
            walk(&path, files, skipped, warn)?;
        } else if !file_type.is_file() {
            warn(format!(
                "{}: skipped, {}, not a regular file (name it on the command line to read it)",
                path.display(),
                special_file(file_type)
            ));
        } else if has_log_extension(&file_name) || is_avro(&path) {
            files.push(path);
        } else {
            skipped.add(|| path.display().to_string());
        }
    }
    Ok(())
}

/// Whether a file starts like an Avro container (Event Hubs Capture and routing files
/// named without `.avro`): taken by its content, not passed over for its name.
fn is_avro(path: &Path) -> bool {
    let mut head = [0; 4];
    File::open(path)
        .and_then(|mut file| read_head(&mut file, &mut head))
        .is_ok_and(|filled| head[..filled] == *super::avro::MAGIC)
}

/// What a directory entry that is neither a file, a directory nor a link is.
fn special_file(file_type: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    let _ = file_type;
    "a special file"
}

fn has_log_extension(name: impl AsRef<OsStr>) -> bool {
    let name = name.as_ref().to_string_lossy().to_ascii_lowercase();
    LOG_EXTENSIONS
        .iter()
        .any(|extension| name.ends_with(extension))
}

/// Files or entries passed over for their names, reported once per directory or archive.
#[derive(Default)]
struct Skipped {
    count: usize,
    example: Option<String>,
}

impl Skipped {
    fn add(&mut self, name: impl FnOnce() -> String) {
        self.count += 1;
        self.example.get_or_insert_with(name);
    }

    /// `what` is the thing skipped, in the singular and the plural (`("file", "files")`).
    fn report(self, container: &str, what: (&str, &str), warn: &mut dyn FnMut(String)) {
        let Some(example) = self.example else { return };
        let what = if self.count == 1 { what.0 } else { what.1 };
        warn(format!(
            "{container}: skipped {} {what} not named like a log export (for example {example}); only {} are read",
            self.count,
            LOG_EXTENSIONS.join(" "),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::zip::write::SimpleFileOptions;
    use ::zip::{CompressionMethod, ZipWriter};
    use flate2::write::GzEncoder;
    use std::io::{Cursor, Write};

    // The helpers below are shared with the tests in `zip` and `compression`.

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

    pub(super) fn bundle(name: &str) -> String {
        format!("{FIXTURES}/bundles/{name}")
    }

    pub(super) fn original() -> Vec<u8> {
        fs::read(format!("{FIXTURES}/shapes/PT1H.json")).expect("fixture")
    }

    pub(super) fn expand_paths(
        paths: &[&str],
        limits: &Limits,
    ) -> (Result<Vec<Unit>>, Vec<String>) {
        let sources: Vec<Source> = paths.iter().map(|path| Source::new(path)).collect();
        let mut warnings = Vec::new();
        let units = expand(&sources, limits, &mut |message| warnings.push(message));
        (units, warnings)
    }

    pub(super) fn expand_memory(zip: Vec<u8>, limits: &Limits) -> (Result<Vec<Unit>>, Vec<String>) {
        let mut units = Vec::new();
        let mut warnings = Vec::new();
        let archive = Arc::new(Archive::Memory(zip));
        let result = expand_zip(
            "mem.zip",
            &archive,
            limits,
            &mut |message| warnings.push(message),
            &mut units,
        );
        (result.map(|()| units), warnings)
    }

    pub(super) fn contents(unit: &Unit, limits: &Limits) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        unit.open(limits)?
            .read_to_end(&mut bytes)
            .with_context(|| unit.name.clone())?;
        Ok(bytes)
    }

    pub(super) fn names(units: &[Unit]) -> Vec<&str> {
        units.iter().map(|unit| unit.name.as_str()).collect()
    }

    pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    pub(super) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for (name, bytes) in entries {
            writer.start_file(*name, options).expect("zip");
            writer.write_all(bytes).expect("zip");
        }
        writer.finish().expect("zip").into_inner()
    }

    #[test]
    fn a_directory_yields_its_logs_in_name_order_and_warns_once_about_the_rest() {
        let limits = Limits::default();
        let (units, warnings) = expand_paths(&[&bundle("nested")], &limits);
        let units = units.expect("expands");
        let nested = bundle("nested");
        assert_eq!(
            names(&units),
            [
                format!("{nested}/a/PT1H.json"),
                format!("{nested}/b/c/PT1H.json.gz")
            ]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!("{nested}: skipped 1 file ")),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains("b/ignore.png"), "{}", warnings[0]);
        let mut joined = contents(&units[0], &limits).expect("reads");
        joined.extend(contents(&units[1], &limits).expect("reads"));
        assert_eq!(joined, original());
    }

    #[test]
    fn gzip_files_and_zip_entries_open_to_the_original_bytes() {
        let limits = Limits::default();
        let (units, warnings) = expand_paths(
            &[&bundle("PT1H.json.gz"), &bundle("ci-artifact.zip")],
            &limits,
        );
        let units = units.expect("expands");
        let blob = "resourceId=/SUBSCRIPTIONS/5F1C2A4E-0000-4000-8000-00000000ABCD/RESOURCEGROUPS/IOT-PROD-RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/CONTOSO-FLEET-HUB/y=2026/m=03/d=02";
        let zip = bundle("ci-artifact.zip");
        assert_eq!(
            names(&units),
            [
                bundle("PT1H.json.gz"),
                format!("{zip}:{blob}/h=08/m=00/PT1H.json"),
                format!("{zip}:{blob}/h=09/m=00/PT1H.json"),
            ]
        );
        assert_eq!(contents(&units[0], &limits).expect("reads"), original());
        let mut joined = contents(&units[1], &limits).expect("reads");
        joined.extend(contents(&units[2], &limits).expect("reads"));
        // The bundle holds the sample's records and gw-3's besides.
        let sample: Vec<u8> = joined
            .split_inclusive(|&b| b == b'\n')
            .filter(|line| !line.windows(8).any(|w| w == br#"\"gw-3\""#))
            .flatten()
            .copied()
            .collect();
        assert_eq!(sample, original());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .contains("skipped 1 entry not named like a log export (for example notes.md)"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn an_entry_declaring_more_than_the_limit_is_not_read() {
        let limits = Limits {
            max_decompressed: 10,
            ..Limits::default()
        };
        let (units, _) = expand_memory(zip_of(&[("big.json", &[b' '; 11])]), &limits);
        let err = units.expect("expands")[0]
            .open(&limits)
            .err()
            .expect("refused");
        assert_eq!(
            format!("{err:#}"),
            "mem.zip:big.json: the entry declares 11 bytes uncompressed, more than the limit of 10 bytes (--max-decompressed-size)"
        );
    }

    #[test]
    fn a_missing_path_is_named_in_the_error() {
        let missing = bundle("missing.json");
        let err = expand_paths(&[&missing], &Limits::default())
            .0
            .expect_err("missing");
        assert!(
            format!("{err:#}").starts_with(&format!(
                "{missing}: cannot open: No such file or directory"
            )),
            "{err:#}"
        );
    }

    #[test]
    fn a_file_named_explicitly_is_taken_whatever_its_name() {
        let (units, warnings) = expand_paths(&[&bundle("nested/b/ignore.png")], &Limits::default());
        assert_eq!(
            names(&units.expect("expands")),
            [bundle("nested/b/ignore.png")]
        );
        assert!(warnings.is_empty());
    }
}

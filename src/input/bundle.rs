//! Expanding what the user names into readable inputs: files, standard input, whole
//! directories (walked recursively), gzip streams and the entries of zip archives (a CI
//! artifact is usually a zip of `PT1H.json` blobs in the storage folder layout).
//!
//! Compression is recognised from the content, never from the name. Everything is read
//! as a stream, and every decompressed stream is capped so that a small archive cannot
//! expand into an unbounded one. Archive entries are only ever read, never written to
//! disk, but entries whose names escape the archive are refused all the same, so nothing
//! downstream can be tricked by them.

use super::Source;
use anyhow::{Context, Result, bail};
use flate2::Crc;
use flate2::read::{DeflateDecoder, MultiGzDecoder};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zip::{CompressionMethod, ZipArchive};

/// Limits against decompression bombs and runaway archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one input may produce after decompression (default 4 GiB). Also caps a zip
    /// archive read from standard input, which is held in memory.
    pub max_decompressed: u64,
    /// Entries one zip archive may hold (default 100 000).
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed: 4 << 30,
            max_entries: 100_000,
        }
    }
}

/// One readable input: a file, stdin, a gzip stream, or one entry of a zip archive.
#[derive(Debug)]
pub struct Unit {
    /// Shown in reports: the path, `<stdin>`, or `bundle.zip:y=2026/.../PT1H.json`.
    pub name: String,
    kind: UnitKind,
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
}

#[derive(Debug)]
enum Archive {
    File(PathBuf),
    /// A zip on standard input, held in memory because reading a zip needs to seek.
    Memory(Vec<u8>),
}

/// Where an entry's data lies in its archive, taken from the central directory.
#[derive(Debug)]
struct Entry {
    data_start: u64,
    compressed_size: u64,
    size: u64,
    crc32: u32,
    deflated: bool,
}

/// File names taken from directories and archives; a file named explicitly is always read.
const LOG_EXTENSIONS: [&str; 8] = [
    ".csv", ".gz", ".json", ".jsonl", ".log", ".ndjson", ".txt", ".zip",
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
                    skipped.report(&name, "file", warn);
                    for file in files {
                        expand_file(&file, limits, warn, &mut units)?;
                    }
                } else {
                    expand_file(path, limits, warn, &mut units)?;
                }
            }
        }
    }
    Ok(units)
}

impl Unit {
    /// The decompressed content. Decompressed streams fail with an `InvalidData` error once
    /// they pass `limits.max_decompressed`.
    ///
    /// # Errors
    ///
    /// The input cannot be opened, an archive entry is unreadable (encrypted, an unsupported
    /// method, a damaged header) or declares more than `limits.max_decompressed` bytes.
    /// The size of a plain file on disk, for progress; `None` for anything else.
    pub fn file_size(&self) -> Option<u64> {
        match &self.kind {
            UnitKind::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            _ => None,
        }
    }

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
        };
        match compression {
            Compression::Gzip => Ok(Box::new(Limited::new(MultiGzDecoder::new(stream), limit))),
            // Archives are listed by `expand`; one found only now came through a pipe.
            Compression::Zip => bail!(
                "{name}: a zip archive can only be read from a regular file or standard input"
            ),
            Compression::None => Ok(stream),
        }
    }
}

/// How a stream is compressed, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zip,
    None,
}

impl Compression {
    /// Needs the first four bytes (fewer only at the end of the input).
    fn of(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Compression::Zip
        } else {
            Compression::None
        }
    }
}

/// Reads the first bytes and hands back a reader that yields them again.
fn peek<'a>(mut reader: impl Read + 'a) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut head = [0; 4];
    let filled = read_head(&mut reader, &mut head)?;
    let again = Cursor::new(head).take(filled as u64);
    Ok((
        Compression::of(&head[..filled]),
        Box::new(again.chain(reader)),
    ))
}

/// Fills `head` unless the input ends first; a pipe may hand over fewer bytes per read.
fn read_head(reader: &mut dyn Read, head: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
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
        } else if file_type.is_file() && has_log_extension(&file_name) {
            files.push(path);
        } else {
            skipped.add(|| path.display().to_string());
        }
    }
    Ok(())
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

    fn report(self, container: &str, what: &str, warn: &mut dyn FnMut(String)) {
        let Some(example) = self.example else { return };
        let plural = if self.count == 1 { "" } else { "s" };
        warn(format!(
            "{container}: skipped {} {what}{plural} not named like a log export (for example {example}); only {} are read",
            self.count,
            LOG_EXTENSIONS.join(" "),
        ));
    }
}

/// Lists the entries of a zip archive as units, sorted by name, applying the same name
/// rule as in directories.
fn expand_zip(
    archive_name: &str,
    archive: &Arc<Archive>,
    limits: &Limits,
    warn: &mut dyn FnMut(String),
    units: &mut Vec<Unit>,
) -> Result<()> {
    let listed = match archive.as_ref() {
        Archive::File(path) => {
            let file = File::open(path).with_context(|| format!("{archive_name}: cannot open"))?;
            list_entries(archive_name, BufReader::new(file), limits, warn)?
        }
        Archive::Memory(bytes) => {
            list_entries(archive_name, Cursor::new(bytes.as_slice()), limits, warn)?
        }
    };
    for (entry_name, kind) in listed {
        let kind = match kind {
            Ok(entry) => {
                if entry.holds_a_zip(archive) {
                    warn(format!(
                        "{archive_name}: skipped entry {entry_name}: archives inside archives are not opened"
                    ));
                    continue;
                }
                UnitKind::Entry {
                    archive: Arc::clone(archive),
                    entry,
                }
            }
            Err(reason) => UnitKind::Unreadable(reason),
        };
        units.push(Unit {
            name: format!("{archive_name}:{entry_name}"),
            kind,
        });
    }
    Ok(())
}

type Listed = Vec<(String, Result<Entry, String>)>;

fn list_entries<R: Read + Seek>(
    archive_name: &str,
    reader: R,
    limits: &Limits,
    warn: &mut dyn FnMut(String),
) -> Result<Listed> {
    let mut zip = ZipArchive::new(reader)
        .with_context(|| format!("{archive_name}: not a readable zip archive"))?;
    if zip.len() > limits.max_entries {
        bail!(
            "{archive_name}: the archive holds {} entries, more than the limit of {}",
            zip.len(),
            limits.max_entries
        );
    }
    let mut listed = Vec::new();
    let mut skipped = Skipped::default();
    for index in 0..zip.len() {
        let file = zip
            .by_index_data(index)
            .with_context(|| format!("{archive_name}: not a readable zip archive"))?;
        let name = match file.name() {
            Ok(name) => name.into_owned(),
            Err(err) => {
                warn(format!(
                    "{archive_name}: skipped entry #{}: {err}",
                    index + 1
                ));
                continue;
            }
        };
        if escapes(&name) || file.enclosed_name().is_none() {
            warn(format!(
                "{archive_name}: refused entry {name}: it escapes the archive"
            ));
            continue;
        }
        if file.is_dir() || is_hidden(&name) {
            continue;
        }
        if file.is_symlink() || !has_log_extension(&name) {
            skipped.add(|| name);
            continue;
        }
        let entry = if file.encrypted() {
            Err("the entry is encrypted; only unencrypted archives can be read".to_string())
        } else {
            match file.compression() {
                CompressionMethod::Stored | CompressionMethod::Deflated => Ok(Entry {
                    data_start: 0,
                    compressed_size: file.compressed_size(),
                    size: file.size(),
                    crc32: file.crc32(),
                    deflated: file.compression() == CompressionMethod::Deflated,
                }),
                other => Err(format!(
                    "the entry is compressed with {other}; only stored and deflate entries can be read"
                )),
            }
        };
        // Where the data starts is only in the entry's local header.
        let entry = entry.and_then(|entry| match zip.by_index_raw(index) {
            Ok(raw) => raw
                .data_start()
                .map(|data_start| Entry {
                    data_start,
                    ..entry
                })
                .ok_or_else(|| "the entry's data cannot be located".to_string()),
            Err(err) => Err(format!("the entry cannot be read: {err}")),
        });
        listed.push((name, entry));
    }
    skipped.report(archive_name, "entry", warn);
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(listed)
}

/// An absolute name, a drive letter, or a `..` component: reading it as a path would
/// leave the folder the archive stands for.
fn escapes(name: &str) -> bool {
    let bytes = name.as_bytes();
    name.starts_with(['/', '\\'])
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || name.contains('\0')
        || name.split(['/', '\\']).any(|component| component == "..")
}

/// Dot files and folders (`.DS_Store`, macOS `._` forks, `.git`) are never logs.
fn is_hidden(name: &str) -> bool {
    name.split(['/', '\\'])
        .any(|component| component.starts_with('.') && component != ".")
}

impl Entry {
    /// The entry's own content, checked against its declared size and checksum.
    fn open<'a>(&self, archive: &'a Archive) -> io::Result<Box<dyn Read + 'a>> {
        match archive {
            Archive::File(path) => self.read_from(File::open(path)?),
            Archive::Memory(bytes) => self.read_from(Cursor::new(bytes.as_slice())),
        }
    }

    fn read_from<'a, R: Read + Seek + 'a>(&self, mut archive: R) -> io::Result<Box<dyn Read + 'a>> {
        archive.seek(SeekFrom::Start(self.data_start))?;
        let raw = archive.take(self.compressed_size);
        let content: Box<dyn Read + 'a> = if self.deflated {
            Box::new(DeflateDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        Ok(Box::new(Checked {
            inner: content,
            crc: Crc::new(),
            size: 0,
            expected_crc: self.crc32,
            expected_size: self.size,
        }))
    }

    /// Whether the content is itself a zip archive. A read error here is left for `open`
    /// to report.
    fn holds_a_zip(&self, archive: &Archive) -> bool {
        let mut head = [0; 4];
        self.open(archive)
            .and_then(|mut content| read_head(&mut content, &mut head))
            .is_ok_and(|filled| Compression::of(&head[..filled]) == Compression::Zip)
    }
}

/// Fails when an entry yields more than it declared or does not match its checksum.
struct Checked<R> {
    inner: R,
    crc: Crc,
    /// Counted here: `Crc::amount` wraps at 4 GiB.
    size: u64,
    expected_crc: u32,
    expected_size: u64,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.crc.update(&buf[..read]);
        self.size += read as u64;
        if self.size > self.expected_size {
            return Err(corrupt("the entry holds more data than it declares"));
        }
        if read == 0 && !buf.is_empty() {
            if self.size != self.expected_size {
                return Err(corrupt("the entry holds less data than it declares"));
            }
            if self.crc.sum() != self.expected_crc {
                return Err(corrupt("the entry does not match its checksum"));
            }
        }
        Ok(read)
    }
}

fn corrupt(reason: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{reason}; the archive is damaged"),
    )
}

/// Fails once the stream has produced more than `limit` bytes.
struct Limited<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R> Limited<R> {
    fn new(inner: R, limit: u64) -> Limited<R> {
        Limited {
            inner,
            remaining: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte past the limit is enough to know it was passed.
        let room = usize::try_from(self.remaining.saturating_add(1)).unwrap_or(usize::MAX);
        let wanted = buf.len().min(room);
        let read = self.inner.read(&mut buf[..wanted])?;
        if read as u64 > self.remaining {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed size exceeds the limit of {} bytes (--max-decompressed-size)",
                    self.limit
                ),
            ));
        }
        self.remaining -= read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;
    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

    fn bundle(name: &str) -> String {
        format!("{FIXTURES}/bundles/{name}")
    }

    fn original() -> Vec<u8> {
        fs::read(format!("{FIXTURES}/shapes/PT1H.json")).expect("fixture")
    }

    fn expand_paths(paths: &[&str], limits: &Limits) -> (Result<Vec<Unit>>, Vec<String>) {
        let sources: Vec<Source> = paths.iter().map(|path| Source::new(path)).collect();
        let mut warnings = Vec::new();
        let units = expand(&sources, limits, &mut |message| warnings.push(message));
        (units, warnings)
    }

    fn expand_memory(zip: Vec<u8>, limits: &Limits) -> (Result<Vec<Unit>>, Vec<String>) {
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

    fn contents(unit: &Unit, limits: &Limits) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        unit.open(limits)?
            .read_to_end(&mut bytes)
            .with_context(|| unit.name.clone())?;
        Ok(bytes)
    }

    fn names(units: &[Unit]) -> Vec<&str> {
        units.iter().map(|unit| unit.name.as_str()).collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
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
        assert_eq!(joined, original());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .contains("skipped 1 entry not named like a log export (for example notes.md)"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn an_entry_that_escapes_the_archive_is_refused_and_the_rest_is_read() {
        let limits = Limits::default();
        let zip = bundle("traversal.zip");
        let (units, warnings) = expand_paths(&[&zip], &limits);
        let units = units.expect("expands");
        assert_eq!(names(&units), [format!("{zip}:PT1H.json")]);
        assert_eq!(contents(&units[0], &limits).expect("reads"), original());
        assert_eq!(
            warnings,
            [format!(
                "{zip}: refused entry ../../evil.json: it escapes the archive"
            )]
        );
    }

    #[test]
    fn names_that_leave_the_archive_folder_escape_it() {
        let cases = [
            ("y=2026/m=03/PT1H.json", false),
            ("a/..b/PT1H.json", false),
            ("../../evil.json", true),
            ("logs/../../evil.json", true),
            ("logs\\..\\evil.json", true),
            ("/etc/passwd", true),
            ("\\\\server\\share\\x.json", true),
            ("C:\\Windows\\x.json", true),
            ("c:x.json", true),
            ("a\0b.json", true),
        ];
        for (name, expected) in cases {
            assert_eq!(escapes(name), expected, "{name:?}");
        }
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        let limits = Limits {
            max_decompressed: 1 << 20,
            ..Limits::default()
        };
        let (units, _) = expand_paths(&[&bundle("bomb.gz")], &limits);
        let units = units.expect("expands");
        let err = contents(&units[0], &limits).expect_err("stopped");
        assert!(
            format!("{err:#}").ends_with(
                "decompressed size exceeds the limit of 1048576 bytes (--max-decompressed-size)"
            ),
            "{err:#}"
        );
    }

    #[test]
    fn the_limit_allows_exactly_its_size() {
        let read = |limit| {
            let mut bytes = Vec::new();
            Limited::new(&b"0123456789"[..], limit)
                .read_to_end(&mut bytes)
                .map(|_| bytes.len())
        };
        assert_eq!(read(10).expect("fits"), 10);
        assert_eq!(
            read(9).expect_err("too big").kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn an_archive_with_too_many_entries_is_refused() {
        let limits = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        let zip = zip_of(&[
            ("a.json", b"{}\n"),
            ("b.json", b"{}\n"),
            ("c.json", b"{}\n"),
        ]);
        let err = expand_memory(zip, &limits).0.expect_err("refused");
        assert_eq!(
            format!("{err:#}"),
            "mem.zip: the archive holds 3 entries, more than the limit of 2"
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
    fn zip_entries_are_filtered_like_directory_files() {
        let zip = zip_of(&[
            ("inner.zip", &zip_of(&[("x.json", b"{}\n")])),
            ("logs/PT1H.json.gz", &gzip(b"{}\n")),
            ("__MACOSX/logs/._PT1H.json", b"\0\0"),
            (".hidden/PT1H.json", b"{}\n"),
            ("logs/image.png", b"png"),
            ("logs/table.CSV", b"time\n"),
        ]);
        let limits = Limits::default();
        let (units, warnings) = expand_memory(zip, &limits);
        let units = units.expect("expands");
        assert_eq!(
            names(&units),
            ["mem.zip:logs/PT1H.json.gz", "mem.zip:logs/table.CSV"]
        );
        assert_eq!(contents(&units[0], &limits).expect("gunzipped"), b"{}\n");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "mem.zip: skipped 1 entry not named like a log export (for example logs/image.png)"
            ),
            "{}",
            warnings[0]
        );
        assert_eq!(
            warnings[1],
            "mem.zip: skipped entry inner.zip: archives inside archives are not opened"
        );
    }

    #[test]
    fn a_damaged_entry_fails_its_checksum() {
        let mut zip = zip_of(&[("PT1H.json", b"{\"time\":\"2026-03-02T08:00:05Z\"}\n")]);
        let at = zip
            .windows(4)
            .position(|window| window == b"2026")
            .expect("stored");
        zip[at] = b'3';
        let limits = Limits::default();
        let (units, _) = expand_memory(zip, &limits);
        let err = contents(&units.expect("expands")[0], &limits).expect_err("damaged");
        assert!(
            format!("{err:#}").contains("does not match its checksum"),
            "{err:#}"
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

    #[test]
    fn compression_is_told_from_the_first_bytes() {
        let cases: [(&[u8], Compression); 7] = [
            (&[0x1f, 0x8b, 0x08, 0x00], Compression::Gzip),
            (&[0x1f, 0x8b], Compression::Gzip),
            (b"PK\x03\x04", Compression::Zip),
            (b"PK\x05\x06", Compression::Zip),
            (b"PK\x03", Compression::None),
            (b"{\"ti", Compression::None),
            (b"", Compression::None),
        ];
        for (head, expected) in cases {
            assert_eq!(Compression::of(head), expected, "{head:?}");
        }
    }

    /// Hands over one byte per read, as a slow pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn a_peeked_stream_keeps_its_first_bytes_even_from_a_slow_pipe() {
        let compressed = gzip(b"{}\n");
        let (compression, mut stream) = peek(Trickle(&compressed)).expect("peeks");
        assert_eq!(compression, Compression::Gzip);
        let mut again = Vec::new();
        stream.read_to_end(&mut again).expect("reads");
        assert_eq!(again, compressed);
        let (compression, _) = peek(Trickle(b"{")).expect("peeks");
        assert_eq!(compression, Compression::None);
    }
}

//! Zip archives: listing their entries as units (sorted, filtered by the same name rule
//! as directories, refusing names that escape the archive) and reading one entry straight
//! from the archive (seek to its data, inflate if need be), checked against its declared
//! size and checksum.

use super::compression::{Compression, read_head};
use super::{Limits, Skipped, Unit, UnitKind, has_log_extension};
use anyhow::{Context, Result, bail};
use flate2::Crc;
use flate2::read::DeflateDecoder;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use zip::{CompressionMethod, ZipArchive};

/// The zip archive that units' entries are read from, shared between them.
#[derive(Debug)]
pub(super) enum Archive {
    File(PathBuf),
    /// A zip on standard input, held in memory because reading a zip needs to seek.
    Memory(Vec<u8>),
}

/// Where an entry's data lies in its archive, taken from the central directory.
#[derive(Debug)]
pub(super) struct Entry {
    data_start: u64,
    compressed_size: u64,
    pub(super) size: u64,
    crc32: u32,
    deflated: bool,
}

/// Lists the entries of a zip archive as units, sorted by name, applying the same name
/// rule as in directories.
pub(super) fn expand_zip(
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
            named: false,
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
    // The archive reader keeps one entry per name, the last: the others would be left
    // unread without a word.
    if zip.has_duplicate_names() {
        bail!(
            "{archive_name}: refused: two or more entries share a name, and only one of them could be read; rename them or give each its own archive"
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
        if file.is_symlink() {
            warn(format!(
                "{archive_name}: skipped entry {name}: a symbolic link, and links inside an archive are not followed"
            ));
            continue;
        }
        if !has_log_extension(&name) {
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
    skipped.report(archive_name, ("entry", "entries"), warn);
    refuse_overlaps(archive_name, &listed)?;
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(listed)
}

/// Refuses an archive whose entries share compressed data: a zip bomb's way of making
/// a few kilobytes expand into each of many entries ("overlapping" zip bombs), which
/// no archiver writes.
fn refuse_overlaps(archive_name: &str, listed: &Listed) -> Result<()> {
    let mut spans: Vec<(u64, u64, &str)> = listed
        .iter()
        .filter_map(|(name, entry)| {
            let entry = entry.as_ref().ok()?;
            let end = entry.data_start.saturating_add(entry.compressed_size);
            Some((entry.data_start, end, name.as_str()))
        })
        .collect();
    spans.sort_unstable();
    for pair in spans.windows(2) {
        let ((_, end, first), (start, _, second)) = (pair[0], pair[1]);
        if start < end {
            bail!(
                "{archive_name}: refused: entries {first} and {second} share compressed data (overlapping entries, the mark of a zip bomb)"
            );
        }
    }
    Ok(())
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
    pub(super) fn open<'a>(&self, archive: &'a Archive) -> io::Result<Box<dyn Read + 'a>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::bundle::tests::{
        bundle, contents, expand_memory, expand_paths, gzip, names, original, zip_of,
    };

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

    /// Replaces every occurrence of `from` in `bytes` (names in local and central
    /// headers) with `to`, of the same length.
    fn patched(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let mut at = 0;
        while let Some(found) = bytes[at..].windows(from.len()).position(|w| w == from) {
            bytes[at + found..at + found + to.len()].copy_from_slice(to);
            at += found + to.len();
        }
        bytes
    }

    #[test]
    fn an_archive_with_two_entries_of_one_name_is_refused() {
        let zip = zip_of(&[("a/PT1H.json", b"{}\n"), ("b/PT1H.json", b"{}\n{}\n")]);
        let zip = patched(zip, b"b/PT1H.json", b"a/PT1H.json");
        let err = expand_memory(zip, &Limits::default())
            .0
            .expect_err("refused");
        assert_eq!(
            format!("{err:#}"),
            "mem.zip: refused: two or more entries share a name, and only one of them could be read; rename them or give each its own archive"
        );
    }

    #[test]
    fn an_archive_whose_entries_share_compressed_data_is_refused() {
        let zip = zip_of(&[("a.json", b"{}\n"), ("b.json", b"{}\n")]);
        // Point the second entry's central header at the first entry's local header.
        let central = zip
            .windows(4)
            .enumerate()
            .filter(|(_, window)| *window == b"PK\x01\x02")
            .map(|(at, _)| at)
            .nth(1)
            .expect("two central headers");
        let mut zip = zip;
        zip[central + 42..central + 46].copy_from_slice(&0u32.to_le_bytes());
        let err = expand_memory(zip, &Limits::default())
            .0
            .expect_err("refused");
        assert_eq!(
            format!("{err:#}"),
            "mem.zip: refused: entries a.json and b.json share compressed data (overlapping entries, the mark of a zip bomb)"
        );
    }

    #[test]
    fn a_symbolic_link_entry_is_skipped_as_a_link() {
        let mut writer = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = ::zip::write::SimpleFileOptions::default();
        writer
            .add_symlink("logs/PT1H.json", "/etc/passwd", options)
            .expect("adds the link");
        writer
            .start_file("logs/real.json", options)
            .expect("starts");
        std::io::Write::write_all(&mut writer, b"{}\n").expect("writes");
        let zip = writer.finish().expect("finishes").into_inner();
        let (units, warnings) = expand_memory(zip, &Limits::default());
        assert_eq!(names(&units.expect("expands")), ["mem.zip:logs/real.json"]);
        assert_eq!(
            warnings,
            [
                "mem.zip: skipped entry logs/PT1H.json: a symbolic link, and links inside an archive are not followed"
            ]
        );
    }

    #[test]
    fn entries_skipped_for_their_names_are_counted_in_good_english() {
        let zip = zip_of(&[("a.png", b"x"), ("b.png", b"x"), ("c.json", b"{}\n")]);
        let (_, warnings) = expand_memory(zip, &Limits::default());
        assert!(
            warnings[0].starts_with("mem.zip: skipped 2 entries not named like a log export"),
            "{warnings:?}"
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
}

//! A blob as a synchronous byte stream: the rest of the tool reads with `std::io::Read`,
//! so a small tokio runtime, private to this module, drives the requests. A body that
//! breaks off or stalls is asked for again from where it stopped, with back-off.

use super::failure::{self, Vanished};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use indicatif::ProgressBar;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore};
use std::io::{self, Read};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;

/// Two threads drive every request of the run; the callers wait on them.
pub(super) fn runtime() -> io::Result<&'static Runtime> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("storage")
        .enable_all()
        .build()?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// A body that yields nothing for this long is asked for again.
const STALL: Duration = Duration::from_secs(60);

/// How often a body that broke off is asked for again before the read fails.
const BODY_RETRIES: u32 = 5;

/// The blob's bytes from `0` up to the size it was listed with: a blob still being
/// appended to (the current hour's `PT1H.json`) is read as it was listed.
pub(super) struct BlobStream {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    offset: u64,
    body: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    chunk: Bytes,
    failures: u32,
    progress: Option<ProgressBar>,
}

impl BlobStream {
    /// Opens the blob: the first request is made here, so a blob deleted since it was
    /// listed is known at once.
    pub(super) fn open(
        store: Arc<dyn ObjectStore>,
        path: Path,
        size: u64,
        progress: Option<ProgressBar>,
    ) -> io::Result<BlobStream> {
        let mut stream = BlobStream {
            store,
            path,
            size,
            offset: 0,
            body: None,
            chunk: Bytes::new(),
            failures: 0,
            progress,
        };
        if size > 0 {
            stream.body = Some(stream.request()?);
        }
        Ok(stream)
    }

    fn request(&self) -> io::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(self.offset..self.size)),
            ..GetOptions::default()
        };
        let result = runtime()?
            .block_on(self.store.get_opts(&self.path, options))
            .map_err(|err| self.error(err))?;
        Ok(result.into_stream())
    }

    fn error(&self, err: object_store::Error) -> io::Error {
        match err {
            object_store::Error::NotFound { .. } => {
                io::Error::new(io::ErrorKind::NotFound, Vanished)
            }
            other => io::Error::other(failure::describe_blob(&other)),
        }
    }

    /// The next piece of the body, asking again from the offset after a break.
    fn fill(&mut self) -> io::Result<()> {
        while self.chunk.is_empty() && self.offset < self.size {
            let body = match self.body.as_mut() {
                Some(body) => body,
                None => self.body.insert(self.request()?),
            };
            let next =
                runtime()?.block_on(async { tokio::time::timeout(STALL, body.next()).await });
            let broke = match next {
                Ok(Some(Ok(bytes))) => {
                    let room = usize::try_from(self.size - self.offset).unwrap_or(usize::MAX);
                    let bytes = if bytes.len() > room {
                        bytes.slice(..room)
                    } else {
                        bytes
                    };
                    self.offset += bytes.len() as u64;
                    if let Some(bar) = &self.progress {
                        bar.inc(bytes.len() as u64);
                        // Cleared once every listed byte is in, before the run's
                        // warnings are written below it.
                        if bar.length().is_some_and(|length| bar.position() >= length) {
                            bar.finish_and_clear();
                        }
                    }
                    self.chunk = bytes;
                    self.failures = 0;
                    continue;
                }
                Ok(Some(Err(err))) => failure::describe_blob(&err),
                Ok(None) => "the body ended before the size the blob was listed with".to_string(),
                Err(_) => format!("no data for {} s", STALL.as_secs()),
            };
            self.body = None;
            self.failures += 1;
            if self.failures > BODY_RETRIES {
                return Err(io::Error::other(format!(
                    "read broke off at byte {} of {}: {broke}",
                    self.offset, self.size
                )));
            }
            std::thread::sleep(Duration::from_millis(200 << self.failures.min(5)));
        }
        Ok(())
    }
}

impl Read for BlobStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fill()?;
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}

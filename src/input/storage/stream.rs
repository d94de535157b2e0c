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

/// How often a body that broke off is asked for again before the read fails, and the
/// first pause before asking, doubled each time (0.2 s to 3.2 s).
const BODY_RETRIES: u32 = 5;
const BODY_BACKOFF: Duration = Duration::from_millis(100);

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
    backoff: Duration,
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
            backoff: BODY_BACKOFF,
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
            .map_err(Self::error)?;
        Ok(result.into_stream())
    }

    fn error(err: object_store::Error) -> io::Error {
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
                    // Only progress earns the retries back: a server that keeps
                    // answering with nothing still runs out of them.
                    if !bytes.is_empty() {
                        self.failures = 0;
                    }
                    self.chunk = bytes;
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
            std::thread::sleep(self.backoff * (1 << self.failures.min(5)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;
    use object_store::memory::InMemory;
    use object_store::{
        CopyOptions, GetResultPayload, ListResult, MultipartUpload, ObjectMeta, ObjectStoreExt,
        PutMultipartOptions, PutOptions, PutPayload, PutResult,
    };
    use std::sync::Mutex;

    /// A store whose first bodies break off after a few bytes, like a connection reset
    /// mid-download; it remembers the ranges asked for.
    #[derive(Debug)]
    struct Breaking {
        inner: InMemory,
        breaks: Mutex<usize>,
        /// Bytes a broken body yields before it breaks.
        first: usize,
        ranges: Mutex<Vec<Option<GetRange>>>,
    }

    impl std::fmt::Display for Breaking {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Breaking")
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for Breaking {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            opts: PutOptions,
        ) -> object_store::Result<PutResult> {
            self.inner.put_opts(location, payload, opts).await
        }

        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> object_store::Result<Box<dyn MultipartUpload>> {
            self.inner.put_multipart_opts(location, opts).await
        }

        async fn get_opts(
            &self,
            location: &Path,
            options: GetOptions,
        ) -> object_store::Result<object_store::GetResult> {
            self.ranges
                .lock()
                .expect("not poisoned")
                .push(options.range.clone());
            let mut result = self.inner.get_opts(location, options).await?;
            let breaks = {
                let mut left = self.breaks.lock().expect("not poisoned");
                let breaks = *left > 0;
                *left = left.saturating_sub(1);
                breaks
            };
            if breaks {
                let GetResultPayload::Stream(body) = result.payload;
                let bytes: Vec<Bytes> = body.try_collect_bytes().await?;
                let whole: Bytes = bytes.concat().into();
                let first = whole.slice(..whole.len().min(self.first));
                let pieces: Vec<object_store::Result<Bytes>> = vec![
                    Ok(first),
                    Err(object_store::Error::Generic {
                        store: "Breaking",
                        source: "connection reset by peer".into(),
                    }),
                ];
                result.payload = GetResultPayload::Stream(stream::iter(pieces).boxed());
            }
            Ok(result)
        }

        fn delete_stream(
            &self,
            locations: BoxStream<'static, object_store::Result<Path>>,
        ) -> BoxStream<'static, object_store::Result<Path>> {
            self.inner.delete_stream(locations)
        }

        fn list(
            &self,
            prefix: Option<&Path>,
        ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
            self.inner.list(prefix)
        }

        async fn list_with_delimiter(
            &self,
            prefix: Option<&Path>,
        ) -> object_store::Result<ListResult> {
            self.inner.list_with_delimiter(prefix).await
        }

        async fn copy_opts(
            &self,
            from: &Path,
            to: &Path,
            options: CopyOptions,
        ) -> object_store::Result<()> {
            self.inner.copy_opts(from, to, options).await
        }
    }

    trait CollectBytes {
        async fn try_collect_bytes(self) -> object_store::Result<Vec<Bytes>>;
    }

    impl CollectBytes for BoxStream<'static, object_store::Result<Bytes>> {
        async fn try_collect_bytes(mut self) -> object_store::Result<Vec<Bytes>> {
            let mut out = Vec::new();
            while let Some(bytes) = self.next().await {
                out.push(bytes?);
            }
            Ok(out)
        }
    }

    fn store_with(content: &[u8], breaks: usize, first: usize) -> (Arc<Breaking>, Path) {
        let store = Arc::new(Breaking {
            inner: InMemory::new(),
            breaks: Mutex::new(breaks),
            first,
            ranges: Mutex::new(Vec::new()),
        });
        let path = Path::from("y=2026/m=03/d=02/h=09/m=00/PT1H.json");
        runtime()
            .expect("a runtime")
            .block_on(store.put(&path, PutPayload::from(content.to_vec())))
            .expect("stored");
        (store, path)
    }

    #[test]
    fn a_body_that_breaks_off_is_asked_for_again_from_where_it_stopped() {
        let content = b"{\"time\":\"2026-03-02T09:00:00Z\"}\n".repeat(3);
        let (store, path) = store_with(&content, 2, 5);
        let size = content.len() as u64;
        let mut read = Vec::new();
        BlobStream::open(Arc::clone(&store) as _, path, size, None)
            .expect("opens")
            .read_to_end(&mut read)
            .expect("reads whole");
        assert_eq!(read, content);
        assert_eq!(
            *store.ranges.lock().expect("not poisoned"),
            [
                Some(GetRange::Bounded(0..size)),
                Some(GetRange::Bounded(5..size)),
                Some(GetRange::Bounded(10..size)),
            ]
        );
    }

    #[test]
    fn a_body_that_keeps_breaking_fails_saying_where() {
        let content = b"0123456789".repeat(2);
        let (store, path) = store_with(&content, usize::MAX, 0);
        let mut read = Vec::new();
        let mut stream =
            BlobStream::open(Arc::clone(&store) as _, path, content.len() as u64, None)
                .expect("opens");
        stream.backoff = Duration::from_millis(1);
        let err = stream.read_to_end(&mut read).expect_err("gives up");
        assert!(
            err.to_string()
                .starts_with("read broke off at byte 0 of 20: "),
            "{err}"
        );
        assert_eq!(
            store.ranges.lock().expect("not poisoned").len(),
            1 + BODY_RETRIES as usize
        );
    }

    #[test]
    fn a_blob_is_read_as_large_as_it_was_listed() {
        let (store, path) = store_with(b"listed|appended later", 0, 0);
        let mut read = Vec::new();
        BlobStream::open(store as _, path, 6, None)
            .expect("opens")
            .read_to_end(&mut read)
            .expect("reads");
        assert_eq!(read, b"listed");
    }
}

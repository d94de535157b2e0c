//! Reading logs straight from Azure Blob Storage, where diagnostic settings put them:
//! `https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS` or
//! `az://ACCOUNT/CONTAINER/PREFIX` become one readable blob per log, each then read
//! like a file (gzip, zip, every JSON and CSV shape, the same limits) and named by its
//! URL without the query, so a location reads `.../PT1H.json:12`.
//!
//! Listing walks the `y=/m=/d=/h=` folders and skips those outside `--since`/`--until`
//! without listing them; a folder wholly inside the window is listed flat, in pages of
//! 5,000. The protocol is `object_store`'s (signing, paging, retries with back-off); a
//! small tokio runtime private to this module runs it, and everything outside stays
//! synchronous.

mod address;
mod failure;
mod hours;
mod stream;

pub use address::is_storage;
pub use failure::is_vanished;
pub use hours::Window;

use address::{Access, Address, Credential};
use anyhow::{Context, Result, bail};
use futures::{StreamExt, TryStreamExt};
use hours::Relation;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use object_store::azure::{AzureCredential, MicrosoftAzureBuilder, split_sas};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
    StaticCredentialProvider,
};
use std::io::{IsTerminal, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use stream::{BlobStream, runtime};

/// A storage argument, and the time window that prunes its folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// As the user wrote it, SAS token included: never shown.
    argument: String,
    pub window: Window,
}

impl Location {
    pub fn new(argument: &str) -> Location {
        Location {
            argument: argument.to_string(),
            window: Window::default(),
        }
    }

    #[must_use]
    pub fn within(self, window: Window) -> Location {
        Location { window, ..self }
    }

    /// The argument without its query, which may hold a SAS token.
    pub fn display_name(&self) -> String {
        failure::redact(self.argument.split('?').next().unwrap_or_default())
    }
}

/// One listed blob, ready to be read.
#[derive(Debug)]
pub struct Blob {
    /// Its URL without a query: `https://acct.blob.core.windows.net/c/.../PT1H.json`.
    pub name: String,
    /// Its size when listed: what is read, even if it grows meanwhile.
    pub size: u64,
    /// Whether its first bytes are a zip archive's.
    pub zip: bool,
    store: Arc<dyn ObjectStore>,
    path: Path,
    progress: Option<ProgressBar>,
}

impl Blob {
    /// The blob's bytes as listed, counted on the run's progress bar.
    pub fn open(&self) -> std::io::Result<Box<dyn Read + Send>> {
        self.stream(self.progress.clone())
    }

    /// The same, not counted: for a look at its start.
    pub fn open_quietly(&self) -> std::io::Result<Box<dyn Read + Send>> {
        self.stream(None)
    }

    fn stream(&self, progress: Option<ProgressBar>) -> std::io::Result<Box<dyn Read + Send>> {
        let stream = BlobStream::open(
            Arc::clone(&self.store),
            self.path.clone(),
            self.size,
            progress,
        )?;
        Ok(Box::new(stream))
    }

    /// The whole blob in memory, for a zip archive, which is read by seeking.
    pub fn download(&self, limit: u64) -> Result<Vec<u8>> {
        if self.size > limit {
            bail!(
                "{}: a zip archive in storage is held in memory and it is larger than the limit of {limit} bytes (--max-decompressed-size); download it and name the file",
                self.name
            );
        }
        let mut bytes = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        self.open()?
            .read_to_end(&mut bytes)
            .with_context(|| format!("{}: cannot read", self.name))?;
        Ok(bytes)
    }
}

/// What a listing cost: for the tests and the progress line.
#[derive(Debug, Default)]
pub struct Stats {
    /// Folders listed one level at a time, with the delimiter.
    pub folders_walked: AtomicUsize,
    /// Folders listed flat (in pages of 5,000).
    pub folders_flat: AtomicUsize,
}

/// Lists the blobs of a storage location inside its window, in name order. `keep` says
/// which names are logs (the others are passed over); `warn` hears about blobs that
/// vanished while being listed.
pub fn list(
    location: &Location,
    keep: &mut dyn FnMut(&str) -> bool,
    warn: &mut dyn FnMut(String),
) -> Result<Vec<Blob>> {
    list_counting(location, keep, warn, &Stats::default())
}

/// [`list`], counting the listing calls into `stats`.
pub fn list_counting(
    location: &Location,
    keep: &mut dyn FnMut(&str) -> bool,
    warn: &mut dyn FnMut(String),
    stats: &Stats,
) -> Result<Vec<Blob>> {
    let shown = location.display_name();
    let address = Address::parse(&location.argument).with_context(|| shown.clone())?;
    let access = address::resolve(&address, &|name| std::env::var(name).ok())
        .with_context(|| shown.clone())?;
    let store = store(&address, &access).with_context(|| shown.clone())?;
    let progress = std::io::stderr().is_terminal().then(|| spinner(&shown));
    let runtime = runtime().context("cannot start the storage client")?;
    let metas = runtime
        .block_on(walk(
            store.as_ref(),
            &address.prefix,
            location.window,
            stats,
            progress.as_ref(),
        ))
        .map_err(|err| {
            anyhow::anyhow!(
                "{}",
                failure::describe_listing(&err, access.from, &access.endpoint)
            )
        })
        .with_context(|| shown.clone())?;
    let metas: Vec<ObjectMeta> = metas
        .into_iter()
        .filter(|meta| keep(meta.location.as_ref()))
        .collect();
    // Compression is told from the content: a look at each blob's first bytes, a few
    // at a time.
    let heads: Vec<(ObjectMeta, object_store::Result<bool>)> = runtime.block_on(
        futures::stream::iter(metas)
            .map(|meta| {
                let store = Arc::clone(&store);
                async move {
                    let zip = if meta.size < 4 {
                        Ok(false)
                    } else {
                        store.get_range(&meta.location, 0..4).await.map(|head| {
                            head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
                        })
                    };
                    (meta, zip)
                }
            })
            .buffered(8)
            .collect(),
    );
    let total: u64 = heads.iter().map(|(meta, _)| meta.size).sum();
    if let Some(bar) = &progress {
        bar.set_length(total);
        bar.set_position(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(crate::escape::terminal(&shown).into_owned());
    }
    let mut blobs = Vec::with_capacity(heads.len());
    for (meta, zip) in heads {
        let name = address.name_of(meta.location.as_ref());
        let zip = match zip {
            Ok(zip) => zip,
            Err(object_store::Error::NotFound { .. }) => {
                warn(format!(
                    "{name}: skipped, the blob was deleted after it was listed"
                ));
                continue;
            }
            Err(err) => bail!("{name}: cannot read: {}", failure::describe_blob(&err)),
        };
        blobs.push(Blob {
            name,
            size: meta.size,
            zip,
            store: Arc::clone(&store),
            path: meta.location,
            progress: progress.clone(),
        });
    }
    blobs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(blobs)
}

/// Walks the folders from `prefix` down, listing only what the window can hold.
async fn walk(
    store: &dyn ObjectStore,
    prefix: &str,
    window: Window,
    stats: &Stats,
    progress: Option<&ProgressBar>,
) -> object_store::Result<Vec<ObjectMeta>> {
    let root = Path::from(prefix.trim_matches('/'));
    let mut found = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        let text = format!("{folder}/");
        let prefix = (!folder.as_ref().is_empty()).then_some(&folder);
        match window.relation(&text) {
            Relation::Outside => {}
            Relation::Inside => {
                stats.folders_flat.fetch_add(1, Ordering::Relaxed);
                let mut listing = store.list(prefix);
                while let Some(meta) = listing.try_next().await? {
                    found.push(meta);
                }
            }
            Relation::Partial => {
                stats.folders_walked.fetch_add(1, Ordering::Relaxed);
                let listing = store.list_with_delimiter(prefix).await?;
                found.extend(listing.objects);
                folders.extend(listing.common_prefixes.into_iter().rev());
            }
        }
        if let Some(bar) = progress {
            bar.set_message(format!("listing: {} blobs", found.len()));
            bar.tick();
        }
    }
    // A prefix that names one blob.
    if found.is_empty() && !root.as_ref().is_empty() {
        match store.head(&root).await {
            Ok(meta) => found.push(meta),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(found)
}

fn spinner(shown: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        .with_finish(ProgressFinish::AndClear);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(crate::escape::terminal(shown).into_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Transient failures (5xx, 429, timeouts, refused connections) are retried this often,
/// waiting 0.2 s, then twice as long each time, at most 8 s, within 60 s in all.
fn retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(8),
            base: 2.0,
        },
        max_retries: 4,
        retry_timeout: Duration::from_secs(60),
    }
}

fn store(address: &Address, access: &Access) -> Result<Arc<dyn ObjectStore>> {
    let credential = match &access.credential {
        Credential::Key(key) => {
            AzureCredential::AccessKey(object_store::azure::AzureAccessKey::try_new(key).map_err(
                |_| anyhow::anyhow!("the account key ({}) is not valid base64", access.from),
            )?)
        }
        Credential::Sas(sas) => AzureCredential::SASToken(
            split_sas(sas)
                .map_err(|_| anyhow::anyhow!("the SAS token ({}) cannot be read", access.from))?,
        ),
        Credential::Anonymous => AzureCredential::SASToken(Vec::new()),
    };
    // Bodies may take long to stream: a stalled one is caught by the reader instead of
    // a timeout on the whole request.
    let options = ClientOptions::new()
        .with_allow_http(access.endpoint.starts_with("http://"))
        .with_connect_timeout(Duration::from_secs(10))
        .with_timeout_disabled();
    let store = MicrosoftAzureBuilder::new()
        .with_account(&address.account)
        .with_container_name(&address.container)
        .with_endpoint(access.endpoint.clone())
        .with_credentials(Arc::new(StaticCredentialProvider::new(credential)))
        .with_retry(retry())
        .with_client_options(options)
        .build()
        .map_err(|err| anyhow::anyhow!("{}", failure::redact(&err.to_string())))?;
    Ok(Arc::new(store))
}

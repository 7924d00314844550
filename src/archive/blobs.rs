//! Where document bytes live. The `blobs` table always has a row per document (its SHA-256,
//! size, and the name of the store that holds it: foreign keys from `dossier_documents` and
//! `results` point at it); the bytes are either in the row (`stored_in = 'database'`) or in a
//! `BlobStore` (`stored_in` = the store's name, empty `content`). The filesystem store is the
//! default of `ketqua serve`; object storage can implement the same trait later.
//!
//! A store is content-addressed and only ever grows: `put` is idempotent and durable before it
//! returns, and the archive writes the bytes *before* the transaction that inserts the row
//! commits. A rolled-back transaction therefore leaves at most an unreferenced blob, which is
//! harmless (fsck counts them), never a row without its bytes.

use std::{
    fmt::Debug,
    future::Future,
    io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
};

/// A boxed future, so that `BlobStore` stays object-safe (`Arc<dyn BlobStore>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The name stored in `blobs.stored_in` for bytes kept in the row itself.
pub const IN_DATABASE: &str = "database";

/// A content-addressed store of document bytes, keyed by their SHA-256.
pub trait BlobStore: Send + Sync + Debug + 'static {
    /// The name written to `blobs.stored_in` (e.g. `files`): fixed forever for a kind of
    /// store, so that rows written by different stores can coexist.
    fn name(&self) -> &'static str;

    /// Where this store keeps its blobs, for messages: a directory, a bucket.
    fn location(&self) -> String;

    /// Stores `content` under `sha256` (which the caller has computed from it). Idempotent:
    /// storing what is already there succeeds. When it returns `Ok`, the bytes are durable.
    fn put<'a>(&'a self, sha256: &'a [u8; 32], content: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;

    /// The bytes stored under `sha256`, or `None` if the store has none.
    fn get<'a>(&'a self, sha256: &'a [u8]) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>>;

    /// Every key the store holds, in no particular order (fsck's report of unreferenced blobs).
    fn list(&self) -> BoxFuture<'_, io::Result<Vec<[u8; 32]>>>;

    /// E.g. `the files store at /var/lib/ketqua/blobs`.
    fn describe(&self) -> String {
        format!("the {} store at {}", self.name(), self.location())
    }
}

/// Where an archive puts new blobs, and the stores it can read older ones from.
#[derive(Debug, Clone, Default)]
pub struct BlobStores {
    /// `None`: new blobs go into the `blobs` row (the default of `open`).
    placement: Option<Arc<dyn BlobStore>>,
    /// Stores that rows may name, the placement included.
    readable: Vec<Arc<dyn BlobStore>>,
}

impl BlobStores {
    /// New blobs go to `store`, which becomes readable too.
    pub fn place_in(&mut self, store: Arc<dyn BlobStore>) {
        self.add_readable(store.clone());
        self.placement = Some(store);
    }

    /// Rows naming `store` can be read (e.g. files written before switching to the database
    /// placement). A store of the same name replaces the one known before.
    pub fn add_readable(&mut self, store: Arc<dyn BlobStore>) {
        self.readable.retain(|s| s.name() != store.name());
        self.readable.push(store);
    }

    /// The store new blobs go to; `None` for the database.
    pub fn placement(&self) -> Option<&dyn BlobStore> {
        self.placement.as_deref()
    }

    /// The readable store called `name`.
    pub fn named(&self, name: &str) -> Option<&dyn BlobStore> {
        self.readable
            .iter()
            .find(|s| s.name() == name)
            .map(|s| s.as_ref())
    }

    pub fn readable(&self) -> impl Iterator<Item = &dyn BlobStore> {
        self.readable.iter().map(|s| s.as_ref())
    }
}

/// Blobs as files under a directory: `<dir>/<first 2 hex digits>/<64 hex digits>`.
///
/// `put` writes a temporary file in the blob's own directory, fsyncs it, renames it over the
/// final name and fsyncs the directory, so a crash leaves either no file or the whole file
/// (plus, at worst, a `.tmp-…` file that `list` ignores). Several processes may write into one
/// directory (replicas on a shared file system): temporary names are random, the rename is
/// atomic, and two writers of one key write the same bytes.
#[derive(Debug, Clone)]
pub struct FileBlobStore {
    dir: PathBuf,
}

/// The name `FileBlobStore` writes to `blobs.stored_in`.
pub const FILES: &str = "files";

impl FileBlobStore {
    /// A store rooted at `dir`. Nothing is created until the first `put`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a blob is (or would be) stored in.
    pub fn path_of(&self, sha256: &[u8]) -> io::Result<PathBuf> {
        if sha256.len() != 32 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a blob key is 32 bytes, not {}", sha256.len()),
            ));
        }
        let name = hex::encode(sha256);
        Ok(self.dir.join(&name[..2]).join(name))
    }

    /// One blocking task for the whole put: each `tokio::fs` call is a hop to the blocking
    /// pool and back (two context switches), and a put made ten of them — five documents a
    /// dossier made that the largest share of the server's context switches under load.
    async fn put_file(&self, sha256: &[u8; 32], content: &[u8]) -> io::Result<()> {
        let path = self.path_of(sha256)?;
        let dir = self.dir.clone();
        let content = content.to_vec();
        tokio::task::spawn_blocking(move || put_file_blocking(&dir, &path, &content))
            .await
            .map_err(io::Error::other)?
    }

    async fn get_file(&self, sha256: &[u8]) -> io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path_of(sha256)?).await {
            Ok(content) => Ok(Some(content)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl BlobStore for FileBlobStore {
    fn name(&self) -> &'static str {
        FILES
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    fn put<'a>(&'a self, sha256: &'a [u8; 32], content: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            self.put_file(sha256, content).await.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "storing blob {} in {}: {e}",
                        hex::encode(sha256),
                        self.describe()
                    ),
                )
            })
        })
    }

    fn get<'a>(&'a self, sha256: &'a [u8]) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            self.get_file(sha256).await.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "reading blob {} from {}: {e}",
                        hex::encode(sha256),
                        self.describe()
                    ),
                )
            })
        })
    }

    fn list(&self) -> BoxFuture<'_, io::Result<Vec<[u8; 32]>>> {
        let dir = self.dir.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || list_dir(&dir))
                .await
                .map_err(io::Error::other)?
        })
    }
}

/// Every `<2 hex>/<64 hex>` file under `dir` whose name starts with its directory's name; an
/// absent directory holds nothing. Temporary files and anything else are ignored.
fn list_dir(dir: &Path) -> io::Result<Vec<[u8; 32]>> {
    let shards = match std::fs::read_dir(dir) {
        Ok(shards) => shards,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut keys = Vec::new();
    for shard in shards {
        let shard = shard?;
        let shard_name = shard.file_name();
        let Some(prefix) = shard_name.to_str().filter(|n| is_hex(n, 2)) else {
            continue;
        };
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(shard.path())? {
            let entry = entry?;
            let file_name = entry.file_name();
            let Some(name) = file_name
                .to_str()
                .filter(|n| is_hex(n, 64) && n.starts_with(prefix))
            else {
                continue;
            };
            if !entry.file_type()?.is_file() {
                continue;
            }
            let mut key = [0u8; 32];
            if hex::decode_to_slice(name, &mut key).is_ok() {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

/// Lower-case hex of exactly `len` characters (the only form `path_of` writes).
fn is_hex(name: &str, len: usize) -> bool {
    name.len() == len && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Writes `content` to `path` (under `dir`, in its shard directory) unless a file of its size
/// is there: a temporary file, fsynced, renamed over the final name, the directory fsynced.
fn put_file_blocking(dir: &Path, path: &Path, content: &[u8]) -> io::Result<()> {
    use std::io::Write;
    match std::fs::metadata(path) {
        Ok(found) if found.is_file() && found.len() == content.len() as u64 => return Ok(()),
        // A file of the wrong size (a torn copy from a backup, say) is replaced below.
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let shard = path.parent().unwrap_or(dir);
    match std::fs::create_dir(shard) {
        // A new shard directory must itself survive a crash: its entry is in `dir`.
        Ok(()) => sync_dir(dir)?,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(shard)?;
            sync_dir(dir)?;
        }
        Err(e) => return Err(e),
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let temporary = shard.join(format!(".tmp-{name}-{}", unique_suffix()?));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(content)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)?;
        sync_dir(shard)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Makes a directory's entries (a rename, a new file or subdirectory) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened as files elsewhere; the rename is as durable as the
        // platform makes it.
        let _ = dir;
        Ok(())
    }
}

/// A random suffix for temporary names: unique across processes and hosts sharing a directory.
fn unique_suffix() -> io::Result<String> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| io::Error::other("the system random number generator failed"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(content: &[u8]) -> [u8; 32] {
        crate::crypto::sha256(content)
    }

    /// Every file under `dir`, relative, sorted.
    fn files_under(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(next) = stack.pop() {
            for entry in std::fs::read_dir(&next).unwrap() {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_dir() {
                    stack.push(entry.path());
                } else {
                    found.push(
                        entry
                            .path()
                            .strip_prefix(dir)
                            .unwrap()
                            .display()
                            .to_string(),
                    );
                }
            }
        }
        found.sort();
        found
    }

    #[tokio::test]
    async fn round_trip_in_the_sharded_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path().join("blobs"));
        let content = b"%PDF-1.7 a scan".to_vec();
        let key = sha(&content);
        store.put(&key, &content).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Some(content.clone()));
        let name = hex::encode(key);
        let path = dir.path().join("blobs").join(&name[..2]).join(&name);
        assert_eq!(std::fs::read(&path).unwrap(), content);
        assert_eq!(store.path_of(&key).unwrap(), path);
        assert_eq!(store.list().await.unwrap(), vec![key]);

        // An empty document is a blob like any other.
        store.put(&sha(b""), b"").await.unwrap();
        assert_eq!(store.get(&sha(b"")).await.unwrap(), Some(Vec::new()));
        let mut listed = store.list().await.unwrap();
        listed.sort();
        let mut expected = vec![key, sha(b"")];
        expected.sort();
        assert_eq!(listed, expected);
    }

    #[tokio::test]
    async fn put_is_idempotent_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path());
        let content = vec![7u8; 100_000];
        let key = sha(&content);
        store.put(&key, &content).await.unwrap();
        let path = store.path_of(&key).unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        // Concurrent writers of the same key, and a later one, all succeed.
        let (a, b) = tokio::join!(store.put(&key, &content), store.put(&key, &content));
        a.unwrap();
        b.unwrap();
        store.put(&key, &content).await.unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
        assert_eq!(store.get(&key).await.unwrap(), Some(content));
        let name = hex::encode(key);
        assert_eq!(
            files_under(dir.path()),
            vec![format!("{}/{name}", &name[..2])]
        );
    }

    #[tokio::test]
    async fn a_torn_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path());
        let content = b"the whole document".to_vec();
        let key = sha(&content);
        let path = store.path_of(&key).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"the whole").unwrap();
        store.put(&key, &content).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), content);
        assert_eq!(files_under(dir.path()).len(), 1);
    }

    #[tokio::test]
    async fn missing_blobs_are_none_and_strays_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path().join("never-created"));
        assert_eq!(store.get(&sha(b"nothing")).await.unwrap(), None);
        assert!(store.list().await.unwrap().is_empty());

        let store = FileBlobStore::new(dir.path());
        assert_eq!(store.get(&sha(b"nothing")).await.unwrap(), None);
        let error = store.get(b"short").await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        // A leftover temporary file, a file in the wrong shard, an upper-case name, other files.
        let key = hex::encode(sha(b"x"));
        std::fs::create_dir_all(dir.path().join(&key[..2])).unwrap();
        std::fs::create_dir_all(dir.path().join("zz")).unwrap();
        std::fs::write(
            dir.path().join(&key[..2]).join(format!(".tmp-{key}-1")),
            b"x",
        )
        .unwrap();
        std::fs::write(dir.path().join("zz").join(&key), b"x").unwrap();
        std::fs::write(dir.path().join(&key[..2]).join(key.to_uppercase()), b"x").unwrap();
        std::fs::write(dir.path().join("README"), b"x").unwrap();
        assert!(store.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn errors_name_the_blob_and_the_store() {
        let dir = tempfile::tempdir().unwrap();
        // The store's directory is a file: nothing can be written under it.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, b"").unwrap();
        let store = FileBlobStore::new(&blocked);
        let key = sha(b"doc");
        let error = store.put(&key, b"doc").await.unwrap_err().to_string();
        assert!(error.contains(&hex::encode(key)), "{error}");
        assert!(
            error.contains(&format!("the files store at {}", blocked.display())),
            "{error}"
        );
    }

    #[test]
    fn stores_by_name() {
        let mut stores = BlobStores::default();
        assert!(stores.placement().is_none());
        assert!(stores.named(FILES).is_none());
        stores.add_readable(Arc::new(FileBlobStore::new("/old")));
        assert!(stores.placement().is_none());
        assert_eq!(stores.named(FILES).unwrap().location(), "/old");
        stores.place_in(Arc::new(FileBlobStore::new("/new")));
        assert_eq!(stores.placement().unwrap().location(), "/new");
        assert_eq!(stores.named(FILES).unwrap().location(), "/new");
        assert_eq!(stores.readable().count(), 1);
        assert!(stores.named(IN_DATABASE).is_none());
    }
}

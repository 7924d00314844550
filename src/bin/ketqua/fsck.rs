//! `ketqua archive fsck`: opens the archive a URL names, with the blob directory if one is
//! given, and runs the consistency check (`service::fsck`).

use std::{path::Path, sync::Arc};

use anyhow::{bail, Context};

use ketqua::{
    archive::{ArchiveError, FileBlobStore, FsckReport, PgArchive, SqliteArchive, FILES},
    ledger::LogVerifier,
    server::Backend,
    service,
};

/// Checks the archive at `url`; blobs kept in the files store are read from `blob_dir`.
pub async fn run(
    url: &str,
    blob_dir: Option<&Path>,
    log: &LogVerifier,
) -> anyhow::Result<FsckReport> {
    let files = blob_dir.map(|dir| Arc::new(FileBlobStore::new(dir)));
    let report = match Backend::of(url)? {
        Backend::Sqlite => {
            // Opening creates a missing file; checking a path that holds no archive is a mistake.
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if !Path::new(path).exists() {
                bail!("{path} does not exist: no archive to check");
            }
            let mut archive = SqliteArchive::open(url)
                .await
                .context("opening the archive")?;
            if let Some(files) = files {
                archive = archive.with_readable_blob_store(files);
            }
            service::fsck(&archive, log).await
        }
        Backend::Postgres => {
            let mut archive = PgArchive::open(url).await.context("opening the archive")?;
            if let Some(files) = files {
                archive = archive.with_readable_blob_store(files);
            }
            service::fsck(&archive, log).await
        }
    };
    match report {
        Err(ArchiveError::BlobStoreNotConfigured { store, blobs }) if store == FILES => bail!(
            "{blobs} blobs are kept in the files store, but no blob directory was given: add --data-dir DIR (blobs in DIR/blobs) or --blob-dir DIR"
        ),
        Err(error) => Err(error.into()),
        Ok(report) => Ok(report),
    }
}

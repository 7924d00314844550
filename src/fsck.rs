//! `ketqua archive fsck`: opens the archive a URL names and runs the backend's consistency
//! check (`archive::fsck`).

use anyhow::{bail, Context};

use crate::{
    archive::{FsckReport, PgArchive, SqliteArchive},
    ledger::LogVerifier,
    server::Backend,
};

pub async fn run(url: &str, log: &LogVerifier) -> anyhow::Result<FsckReport> {
    match Backend::of(url)? {
        Backend::Sqlite => {
            // Opening creates a missing file; checking a path that holds no archive is a mistake.
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if !std::path::Path::new(path).exists() {
                bail!("{path} does not exist: no archive to check");
            }
            let archive = SqliteArchive::open(url)
                .await
                .context("opening the archive")?;
            Ok(archive.fsck(log).await?)
        }
        Backend::Postgres => {
            let archive = PgArchive::open(url).await.context("opening the archive")?;
            Ok(archive.fsck(log).await?)
        }
    }
}

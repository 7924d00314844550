//! The transparency log in SQL: serving receipts, checkpoints and proofs from the stored
//! perfect subtrees (`tree.rs` appends them).

use super::{
    archive::SqlArchive,
    backend::{fetch_optional, fetch_optional_as, params, Backend, Column, Dialect},
    mappers::{self, as_i64},
    queries as q,
    tree::fetch_nodes,
};
use crate::{
    archive::{
        contracts::LogStore,
        error::{ArchiveError, Result},
        rows::{LogKind, LogReceipt, StoredCheckpoint},
    },
    ledger::{self, Hash, NodeId},
};

/// The leaf hash and audit path of a leaf in the tree of `tree_size` leaves.
async fn inclusion<D: Backend>(
    conn: &mut D::Connection,
    leaf_index: u64,
    tree_size: u64,
) -> Result<(Hash, Vec<Hash>)> {
    ledger::ensure_within(leaf_index.saturating_add(1), tree_size)?;
    let mut ids = ledger::inclusion_proof_nodes(leaf_index, tree_size)?;
    let leaf = NodeId {
        level: 0,
        index: leaf_index,
    };
    ids.push(leaf);
    let nodes = fetch_nodes::<D>(conn, &ids).await?;
    let leaf_hash = *nodes
        .get(&leaf)
        .ok_or(ledger::LedgerError::MissingNode(leaf))?;
    Ok((
        leaf_hash,
        ledger::inclusion_proof(leaf_index, tree_size, &nodes)?,
    ))
}

/// Where the leaf logging `hash` as `kind` is.
async fn leaf_of<D: Backend>(
    conn: &mut D::Connection,
    kind: LogKind,
    hash: &[u8],
) -> Result<Option<u64>> {
    let data = kind.leaf_data(hash);
    let row = fetch_optional::<D>(conn, q::LEAF_INDEX, &params![&data]).await?;
    row.map(|row| mappers::leaf_index(row.get("leaf_index")?))
        .transpose()
}

/// A leaf's audit path to the checkpoint signed by the transaction that appended it.
async fn receipt_at<D: Backend>(conn: &mut D::Connection, leaf_index: u64) -> Result<LogReceipt> {
    let after = params![as_i64(leaf_index)?];
    let Some(row) = fetch_optional::<D>(conn, q::FIRST_CHECKPOINT_AFTER, &after).await? else {
        return Err(ArchiveError::Corrupt(format!(
            "leaf {leaf_index} has no checkpoint"
        )));
    };
    let checkpoint = mappers::checkpoint(&row)?;
    let (leaf_hash, path) = inclusion::<D>(conn, leaf_index, checkpoint.size).await?;
    Ok(LogReceipt {
        leaf_index,
        leaf_hash,
        path,
        checkpoint,
    })
}

/// The receipt of the leaf logging `hash` as `kind`, if there is one.
async fn receipt_of<D: Backend>(
    conn: &mut D::Connection,
    kind: LogKind,
    hash: &[u8],
) -> Result<Option<LogReceipt>> {
    match leaf_of::<D>(conn, kind, hash).await? {
        Some(leaf_index) => receipt_at::<D>(conn, leaf_index).await.map(Some),
        None => Ok(None),
    }
}

impl<D: Dialect> LogStore for SqlArchive<D> {
    async fn log_receipt(&self, record_sha256: &[u8]) -> Result<Option<LogReceipt>> {
        let mut conn = self.connection().await?;
        receipt_of::<D>(&mut conn, LogKind::StepRecord, record_sha256).await
    }

    async fn result_log_receipt(&self, kind: LogKind, sha256: &[u8]) -> Result<Option<LogReceipt>> {
        let mut conn = self.connection().await?;
        receipt_of::<D>(&mut conn, kind, sha256).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        let mut conn = self.connection().await?;
        fetch_optional_as::<D, _>(&mut conn, q::LATEST_CHECKPOINT, &[], mappers::checkpoint).await
    }

    async fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
        let size = params![as_i64(size)?];
        let mut conn = self.connection().await?;
        fetch_optional_as::<D, _>(&mut conn, q::CHECKPOINT_OF_SIZE, &size, mappers::checkpoint)
            .await
    }

    async fn leaf_of_record(&self, record_sha256: &[u8]) -> Result<Option<u64>> {
        let mut conn = self.connection().await?;
        leaf_of::<D>(&mut conn, LogKind::StepRecord, record_sha256).await
    }

    async fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<(Hash, Vec<Hash>)> {
        let mut conn = self.connection().await?;
        inclusion::<D>(&mut conn, leaf_index, tree_size).await
    }

    async fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>> {
        let ids = ledger::consistency_proof_nodes(old_size, new_size)?;
        let mut conn = self.connection().await?;
        let nodes = fetch_nodes::<D>(&mut conn, &ids).await?;
        Ok(ledger::consistency_proof(old_size, new_size, &nodes)?)
    }
}

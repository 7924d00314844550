//! The transparency log in SQL: appending leaves inside a write's transaction (the head row
//! serialises appends), and serving receipts, checkpoints and proofs from the stored perfect
//! subtrees, each proof's nodes in one query.

use std::collections::HashMap;

use super::{
    archive::SqlArchive,
    backend::{
        fetch_one, fetch_optional, fetch_optional_as, params, Backend, Column, Dialect, Param,
    },
    mappers::{self, as_i64},
    queries as q,
};
use crate::{
    archive::{
        contracts::LogStore,
        error::{ArchiveError, Result},
        rows::{LogKind, LogReceipt, StoredCheckpoint},
    },
    ledger::{self, Hash, LogKey, NodeId},
};

/// Appends leaves to the log inside the caller's transaction, signs the checkpoint of the new
/// size, and proves the first new leaf's inclusion in it.
pub(super) async fn append<D: Dialect>(
    tx: &mut D::Connection,
    key: &LogKey,
    entries: &[(LogKind, [u8; 32])],
    dossier_code: &str,
    at_ms: i64,
) -> Result<LogReceipt> {
    let head = fetch_one::<D>(tx, D::READ_HEAD_FOR_APPEND, &[]).await?;
    let stored_size: i64 = head.get("size")?;
    let frontier_bytes: Vec<u8> = head.get("frontier")?;
    let mut frontier = ledger::Frontier::from_bytes(&frontier_bytes)?;
    if i64::try_from(frontier.size()).ok() != Some(stored_size) {
        return Err(ArchiveError::Corrupt(format!(
            "the log head says size {stored_size} but its frontier has {}",
            frontier.size()
        )));
    }
    let first = frontier.size();
    let mut first_leaf_hash = None;
    for (kind, hash) in entries {
        let index = as_i64(frontier.size())?;
        let data = kind.leaf_data(hash);
        let leaf = ledger::leaf_hash(&data);
        first_leaf_hash.get_or_insert(leaf);
        for (id, node) in frontier.append(leaf)? {
            D::execute(tx, q::INSERT_NODE, &params![node_key(id)?, &node]).await?;
        }
        let leaf_row = params![index, &data, kind.name(), dossier_code, at_ms];
        D::execute(tx, q::INSERT_LEAF, &leaf_row).await?;
    }
    let size = frontier.size();
    let root = frontier.root();
    let frontier_bytes = frontier.to_bytes();
    let head = params![as_i64(size)?, &root, &frontier_bytes, stored_size];
    if D::execute(tx, q::ADVANCE_HEAD, &head).await? != 1 {
        return Err(ArchiveError::Conflict {
            code: "the transparency log".to_owned(),
            expected: stored_size,
        });
    }
    let note = ledger::Checkpoint {
        origin: key.name().to_owned(),
        size,
        root,
        time_unix: at_ms.div_euclid(1000),
    }
    .sign(key)?;
    let checkpoint = params![as_i64(size)?, &root, &note, at_ms];
    D::execute(tx, q::INSERT_CHECKPOINT, &checkpoint).await?;
    let nodes = fetch_nodes::<D>(tx, &ledger::inclusion_proof_nodes(first, size)?).await?;
    Ok(LogReceipt {
        leaf_index: first,
        leaf_hash: first_leaf_hash.unwrap_or_else(ledger::empty_root),
        path: ledger::inclusion_proof(first, size, &nodes)?,
        checkpoint: StoredCheckpoint {
            size,
            root: root.to_vec(),
            note,
        },
    })
}

fn node_key(id: NodeId) -> Result<i64> {
    id.flat_key()
        .ok_or_else(|| ArchiveError::Corrupt(format!("node {id} has no key")))
}

/// Reads the stored perfect subtrees a proof needs, in one query.
async fn fetch_nodes<D: Backend>(
    conn: &mut D::Connection,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let keys = ids
        .iter()
        .map(|id| node_key(*id))
        .collect::<Result<Vec<i64>>>()?;
    let placeholders = (1..=keys.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("{}{placeholders})", q::NODES_IN);
    let params: Vec<Param> = keys.iter().copied().map(Param::from).collect();
    let mut nodes = HashMap::with_capacity(keys.len());
    for row in D::fetch_all(conn, &sql, &params).await? {
        let key: i64 = row.get("id")?;
        let hash: Vec<u8> = row.get("hash")?;
        let id = NodeId::from_flat_key(key)
            .ok_or_else(|| ArchiveError::Corrupt(format!("node key {key}")))?;
        let hash: Hash = hash
            .try_into()
            .map_err(|_| ArchiveError::Corrupt(format!("node {id} is not 32 bytes")))?;
        nodes.insert(id, hash);
    }
    Ok(nodes)
}

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

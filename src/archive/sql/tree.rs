//! The transparency log's tree in SQL: appending leaves inside a write's transaction (the
//! head row serialises appends) and reading the stored perfect subtrees a proof needs, each
//! proof's nodes in one query. `log.rs` serves receipts and proofs from them; the writer
//! appends a whole group commit's leaves at once.

use std::collections::HashMap;

use super::{
    backend::{fetch_one, insert_rows, params, Backend, Column, Dialect, Param},
    mappers::as_i64,
    queries as q,
};
use crate::{
    archive::{
        error::{ArchiveError, Result},
        rows::{LogKind, LogReceipt, StoredCheckpoint},
    },
    ledger::{self, Hash, LogKey, NodeId},
};

/// A leaf to append: what it logs, for which dossier, when.
pub(super) struct NewLeaf<'a> {
    pub kind: LogKind,
    pub hash: [u8; 32],
    pub dossier_code: &'a str,
    pub at_ms: i64,
}

/// What one append made: the checkpoint it signed and the hash of each new leaf, in order
/// from `first`.
pub(super) struct Appended {
    pub first: u64,
    pub leaf_hashes: Vec<Hash>,
    pub checkpoint: StoredCheckpoint,
}

impl Appended {
    /// The audit paths of new leaves `indexes` (absolute) to the new checkpoint, read inside
    /// the appending transaction: the nodes of all of them in as few queries as possible.
    pub(super) async fn receipts<D: Backend>(
        &self,
        tx: &mut D::Connection,
        indexes: &[u64],
    ) -> Result<Vec<LogReceipt>> {
        let size = self.checkpoint.size;
        let mut wanted = Vec::new();
        for &index in indexes {
            wanted.extend(ledger::inclusion_proof_nodes(index, size)?);
        }
        wanted.sort_unstable_by_key(|id| (id.level, id.index));
        wanted.dedup();
        let mut nodes = HashMap::with_capacity(wanted.len());
        for chunk in wanted.chunks(NODES_PER_QUERY) {
            nodes.extend(fetch_nodes::<D>(tx, chunk).await?);
        }
        indexes
            .iter()
            .map(|&index| {
                let leaf_hash = index
                    .checked_sub(self.first)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| self.leaf_hashes.get(i))
                    .ok_or_else(|| {
                        ArchiveError::Corrupt(format!("leaf {index} is not a new leaf"))
                    })?;
                Ok(LogReceipt {
                    leaf_index: index,
                    leaf_hash: *leaf_hash,
                    path: ledger::inclusion_proof(index, size, &nodes)?,
                    checkpoint: self.checkpoint.clone(),
                })
            })
            .collect()
    }
}

/// Placeholders in one query for proof nodes: far below either database's limit.
const NODES_PER_QUERY: usize = 500;

/// Appends leaves to the log inside the caller's transaction and signs one checkpoint of the
/// new size, dated `at_ms`: a group commit's leaves cost one head update and one signature.
pub(super) async fn append_all<D: Dialect>(
    tx: &mut D::Connection,
    key: &LogKey,
    leaves: &[NewLeaf<'_>],
    at_ms: i64,
) -> Result<Appended> {
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
    let mut leaf_hashes = Vec::with_capacity(leaves.len());
    let mut nodes: Vec<(i64, Hash)> = Vec::with_capacity(leaves.len() * 2);
    let mut leaf_rows: Vec<(i64, Vec<u8>)> = Vec::with_capacity(leaves.len());
    for new in leaves {
        let index = as_i64(frontier.size())?;
        let data = new.kind.leaf_data(&new.hash);
        let leaf = ledger::leaf_hash(&data);
        leaf_hashes.push(leaf);
        for (id, node) in frontier.append(leaf)? {
            nodes.push((node_key(id)?, node));
        }
        leaf_rows.push((index, data));
    }
    let node_params: Vec<Param> = nodes
        .iter()
        .flat_map(|(key, hash)| [Param::from(*key), Param::from(&hash[..])])
        .collect();
    insert_rows::<D>(tx, q::INSERT_NODES, 2, &node_params, "").await?;
    let leaf_params: Vec<Param> = leaf_rows
        .iter()
        .zip(leaves)
        .flat_map(|((index, data), new)| {
            [
                Param::from(*index),
                Param::from(&data[..]),
                Param::from(new.kind.name()),
                Param::from(new.dossier_code),
                Param::from(new.at_ms),
            ]
        })
        .collect();
    insert_rows::<D>(tx, q::INSERT_LEAVES, 5, &leaf_params, "").await?;
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
    Ok(Appended {
        first,
        leaf_hashes,
        checkpoint: StoredCheckpoint {
            size,
            root: root.to_vec(),
            note,
        },
    })
}

/// Appends one write's leaves, signs the checkpoint of the new size, and proves the first
/// new leaf's inclusion in it.
pub(super) async fn append<D: Dialect>(
    tx: &mut D::Connection,
    key: &LogKey,
    entries: &[(LogKind, [u8; 32])],
    dossier_code: &str,
    at_ms: i64,
) -> Result<LogReceipt> {
    let leaves: Vec<NewLeaf> = entries
        .iter()
        .map(|(kind, hash)| NewLeaf {
            kind: *kind,
            hash: *hash,
            dossier_code,
            at_ms,
        })
        .collect();
    let appended = append_all::<D>(tx, key, &leaves, at_ms).await?;
    let mut receipts = appended.receipts::<D>(tx, &[appended.first]).await?;
    receipts
        .pop()
        .ok_or_else(|| ArchiveError::Corrupt("an append without its receipt".to_owned()))
}

fn node_key(id: NodeId) -> Result<i64> {
    id.flat_key()
        .ok_or_else(|| ArchiveError::Corrupt(format!("node {id} has no key")))
}

/// Reads the stored perfect subtrees a proof needs, in one query.
pub(super) async fn fetch_nodes<D: Backend>(
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

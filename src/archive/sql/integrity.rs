//! fsck's storage half in SQL: recomputes what can be recomputed from what is stored without
//! understanding a record — blob hashes and sizes wherever the bytes are kept, the Merkle
//! tree from its leaves, the head, and every checkpoint's root and signature — and names each
//! difference by table, key, expected and found value. It also reads each dossier's chain for
//! the checks the service makes. Read-only.
//!
//! It holds the log's nodes in memory (about 100 bytes per leaf): fine for tens of millions of
//! leaves; a larger archive would walk the tree level by level instead.

use std::collections::{HashMap, HashSet};

use super::{
    archive::SqlArchive,
    backend::{fetch_all_as, fetch_one, params, Backend, Column, Dialect},
    mappers, queries as q,
};
use crate::{
    archive::{
        blobs::IN_DATABASE,
        contracts::IntegrityStore,
        error::{ArchiveError, Result},
        rows::{FsckReport, LogKind, ResultVersions, StoredChain},
    },
    crypto::sha256,
    ledger::{self, Hash, LogVerifier, NodeId},
};

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

impl<D: Dialect> IntegrityStore for SqlArchive<D> {
    async fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut conn = self.connection().await?;
        let mut counts = Vec::with_capacity(q::TABLES.len());
        for table in q::TABLES {
            // Table names come from the constant, never from input.
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let count: i64 = fetch_one::<D>(&mut conn, &sql, &[]).await?.first()?;
            counts.push((table.to_string(), count));
        }
        Ok(counts)
    }

    async fn check_blobs(&self, report: &mut FsckReport) -> Result<()> {
        let mut conn = self.connection().await?;
        // The key is the content's SHA-256, wherever the content is kept. Every store a row
        // names must be reachable, or nothing about those blobs is known.
        for row in D::fetch_all(&mut conn, q::BLOB_PLACEMENTS, &[]).await? {
            let store: String = row.get("stored_in")?;
            let blobs: i64 = row.get("blobs")?;
            if store != IN_DATABASE && self.blobs.named(&store).is_none() {
                return Err(ArchiveError::BlobStoreNotConfigured { store, blobs });
            }
        }
        let mut referenced: HashMap<String, HashSet<Vec<u8>>> = HashMap::new();
        for key_row in D::fetch_all(&mut conn, q::BLOB_KEYS, &[]).await? {
            report.blobs += 1;
            let key: Vec<u8> = key_row.get("sha256")?;
            let stored_in: String = key_row.get("stored_in")?;
            let row_key = format!("sha256={}", hex(&key));
            // Read one at a time: they can be large.
            let row = fetch_one::<D>(&mut conn, q::BLOB_ROW, &params![&key]).await?;
            let size: i64 = row.get("size")?;
            let in_row: Vec<u8> = row.get("content")?;
            // Findings name where the bytes were read: the row, or the store.
            let (content, what) = if stored_in == IN_DATABASE {
                (in_row, "content".to_owned())
            } else {
                let Some(store) = self.blobs.named(&stored_in) else {
                    continue; // Checked above: every store a row names is configured.
                };
                referenced
                    .entry(stored_in.clone())
                    .or_default()
                    .insert(key.clone());
                if !in_row.is_empty() {
                    report.push(
                        "blobs",
                        row_key.clone(),
                        format!(
                            "content column is not empty for a blob kept in {}",
                            store.describe()
                        ),
                        Some("0 bytes".to_owned()),
                        Some(format!("{} bytes", in_row.len())),
                    );
                }
                match store.get(&key).await {
                    Ok(Some(content)) => (content, format!("content in {}", store.describe())),
                    Ok(None) => {
                        let problem = format!("missing from {}", store.describe());
                        report.push("blobs", row_key, problem, None, None);
                        continue;
                    }
                    Err(e) => {
                        let problem = format!("cannot be read: {e}");
                        report.push("blobs", row_key, problem, None, None);
                        continue;
                    }
                }
            };
            let found = sha256(&content);
            if found[..] != key[..] {
                report.push(
                    "blobs",
                    row_key.clone(),
                    format!("{what} does not match its hash"),
                    Some(hex(&key)),
                    Some(hex(&found)),
                );
            }
            if size != content.len() as i64 {
                report.push(
                    "blobs",
                    row_key,
                    "size column is wrong",
                    Some(content.len().to_string()),
                    Some(size.to_string()),
                );
            }
        }
        drop(conn);
        // Blobs in a store that no row names: left by transactions that rolled back.
        for store in self.blobs.readable() {
            let names = referenced.remove(store.name()).unwrap_or_default();
            let listed = store.list().await?;
            let stray = listed.iter().filter(|k| !names.contains(&k[..])).count() as u64;
            report.unreferenced.push((store.describe(), stray));
        }
        Ok(())
    }

    async fn chains(&self, after: Option<&str>, limit: i64) -> Result<Vec<StoredChain>> {
        let mut conn = self.connection().await?;
        let heads = D::fetch_all(&mut conn, q::CHAIN_HEADS, &params![after, limit]).await?;
        let mut chains = Vec::with_capacity(heads.len());
        for head in heads {
            let code: String = head.get("code")?;
            let key = params![&code];
            let records = fetch_all_as::<D, _>(&mut conn, q::RECORDS, &key, mappers::record);
            let records = records.await?;
            let results = fetch_all_as::<D, _>(&mut conn, q::RESULT_VERSIONS, &key, |row| {
                Ok(ResultVersions {
                    result_code: row.get("result_code")?,
                    sha256: row.get("sha256")?,
                    current_sha256: row.get("current_sha256")?,
                })
            });
            let results = results.await?;
            chains.push(StoredChain {
                last_record_sha256: head.get("last_record_sha256")?,
                record_count: head.get("record_count")?,
                code,
                records,
                results,
            });
        }
        Ok(chains)
    }

    async fn check_log(&self, log: &LogVerifier, report: &mut FsckReport) -> Result<()> {
        let mut conn = self.connection().await?;
        let loggable: HashSet<Vec<u8>> =
            fetch_all_as::<D, _>(&mut conn, q::LOGGABLE_HASHES, &[], |row| row.first())
                .await?
                .into_iter()
                .collect();
        let (size, computed) = check_leaves::<D>(&mut conn, &loggable, report).await?;
        check_nodes::<D>(&mut conn, &computed, report).await?;
        let head = fetch_one::<D>(&mut conn, q::HEAD, &[]).await?;
        let head_size: i64 = head.get("size")?;
        let head_root: Vec<u8> = head.get("root")?;
        let head_frontier: Vec<u8> = head.get("frontier")?;
        if head_size != size as i64 {
            report.push(
                "ledger_head",
                "id=1".to_owned(),
                "size differs from the number of leaves",
                Some(size.to_string()),
                Some(head_size.to_string()),
            );
        }
        let root = ledger::root_from(size, &computed)?;
        if head_root[..] != root[..] {
            report.push(
                "ledger_head",
                "id=1".to_owned(),
                "root differs from the root recomputed from the leaves",
                Some(hex(&root)),
                Some(hex(&head_root)),
            );
        }
        let frontier = ledger::Frontier::from_nodes(size, &computed)?.to_bytes();
        if head_frontier != frontier {
            report.push(
                "ledger_head",
                "id=1".to_owned(),
                "frontier differs from the one recomputed from the leaves",
                Some(hex(&frontier)),
                Some(hex(&head_frontier)),
            );
        }
        let checkpoints = D::fetch_all(&mut conn, q::CHECKPOINTS, &[]).await?;
        let mut latest = 0i64;
        for row in checkpoints {
            report.checkpoints += 1;
            let cp_size: i64 = row.get("size")?;
            let cp_root: Vec<u8> = row.get("root")?;
            let note: String = row.get("note")?;
            latest = latest.max(cp_size);
            let key = format!("size={cp_size}");
            let expected = u64::try_from(cp_size)
                .ok()
                .filter(|s| *s <= size)
                .and_then(|s| ledger::root_from(s, &computed).ok());
            match expected {
                None => report.push(
                    "ledger_checkpoints",
                    key.clone(),
                    "size is beyond the logged leaves",
                    Some(format!("at most {size}")),
                    Some(cp_size.to_string()),
                ),
                Some(expected) if expected[..] != cp_root[..] => report.push(
                    "ledger_checkpoints",
                    key.clone(),
                    "root differs from the root recomputed from the leaves",
                    Some(hex(&expected)),
                    Some(hex(&cp_root)),
                ),
                Some(_) => {}
            }
            match ledger::Checkpoint::open(&note, log) {
                Err(e) => report.push(
                    "ledger_checkpoints",
                    key.clone(),
                    format!(
                        "the note does not verify with the log key {}: {e}",
                        log.name
                    ),
                    None,
                    None,
                ),
                Ok(opened) => {
                    if opened.size as i64 != cp_size || opened.root[..] != cp_root[..] {
                        report.push(
                            "ledger_checkpoints",
                            key.clone(),
                            "the signed note says another size or root",
                            Some(format!("{cp_size} {}", hex(&cp_root))),
                            Some(format!("{} {}", opened.size, hex(&opened.root))),
                        );
                    }
                }
            }
        }
        if latest != head_size {
            report.push(
                "ledger_checkpoints",
                format!("size={latest}"),
                "the newest checkpoint is not at the head's size",
                Some(head_size.to_string()),
                Some(latest.to_string()),
            );
        }
        Ok(())
    }
}

/// Checks each leaf (its index, its kind, that it logs a stored hash) and recomputes every
/// perfect subtree of the tree they form: the number of leaves, and those subtrees.
async fn check_leaves<D: Backend>(
    conn: &mut D::Connection,
    loggable: &HashSet<Vec<u8>>,
    report: &mut FsckReport,
) -> Result<(u64, HashMap<NodeId, Hash>)> {
    let leaves = D::fetch_all(conn, q::LEAVES, &[]).await?;
    let mut computed: HashMap<NodeId, Hash> = HashMap::new();
    for (position, row) in leaves.iter().enumerate() {
        report.leaves += 1;
        let index: i64 = row.get("leaf_index")?;
        let data: Vec<u8> = row.get("leaf_data")?;
        let kind: String = row.get("kind")?;
        let key = format!("leaf_index={index}");
        if index != position as i64 {
            report.push(
                "ledger_leaves",
                key.clone(),
                "leaf indexes have a gap",
                Some(position.to_string()),
                Some(index.to_string()),
            );
        }
        let expected_kind = LogKind::of_leaf_data(&data);
        if expected_kind.map(LogKind::name) != Some(kind.as_str()) || data.len() != 33 {
            report.push(
                "ledger_leaves",
                key,
                "leaf data and kind disagree",
                expected_kind.map(|k| k.name().to_owned()),
                Some(format!("{kind}, {} bytes", data.len())),
            );
        } else if !loggable.contains(&data[1..]) {
            report.push(
                "ledger_leaves",
                key,
                "logs a hash that no stored record or result has",
                None,
                Some(hex(&data[1..])),
            );
        }
        computed.insert(NodeId::new(0, position as u64), ledger::leaf_hash(&data));
    }
    let size = leaves.len() as u64;
    let mut level = 1u8;
    while level < 64 && (1u64 << level) <= size {
        for index in 0..(size >> level) {
            let left = computed.get(&NodeId::new(level - 1, 2 * index)).copied();
            let right = computed
                .get(&NodeId::new(level - 1, 2 * index + 1))
                .copied();
            if let (Some(left), Some(right)) = (left, right) {
                computed.insert(NodeId::new(level, index), ledger::node_hash(&left, &right));
            }
        }
        level += 1;
    }
    Ok((size, computed))
}

/// Compares the stored nodes with the ones recomputed from the leaves: each missing or
/// different, then each stored node no tree of the logged leaves has.
async fn check_nodes<D: Backend>(
    conn: &mut D::Connection,
    computed: &HashMap<NodeId, Hash>,
    report: &mut FsckReport,
) -> Result<()> {
    let stored: HashMap<i64, Vec<u8>> = D::fetch_all(conn, q::NODES, &[])
        .await?
        .iter()
        .map(|row| Ok((row.get("id")?, row.get("hash")?)))
        .collect::<Result<_>>()?;
    let mut expected_keys = HashSet::new();
    let mut ids: Vec<(&NodeId, &Hash)> = computed.iter().collect();
    ids.sort_by_key(|(id, _)| id.flat_key());
    for (id, expected) in ids {
        let Some(key) = id.flat_key() else { continue };
        expected_keys.insert(key);
        let row_key = format!("id={key} ({id})");
        match stored.get(&key) {
            None => report.push(
                "ledger_nodes",
                row_key,
                "node is missing",
                Some(hex(expected)),
                None,
            ),
            Some(found) if found[..] != expected[..] => report.push(
                "ledger_nodes",
                row_key,
                "node hash differs from the one recomputed from the leaves",
                Some(hex(expected)),
                Some(hex(found)),
            ),
            Some(_) => {}
        }
    }
    let mut extra: Vec<&i64> = stored
        .keys()
        .filter(|k| !expected_keys.contains(*k))
        .collect();
    extra.sort();
    for key in extra {
        report.push(
            "ledger_nodes",
            format!("id={key}"),
            "node is not part of a tree of the logged leaves",
            None,
            None,
        );
    }
    Ok(())
}

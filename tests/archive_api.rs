//! The archive RPCs that existed before their tests: Search pagination, GetRecord by each key,
//! the log's proofs checked by an RFC 9162 verifier written out here (not ketqua::ledger), and
//! two `ketqua serve` processes sharing one PostgreSQL database.

mod common;

use std::process::Command;

use common::*;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient,
};
use sha2_free::sha256;
use tonic::{transport::Channel, Code};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

/// SHA-256 through ring, which the test already links; nothing from ketqua's ledger.
mod sha2_free {
    pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        for part in parts {
            context.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(context.finish().as_ref());
        out
    }
}

/// RFC 9162 §2.1.3.2, step by step.
fn rfc9162_inclusion(index: u64, size: u64, leaf: [u8; 32], path: &[Vec<u8>], root: &[u8]) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s, mut r) = (index, size - 1, leaf);
    for p in path {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = sha256(&[&[1], p, &r]);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = sha256(&[&[1], &r, p]);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r[..] == root[..]
}

/// RFC 9162 §2.1.4.2, step by step.
fn rfc9162_consistency(
    old: u64,
    new: u64,
    old_root: &[u8],
    new_root: &[u8],
    path: &[Vec<u8>],
) -> bool {
    if old == new {
        return path.is_empty() && old_root == new_root;
    }
    if old == 0 {
        // Every tree extends the empty one; RFC 9162 leaves this case to the caller.
        return path.is_empty();
    }
    if old > new || path.is_empty() {
        return false;
    }
    let mut path: Vec<Vec<u8>> = path.to_vec();
    if old.is_power_of_two() {
        path.insert(0, old_root.to_vec());
    }
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let mut fr: [u8; 32] = match path[0].clone().try_into() {
        Ok(h) => h,
        Err(_) => return false,
    };
    let mut sr = fr;
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = sha256(&[&[1], c, &fr]);
            sr = sha256(&[&[1], c, &sr]);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = sha256(&[&[1], &sr, c]);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && fr[..] == old_root[..] && sr[..] == new_root[..]
}

async fn archive_client(server: &Server) -> ArchiveClient<Channel> {
    ArchiveClient::new(server.channel().await).max_decoding_message_size(64 * 1024 * 1024)
}

async fn receive_for(client: &mut DossiersClient<Channel>, applicant: &str) -> pb::StepReceipt {
    let mut request = receive_request(JUDICIAL_RECORD, RECEIVER);
    request.applicant.as_mut().unwrap().id = applicant.to_owned();
    client.receive(request).await.unwrap().into_inner()
}

async fn search_pages_and_get_record(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let mut archive = archive_client(&server).await;
    let applicant = "001099000555";
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(receive_for(&mut client, applicant).await.dossier_code);
    }
    receive_for(&mut client, "001099000666").await;

    // Pages of 2: 2, 2, 1, with a cursor on the last hit of every page but the final one.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = Vec::new();
    loop {
        let mut stream = archive
            .search(pb::SearchRequest {
                applicant_id: applicant.to_owned(),
                page_size: 2,
                cursor: cursor.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut hits = Vec::new();
        while let Some(hit) = stream.message().await.unwrap() {
            hits.push(hit);
        }
        pages.push(hits.len());
        for (i, hit) in hits.iter().enumerate() {
            assert_eq!(hit.applicant_id, applicant);
            if i + 1 < hits.len() {
                assert!(hit.next_cursor.is_empty());
            }
            seen.push(hit.dossier_code.clone());
        }
        match hits.last().map(|h| h.next_cursor.clone()) {
            Some(next) if !next.is_empty() => cursor = next,
            _ => break,
        }
    }
    assert_eq!(pages, vec![2, 2, 1]);
    assert_eq!(seen, codes, "oldest first, each exactly once");
    // Filters combine; state filter.
    let count = |request: pb::SearchRequest| {
        let mut archive = archive.clone();
        async move {
            let mut stream = archive.search(request).await.unwrap().into_inner();
            let mut n = 0;
            while stream.message().await.unwrap().is_some() {
                n += 1;
            }
            n
        }
    };
    assert_eq!(
        count(pb::SearchRequest {
            state: pb::DossierState::Received as i32,
            ..Default::default()
        })
        .await,
        6
    );
    assert_eq!(
        count(pb::SearchRequest {
            state: pb::DossierState::Returned as i32,
            ..Default::default()
        })
        .await,
        0
    );
    // Bad requests.
    for request in [
        pb::SearchRequest {
            cursor: "garbage!".into(),
            ..Default::default()
        },
        pb::SearchRequest {
            cursor: "djE6MTpub3BlCg".into(),
            ..Default::default()
        },
        pb::SearchRequest {
            page_size: 1001,
            ..Default::default()
        },
        pb::SearchRequest {
            received_from: "22/11/2026".into(),
            ..Default::default()
        },
        pb::SearchRequest {
            state: 99,
            ..Default::default()
        },
    ] {
        let status = archive.search(request.clone()).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{request:?}: {status:?}"
        );
    }

    // GetRecord by each key finds the same dossier.
    let code = &codes[0];
    client
        .appraise(step_request(code, APPRAISER, "Đạt"))
        .await
        .unwrap();
    client
        .approve(step_request(code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    let signed = client
        .sign(sign_request(code, APPROVER))
        .await
        .unwrap()
        .into_inner();
    let record_sha = signed.record.unwrap().record_sha256;
    use pb::get_record_request::Key;
    for key in [
        Key::DossierCode(code.clone()),
        Key::ResultCode(format!("{code}-KQ1")),
        Key::RecordSha256(record_sha.clone()),
    ] {
        let dossier = archive
            .get_record(pb::GetRecordRequest {
                key: Some(key.clone()),
                include_result_content: true,
            })
            .await
            .unwrap()
            .into_inner()
            .dossier
            .unwrap();
        assert_eq!(&dossier.code, code, "{key:?}");
        assert_eq!(dossier.records.len(), 4);
        assert!(dossier.result.unwrap().content.starts_with(b"%PDF"));
    }
    for (key, expected) in [
        (
            Some(Key::DossierCode("000.00.12.H47-200101-0001".into())),
            Code::NotFound,
        ),
        (
            Some(Key::ResultCode("000.00.12.H47-200101-0001-KQ1".into())),
            Code::NotFound,
        ),
        (Some(Key::RecordSha256(vec![0; 32])), Code::NotFound),
        (Some(Key::DossierCode("nope".into())), Code::InvalidArgument),
        (Some(Key::ResultCode("nope".into())), Code::InvalidArgument),
        (Some(Key::RecordSha256(vec![0; 31])), Code::InvalidArgument),
        (None, Code::InvalidArgument),
    ] {
        let status = archive
            .get_record(pb::GetRecordRequest {
                key: key.clone(),
                include_result_content: false,
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), expected, "{key:?}: {status:?}");
    }
}

async fn proofs_verify_under_rfc9162(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let mut archive = archive_client(&server).await;
    let mut record_hashes = Vec::new();
    // Each receive logs its record and its receipt slip (form 01), each appraisal its record.
    for _ in 0..3 {
        let receipt = receive_for(&mut client, "001099000777").await;
        record_hashes.push((
            receipt.record.unwrap().record_sha256,
            receipt.log.unwrap().leaf_index,
        ));
        let code = receipt.dossier_code;
        let r = client
            .appraise(step_request(&code, APPRAISER, "Đạt"))
            .await
            .unwrap()
            .into_inner();
        record_hashes.push((r.record.unwrap().record_sha256, r.log.unwrap().leaf_index));
    }
    let latest = archive
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner();
    let size = latest.size;
    assert_eq!(size, 9);
    assert!(
        latest.note.starts_with("ketqua.local/log\n9\n"),
        "{}",
        latest.note
    );

    // The roots of every size a checkpoint was signed at.
    let mut roots = vec![(0u64, sha256(&[]).to_vec())];
    for t in 1..=size {
        let proof = archive
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(0)),
                tree_size: t,
            })
            .await
            .unwrap()
            .into_inner();
        if let Some(checkpoint) = proof.checkpoint {
            assert_eq!(checkpoint.size, t);
            roots.push((t, checkpoint.root_hash));
        }
    }
    assert!(roots.len() > 3, "{roots:?}");
    for (t, root) in &roots[1..] {
        for leaf in 0..*t {
            let proof = archive
                .get_inclusion_proof(pb::GetInclusionProofRequest {
                    leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(leaf)),
                    tree_size: *t,
                })
                .await
                .unwrap()
                .into_inner();
            let leaf_hash: [u8; 32] = proof.leaf_hash.clone().try_into().unwrap();
            assert!(
                rfc9162_inclusion(leaf, *t, leaf_hash, &proof.path, root),
                "leaf {leaf} in {t}"
            );
            // A wrong leaf does not verify.
            assert!(!rfc9162_inclusion(leaf, *t, [9; 32], &proof.path, root));
        }
    }
    // By record: the leaf is SHA-256(0x00 || 0x00 (step record) || record SHA-256).
    for (hash, index) in &record_hashes {
        let proof = archive
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                leaf: Some(pb::get_inclusion_proof_request::Leaf::RecordSha256(
                    hash.clone(),
                )),
                tree_size: 0,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(proof.leaf_index, *index);
        assert_eq!(proof.tree_size, size);
        assert_eq!(proof.leaf_hash, sha256(&[&[0], &[0], hash]).to_vec());
        let leaf: [u8; 32] = proof.leaf_hash.clone().try_into().unwrap();
        assert!(rfc9162_inclusion(
            proof.leaf_index,
            size,
            leaf,
            &proof.path,
            &latest.root_hash
        ));
    }
    for (old, old_root) in &roots {
        for (new, new_root) in &roots {
            if old > new {
                continue;
            }
            let proof = archive
                .get_consistency_proof(pb::GetConsistencyProofRequest {
                    old_size: *old,
                    new_size: *new,
                })
                .await
                .unwrap()
                .into_inner();
            assert!(
                rfc9162_consistency(*old, *new, old_root, new_root, &proof.path),
                "{old} -> {new}"
            );
            if old != new && *old > 0 {
                assert!(!rfc9162_consistency(
                    *old,
                    *new,
                    &[7; 32],
                    new_root,
                    &proof.path
                ));
            }
        }
    }
    // Out of range and bad requests.
    use pb::get_inclusion_proof_request::Leaf;
    for (leaf, tree_size, expected) in [
        (Some(Leaf::LeafIndex(0)), size + 1, Code::OutOfRange),
        (Some(Leaf::LeafIndex(size)), 0, Code::OutOfRange),
        (Some(Leaf::LeafIndex(3)), 3, Code::OutOfRange),
        (Some(Leaf::RecordSha256(vec![1; 32])), 0, Code::NotFound),
        (
            Some(Leaf::RecordSha256(vec![1; 5])),
            0,
            Code::InvalidArgument,
        ),
        (None, 0, Code::InvalidArgument),
    ] {
        let status = archive
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                leaf: leaf.clone(),
                tree_size,
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), expected, "{leaf:?} {tree_size}: {status:?}");
    }
    for (old, new, expected) in [
        (1, size + 1, Code::OutOfRange),
        (size + 1, size + 2, Code::OutOfRange),
        (u64::MAX, 0, Code::InvalidArgument),
        (5, 3, Code::InvalidArgument),
    ] {
        let status = archive
            .get_consistency_proof(pb::GetConsistencyProofRequest {
                old_size: old,
                new_size: new,
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), expected, "{old} {new}: {status:?}");
    }
}

on_both_backends!(search_pages_and_get_record, proofs_verify_under_rfc9162);

#[tokio::test]
async fn two_processes_on_one_postgres_database() {
    let Some(server) = Server::start_on(Backend::Postgres, &[]).await else {
        return;
    };
    let replica = Replica::start(&server);
    let mut a = server.dossiers().await;
    let mut b = replica.dossiers().await;

    // Concurrent appends from both keep one log: 2 × 10 receives at once.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let mut client = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut request = receive_request(JUDICIAL_RECORD, RECEIVER);
            request.applicant.as_mut().unwrap().id = format!("0010990008{i:02}");
            // A scan of its own, so each process writes blobs the other did not.
            request.documents[0] = pdf_document("Tờ khai", &format!("to khai {i}"));
            client.receive(request).await.map(|r| r.into_inner())
        }));
    }
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.push(task.await.unwrap().expect("every receive succeeds"));
    }
    let mut codes: Vec<String> = receipts.iter().map(|r| r.dossier_code.clone()).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 20, "distinct dossier codes");

    // Concurrent steps on the same dossier: exactly one wins.
    for code in codes.iter().take(8) {
        let (ra, rb) = tokio::join!(
            a.appraise(step_request(code, APPRAISER, "Đạt")),
            b.appraise(step_request(code, APPRAISER, "Đạt"))
        );
        let wins = [ra.is_ok(), rb.is_ok()].iter().filter(|w| **w).count();
        assert_eq!(wins, 1, "{code}: {ra:?} {rb:?}");
        let loser = ra.err().or(rb.err()).unwrap();
        assert!(
            matches!(loser.code(), Code::Aborted | Code::FailedPrecondition),
            "{loser:?}"
        );
        let dossier = a
            .get(pb::GetRequest {
                dossier_code: code.clone(),
                include_result_content: false,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(dossier.records.len(), 2, "{code}: one appraisal recorded");
    }
    // Under load: the other twelve dossiers appraised by both processes at once, all 24 calls
    // in flight together, so each process's group commits take the same dossiers as the
    // other's. Still exactly one appraisal of each.
    let mut pairs = Vec::new();
    for code in codes.iter().skip(8) {
        for client in [a.clone(), b.clone()] {
            let (mut client, code) = (client, code.clone());
            pairs.push(tokio::spawn(async move {
                let outcome = client.appraise(step_request(&code, APPRAISER, "Đạt")).await;
                (code, outcome)
            }));
        }
    }
    let mut wins = std::collections::BTreeMap::<String, usize>::new();
    for pair in pairs {
        let (code, outcome) = pair.await.unwrap();
        match outcome {
            Ok(_) => *wins.entry(code).or_default() += 1,
            Err(status) => assert!(
                matches!(status.code(), Code::Aborted | Code::FailedPrecondition),
                "{code}: {status:?}"
            ),
        }
    }
    assert_eq!(wins.len(), 12, "{wins:?}");
    assert!(wins.values().all(|n| *n == 1), "{wins:?}");

    // One log: every checkpoint either process signed is consistent with every later one.
    let log = ketqua::ledger::LogVerifier::from_vkey(
        std::fs::read_to_string(server.pki_dir().join("log.pub"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    // Each receive has two leaves, its record's and its receipt slip's (form 01, attached
    // right after): the records' leaves are 20 distinct ones of the first 40. Receives
    // committed together (a group commit) share the checkpoint their batch signed, which
    // covers each of their leaves.
    let mut leaves: Vec<u64> = receipts
        .iter()
        .map(|r| r.log.as_ref().unwrap().leaf_index)
        .collect();
    leaves.sort();
    leaves.dedup();
    assert_eq!(leaves.len(), 20, "one record leaf per receive: {leaves:?}");
    assert!(leaves.iter().all(|l| *l < 40), "{leaves:?}");
    assert!(receipts.iter().all(|r| r.forms.len() == 1));
    let mut checkpoints: Vec<(u64, [u8; 32])> = receipts
        .iter()
        .map(|r| {
            let log_receipt = r.log.as_ref().unwrap();
            let note = &log_receipt.checkpoint.as_ref().unwrap().note;
            let opened = ketqua::ledger::Checkpoint::open(note, &log).unwrap();
            assert!(opened.size > log_receipt.leaf_index, "{opened:?}");
            (opened.size, opened.root)
        })
        .collect();
    checkpoints.sort();
    checkpoints.dedup();
    assert!(
        checkpoints.last().is_some_and(|c| c.0 > leaves[19]),
        "{checkpoints:?}"
    );
    let mut archive_a = archive_client(&server).await;
    let latest = archive_a
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner();
    // 20 records and 20 slips of the receives, 8 appraisals (one of each pair), 12 more.
    assert_eq!(latest.size, 60);
    let latest_root: [u8; 32] = latest.root_hash.clone().try_into().unwrap();
    checkpoints.push((latest.size, latest_root));
    for (i, (old, old_root)) in checkpoints.iter().enumerate() {
        for (new, new_root) in &checkpoints[i..] {
            let proof = archive_a
                .get_consistency_proof(pb::GetConsistencyProofRequest {
                    old_size: *old,
                    new_size: *new,
                })
                .await
                .unwrap()
                .into_inner();
            let path: Vec<[u8; 32]> = proof
                .path
                .iter()
                .map(|h| h.clone().try_into().unwrap())
                .collect();
            ketqua::ledger::verify_consistency(*old, *new, old_root, new_root, &path)
                .unwrap_or_else(|e| panic!("{old} -> {new}: {e}"));
        }
    }
    // Both wrote their documents into the one blob directory…
    assert!(!replica.dir.path().join("blobs").exists());
    // …and the archive checks out: every blob row has its file there.
    let output = Command::new(BIN)
        .args([
            "archive",
            "fsck",
            "--database",
            &server.database_url(),
            "--pki-dir",
        ])
        .arg(server.pki_dir())
        .arg("--data-dir")
        .arg(server.data_dir())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

//! Nothing acknowledged is ever lost: the server is killed with SIGKILL at random moments while
//! department systems run dossiers through the flow concurrently, then started again on the
//! same data. Every step whose receipt a client received must be in the archive with the same
//! record hash; every checkpoint a client was shown must be a prefix of the log the server has
//! after the crashes; and `archive fsck` must find nothing wrong.

mod common;

use std::{
    collections::BTreeMap,
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use common::*;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient,
};
use tokio::sync::mpsc;
use tonic::transport::Channel;

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

/// Kill cycles per backend, and department systems calling concurrently in each.
const CYCLES: usize = 10;
const CLIENTS: usize = 6;

/// A step whose receipt reached the client.
#[derive(Debug, Clone)]
struct Acknowledged {
    dossier: String,
    sequence: u32,
    record_sha256: Vec<u8>,
    checkpoint: pb::Checkpoint,
}

/// A small deterministic generator (xorshift), seeded from the clock and printed, so that a
/// failing run can be repeated with `KETQUA_CRASH_SEED`.
struct Random(u64);

impl Random {
    fn from_env_or_clock() -> Random {
        let seed = std::env::var("KETQUA_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
            | 1;
        eprintln!("crash test seed: KETQUA_CRASH_SEED={seed}");
        Random(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn acknowledged(receipt: &pb::StepReceipt) -> Acknowledged {
    let record = receipt
        .record
        .clone()
        .expect("a receipt carries its record");
    let log = receipt
        .log
        .clone()
        .expect("a receipt carries its log receipt");
    Acknowledged {
        dossier: receipt.dossier_code.clone(),
        sequence: record.decoded.expect("decoded record").sequence,
        record_sha256: record.record_sha256,
        checkpoint: log.checkpoint.expect("a signed checkpoint"),
    }
}

/// One department system: dossiers through the five steps until the server goes away.
async fn department_system(
    grpc: String,
    stop: Arc<AtomicBool>,
    acks: mpsc::UnboundedSender<Acknowledged>,
) {
    let Ok(channel) = Channel::from_shared(grpc).expect("url").connect().await else {
        return;
    };
    let mut client = DossiersClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
    while !stop.load(Ordering::Relaxed) {
        let Ok(receipt) = client
            .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
            .await
        else {
            return;
        };
        let receipt = receipt.into_inner();
        let code = receipt.dossier_code.clone();
        let _ = acks.send(acknowledged(&receipt));
        let steps: [(&str, &str); 4] = [
            ("appraise", APPRAISER),
            ("approve", APPROVER),
            ("sign", APPROVER),
            ("return", RECEIVER),
        ];
        for (step, credential) in steps {
            let answer = match step {
                "appraise" => {
                    client
                        .appraise(step_request(&code, credential, "Đủ điều kiện"))
                        .await
                }
                "approve" => {
                    client
                        .approve(step_request(&code, credential, "Đồng ý"))
                        .await
                }
                "sign" => client.sign(sign_request(&code, credential)).await,
                _ => {
                    client
                        .r#return(step_request(&code, credential, "Đã trả"))
                        .await
                }
            };
            match answer {
                Ok(receipt) => {
                    let _ = acks.send(acknowledged(&receipt.into_inner()));
                }
                Err(_) => return,
            }
        }
    }
}

/// Runs the clients for a random while, then kills the server in the middle of their work.
async fn one_crash(server: &mut Server, random: &mut Random) -> Vec<Acknowledged> {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(department_system(
                server.grpc.clone(),
                stop.clone(),
                tx.clone(),
            ))
        })
        .collect();
    drop(tx);
    tokio::time::sleep(Duration::from_millis(300 + random.below(1200))).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = tokio::time::timeout(Duration::from_secs(30), worker).await;
    }
    let mut acks = Vec::new();
    while let Ok(ack) = rx.try_recv() {
        acks.push(ack);
    }
    acks
}

async fn stored_records(server: &Server, code: &str) -> BTreeMap<u32, Vec<u8>> {
    let dossier = server
        .dossiers()
        .await
        .get(pb::GetRequest {
            dossier_code: code.to_owned(),
            include_result_content: false,
        })
        .await
        .unwrap_or_else(|status| panic!("acknowledged dossier {code} is gone: {status:?}"))
        .into_inner();
    dossier
        .records
        .into_iter()
        .map(|r| (r.decoded.expect("decoded").sequence, r.record_sha256))
        .collect()
}

async fn acknowledged_steps_survive_sigkill(backend: Backend) {
    let Some(mut server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut random = Random::from_env_or_clock();
    let mut all = Vec::new();
    for cycle in 0..CYCLES {
        let acks = one_crash(&mut server, &mut random).await;
        server.start_again();
        // Every step acknowledged so far, not only this cycle's: a later crash must not undo
        // an earlier commit either.
        all.extend(acks);
        let mut by_dossier: BTreeMap<&str, Vec<&Acknowledged>> = BTreeMap::new();
        for ack in &all {
            by_dossier.entry(&ack.dossier).or_default().push(ack);
        }
        for (code, acks) in by_dossier {
            let stored = stored_records(&server, code).await;
            for ack in acks {
                assert_eq!(
                    stored.get(&ack.sequence),
                    Some(&ack.record_sha256),
                    "cycle {cycle}: step {} of {code} was acknowledged but is not in the archive as signed",
                    ack.sequence
                );
            }
        }
    }
    assert!(
        all.len() >= CYCLES,
        "only {} steps were acknowledged in {CYCLES} cycles: the load did not run",
        all.len()
    );
    eprintln!("{backend:?}: {} acknowledged steps, none lost", all.len());

    // Every checkpoint a client saw is a prefix of today's log.
    let mut archive = ArchiveClient::new(server.channel().await);
    let latest = archive
        .get_checkpoint(pb::GetCheckpointRequest::default())
        .await
        .expect("the latest checkpoint")
        .into_inner();
    let log_key = std::fs::read_to_string(server.pki_dir().join("log.pub")).expect("log.pub");
    let verifier = ketqua::ledger::LogVerifier::from_vkey(log_key.trim()).expect("a note key");
    let latest_checkpoint = ketqua::ledger::Checkpoint::open(&latest.note, &verifier)
        .expect("a checkpoint signed by the log");
    let mut sizes: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for ack in &all {
        sizes.insert(ack.checkpoint.size, ack.checkpoint.root_hash.clone());
    }
    for (size, root) in sizes {
        assert!(
            size <= latest.size,
            "a checkpoint of size {size} beyond the log's {}",
            latest.size
        );
        let proof = archive
            .get_consistency_proof(pb::GetConsistencyProofRequest {
                old_size: size,
                new_size: latest.size,
            })
            .await
            .expect("a consistency proof")
            .into_inner();
        let path: Vec<[u8; 32]> = proof
            .path
            .iter()
            .map(|h| h.as_slice().try_into().expect("32-byte hashes"))
            .collect();
        let old_root: [u8; 32] = root.as_slice().try_into().expect("a 32-byte root");
        ketqua::ledger::verify_consistency(
            size,
            latest.size,
            &old_root,
            &latest_checkpoint.root,
            &path,
        )
        .unwrap_or_else(|e| {
            panic!("the checkpoint of size {size} is not a prefix of the log: {e}")
        });
    }

    server.stop();
    let output = Command::new(BIN)
        .args(["archive", "fsck", "--database", &server.database_url()])
        .arg("--data-dir")
        .arg(server.data_dir())
        .arg("--pki-dir")
        .arg(server.pki_dir())
        .env("KETQUA_LOG", "error")
        .output()
        .expect("run ketqua archive fsck");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "fsck after the crashes: {text}");
    assert!(
        text.contains("0 problems"),
        "fsck after the crashes: {text}"
    );
}

on_both_backends!(acknowledged_steps_survive_sigkill);

//! Sole control of an official's key: credentials that require a PIN sign only with it
//! (`x-ketqua-activation`), wrong PINs are counted in the database, five within fifteen minutes
//! lock the credential on every replica until `ketqua archive unlock-credential`.

mod common;

use std::process::Command;

use common::*;
use ketqua::proto::v1::{self as pb, dossiers_client::DossiersClient};
use tonic::{transport::Channel, Code};

fn pin_of(server: &Server, credential: &str) -> String {
    std::fs::read_to_string(
        server
            .pki_dir()
            .join(format!("credentials/{credential}/pin")),
    )
    .expect("the development PKI writes each official's PIN beside the key")
    .trim()
    .to_owned()
}

fn with_factor<T>(message: T, factor: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(factor) = factor {
        request
            .metadata_mut()
            .insert("x-ketqua-activation", factor.parse().unwrap());
    }
    request
}

async fn receive(
    client: &mut DossiersClient<Channel>,
    factor: Option<&str>,
) -> Result<pb::StepReceipt, tonic::Status> {
    client
        .receive(with_factor(
            receive_request(JUDICIAL_RECORD, "stp-receiver"),
            factor,
        ))
        .await
        .map(tonic::Response::into_inner)
}

fn unlock(args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(["archive", "unlock-credential", "stp-receiver"])
        .args(args)
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_pin_activates_wrong_ones_lock_and_an_administrator_unlocks() {
    let server = Server::start_with_activation(Backend::Sqlite, &[])
        .await
        .unwrap();
    let pin = pin_of(&server, "stp-receiver");
    let mut dossiers = server.dossiers().await;
    let before = server.row_counts().await;

    // Missing: refused, saying where the factor goes; nothing written, nothing counted.
    let missing = receive(&mut dossiers, None).await.unwrap_err();
    assert_eq!(missing.code(), Code::PermissionDenied);
    assert!(
        missing.message().contains("x-ketqua-activation"),
        "{}",
        missing.message()
    );
    let after = server.row_counts().await;
    for ((table, n), (_, m)) in before.iter().zip(&after) {
        if table != "audit_log" {
            assert_eq!(n, m, "{table} changed");
        }
    }

    // Right: the dossier is received; the rest of the flow with each official's PIN.
    let code = receive(&mut dossiers, Some(&pin))
        .await
        .expect("the right PIN activates")
        .dossier_code;
    dossiers
        .appraise(with_factor(
            step_request(&code, "stp-appraiser", "Đủ điều kiện"),
            Some(&pin_of(&server, "stp-appraiser")),
        ))
        .await
        .expect("each official has a PIN");

    // Wrong: refused without saying more; the fifth within the window locks.
    for attempt in 1..=4 {
        let wrong = receive(&mut dossiers, Some("000000x")).await.unwrap_err();
        assert_eq!(wrong.code(), Code::PermissionDenied, "attempt {attempt}");
        assert!(
            wrong.message().contains("not accepted") && !wrong.message().contains(&pin),
            "{}",
            wrong.message()
        );
    }
    let fifth = receive(&mut dossiers, Some("000000x")).await.unwrap_err();
    assert_eq!(fifth.code(), Code::FailedPrecondition);
    assert!(
        fifth
            .message()
            .contains("locked until unlocked by an administrator")
            || fifth
                .message()
                .contains("until unlocked by an administrator"),
        "{}",
        fifth.message()
    );
    // Locked: even the right PIN is refused; other officials are not affected.
    let locked = receive(&mut dossiers, Some(&pin)).await.unwrap_err();
    assert_eq!(locked.code(), Code::FailedPrecondition);
    dossiers
        .approve(with_factor(
            step_request(&code, "stp-approver", "Đồng ý"),
            Some(&pin_of(&server, "stp-approver")),
        ))
        .await
        .expect("another official's credential is not locked");

    // The administrator unlocks; the right PIN works again.
    let out = unlock(&["--data-dir", server.data_dir().to_str().unwrap()]);
    assert!(out.contains("unlocked stp-receiver"), "{out}");
    receive(&mut dossiers, Some(&pin))
        .await
        .expect("unlocked, the PIN activates again");
}

#[tokio::test]
async fn replicas_share_the_failures_and_the_lock() {
    let Some(server) = Server::start_with_activation(Backend::Postgres, &[]).await else {
        return;
    };
    let replica = Replica::start(&server);
    let pin = pin_of(&server, "stp-receiver");
    let mut first = server.dossiers().await;
    let mut second = replica.dossiers().await;
    // Three wrong PINs on one replica and two on the other make five.
    for _ in 0..3 {
        let wrong = receive(&mut first, Some("wrong")).await.unwrap_err();
        assert_eq!(wrong.code(), Code::PermissionDenied);
    }
    let wrong = receive(&mut second, Some("wrong")).await.unwrap_err();
    assert_eq!(wrong.code(), Code::PermissionDenied);
    let fifth = receive(&mut second, Some("wrong")).await.unwrap_err();
    assert_eq!(
        fifth.code(),
        Code::FailedPrecondition,
        "{}",
        fifth.message()
    );
    // Both replicas honour the lock, even for the right PIN.
    for client in [&mut first, &mut second] {
        let locked = receive(client, Some(&pin)).await.unwrap_err();
        assert_eq!(locked.code(), Code::FailedPrecondition);
    }
    let out = unlock(&["--database", &server.database_url()]);
    assert!(out.contains("unlocked"), "{out}");
    receive(&mut first, Some(&pin))
        .await
        .expect("unlocked on the first");
    receive(&mut second, Some(&pin))
        .await
        .expect("unlocked on the second");
}

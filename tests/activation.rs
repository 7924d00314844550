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

/// The current TOTP code of an otpauth:// URI, `offset` seconds from now, computed by Python's
/// standard library (RFC 6238 as an authenticator app does it), independently of ketqua.
fn authenticator_code(uri: &str, offset: i64) -> String {
    let script = r#"
import base64, hashlib, hmac, struct, sys, time, urllib.parse
uri, offset = sys.argv[1], int(sys.argv[2])
query = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
secret = query["secret"][0]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
step = (int(time.time()) + offset) // int(query["period"][0])
mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
start = mac[-1] & 0x0F
value = struct.unpack(">I", mac[start:start + 4])[0] & 0x7FFFFFFF
print("%06d" % (value % 10 ** int(query["digits"][0])))
"#;
    let output = Command::new("python3")
        .args(["-c", script, uri, &offset.to_string()])
        .output()
        .expect("python3 computes the authenticator's code (CI has it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn a_totp_code_activates_once_and_the_secret_is_sealed() {
    assert!(tool_available("python3"), "python3 is needed (CI has it)");
    let secrets = tempfile::tempdir().unwrap();
    let pass = secrets.path().join("passphrase");
    std::fs::write(&pass, "mật khẩu của sở\n").unwrap();
    let made = Command::new(BIN)
        .args(["pki", "totp-secret", "--credential", "stp-receiver"])
        .arg("--passphrase-file")
        .arg(&pass)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made = String::from_utf8(made.stdout).unwrap();
    let mut lines = made.lines();
    let manifest_line = lines.next().unwrap().to_owned();
    let uri = lines.next().unwrap().to_owned();
    assert!(
        manifest_line.starts_with("totp_secret = \"pbes2:"),
        "{manifest_line}"
    );
    assert!(
        uri.starts_with("otpauth://totp/ketqua:stp-receiver?secret="),
        "{uri}"
    );
    let base32 = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        !manifest_line.contains(base32),
        "the manifest holds the secret sealed"
    );

    let server =
        Server::start_prepared(&["--key-passphrase-file", pass.to_str().unwrap()], |dir| {
            init_pki_without_activation(dir);
            let path = dir.join("pki/credentials.toml");
            let manifest = std::fs::read_to_string(&path).unwrap();
            let anchor = "id = \"stp-receiver\"\n";
            assert!(manifest.contains(anchor));
            std::fs::write(
                &path,
                manifest.replace(anchor, &format!("{anchor}{manifest_line}\n")),
            )
            .unwrap();
        });
    let mut dossiers = server.dossiers().await;

    let missing = receive(&mut dossiers, None).await.unwrap_err();
    assert_eq!(missing.code(), Code::PermissionDenied, "{missing:?}");
    let wrong = receive(&mut dossiers, Some("000000")).await.unwrap_err();
    assert_eq!(wrong.code(), Code::PermissionDenied, "{wrong:?}");

    // The authenticator's code activates once; the same code again is refused (RFC 6238 §5.2),
    // the next step's code works (the service allows one step of clock skew).
    let now = authenticator_code(&uri, 0);
    receive(&mut dossiers, Some(&now))
        .await
        .expect("the authenticator's current code activates");
    let replayed = receive(&mut dossiers, Some(&now)).await.unwrap_err();
    assert_eq!(replayed.code(), Code::PermissionDenied, "{replayed:?}");
    assert!(replayed.message().contains("not accepted"), "{replayed:?}");
    let next = authenticator_code(&uri, 30);
    receive(&mut dossiers, Some(&next))
        .await
        .expect("the next step's code activates");
    let far = authenticator_code(&uri, 120);
    let refused = receive(&mut dossiers, Some(&far)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // Without the passphrase the sealed secret cannot be opened: serve stops, naming it.
    let pki_dir = server.pki_dir();
    let output = Command::new(BIN)
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(secrets.path().join("data"))
        .arg("--pki-dir")
        .arg(&pki_dir)
        .arg("--insecure")
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "serve started without the passphrase"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("stp-receiver") && stderr.contains("totp_secret"),
        "{stderr}"
    );
}

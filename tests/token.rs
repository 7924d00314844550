//! Keys on a PKCS#11 token, against a real SoftHSM2: each test initialises its own token in a
//! temporary directory (its own SOFTHSM2_CONF, so the machine's tokens are never touched),
//! moves development keys onto it with `ketqua pki move-key-to-token`, and runs `serve` on it.
//! Covered: the five steps and a result signed through the token (pyHanko judges the result),
//! RSA PKCS#1 v1.5 and PSS keys, a wrong PIN or an absent token stopping `serve` with the
//! credential and the token named, and a token that fails mid-flow: that step is UNAVAILABLE,
//! nothing is written, and the next attempt works once the token is back.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use common::*;
use ketqua::proto::v1 as pb;
use tonic::Code;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "ketqua-test";
const PIN: &str = "246810";
const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";
const SEAL: &str = "stp-seal";

/// A SoftHSM2 of the test's own: configuration, token directory, one initialised token.
struct Hsm {
    dir: tempfile::TempDir,
}

impl Hsm {
    /// `None` outside CI when SoftHSM2 is not installed (under CI its absence fails the test).
    fn new() -> Option<Hsm> {
        if !tool_available("softhsm2-util") {
            return None;
        }
        assert!(
            Path::new(MODULE).exists(),
            "softhsm2-util is installed but not its module {MODULE}"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                tokens.display()
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("pin"), format!("{PIN}\n")).unwrap();
        let hsm = Hsm { dir };
        let output = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", LABEL, "--pin", PIN])
            .args(["--so-pin", "13579111"])
            .env("SOFTHSM2_CONF", hsm.conf())
            .output()
            .expect("run softhsm2-util");
        assert!(
            output.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(hsm)
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    fn pin_file(&self) -> PathBuf {
        self.dir.path().join("pin")
    }

    /// The token's directory in the object store (SoftHSM2 names it by a UUID).
    fn token_dir(&self) -> PathBuf {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("tokens"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        assert_eq!(dirs.len(), 1, "one token: {dirs:?}");
        dirs.remove(0)
    }

    fn away_dir(&self) -> PathBuf {
        self.dir.path().join("away")
    }

    /// Takes every key object off the token, as if its keys were gone: SoftHSM2 notices a
    /// missing object file on the next use of the object, and, with the `generation` file gone
    /// too, re-reads the token's directory on every call (so it also notices their return).
    fn take_keys_away(&self) {
        let token = self.token_dir();
        std::fs::create_dir_all(self.away_dir()).unwrap();
        for entry in std::fs::read_dir(&token).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if (name.ends_with(".object") && name != "token.object") || name == "generation" {
                std::fs::rename(&path, self.away_dir().join(&name)).unwrap();
            }
        }
    }

    /// Puts the key objects back; `generation` stays away until [`Hsm::settle`], so the
    /// running server's SoftHSM2 re-reads the directory and finds them again.
    fn bring_keys_back(&self) {
        let token = self.token_dir();
        for entry in std::fs::read_dir(self.away_dir()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_owned();
            if name != "generation" {
                std::fs::rename(&path, token.join(name)).unwrap();
            }
        }
    }

    /// The whole token directory away: the token is absent.
    fn unplug(&self) {
        let token = self.token_dir();
        std::fs::rename(&token, self.dir.path().join("unplugged")).unwrap();
    }

    /// Moves a key onto the token with the CLI; returns its output.
    fn move_key(&self, pki: &Path, who: &[&str], object: &str) -> String {
        let output = Command::new(BIN)
            .args(["pki", "move-key-to-token", "--pki-dir"])
            .arg(pki)
            .args(who)
            .arg("--token-uri")
            .arg(format!("pkcs11:token={LABEL};object={object}"))
            .arg("--pin-file")
            .arg(self.pin_file())
            .env("SOFTHSM2_CONF", self.conf())
            .env("KETQUA_LOG", "error")
            .output()
            .expect("run ketqua pki move-key-to-token");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "move-key-to-token {who:?}: {text}");
        text
    }
}

/// A development PKI whose approver, seal and timestamp authority keys are on the token.
fn pki_on_token(hsm: &Hsm, root: &Path) {
    init_pki_without_activation(root);
    let pki = root.join("pki");
    for id in [APPROVER, SEAL] {
        let key_file = pki.join(format!("credentials/{id}/key.pk8"));
        assert!(key_file.exists());
        let out = hsm.move_key(&pki, &["--credential", id], id);
        assert!(out.contains("deleted"), "{out}");
        assert!(!key_file.exists(), "the key file of {id} is deleted");
    }
    hsm.move_key(&pki, &["--tsa"], "tsa");
    assert!(!pki.join("tsa/key.pk8").exists());
    let manifest = std::fs::read_to_string(pki.join("credentials.toml")).unwrap();
    for object in [APPROVER, SEAL, "tsa"] {
        assert!(
            manifest.contains(&format!(
                "key = \"pkcs11:token={LABEL};object={object}?pin-source=file:"
            )),
            "{manifest}"
        );
    }
    assert!(manifest.contains("key = \"credentials/stp-receiver/key.pk8\""));
    assert!(!manifest.contains(PIN), "the PIN is not in the manifest");
}

fn token_server(hsm: &Hsm) -> Server {
    Server::start_prepared_with_env(&[], &[("SOFTHSM2_CONF", &hsm.conf())], |root| {
        pki_on_token(hsm, root)
    })
}

async fn receive(server: &Server) -> String {
    server
        .dossiers()
        .await
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .expect("receive")
        .into_inner()
        .dossier_code
}

#[tokio::test]
async fn the_five_steps_and_a_result_are_signed_through_the_token() {
    let Some(hsm) = Hsm::new() else { return };
    let server = token_server(&hsm);
    let listed = server
        .signing()
        .await
        .list_credentials(pb::ListCredentialsRequest {
            department: "stp".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.credentials.iter().any(|c| c.id == APPROVER));

    let mut client = server.dossiers().await;
    let code = receive(&server).await;
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    client
        .sign(sign_rendered_request(&code, APPROVER))
        .await
        .unwrap();
    client
        .r#return(step_request(&code, RECEIVER, "Đã trả"))
        .await
        .unwrap();
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dossier.records.len(), 5);
    ketqua::record::verify_chain(
        &code,
        dossier
            .records
            .iter()
            .map(|r| (r.record.as_slice(), r.signature.as_slice())),
    )
    .expect("the records' chain and signatures verify");
    let result = dossier.result.expect("a result");
    let path = server.dir.path().join("result.pdf");
    std::fs::write(&path, &result.content).unwrap();
    if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &path) {
        assert!(
            valid,
            "pyHanko on the result signed through the token:\n{report}"
        );
    }
}

/// `ketqua serve` on a PKI whose token is unusable: it must exit non-zero; returns stderr.
fn serve_fails(hsm: &Hsm, root: &Path) -> String {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args([
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--insecure",
        ])
        .arg("--data-dir")
        .arg(root.join("data"))
        .arg("--pki-dir")
        .arg(root.join("pki"))
        .env("SOFTHSM2_CONF", hsm.conf())
        .env("KETQUA_LOG", "error")
        .env_remove("KETQUA_CONFIG")
        .env_remove("KETQUA_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start ketqua serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            assert!(!status.success(), "serve must not start: {stderr}");
            return stderr;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve kept running on an unusable token");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_wrong_pin_or_an_absent_token_stops_serve_naming_the_credential_and_the_token() {
    let Some(hsm) = Hsm::new() else { return };
    let root = tempfile::tempdir().unwrap();
    pki_on_token(&hsm, root.path());

    std::fs::write(hsm.pin_file(), "999999\n").unwrap();
    let wrong_pin = serve_fails(&hsm, root.path());
    assert!(
        wrong_pin.contains(&format!("credential `{APPROVER}`"))
            && wrong_pin.contains(&format!("`{LABEL}` in slot "))
            && wrong_pin.contains("refused the PIN"),
        "{wrong_pin}"
    );
    assert!(!wrong_pin.contains("999999"), "{wrong_pin}");
    std::fs::write(hsm.pin_file(), format!("{PIN}\n")).unwrap();

    hsm.unplug();
    let absent = serve_fails(&hsm, root.path());
    assert!(
        absent.contains(&format!("credential `{APPROVER}`"))
            && absent.contains(&format!("token `{LABEL}`"))
            && absent.contains("absent"),
        "{absent}"
    );
}

#[tokio::test]
async fn a_token_failing_mid_flow_fails_that_step_writes_nothing_and_recovers() {
    let Some(hsm) = Hsm::new() else { return };
    let server = token_server(&hsm);
    let mut client = server.dossiers().await;
    let code = receive(&server).await;
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();

    let before = server.row_counts().await;
    hsm.take_keys_away();
    let approve = step_request(&code, APPROVER, "Đồng ý");
    let failed = client.approve(approve.clone()).await.unwrap_err();
    assert_eq!(failed.code(), Code::Unavailable, "{failed:?}");
    assert!(
        failed.message().contains(APPROVER) && failed.message().contains(LABEL),
        "{}",
        failed.message()
    );
    let after: Vec<_> = server
        .row_counts()
        .await
        .into_iter()
        .filter(|(table, _)| table != "audit_log")
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(table, _)| table != "audit_log")
        .collect();
    assert_eq!(
        after, before,
        "a failed step writes nothing but its audit line"
    );

    hsm.bring_keys_back();
    let approved = client.approve(approve).await.expect("the token is back");
    assert_eq!(approved.into_inner().state(), pb::DossierState::Approved);
    client.sign(sign_request(&code, APPROVER)).await.unwrap();
    client
        .r#return(step_request(&code, RECEIVER, "Đã trả"))
        .await
        .unwrap();
}

/// RSA keys on the token: PKCS#1 v1.5 and PSS, each checked at load by a probe signature that
/// must verify with the certificate.
#[test]
fn rsa_keys_sign_through_the_token_with_pkcs1_and_pss() {
    let Some(hsm) = Hsm::new() else { return };
    if !tool_available("openssl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    init_pki_without_activation(root.path());
    let pki = root.path().join("pki");
    let mut manifest = std::fs::read_to_string(pki.join("credentials.toml")).unwrap();
    for (id, algorithm) in [
        ("rsa-pkcs1", "rsa-pkcs1-sha256"),
        ("rsa-pss", "rsa-pss-sha256"),
    ] {
        let dir = pki.join(format!("credentials/{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            ])
            .args(["-subj", &format!("/CN={id}")])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        manifest.push_str(&format!(
            "\n[[credential]]\nid = \"{id}\"\nrole = \"approver\"\ndepartment = \"stp\"\ncert = \"credentials/{id}/cert.pem\"\nkey = \"credentials/{id}/key.pem\"\nsignature_algorithm = \"{algorithm}\"\n"
        ));
    }
    std::fs::write(pki.join("credentials.toml"), manifest).unwrap();
    for id in ["rsa-pkcs1", "rsa-pss"] {
        hsm.move_key(&pki, &["--credential", id], id);
    }
    let output = Command::new(BIN)
        .args(["pki", "credentials", "--dir"])
        .arg(&pki)
        .env("SOFTHSM2_CONF", hsm.conf())
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("rsa-pkcs1") && text.contains("rsa-pss"),
        "{text}"
    );
}

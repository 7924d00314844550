//! Keys at rest: a development PKI's key files encrypted with `pki encrypt-keys` (PKCS#8,
//! PBES2 scrypt + AES-256-CBC, judged by OpenSSL), a server that opens them with the
//! configured passphrase and runs the flow, and clear refusals without it or with the wrong
//! one; the production profile refuses unencrypted keys unless told otherwise.

mod common;

use std::{path::Path, process::Command};

use common::*;

fn ketqua(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("KETQUA_LOG", "error")
        .output()
        .expect("run ketqua")
}

fn must(output: std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A development PKI in `dir/pki` with every key encrypted under the passphrase in `pass`.
fn encrypted_pki(dir: &Path, pass: &Path) {
    let pki = dir.join("pki");
    must(ketqua(&["pki", "init", "--out", pki.to_str().unwrap()]));
    let out = must(ketqua(&[
        "pki",
        "encrypt-keys",
        "--dir",
        pki.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]));
    assert!(out.contains("key file(s) encrypted"), "{out}");
}

fn passphrase_file(dir: &Path, name: &str, passphrase: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{passphrase}\n")).unwrap();
    path
}

fn serve_fails(dir: &Path, extra: &[&str]) -> String {
    let output = Command::new(BIN)
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--pki-dir")
        .arg(dir.join("pki"))
        .args(["--insecure"])
        .args(extra)
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success(), "serve started");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn encrypted_keys_sign_the_flow_with_the_configured_passphrase() {
    let secrets = tempfile::tempdir().unwrap();
    let pass = passphrase_file(secrets.path(), "passphrase", "mật khẩu của sở");
    let wrong = passphrase_file(secrets.path(), "wrong", "not it");
    let server =
        Server::start_prepared(&["--key-passphrase-file", pass.to_str().unwrap()], |dir| {
            encrypted_pki(dir, &pass)
        });
    let out = tempfile::tempdir().unwrap();
    // The officials' PINs are read from the PKI directory, beside their (encrypted) keys.
    let demo = must(ketqua(&[
        "demo",
        "--server",
        &server.grpc,
        "--pki-dir",
        server.pki_dir().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]));
    assert!(demo.lines().any(|l| l.starts_with("result ")), "{demo}");
    let pki_dir = server.pki_dir();
    let dir = pki_dir.parent().unwrap();

    // The same PKI without the passphrase, or with the wrong one: serve stops, naming the file.
    let missing = serve_fails(dir, &[]);
    assert!(
        missing.contains("key.pk8") && missing.contains("no passphrase is configured"),
        "{missing}"
    );
    let refused = serve_fails(dir, &["--key-passphrase-file", wrong.to_str().unwrap()]);
    assert!(refused.contains("does not decrypt"), "{refused}");
}

#[test]
fn the_production_profile_refuses_unencrypted_keys_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    must(ketqua(&["pki", "init", "--out", pki.to_str().unwrap()]));
    let root = pki.join("root.pem");
    let production = [
        "--profile",
        "production",
        "--trust",
        root.to_str().unwrap(),
        "--tls-cert",
        "/nonexistent/server.pem",
    ];
    let output = Command::new(BIN)
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--pki-dir")
        .arg(&pki)
        .args(production)
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not encrypted") && stderr.contains("--allow-unencrypted-keys"),
        "{stderr}"
    );
}

#[test]
fn the_key_files_are_encrypted_pkcs8_that_openssl_opens() {
    let dir = tempfile::tempdir().unwrap();
    let pass = passphrase_file(dir.path(), "passphrase", "s3cret");
    encrypted_pki(dir.path(), &pass);
    let key = dir.path().join("pki/credentials/stp-approver/key.pk8");
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let openssl = |passin: &str| {
        Command::new("openssl")
            .args(["pkey", "-noout", "-in"])
            .arg(&key)
            .args(["-passin", passin])
            .output()
    };
    match openssl(&format!("file:{}", pass.display())) {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!openssl("pass:wrong").unwrap().status.success());
        }
        Err(_) => assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is required under CI=true"
        ),
    }
    // Running it again encrypts nothing twice.
    let again = must(ketqua(&[
        "pki",
        "encrypt-keys",
        "--dir",
        dir.path().join("pki").to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]));
    assert!(again.contains("0 key file(s) encrypted"), "{again}");
}

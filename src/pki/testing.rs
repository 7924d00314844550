//! Test support shared by the `pki`, `cms` and `cms::tsp` unit tests: a fresh development
//! store, credentials issued by OpenSSL as an operator would, and OpenSSL itself, the external
//! judge of what we generate. When OpenSSL is missing its checks are skipped, except under
//! `CI=true` where that is a failure.

use std::{
    path::Path,
    process::{Command, Output},
};

use super::dev::{default_dev_departments, init_dev_pki, DevPkiSummary};
use super::keystore::KeyStore;
use super::manifest::MANIFEST_FILE;

pub(crate) fn openssl_available() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is required when CI=true; install it (Debian: apt-get install openssl)"
        );
        eprintln!("SKIP: openssl is not installed; external checks not run");
    }
    found
}

pub(crate) fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl")
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn dev_store() -> (tempfile::TempDir, DevPkiSummary, KeyStore) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let summary = init_dev_pki(tmp.path(), &default_dev_departments()).expect("init");
    let store = KeyStore::load(tmp.path()).expect("load");
    (tmp, summary, store)
}

/// Issues a credential with OpenSSL, signed by the `stp` CA, and appends it to
/// credentials.toml as an operator would. `genpkey` selects the key type.
pub(crate) fn add_openssl_credential(
    dir: &Path,
    id: &str,
    genpkey: &[&str],
    signature_algorithm: Option<&str>,
    use_pem_key: bool,
) {
    let rel = format!("hand/{id}");
    let sub = dir.join(&rel);
    std::fs::create_dir_all(&sub).expect("mkdir");
    let pem_key = format!("{rel}/key.pem");
    let der_key = format!("{rel}/key.pk8");
    let csr = format!("{rel}/req.csr");
    let ext = format!("{rel}/ext.cnf");
    let cert = format!("{rel}/cert.pem");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey);
    args.extend_from_slice(&["-out", &pem_key]);
    let o = openssl(dir, &args);
    assert!(o.status.success(), "genpkey: {}", text(&o));
    // `genpkey -outform DER` writes SEC1/PKCS#1 for some key types; PEM output is PKCS#8.
    let o = openssl(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", &pem_key, "-outform", "DER", "-out", &der_key,
        ],
    );
    assert!(o.status.success(), "pkcs8: {}", text(&o));
    let key = if use_pem_key {
        pem_key.clone()
    } else {
        der_key.clone()
    };
    let subj = format!("/C=VN/O=Sở Tư pháp tỉnh Quảng Ninh/title=Chuyên viên/CN=Trịnh Văn {id}");
    let o = openssl(
        dir,
        &[
            "req", "-new", "-utf8", "-key", &der_key, "-keyform", "DER", "-subj", &subj, "-out",
            &csr,
        ],
    );
    assert!(o.status.success(), "req: {}", text(&o));
    std::fs::write(
        dir.join(&ext),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n\
         extendedKeyUsage=1.3.6.1.5.5.7.3.36,emailProtection\nsubjectKeyIdentifier=hash\n\
         authorityKeyIdentifier=keyid\n",
    )
    .expect("ext");
    let o = openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "stp/ca.pem",
            "-CAkey",
            "stp/ca.key",
            "-CAkeyform",
            "DER",
            "-set_serial",
            "0x5eed1234abcd",
            "-days",
            "365",
            "-sha256",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    );
    assert!(o.status.success(), "x509 -req: {}", text(&o));
    let alg = signature_algorithm
        .map(|a| format!("signature_algorithm = \"{a}\"\n"))
        .unwrap_or_default();
    let entry = format!(
        "\n[[credential]]\nid = \"{id}\"\nrole = \"approver\"\ndepartment = \"stp\"\n\
         cert = \"{cert}\"\nkey = \"{key}\"\nchain = [\"stp/ca.pem\"]\n{alg}"
    );
    let manifest = dir.join(MANIFEST_FILE);
    let mut body = std::fs::read_to_string(&manifest).expect("read manifest");
    body.push_str(&entry);
    std::fs::write(&manifest, body).expect("write manifest");
}

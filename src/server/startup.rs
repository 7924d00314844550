//! What `serve` and the offline commands read or create at start: the procedure catalog, the
//! development PKI's departments, what verification trusts, and the transparency log's key.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;

use super::{
    config::{Profile, Settings},
    transport::CALLERS_FILE,
};
use crate::{
    access::{CallerRule, Callers},
    flow::Catalog,
    ledger::{LogKey, LogVerifier},
    pki::{self, KeyStore},
};

/// Reads the catalog the settings name, or the embedded one.
pub fn load_catalog(settings: &Settings) -> anyhow::Result<Catalog> {
    match &settings.catalog {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the catalog {}", path.display()))?;
            Catalog::from_toml(&text).with_context(|| format!("the catalog {}", path.display()))
        }
        None => Ok(Catalog::embedded_default()),
    }
}

/// The departments of a catalog, as the development PKI needs them.
pub fn dev_departments(catalog: &Catalog) -> Vec<pki::DevDepartment> {
    catalog
        .departments()
        .iter()
        .map(|d| pki::DevDepartment {
            id: d.id.clone(),
            name: d.name.clone(),
        })
        .collect()
}

/// Writes the development TLS material (client CA, server certificate, one client
/// certificate per department system and one for an archivist) and the callers table that
/// grants them: each department system runs the flow, signs and reads for its department; the
/// archivist reads and administers every department.
pub fn init_dev_tls(dir: &Path, departments: &[pki::DevDepartment]) -> anyhow::Result<()> {
    let clients = pki::init_dev_tls(dir, departments).with_context(|| {
        format!(
            "generating the development TLS material in {}",
            dir.display()
        )
    })?;
    let rules: Vec<CallerRule> = clients
        .iter()
        .map(|client| {
            let (departments, may) = match &client.department {
                Some(department) => (vec![department.clone()], vec!["flow", "sign", "read"]),
                None => (vec!["*".to_owned()], vec!["read", "admin"]),
            };
            CallerRule {
                name: match &client.department {
                    Some(department) => format!("{department}-system"),
                    None => client.name.clone(),
                },
                spki_sha256: Some(hex::encode(client.spki_sha256)),
                subject: None,
                issuer: None,
                departments,
                may: may.into_iter().map(str::to_owned).collect(),
            }
        })
        .collect();
    let path = dir.join(CALLERS_FILE);
    std::fs::write(
        &path,
        format!(
            "{CALLERS_HEADER}
{}",
            Callers::to_toml(&rules)
        ),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

const CALLERS_HEADER: &str = "\
# Who may call ketqua's gRPC services, and what for (docs/security.md). Generated with the
# development PKI: one entry per client certificate in clients/. A caller is known by the
# SHA-256 of its certificate's public key (spki_sha256), or by `subject` and `issuer`.
#   departments: the department ids it acts for, or [\"*\"] for all
#   may: flow (Receive, the steps, Sign), sign (SignDocument, external signing),
#        read (Get, GetRecord, Search, FindReusable, ExportPackage),
#        admin (RevokeResult, RenewTimestamps)
";

/// What verification trusts: the configured anchors and CRLs, plus, in the development
/// profile only, the PKI directory's own root and CRLs.
pub fn trust_config(
    settings: &Settings,
    keys: &KeyStore,
) -> anyhow::Result<crate::verify::TrustConfig> {
    let own = (settings.profile == Profile::Development).then_some(keys);
    let trust = load_trust(&settings.trust, &settings.crls, own)?;
    if trust.anchors_der.is_empty() {
        anyhow::bail!(
            "the production profile trusts only configured anchors, and none is configured: add --trust ROOT.pem"
        );
    }
    Ok(trust)
}

/// How key files are opened: the passphrase from the file or environment variable the
/// settings name, and, under the production profile, unencrypted key files refused unless
/// allowed explicitly.
pub fn key_access(settings: &Settings) -> anyhow::Result<pki::KeyAccess> {
    let keys = &settings.keys;
    let passphrase = match (&keys.passphrase_file, &keys.passphrase_env) {
        (Some(path), _) => Some(read_passphrase_file(path)?),
        (None, Some(name)) => {
            let value = std::env::var(name).with_context(|| {
                format!("the key passphrase variable {name} is not set (--key-passphrase-env)")
            })?;
            Some(zeroize::Zeroizing::new(value.into_bytes()))
        }
        (None, None) => None,
    };
    Ok(pki::KeyAccess {
        passphrase,
        refuse_unencrypted: settings.profile == Profile::Production && !keys.allow_unencrypted,
        pkcs11_module: keys.pkcs11_module.clone(),
    })
}

/// A passphrase file's first line (without its line ending); an empty one is refused.
pub fn read_passphrase_file(path: &Path) -> anyhow::Result<zeroize::Zeroizing<Vec<u8>>> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the key passphrase file {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        anyhow::bail!("the key passphrase file {} is empty", path.display());
    }
    Ok(zeroize::Zeroizing::new(line.as_bytes().to_vec()))
}

/// The name (origin) of a log whose key is generated here.
pub const DEFAULT_LOG_NAME: &str = "ketqua.local/log";

/// Loads the transparency log's signing key from `<pki dir>/log.key` (PKCS#8) and its name
/// from `<pki dir>/log.pub` (the note verifier key anyone checks checkpoints with), creating
/// both on first start.
pub fn load_or_create_log_key(
    pki_dir: &Path,
    access: &pki::KeyAccess,
) -> anyhow::Result<Arc<LogKey>> {
    let key_path = pki_dir.join("log.key");
    let pub_path = pki_dir.join("log.pub");
    if !key_path.exists() {
        let (key, pkcs8) = LogKey::generate(DEFAULT_LOG_NAME).context("generating the log key")?;
        match &access.passphrase {
            Some(passphrase) => {
                write_private(&key_path, pki::encrypt_key(&pkcs8, passphrase)?.as_bytes())?
            }
            None => write_private(&key_path, &pkcs8)?,
        }
        std::fs::write(&pub_path, format!("{}\n", key.verifier().to_vkey()))
            .with_context(|| format!("writing {}", pub_path.display()))?;
        tracing::warn!(path = %key_path.display(), "generated a new transparency log key");
        return Ok(Arc::new(key));
    }
    let vkey = std::fs::read_to_string(&pub_path)
        .with_context(|| format!("reading {} (the log's public key)", pub_path.display()))?;
    let verifier = LogVerifier::from_vkey(vkey.trim())
        .with_context(|| format!("{} is not a note verifier key", pub_path.display()))?;
    let pkcs8 = pki::read_key(&key_path, access)?;
    let key = LogKey::from_pkcs8(&verifier.name, &pkcs8)
        .with_context(|| format!("{} is not an Ed25519 PKCS#8 key", key_path.display()))?;
    if key.verifier().to_vkey() != verifier.to_vkey() {
        anyhow::bail!(
            "{} does not belong to the key in {}",
            pub_path.display(),
            key_path.display()
        );
    }
    Ok(Arc::new(key))
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

/// Trust anchors and CRLs for verification, from files (PEM or DER), plus — in the
/// development profile, or `ketqua verify --dev-pki` — a PKI's own root and CRLs.
pub fn load_trust(
    anchors: &[PathBuf],
    crls: &[PathBuf],
    pki: Option<&KeyStore>,
) -> anyhow::Result<crate::verify::TrustConfig> {
    use anyhow::Context as _;
    let mut trust = crate::verify::TrustConfig::default();
    for path in anchors {
        let data = std::fs::read(path)
            .with_context(|| format!("reading the trust anchor {}", path.display()))?;
        trust
            .add_anchor_file_bytes(&data)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    for path in crls {
        let data =
            std::fs::read(path).with_context(|| format!("reading the CRL {}", path.display()))?;
        trust
            .crls_der
            .push(match x509_parser::pem::parse_x509_pem(&data) {
                Ok((_, pem)) if pem.label == "X509 CRL" => pem.contents,
                _ => data,
            });
    }
    if let Some(keys) = pki {
        trust.anchors_der.push(keys.root_der().to_vec());
        trust.crls_der.extend(keys.crls_der());
    }
    Ok(trust)
}

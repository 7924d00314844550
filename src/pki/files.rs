//! Reading key material from disk: certificates (PEM bundles or DER), PKCS#8 private keys
//! (with a conversion hint for the older formats OpenSSL still writes), each error naming the
//! file so an operator can fix it.

use std::path::Path;

use x509_parser::certificate::X509Certificate;

use super::error::PkiError;

pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, PkiError> {
    std::fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether the file is PEM (text starting with a `-----BEGIN` line) rather than DER.
pub(super) fn is_pem(data: &[u8]) -> bool {
    data.iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| data[i..].starts_with(b"-----BEGIN"))
}

/// Certificates in a PEM bundle or a single DER file, each checked to parse.
pub(super) fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, PkiError> {
    let data = read_file(path)?;
    let bad = |reason: String| PkiError::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let ders = if is_pem(&data) {
        let mut out = Vec::new();
        for pem in x509_parser::pem::Pem::iter_from_buffer(&data) {
            let pem = pem.map_err(|e| bad(format!("invalid PEM ({e})")))?;
            if pem.label != "CERTIFICATE" {
                return Err(bad(format!(
                    "PEM block `{}` found where a CERTIFICATE was expected",
                    pem.label
                )));
            }
            out.push(pem.contents);
        }
        out
    } else {
        vec![data]
    };
    if ders.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    for der in &ders {
        parse_certificate(path, der)?;
    }
    Ok(ders)
}

pub(super) fn read_single_certificate(path: &Path) -> Result<Vec<u8>, PkiError> {
    let mut ders = read_certificates(path)?;
    if ders.len() != 1 {
        return Err(PkiError::Certificate {
            path: path.to_path_buf(),
            reason: format!(
                "expected exactly one certificate, found {}; put the issuing CAs in `chain`",
                ders.len()
            ),
        });
    }
    Ok(ders.remove(0))
}

pub(super) fn parse_certificate<'a>(
    path: &Path,
    der: &'a [u8],
) -> Result<X509Certificate<'a>, PkiError> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(PkiError::Certificate {
            path: path.to_path_buf(),
            reason: "trailing bytes after the certificate".into(),
        }),
        Err(e) => Err(PkiError::Certificate {
            path: path.to_path_buf(),
            reason: format!("not a valid X.509 certificate ({e})"),
        }),
    }
}

/// A key file's DER, plain or encrypted PKCS#8 (DER or PEM: `PRIVATE KEY`, `ENCRYPTED
/// PRIVATE KEY`). Other formats get a conversion hint.
pub(super) fn read_key_der(path: &Path) -> Result<Vec<u8>, PkiError> {
    let data = read_file(path)?;
    if !is_pem(&data) {
        return match legacy_key_format(&data) {
            Some(format) => Err(PkiError::Key {
                path: path.to_path_buf(),
                reason: format!(
                    "this is a {format} key, not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -outform DER -out key.pk8`"
                ),
            }),
            None => Ok(data),
        };
    }
    let bad = |reason: String| PkiError::Key {
        path: path.to_path_buf(),
        reason,
    };
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(&data).map_err(|e| bad(format!("invalid PEM ({e})")))?;
    match pem.label.as_str() {
        "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => Ok(pem.contents),
        other => Err(bad(format!(
            "`{other}` is not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -outform DER -out key.pk8`"
        ))),
    }
}

/// Recognises the pre-PKCS#8 containers OpenSSL still writes (`genpkey -outform DER` gives
/// SEC1 for EC keys), which ring would only report as "invalid encoding".
fn legacy_key_format(der: &[u8]) -> Option<&'static str> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&len0, rest) = rest.split_first()?;
    let skip = if len0 & 0x80 != 0 {
        usize::from(len0 & 0x7f)
    } else {
        0
    };
    let content = rest.get(skip..)?;
    // version INTEGER (3 bytes), then what follows tells the container apart.
    match (content.get(..3)?, content.get(3)?) {
        ([0x02, 0x01, 0x01], 0x04) => Some("SEC1 (EC PRIVATE KEY)"),
        ([0x02, 0x01, 0x00], 0x02) => Some("PKCS#1 (RSA PRIVATE KEY)"),
        _ => None,
    }
}

/// Writes `data` to `path` (creating its directory), mode 0600 when `secret`.
pub(super) fn write_file(path: &Path, data: &[u8], secret: bool) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    // `mode` only applies to newly created files; a leftover from an interrupted run keeps
    // its old permissions unless reset here.
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    std::io::Write::write_all(&mut file, data).map_err(io)
}

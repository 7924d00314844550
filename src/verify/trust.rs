//! The trust configuration: anchors and CRLs that come from the operator, never from the
//! document being verified.

use super::chain;

/// Trust anchors and CRLs: configuration, never taken from the document.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    pub anchors_der: Vec<Vec<u8>>,
    pub crls_der: Vec<Vec<u8>>,
}

impl TrustConfig {
    /// Reads PEM or DER certificates (several per PEM file allowed).
    pub fn add_anchor_file_bytes(&mut self, data: &[u8]) -> Result<usize, String> {
        let mut n = 0;
        if data.starts_with(b"-----BEGIN") || data.iter().take(64).any(|b| *b == b'-') {
            for pem in x509_parser::pem::Pem::iter_from_buffer(data) {
                let pem = pem.map_err(|e| format!("invalid PEM: {e}"))?;
                if pem.label == "CERTIFICATE" {
                    chain::parse(&pem.contents)
                        .ok_or_else(|| "a PEM certificate cannot be parsed".to_string())?;
                    self.anchors_der.push(pem.contents);
                    n += 1;
                }
            }
        } else {
            chain::parse(data).ok_or_else(|| "not a DER or PEM certificate".to_string())?;
            self.anchors_der.push(data.to_vec());
            n = 1;
        }
        if n == 0 {
            return Err("no CERTIFICATE block found".into());
        }
        Ok(n)
    }
}

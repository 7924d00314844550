//! How a deployment decides who is calling.

use super::{caller::Caller, registry::Callers};

/// Either callers are known by their TLS client certificates, or (a development server
/// started with `--insecure`, never under the production profile) every caller may do
/// everything.
#[derive(Debug, Clone)]
pub enum Policy {
    Certificates(Callers),
    Insecure,
}

impl Default for Policy {
    /// Nobody is granted anything until callers are configured.
    fn default() -> Self {
        Policy::Certificates(Callers::default())
    }
}

impl Policy {
    /// The caller behind a connection, from the client certificate its TLS handshake
    /// verified (leaf first), if it presented one.
    pub fn caller(&self, certificate_der: Option<&[u8]>) -> Caller {
        match (self, certificate_der) {
            (Policy::Insecure, _) => Caller::unrestricted("insecure"),
            (Policy::Certificates(_), None) => Caller::anonymous(),
            (Policy::Certificates(callers), Some(der)) => match callers.identify(der) {
                Ok(caller) => caller,
                Err(error) => {
                    // The handshake verified this certificate, so this is not expected; the
                    // caller is treated as having none.
                    tracing::warn!(%error, "a verified client certificate could not be read");
                    Caller::anonymous()
                }
            },
        }
    }
}

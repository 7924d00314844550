//! How gRPC callers connect and how they are known: TLS with client certificates (the
//! default), or plaintext with `--insecure` for development. The handshake is done here, with
//! rustls and the ring provider, so that the client CA's CRLs are honoured, a slow handshake
//! cannot hold the accept loop, and every accepted socket has `TCP_NODELAY` (small gRPC
//! answers must not wait for the peer's delayed ACK).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{bail, Context};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, CertificateRevocationListDer, PrivateKeyDer},
        server::WebPkiClientVerifier,
        RootCertStore,
    },
    server::TlsStream,
    TlsAcceptor,
};
use tokio_stream::wrappers::ReceiverStream;

use super::config::{Profile, Settings};
use crate::{
    access::{CallerRule, Callers, Policy},
    pki,
};

/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the gRPC listener serves, resolved from the settings before anything listens.
pub struct Transport {
    /// `None`: plaintext (`--insecure`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub policy: Policy,
    /// For the start-up log line.
    pub description: String,
}

/// Reads the TLS files and the callers the settings name (or, in the development profile,
/// the development PKI's) and checks them together.
pub fn resolve(settings: &Settings) -> anyhow::Result<Transport> {
    let t = &settings.transport;
    let development = settings.profile == Profile::Development;
    if t.insecure {
        if !development {
            bail!("--insecure is refused under the production profile: serve gRPC over TLS with --tls-cert, --tls-key and --client-ca");
        }
        tracing::warn!("gRPC is served in PLAINTEXT and every caller may do everything (--insecure): for development only");
        return Ok(Transport {
            tls: None,
            policy: Policy::Insecure,
            description: "plaintext, every caller unrestricted (--insecure)".to_owned(),
        });
    }
    let dir = &settings.pki_dir;
    let dev_default = |configured: &Option<PathBuf>, file: &str| {
        configured
            .clone()
            .or_else(|| development.then(|| dir.join(file)))
    };
    let (Some(cert), Some(key)) = (
        dev_default(&t.tls_cert, pki::SERVER_CERT_FILE),
        dev_default(&t.tls_key, pki::SERVER_KEY_FILE),
    ) else {
        bail!("the production profile serves gRPC over TLS: pass --tls-cert and --tls-key (and --client-ca for the department systems' certificates)");
    };
    let client_ca = dev_default(&t.client_ca, pki::CLIENT_CA_FILE);
    let client_crls = if t.client_crls.is_empty() && development {
        let default = dir.join(pki::CLIENT_CA_CRL_FILE);
        default.is_file().then_some(default).into_iter().collect()
    } else {
        t.client_crls.clone()
    };
    let callers = load_callers(
        &t.callers,
        dev_default(&t.callers_file, CALLERS_FILE).as_deref(),
    )?;
    if client_ca.is_none() {
        tracing::warn!("no --client-ca: callers cannot authenticate, so only the public calls (verification, checkpoints, proofs) will succeed");
    } else if callers.is_empty() {
        tracing::warn!(
            "the callers table is empty: client certificates are accepted but grant nothing"
        );
    }
    let config = server_config(&cert, &key, client_ca.as_deref(), &client_crls)?;
    Ok(Transport {
        tls: Some(Arc::new(config)),
        description: format!(
            "TLS ({}), {}, {} caller(s)",
            cert.display(),
            match &client_ca {
                Some(ca) => format!("client certificates from {}", ca.display()),
                None => "no client certificates".to_owned(),
            },
            callers.len()
        ),
        policy: Policy::Certificates(callers),
    })
}

/// The development PKI's callers table, beside its keys.
pub const CALLERS_FILE: &str = "callers.toml";

fn load_callers(inline: &[CallerRule], file: Option<&Path>) -> anyhow::Result<Callers> {
    let mut rules = inline.to_vec();
    if let Some(path) = file {
        match std::fs::read_to_string(path) {
            Ok(text) => rules.extend(
                Callers::rules_of(&text)
                    .with_context(|| format!("the callers file {}", path.display()))?,
            ),
            // The development default is optional; a configured file is not.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && inline.is_empty() => {
                tracing::warn!(path = %path.display(), "no callers file");
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading the callers file {}", path.display()))
            }
        }
    }
    Callers::new(&rules).context("the callers table")
}

fn read_pem(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
    client_crls: &[PathBuf],
) -> anyhow::Result<rustls::ServerConfig> {
    let chain = CertificateDer::pem_slice_iter(&read_pem(cert, "the TLS certificate")?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {e:?}", cert.display()))?;
    if chain.is_empty() {
        bail!("{} holds no PEM certificate", cert.display());
    }
    let key_der = PrivateKeyDer::from_pem_slice(&read_pem(key, "the TLS key")?)
        .map_err(|e| anyhow::anyhow!("{} holds no PEM private key: {e:?}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match client_ca {
        None => WebPkiClientVerifier::no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for certificate in CertificateDer::pem_slice_iter(&read_pem(ca, "the client CA")?) {
                let certificate =
                    certificate.map_err(|e| anyhow::anyhow!("{}: {e:?}", ca.display()))?;
                roots
                    .add(certificate)
                    .with_context(|| format!("the client CA {}", ca.display()))?;
            }
            if roots.is_empty() {
                bail!("{} holds no PEM certificate", ca.display());
            }
            let mut crls = Vec::new();
            for path in client_crls {
                let data = read_pem(path, "the client CA's CRL")?;
                crls.push(match CertificateRevocationListDer::from_pem_slice(&data) {
                    Ok(crl) => crl,
                    Err(_) => CertificateRevocationListDer::from(data),
                });
            }
            // A caller without a certificate still reaches the public calls; the use cases
            // refuse it everything else (UNAUTHENTICATED). A certificate that is presented
            // must verify, or the handshake fails.
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .with_crls(crls)
                .allow_unauthenticated()
                .build()
                .context("the client certificate verifier")?
        }
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key_der)
        .with_context(|| {
            format!(
                "{} and {} are not a certificate and its key",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Accepted plaintext connections, with `TCP_NODELAY`.
pub fn plain_incoming(listener: TcpListener) -> ReceiverStream<Result<TcpStream, std::io::Error>> {
    accept_loop(listener, |stream| async move { Some(stream) })
}

/// Accepted connections whose TLS handshake succeeded within the timeout. A failed handshake
/// (an unknown CA, a revoked or expired certificate) is logged and dropped; it never reaches
/// the gRPC server, nor stops the loop.
pub fn tls_incoming(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let acceptor = TlsAcceptor::from(config);
    accept_loop(listener, move |stream| {
        let acceptor = acceptor.clone();
        async move {
            let peer = stream.peer_addr().ok();
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Some(tls),
                Ok(Err(error)) => {
                    tracing::info!(?peer, %error, "TLS handshake refused");
                    None
                }
                Err(_) => {
                    tracing::info!(?peer, "TLS handshake timed out");
                    None
                }
            }
        }
    })
}

fn accept_loop<S, F, Fut>(
    listener: TcpListener,
    mut prepare: F,
) -> ReceiverStream<Result<S, std::io::Error>>
where
    S: Send + 'static,
    F: FnMut(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<S>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, "TCP_NODELAY could not be set");
                    }
                    let tx = tx.clone();
                    let ready = prepare(stream);
                    tokio::spawn(async move {
                        if let Some(stream) = ready.await {
                            let _ = tx.send(Ok(stream)).await;
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait, never spin or stop.
                    tracing::warn!(%error, "accepting a gRPC connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            if tx.is_closed() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}

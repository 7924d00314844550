//! Talking to a running server: the address, TLS with a client certificate (by default the
//! development PKI's, found in --pki-dir), and gRPC statuses as errors for the command line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

pub const DEFAULT_SERVER: &str = "https://127.0.0.1:50051";

/// How a client command reaches the server and who it says it is.
#[derive(Debug, Clone, clap::Args)]
pub struct Remote {
    /// The server: https://HOST:PORT, or http://HOST:PORT for a server started with --insecure.
    #[arg(long, env = "KETQUA_SERVER", default_value = DEFAULT_SERVER)]
    pub server: String,
    /// The client certificate to present (PEM) [default: the development one in --pki-dir].
    #[arg(long, env = "KETQUA_CLIENT_CERT", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, env = "KETQUA_CLIENT_KEY", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// The CA the server's certificate is checked against [default: <pki dir>/client-ca.pem].
    #[arg(long, env = "KETQUA_CA")]
    pub ca: Option<PathBuf>,
    /// The development PKI, where the defaults of the three options above are found.
    #[arg(long, env = "KETQUA_PKI_DIR", default_value = ketqua::server::DEFAULT_PKI_DIR)]
    pub pki_dir: PathBuf,
    /// Which development client certificate to present: a department id or "archivist"
    /// [default: the one the command needs].
    #[arg(long = "as", value_name = "CLIENT")]
    pub as_client: Option<String>,
    /// The official's activation factor (PIN) for credentials that require one [default: the
    /// development PIN beside the credential's key, <pki dir>/credentials/<id>/pin].
    #[arg(long, env = "KETQUA_ACTIVATION", hide_env_values = true)]
    pub activation: Option<String>,
}

impl Remote {
    /// Connects as `--client-cert`, else as the development client `--as`, else as
    /// `default_client`. Without any certificate only the public calls succeed.
    pub async fn connect(&self, default_client: &str) -> anyhow::Result<Channel> {
        let endpoint = Channel::from_shared(self.server.clone()).with_context(|| {
            format!(
                "{:?} is not a server URL like {DEFAULT_SERVER}",
                self.server
            )
        })?;
        let endpoint = if self.server.starts_with("http://") {
            endpoint
        } else if self.server.starts_with("https://") {
            endpoint
                .tls_config(self.tls(default_client)?)
                .context("the TLS configuration")?
        } else {
            bail!(
                "{:?}: use https://HOST:PORT (or http:// for a server started with --insecure)",
                self.server
            );
        };
        endpoint
            .connect()
            .await
            .with_context(|| format!("cannot connect to {}", self.server))
    }

    /// `message` as a request carrying the activation factor of `credential`, if there is
    /// one: --activation, else the development PIN file.
    pub fn activated<T>(&self, message: T, credential: &str) -> anyhow::Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        let factor = match &self.activation {
            Some(factor) => Some(factor.clone()),
            None => {
                let path = self
                    .pki_dir
                    .join("credentials")
                    .join(credential)
                    .join("pin");
                std::fs::read_to_string(&path)
                    .ok()
                    .map(|text| text.trim().to_owned())
            }
        };
        if let Some(factor) = factor.filter(|f| !f.is_empty()) {
            request.metadata_mut().insert(
                ketqua::service::ACTIVATION_METADATA,
                factor
                    .parse()
                    .context("the activation factor is not a valid metadata value")?,
            );
        }
        Ok(request)
    }

    fn tls(&self, default_client: &str) -> anyhow::Result<ClientTlsConfig> {
        let ca = self
            .ca
            .clone()
            .unwrap_or_else(|| self.pki_dir.join(ketqua::pki::CLIENT_CA_FILE));
        let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(
            &ca,
            "the CA of the server's certificate (--ca)",
        )?));
        let identity = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            _ => {
                let name = self.as_client.as_deref().unwrap_or(default_client);
                let (cert, key) = ketqua::pki::dev_client_files(&self.pki_dir, name);
                if cert.is_file() {
                    Some((cert, key))
                } else if self.as_client.is_some() {
                    bail!("no development client certificate {}", cert.display());
                } else {
                    None
                }
            }
        };
        if let Some((cert, key)) = identity {
            tls = tls.identity(Identity::from_pem(
                read(&cert, "the client certificate")?,
                read(&key, "the client key")?,
            ));
        }
        Ok(tls)
    }
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

/// The development client certificate a credential's department system uses: credential ids
/// begin with their department's id (`stp-approver`).
pub fn department_of_credential(credential_id: &str) -> &str {
    credential_id.split('-').next().unwrap_or(credential_id)
}

pub fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

/// A request id for a mutating call made from the command line (reuse one to retry).
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system's random source");
    format!("cli-{}", hex::encode(bytes))
}

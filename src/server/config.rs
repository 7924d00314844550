//! Settings of `ketqua serve`: command-line flags, else environment variables, else a TOML
//! file, else the embedded defaults (which need no setup at all).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::{
    access::CallerRule,
    archive::Durability,
    notify::{BusConfig, Start, WebhookConfig},
    service::{Limits, RevocationData},
};

pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:50051";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_PKI_DIR: &str = "certs/dev";

/// What the flags and environment gave (clap reads both); `None` where neither did.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (keys: grpc_addr, http_addr, data_dir,
    /// pki_dir, database, blob_store, durability, blob_dir, catalog, max_document_bytes, max_decoded_bytes,
    /// verify_timeout, verify_concurrency, sign_concurrency, admission_queue, public_url,
    /// revocation_data, profile, trust, crls, tls_cert, tls_key, client_ca, client_crls, insecure, callers_file,
    /// key_passphrase_file, key_passphrase_env, allow_unencrypted_keys, pkcs11_module, statistics_page, `[[callers]]`, `[[webhook]]` and `[bus]`
    /// entries).
    #[arg(long, env = "KETQUA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Publish every event to this NATS JetStream server (e.g. nats://127.0.0.1:4222) on
    /// `ketqua.<department>.<step>`; the file's `[bus]` table has the other settings.
    #[arg(long, env = "KETQUA_BUS_URL")]
    pub bus_url: Option<String>,
    /// Publish the statistics page `/thong-ke` on the HTTP port: aggregate figures of every
    /// department, to anyone who can reach the port (the HTTP side knows no callers).
    #[arg(long, env = "KETQUA_STATISTICS_PAGE")]
    pub statistics_page: bool,
    /// Address of the gRPC server [default: 127.0.0.1:50051; port 0 picks a free one].
    #[arg(long, env = "KETQUA_GRPC_ADDR")]
    pub grpc_addr: Option<SocketAddr>,
    /// Address of the HTTP server (verification page, root certificate) [default: 127.0.0.1:8080].
    #[arg(long, env = "KETQUA_HTTP_ADDR")]
    pub http_addr: Option<SocketAddr>,
    /// Directory for the embedded database and other state [default: ./data].
    #[arg(long, env = "KETQUA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory of the PKI: root.pem, credentials.toml and the keys [default: ./certs/dev];
    /// a development hierarchy is generated there on first start if none exists.
    #[arg(long, env = "KETQUA_PKI_DIR")]
    pub pki_dir: Option<PathBuf>,
    /// Database URL [default: sqlite://<data dir>/ketqua.db].
    #[arg(long = "database", env = "KETQUA_DATABASE_URL")]
    pub database: Option<String>,
    /// Where document bytes are kept: `files` (default: under --blob-dir) or `database` (in
    /// the blobs table). Replicas sharing one PostgreSQL database must share the blob
    /// directory, or use `database`.
    #[arg(long, env = "KETQUA_BLOB_STORE")]
    pub blob_store: Option<BlobStoreKind>,
    /// What an acknowledged step survives on SQLite: `crash` (the process killed; no fsync at
    /// commit) or `power-loss` (also a power cut: one fsync per group commit) [default:
    /// crash]. PostgreSQL follows its server's `synchronous_commit`.
    #[arg(long, env = "KETQUA_DURABILITY")]
    pub durability: Option<Durability>,
    /// Directory of the files blob store [default: <data dir>/blobs].
    #[arg(long, env = "KETQUA_BLOB_DIR")]
    pub blob_dir: Option<PathBuf>,
    /// Procedure catalog (TOML) [default: the embedded catalog].
    #[arg(long, env = "KETQUA_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Largest document accepted, in bytes [default: 134217728].
    #[arg(long, env = "KETQUA_MAX_DOCUMENT_BYTES")]
    pub max_document_bytes: Option<u64>,
    /// Bytes the compressed streams of one PDF may inflate to, together, when it is verified or
    /// signed [default: 268435456]; one stream at most 64 MiB of it.
    #[arg(long, env = "KETQUA_MAX_DECODED_BYTES")]
    pub max_decoded_bytes: Option<usize>,
    /// Seconds one verification may run before it is answered INDETERMINATE [default: 30].
    #[arg(long, env = "KETQUA_VERIFY_TIMEOUT")]
    pub verify_timeout: Option<u64>,
    /// Verifications of uploaded PDFs (page and VerifyDocument) running at once [default: one a
    /// core].
    #[arg(long, env = "KETQUA_VERIFY_CONCURRENCY")]
    pub verify_concurrency: Option<usize>,
    /// Signings of uploaded PDFs running at once [default: one a core].
    #[arg(long, env = "KETQUA_SIGN_CONCURRENCY")]
    pub sign_concurrency: Option<usize>,
    /// Callers that may wait for a verification or signing slot before they are told to retry
    /// (RESOURCE_EXHAUSTED, HTTP 503) [default: four a core].
    #[arg(long, env = "KETQUA_ADMISSION_QUEUE")]
    pub admission_queue: Option<usize>,
    /// The public address of the verification page, printed in QR codes
    /// [default: http://127.0.0.1:8080].
    #[arg(long, env = "KETQUA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The revocation data B-LT documents carry for every certificate of their paths: `crl`
    /// (the CAs' CRLs), `ocsp` (an OCSP response each, made at signing) or `both`
    /// [default: both].
    #[arg(long, env = "KETQUA_REVOCATION_DATA")]
    pub revocation_data: Option<RevocationData>,
    /// `development` (default: verification also trusts the PKI directory's own root and
    /// CRLs) or `production` (only the anchors and CRLs given with --trust and --crl).
    #[arg(long, env = "KETQUA_PROFILE")]
    pub profile: Option<Profile>,
    /// A trust anchor for verification (PEM or DER; repeatable).
    #[arg(long = "trust", env = "KETQUA_TRUST", value_delimiter = ',')]
    pub trust: Vec<PathBuf>,
    /// A CRL for verification (PEM or DER; repeatable).
    #[arg(long = "crl", env = "KETQUA_CRL", value_delimiter = ',')]
    pub crls: Vec<PathBuf>,
    /// The gRPC server's TLS certificate chain (PEM) [development default:
    /// <pki dir>/server.pem, generated with the development PKI].
    #[arg(long, env = "KETQUA_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, SEC1 or PKCS#1) [development default:
    /// <pki dir>/server.key].
    #[arg(long, env = "KETQUA_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// The CA whose client certificates callers present (PEM; the callers table says what
    /// each may do) [development default: <pki dir>/client-ca.pem].
    #[arg(long, env = "KETQUA_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,
    /// A CRL of the client CA (PEM or DER; repeatable): revoked client certificates fail the
    /// handshake [development default: <pki dir>/client-ca.crl].
    #[arg(long = "client-crl", env = "KETQUA_CLIENT_CRL", value_delimiter = ',')]
    pub client_crls: Vec<PathBuf>,
    /// A TOML file of `[[callers]]` entries [development default: <pki dir>/callers.toml].
    #[arg(long, env = "KETQUA_CALLERS")]
    pub callers_file: Option<PathBuf>,
    /// A file holding the passphrase of encrypted PKCS#8 key files (the first line).
    #[arg(
        long,
        env = "KETQUA_KEY_PASSPHRASE_FILE",
        conflicts_with = "key_passphrase_env"
    )]
    pub key_passphrase_file: Option<PathBuf>,
    /// The name of an environment variable holding that passphrase.
    #[arg(long, env = "KETQUA_KEY_PASSPHRASE_ENV")]
    pub key_passphrase_env: Option<String>,
    /// Accept unencrypted key files under --profile production (refused by default).
    #[arg(long, env = "KETQUA_ALLOW_UNENCRYPTED_KEYS")]
    pub allow_unencrypted_keys: bool,
    /// The PKCS#11 module for `pkcs11:` keys whose URI has no module-path [default:
    /// /usr/lib/softhsm/libsofthsm2.so].
    #[arg(long, env = "KETQUA_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
    /// Serve gRPC in plaintext, every caller granted everything (development only: refused
    /// under --profile production, and logged as a warning).
    #[arg(long, env = "KETQUA_INSECURE")]
    pub insecure: bool,
}

/// Which trust anchors verification uses by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The PKI directory's root and CRLs are trusted too: `ketqua serve` works with no setup.
    #[default]
    Development,
    /// Only configured anchors: a development root must never make a result look genuine.
    Production,
}

/// Where new document bytes are kept (`archive::blobs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BlobStoreKind {
    /// Files under the blob directory, one per document (`<dir>/<2 hex>/<64 hex>`).
    #[default]
    Files,
    /// The `blobs` table of the database, as before there was a choice.
    Database,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    grpc_addr: Option<SocketAddr>,
    http_addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    pki_dir: Option<PathBuf>,
    database: Option<String>,
    blob_store: Option<BlobStoreKind>,
    durability: Option<Durability>,
    blob_dir: Option<PathBuf>,
    catalog: Option<PathBuf>,
    max_document_bytes: Option<u64>,
    max_decoded_bytes: Option<usize>,
    verify_timeout: Option<u64>,
    verify_concurrency: Option<usize>,
    sign_concurrency: Option<usize>,
    admission_queue: Option<usize>,
    public_url: Option<String>,
    revocation_data: Option<RevocationData>,
    profile: Option<Profile>,
    #[serde(default)]
    trust: Vec<PathBuf>,
    #[serde(default)]
    crls: Vec<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    client_ca: Option<PathBuf>,
    #[serde(default)]
    client_crls: Vec<PathBuf>,
    callers_file: Option<PathBuf>,
    insecure: Option<bool>,
    #[serde(default)]
    callers: Vec<CallerRule>,
    key_passphrase_file: Option<PathBuf>,
    key_passphrase_env: Option<String>,
    allow_unencrypted_keys: Option<bool>,
    pkcs11_module: Option<PathBuf>,
    /// Webhook subscribers (docs/events.md).
    #[serde(default)]
    webhook: Vec<WebhookConfig>,
    bus: Option<BusConfig>,
    statistics_page: Option<bool>,
}

/// Where the passphrase of encrypted key files comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySettings {
    pub passphrase_file: Option<PathBuf>,
    pub passphrase_env: Option<String>,
    pub allow_unencrypted: bool,
    /// The PKCS#11 module of token keys whose URI names none.
    pub pkcs11_module: Option<PathBuf>,
}

/// How gRPC callers connect and are known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransportSettings {
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub client_ca: Option<PathBuf>,
    pub client_crls: Vec<PathBuf>,
    pub callers_file: Option<PathBuf>,
    /// `[[callers]]` entries of the configuration file.
    pub callers: Vec<CallerRule>,
    pub insecure: bool,
}

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub pki_dir: PathBuf,
    pub database_url: String,
    /// Where new document bytes go.
    pub blob_store: BlobStoreKind,
    /// What a commit survives (SQLite).
    pub durability: Durability,
    /// The files store's directory (also read with `blob_store = database`, for blobs written
    /// before the switch).
    pub blob_dir: PathBuf,
    pub catalog: Option<PathBuf>,
    pub limits: Limits,
    pub public_url: String,
    pub revocation_data: RevocationData,
    pub profile: Profile,
    pub trust: Vec<PathBuf>,
    pub crls: Vec<PathBuf>,
    pub transport: TransportSettings,
    pub keys: KeySettings,
    /// Who is told of events: webhook subscribers and the bus (docs/events.md).
    pub webhooks: Vec<WebhookConfig>,
    pub bus: Option<BusConfig>,
    /// Whether `/thong-ke` is published.
    pub statistics_page: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is invalid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid setting: {0}")]
    Invalid(String),
}

impl ServeArgs {
    pub fn resolve(&self) -> Result<Settings, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let max_document_bytes = self
            .max_document_bytes
            .or(file.max_document_bytes)
            .unwrap_or(Limits::default().max_document_bytes);
        if max_document_bytes == 0 {
            return Err(ConfigError::Invalid(
                "max_document_bytes must be at least 1".to_owned(),
            ));
        }
        let limits = self.work_limits(&file, max_document_bytes)?;
        let data_dir = self
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = self
            .database
            .clone()
            .or(file.database)
            .unwrap_or_else(|| default_database_url(&data_dir));
        if !["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            return Err(ConfigError::Invalid(format!(
                "database URL {:?}: use sqlite://PATH (the default) or postgres://HOST/DATABASE",
                redact(&database_url)
            )));
        }
        let blob_dir = self
            .blob_dir
            .clone()
            .or(file.blob_dir)
            .unwrap_or_else(|| default_blob_dir(&data_dir));
        Ok(Settings {
            grpc_addr: self
                .grpc_addr
                .or(file.grpc_addr)
                .unwrap_or_else(|| parse_addr(DEFAULT_GRPC_ADDR)),
            http_addr: self
                .http_addr
                .or(file.http_addr)
                .unwrap_or_else(|| parse_addr(DEFAULT_HTTP_ADDR)),
            pki_dir: self
                .pki_dir
                .clone()
                .or(file.pki_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_PKI_DIR)),
            catalog: self.catalog.clone().or(file.catalog),
            limits,
            public_url: self
                .public_url
                .clone()
                .or(file.public_url)
                .unwrap_or_else(|| crate::service::DEFAULT_PUBLIC_URL.to_owned()),
            revocation_data: self
                .revocation_data
                .or(file.revocation_data)
                .unwrap_or_default(),
            profile: self.profile.or(file.profile).unwrap_or_default(),
            trust: if self.trust.is_empty() {
                file.trust
            } else {
                self.trust.clone()
            },
            crls: if self.crls.is_empty() {
                file.crls
            } else {
                self.crls.clone()
            },
            keys: KeySettings {
                passphrase_file: self
                    .key_passphrase_file
                    .clone()
                    .or(file.key_passphrase_file),
                passphrase_env: self.key_passphrase_env.clone().or(file.key_passphrase_env),
                allow_unencrypted: self.allow_unencrypted_keys
                    || file.allow_unencrypted_keys.unwrap_or(false),
                pkcs11_module: self.pkcs11_module.clone().or(file.pkcs11_module),
            },
            transport: TransportSettings {
                tls_cert: self.tls_cert.clone().or(file.tls_cert),
                tls_key: self.tls_key.clone().or(file.tls_key),
                client_ca: self.client_ca.clone().or(file.client_ca),
                client_crls: if self.client_crls.is_empty() {
                    file.client_crls
                } else {
                    self.client_crls.clone()
                },
                callers_file: self.callers_file.clone().or(file.callers_file),
                callers: file.callers,
                insecure: self.insecure || file.insecure.unwrap_or(false),
            },
            bus: match &self.bus_url {
                Some(url) => Some(BusConfig {
                    url: url.clone(),
                    ..file.bus.unwrap_or(BusConfig {
                        url: String::new(),
                        stream: "KETQUA".to_owned(),
                        subject_prefix: "ketqua".to_owned(),
                        start: Start::Now,
                    })
                }),
                None => file.bus,
            },
            webhooks: file.webhook,
            statistics_page: self.statistics_page || file.statistics_page.unwrap_or(false),
            database_url,
            blob_store: self.blob_store.or(file.blob_store).unwrap_or_default(),
            durability: self.durability.or(file.durability).unwrap_or_default(),
            blob_dir,
            data_dir,
        })
    }
}

impl ServeArgs {
    /// The limits on what one call may carry and on the work strangers may ask for: flags, else
    /// the file, else the defaults.
    fn work_limits(
        &self,
        file: &FileSettings,
        max_document_bytes: u64,
    ) -> Result<Limits, ConfigError> {
        let defaults = Limits::default();
        let at_least_one = |name: &str, value: usize| {
            if value == 0 {
                Err(ConfigError::Invalid(format!("{name} must be at least 1")))
            } else {
                Ok(value)
            }
        };
        let max_decoded_bytes = at_least_one(
            "max_decoded_bytes",
            self.max_decoded_bytes
                .or(file.max_decoded_bytes)
                .unwrap_or(defaults.read.max_decoded_bytes),
        )?;
        let verify_timeout = self.verify_timeout.or(file.verify_timeout).map_or(
            Ok(defaults.verify_timeout),
            |secs| {
                at_least_one(
                    "verify_timeout",
                    usize::try_from(secs).unwrap_or(usize::MAX),
                )
                .map(|_| std::time::Duration::from_secs(secs))
            },
        )?;
        Ok(Limits {
            max_document_bytes,
            verify_timeout,
            verify_concurrency: at_least_one(
                "verify_concurrency",
                self.verify_concurrency
                    .or(file.verify_concurrency)
                    .unwrap_or(defaults.verify_concurrency),
            )?,
            sign_concurrency: at_least_one(
                "sign_concurrency",
                self.sign_concurrency
                    .or(file.sign_concurrency)
                    .unwrap_or(defaults.sign_concurrency),
            )?,
            admission_queue: self
                .admission_queue
                .or(file.admission_queue)
                .unwrap_or(defaults.admission_queue),
            read: crate::verify::ReadLimits {
                max_decoded_bytes,
                max_stream_bytes: defaults.read.max_stream_bytes.min(max_decoded_bytes),
                ..defaults.read
            },
            ..defaults
        })
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let credentials = &url[start + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..start + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn parse_addr(text: &str) -> SocketAddr {
    // The defaults are constants known to parse.
    text.parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
}

pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("ketqua.db").display())
}

/// The files blob store's directory when none is configured.
pub fn default_blob_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("blobs")
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/k.db"), "sqlite://data/k.db");
    }

    #[test]
    fn transport_settings_come_from_the_file_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ketqua.toml");
        std::fs::write(
            &path,
            r#"tls_cert = "/etc/ketqua/server.pem"
tls_key = "/etc/ketqua/server.key"
client_ca = "/etc/ketqua/clients.pem"
client_crls = ["/etc/ketqua/clients.crl"]

[[callers]]
name = "stp-system"
spki_sha256 = "00"
departments = ["stp"]
may = ["flow"]
"#,
        )
        .unwrap();
        let settings = ServeArgs {
            config: Some(path.clone()),
            tls_key: Some(PathBuf::from("/run/secrets/server.key")),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        let t = &settings.transport;
        assert_eq!(
            t.tls_cert.as_deref(),
            Some(Path::new("/etc/ketqua/server.pem"))
        );
        assert_eq!(
            t.tls_key.as_deref(),
            Some(Path::new("/run/secrets/server.key"))
        );
        assert_eq!(
            t.client_crls,
            vec![PathBuf::from("/etc/ketqua/clients.crl")]
        );
        assert_eq!(t.callers.len(), 1);
        assert_eq!(t.callers[0].may, vec!["flow".to_owned()]);
        assert!(!t.insecure);
        assert!(ServeArgs::default().resolve().unwrap().transport == TransportSettings::default());
    }

    #[test]
    fn defaults_need_nothing() {
        let settings = ServeArgs::default().resolve().unwrap();
        assert_eq!(settings.grpc_addr.to_string(), DEFAULT_GRPC_ADDR);
        assert_eq!(settings.http_addr.to_string(), DEFAULT_HTTP_ADDR);
        assert_eq!(settings.database_url, "sqlite://data/ketqua.db");
        assert_eq!(settings.pki_dir, PathBuf::from("certs/dev"));
        assert_eq!(settings.blob_store, BlobStoreKind::Files);
        assert_eq!(settings.blob_dir, PathBuf::from("data/blobs"));
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ketqua.toml");
        std::fs::write(
            &path,
            "grpc_addr = \"127.0.0.1:6000\"\ndata_dir = \"/srv/ketqua\"\nmax_document_bytes = 10\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            grpc_addr: Some("127.0.0.1:7000".parse().unwrap()),
            ..ServeArgs::default()
        };
        let settings = args.resolve().unwrap();
        assert_eq!(settings.grpc_addr.port(), 7000);
        assert_eq!(settings.data_dir, PathBuf::from("/srv/ketqua"));
        assert_eq!(settings.database_url, "sqlite:///srv/ketqua/ketqua.db");
        assert_eq!(settings.limits.max_document_bytes, 10);
        assert_eq!(settings.blob_dir, PathBuf::from("/srv/ketqua/blobs"));
        assert_eq!(settings.blob_store, BlobStoreKind::Files);

        // The blob settings from the file, and a flag over the file.
        std::fs::write(
            &path,
            "blob_store = \"database\"\nblob_dir = \"/mnt/shared/blobs\"\n",
        )
        .unwrap();
        let from_file = ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(from_file.blob_store, BlobStoreKind::Database);
        assert_eq!(from_file.blob_dir, PathBuf::from("/mnt/shared/blobs"));
        let flagged = ServeArgs {
            config: Some(path.clone()),
            blob_store: Some(BlobStoreKind::Files),
            blob_dir: Some(PathBuf::from("/nfs/blobs")),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(flagged.blob_store, BlobStoreKind::Files);
        assert_eq!(flagged.blob_dir, PathBuf::from("/nfs/blobs"));

        std::fs::write(&path, "grpc_adr = \"x\"\n").unwrap();
        let error = ServeArgs {
            config: Some(path),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap_err();
        assert!(error.to_string().contains("grpc_adr"), "{error}");
    }

    #[test]
    fn work_limits_come_from_flags_then_the_file_and_zero_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ketqua.toml");
        std::fs::write(
            &path,
            "verify_timeout = 5\nverify_concurrency = 3\nmax_decoded_bytes = 1048576\n",
        )
        .unwrap();
        let settings = ServeArgs {
            config: Some(path.clone()),
            verify_concurrency: Some(1),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(settings.limits.verify_timeout.as_secs(), 5);
        assert_eq!(settings.limits.verify_concurrency, 1);
        assert_eq!(settings.limits.read.max_decoded_bytes, 1 << 20);
        assert_eq!(settings.limits.read.max_stream_bytes, 1 << 20);
        for zero in [
            ServeArgs {
                verify_timeout: Some(0),
                ..ServeArgs::default()
            },
            ServeArgs {
                sign_concurrency: Some(0),
                ..ServeArgs::default()
            },
            ServeArgs {
                max_decoded_bytes: Some(0),
                ..ServeArgs::default()
            },
        ] {
            assert!(matches!(zero.resolve(), Err(ConfigError::Invalid(_))));
        }
    }
}

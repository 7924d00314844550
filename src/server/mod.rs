//! Wiring: the settings of `ketqua serve` (flags, environment, a TOML file, defaults), what is
//! read or created at start, and the server that puts the service behind its two interfaces.
//! It sits beside `grpc` and `web`, above every domain module.

mod config;
mod metrics;
mod serve;
mod startup;
mod transport;

pub use config::{
    default_blob_dir, default_database_url, redact, BlobStoreKind, ConfigError, KeySettings,
    Profile, ServeArgs, Settings, TransportSettings, DEFAULT_DATA_DIR, DEFAULT_GRPC_ADDR,
    DEFAULT_HTTP_ADDR, DEFAULT_PKI_DIR,
};
pub use serve::{serve, shutdown_signal, Backend};
pub use startup::{
    dev_departments, init_dev_tls, key_access, load_catalog, load_or_create_log_key, load_trust,
    read_passphrase_file, trust_config, DEFAULT_LOG_NAME,
};
pub use transport::CALLERS_FILE;

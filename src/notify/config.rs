//! How webhook subscribers and the bus publisher are configured (`[[webhook]]` and `[bus]` in
//! the server's TOML file; docs/events.md).

use std::path::PathBuf;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::Deserialize;

use crate::archive::EventStore;

/// Where a new subscriber or publisher starts the first time it runs (later runs continue
/// from where they stopped, as recorded in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// With the events committed from then on.
    #[default]
    Now,
    /// With the first event the archive holds.
    Beginning,
}

impl Start {
    /// The event number a new subscriber or publisher starts after.
    pub(super) async fn position<A: EventStore>(self, archive: &A) -> Result<i64, String> {
        match self {
            Start::Now => archive.last_event().await.map_err(|e| e.to_string()),
            Start::Beginning => Ok(0),
        }
    }
}

/// One webhook subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Unique; names the subscriber's delivery state in the database. Renaming a subscriber
    /// makes it a new one.
    pub name: String,
    /// Where events are POSTed (http or https).
    pub url: String,
    /// The signing secret: `whsec_<base64>` (Standard Webhooks) or any text of 16 bytes or
    /// more, given here, in a file, or in an environment variable.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Departments whose events it receives; empty: all.
    #[serde(default)]
    pub departments: Vec<String>,
    /// Steps it receives (`receive`, `appraise`, … as in `Step`); empty: all.
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub start: Start,
    /// Attempts before an event is a dead letter [default: 15, about 4 hours of retries].
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Seconds one attempt may take [default: 10].
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_attempts() -> u32 {
    15
}

fn default_timeout() -> u64 {
    10
}

/// A subscriber's signing key, as bytes.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;

impl WebhookSecret {
    /// `whsec_` + base64 is decoded (the Standard Webhooks form); any other text is its UTF-8
    /// bytes.
    pub fn parse(text: &str) -> Result<WebhookSecret, String> {
        let text = text.trim();
        let bytes = match text.strip_prefix("whsec_") {
            Some(encoded) => STANDARD
                .decode(encoded)
                .map_err(|e| format!("the whsec_ secret is not base64: {e}"))?,
            None => text.as_bytes().to_vec(),
        };
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the secret has {} bytes; at least {MIN_SECRET_BYTES} are needed",
                bytes.len()
            ));
        }
        Ok(WebhookSecret(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl WebhookConfig {
    /// The secret from wherever it is configured: exactly one place.
    pub fn secret(&self) -> Result<WebhookSecret, String> {
        let text = match (&self.secret, &self.secret_file, &self.secret_env) {
            (Some(secret), None, None) => secret.clone(),
            (None, Some(path), None) => std::fs::read_to_string(path)
                .map_err(|e| format!("reading the secret file {}: {e}", path.display()))?,
            (None, None, Some(name)) => std::env::var(name)
                .map_err(|_| format!("the environment variable {name} is not set"))?,
            _ => {
                return Err(
                    "give the secret exactly once: secret, secret_file or secret_env".to_owned(),
                )
            }
        };
        WebhookSecret::parse(&text)
    }
}

/// The NATS JetStream publisher.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusConfig {
    /// The server, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The stream the subjects `<prefix>.>` belong to; created if missing [default: KETQUA].
    #[serde(default = "default_stream")]
    pub stream: String,
    /// The first token of every subject [default: ketqua]; deployments sharing one bus give
    /// each its own (JetStream streams may not overlap).
    #[serde(default = "default_prefix")]
    pub subject_prefix: String,
    #[serde(default)]
    pub start: Start,
}

fn default_stream() -> String {
    "KETQUA".to_owned()
}

fn default_prefix() -> String {
    "ketqua".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_decoded_and_checked() {
        let raw = WebhookSecret::parse("a secret of enough bytes").unwrap();
        assert_eq!(raw.bytes(), b"a secret of enough bytes");
        let encoded = format!("whsec_{}", STANDARD.encode([7u8; 24]));
        assert_eq!(WebhookSecret::parse(&encoded).unwrap().bytes(), &[7u8; 24]);
        assert!(WebhookSecret::parse("short").is_err());
        assert!(WebhookSecret::parse("whsec_not base64!").is_err());
    }
}

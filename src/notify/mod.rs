//! Events out: telling other systems what happened (docs/events.md). Every state change is an
//! event in the archive's outbox, written in the step's own transaction; the workers here
//! carry them out of it, at least once and in order per dossier:
//!
//! - `webhook`: each configured subscriber receives each event it asked for as an HTTP POST,
//!   signed (Standard Webhooks: HMAC-SHA256 over id, timestamp and body), retried with
//!   exponential backoff until it answers 2xx or the attempts run out (dead letters, replayed
//!   by an operator). The delivery state lives in the database, shared by every replica.
//! - `bus`: an optional NATS JetStream publisher, one subject per department and kind, with
//!   the event's id as the message id so the bus drops a repeat.
//! - `payload`: the JSON both carry (the gRPC `Watch` stream carries the same facts as
//!   protobuf).
//!
//! An interface like `grpc` and `web`, beside them: it reads the outbox through the archive's
//! contracts and knows nothing of the flow's rules.

mod bus;
mod config;
mod payload;
mod webhook;

pub use bus::{publish_events, subject, BusPublisher};
pub use config::{BusConfig, Start, WebhookConfig, WebhookSecret};
pub use payload::{event_json, EVENT_TYPE_PREFIX};
pub use webhook::{
    backoff, deliver_webhooks, signature, Webhook, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    WEBHOOK_ID_HEADER,
};

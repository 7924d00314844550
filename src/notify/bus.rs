//! The NATS JetStream publisher: every event, once, on `ketqua.<department>.<step>`. The
//! publisher's cursor is in the database (so replicas continue each other's work); each event
//! goes out with its id as `Nats-Msg-Id`, so when a batch is published again after a crash,
//! a lost acknowledgement or a second replica, the stream's duplicate window drops the
//! repeat. The cursor moves only past events the bus acknowledged as stored.

use std::time::Duration;

use async_nats::jetstream;
use tokio::sync::watch;

use super::{config::BusConfig, payload::event_json};
use crate::archive::{DeliveryStore, EventStore, StoredEvent};

/// Events published per round (their acknowledgements awaited together).
const BATCH: i64 = 256;
const IDLE_POLL: Duration = Duration::from_millis(250);
/// The longest pause between attempts while the bus is away.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long a repeat of an event id is recognised by the stream.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);

/// A subject token: NATS separates tokens with '.', and '*', '>' and whitespace are special.
fn token(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '.' | '*' | '>' => '_',
            c if c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

/// The subject of an event: `<prefix>.<department>.<step>` (prefix `ketqua` by default).
pub fn subject(prefix: &str, event: &StoredEvent) -> String {
    format!(
        "{prefix}.{}.{}",
        token(&event.department),
        token(&event.step)
    )
}

/// The publisher, checked and ready.
#[derive(Debug, Clone)]
pub struct BusPublisher {
    config: BusConfig,
}

impl BusPublisher {
    pub fn new(config: BusConfig) -> Result<BusPublisher, String> {
        if !config.url.starts_with("nats://") && !config.url.starts_with("tls://") {
            return Err(format!(
                "bus url {:?} must start with nats:// or tls://",
                config.url
            ));
        }
        let stream_ok = !config.stream.is_empty()
            && config
                .stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !stream_ok {
            return Err(format!(
                "bus stream {:?} must be letters, digits, '_' or '-'",
                config.stream
            ));
        }
        let prefix = &config.subject_prefix;
        if prefix.is_empty() || token(prefix) != *prefix {
            return Err(format!(
                "bus subject_prefix {prefix:?} must be one subject token (no '.', '*', '>' or spaces)"
            ));
        }
        Ok(BusPublisher { config })
    }

    fn cursor_name(&self) -> String {
        format!("nats:{}", self.config.stream)
    }

    /// Creates the publisher's cursor if it has none (see `Webhook::register`).
    pub async fn register<A: EventStore + DeliveryStore>(&self, archive: &A) -> Result<(), String> {
        let start = self.config.start.position(archive).await?;
        archive
            .register_publisher(&self.cursor_name(), start)
            .await
            .map_err(|e| e.to_string())
    }

    async fn connect(&self) -> Result<jetstream::Context, String> {
        let client = async_nats::ConnectOptions::new()
            .name("ketqua")
            .connection_timeout(Duration::from_secs(5))
            .connect(&self.config.url)
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.config.url))?;
        let context = jetstream::new(client);
        context
            .get_or_create_stream(jetstream::stream::Config {
                name: self.config.stream.clone(),
                subjects: vec![format!("{}.>", self.config.subject_prefix)],
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("the stream {}: {e}", self.config.stream))?;
        Ok(context)
    }

    /// One round: the next events after the cursor, published and acknowledged, then the
    /// cursor moved past them. How many were published.
    async fn round<A: EventStore + DeliveryStore>(
        &self,
        archive: &A,
        context: &jetstream::Context,
    ) -> Result<usize, String> {
        let name = self.cursor_name();
        let cursor = archive
            .bus_cursor(&name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the publisher {name} was not registered"))?;
        let events = archive
            .events_after(cursor, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = events.last().map(|e| e.sequence) else {
            return Ok(0);
        };
        let mut acks = Vec::with_capacity(events.len());
        for event in &events {
            let body = serde_json::to_vec(&event_json(event)).map_err(|e| e.to_string())?;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", event.sequence.to_string().as_str());
            let ack = context
                .publish_with_headers(
                    subject(&self.config.subject_prefix, event),
                    headers,
                    body.into(),
                )
                .await
                .map_err(|e| format!("publishing event {}: {e}", event.sequence))?;
            acks.push((event.sequence, ack));
        }
        for (sequence, ack) in acks {
            ack.await
                .map_err(|e| format!("the bus did not acknowledge event {sequence}: {e}"))?;
        }
        archive
            .advance_bus_cursor(&name, cursor, last)
            .await
            .map_err(|e| e.to_string())?;
        metrics::counter!("ketqua_bus_published_total").increment(events.len() as u64);
        Ok(events.len())
    }
}

/// Publishes until `stop` turns true, reconnecting (with a growing pause) while the bus is away.
pub async fn publish_events<A>(archive: A, publisher: BusPublisher, mut stop: watch::Receiver<bool>)
where
    A: EventStore + DeliveryStore + 'static,
{
    let mut committed = archive.committed_events();
    let mut pause = Duration::from_millis(200);
    let mut context = None;
    while !*stop.borrow() {
        if context.is_none() {
            match publisher.connect().await {
                Ok(connected) => {
                    tracing::info!(url = %publisher.config.url, "publishing events to the bus");
                    context = Some(connected);
                }
                Err(error) => tracing::warn!(%error, "the bus is not reachable"),
            }
        }
        let outcome = match &context {
            Some(connected) => publisher.round(&archive, connected).await,
            None => Err("not connected".to_owned()),
        };
        match outcome {
            Ok(published) => {
                pause = Duration::from_millis(200);
                if published as i64 == BATCH {
                    continue;
                }
            }
            Err(error) => {
                metrics::counter!("ketqua_bus_failures_total").increment(1);
                tracing::warn!(%error, pause_ms = pause.as_millis() as u64, "bus publishing paused");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
                pause = (pause * 2).min(MAX_PAUSE);
                continue;
            }
        }
        committed.borrow_and_update();
        tokio::select! {
            // Without a writer (the archive is closing) the poll alone wakes it.
            changed = committed.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_keep_one_token_per_part() {
        assert_eq!(token("000.00.12.H47"), "000_00_12_H47");
        assert_eq!(token("a b*>"), "a_b__");
    }
}

//! Webhook delivery. Each subscriber has one loop per replica, in rounds: one transaction
//! records the previous round's outcomes, plans the subscriber's deliveries from the outbox (a
//! cursor in the database, moved by one replica at a time) and claims those that may go now —
//! the oldest open one of each dossier, so a dossier's events arrive in order — under a lease;
//! then the loop POSTs them concurrently, outside any transaction.
//! A replica that dies mid-attempt leaves a lease that runs out; another replica then sends
//! that event again with the same id (at least once; a repeat only around a crash).
//!
//! Signatures follow Standard Webhooks (standardwebhooks.com, the scheme of Svix and others):
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`.

use std::{sync::Arc, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use futures_util::future::join_all;
use tokio::sync::watch;

use super::{
    config::{WebhookConfig, WebhookSecret},
    payload::event_json,
};
use crate::{
    archive::{DeliveryOutcome, DeliveryRound, DeliveryStore, EventStore, StoredEvent},
    flow::Step,
};

pub const WEBHOOK_ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// Deliveries attempted at once per subscriber (each a different dossier).
const CLAIM_BATCH: i64 = 32;
/// Events planned per round.
const PLAN_BATCH: i64 = 500;
/// How often an idle loop looks for work committed by other replicas or due for a retry.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// How long after its timeout a claimed attempt is given before another replica may take it.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// How much of a subscriber's answer is read (its body means nothing to us).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// After a database error, the loop waits this long before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// The `v1,<base64>` signature of one attempt.
pub fn signature(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.bytes());
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(id.as_bytes());
    context.update(b".");
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

/// The wait after `failed` failed attempts: 1 s, 2 s, 4 s … doubling up to an hour.
pub fn backoff(failed: u32) -> Duration {
    let exponent = failed.saturating_sub(1).min(12);
    Duration::from_secs((1u64 << exponent).min(3600))
}

/// A subscriber, checked and ready to send.
pub struct Webhook {
    config: WebhookConfig,
    secret: WebhookSecret,
    client: reqwest::Client,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.config.name)
            .field("url", &self.config.url)
            .finish()
    }
}

impl Webhook {
    /// Checks a subscriber's configuration: a name, an http(s) URL, known step names, a
    /// secret, sane retry settings.
    pub fn new(config: WebhookConfig) -> Result<Webhook, String> {
        let problem = |what: String| format!("webhook {:?}: {what}", config.name);
        let name_ok = !config.name.is_empty()
            && config.name.len() <= 100
            && config
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return Err(problem(
                "the name must be 1 to 100 letters, digits, '-', '_' or '.'".to_owned(),
            ));
        }
        let url = reqwest::Url::parse(&config.url)
            .map_err(|e| problem(format!("url {:?} is not a URL: {e}", config.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(problem(format!(
                "url {:?} is not http or https",
                config.url
            )));
        }
        for step in &config.steps {
            step.parse::<Step>()
                .map_err(|_| problem(format!("unknown step {step:?} in steps")))?;
        }
        if config.max_attempts == 0 || config.max_attempts > 100 {
            return Err(problem("max_attempts must be 1 to 100".to_owned()));
        }
        if config.timeout_seconds == 0 || config.timeout_seconds > 300 {
            return Err(problem("timeout_seconds must be 1 to 300".to_owned()));
        }
        let secret = config.secret().map_err(problem)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds))
            // A subscriber answers where it is; following redirects would send signed events
            // wherever a compromised endpoint points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ketqua/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| problem(format!("building the HTTP client: {e}")))?;
        Ok(Webhook {
            config,
            secret,
            client,
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    fn wants(&self, event: &StoredEvent) -> bool {
        (self.config.departments.is_empty() || self.config.departments.contains(&event.department))
            && (self.config.steps.is_empty() || self.config.steps.contains(&event.step))
    }

    /// Creates the subscriber's cursor if it has none, at the newest event for `Start::Now`:
    /// called before the server accepts steps, so "now" misses nothing committed after it.
    pub async fn register<A: EventStore + DeliveryStore>(&self, archive: &A) -> Result<(), String> {
        let start = self.config.start.position(archive).await?;
        archive
            .register_subscriber(&self.config.name, start)
            .await
            .map_err(|e| e.to_string())
    }

    /// One attempt: the POST, and whether the subscriber took it (any 2xx).
    async fn attempt(&self, event: &StoredEvent) -> Result<(), String> {
        let id = event.sequence.to_string();
        let body = serde_json::to_vec(&event_json(event)).map_err(|e| e.to_string())?;
        let timestamp = now_ms().div_euclid(1000);
        let signature = signature(&self.secret, &id, timestamp, &body);
        let mut response = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(WEBHOOK_ID_HEADER, &id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{e}"))?;
        let status = response.status();
        // Read what the subscriber answered (up to a bound, the rest is not waited for), so
        // the connection goes back to the pool: over TLS a new one costs a handshake.
        let mut unread = MAX_ANSWER_BYTES;
        while let Ok(Some(chunk)) = response.chunk().await {
            match unread.checked_sub(chunk.len()) {
                Some(left) => unread = left,
                None => break,
            }
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the subscriber answered HTTP {}", status.as_u16()))
        }
    }

    /// The outcome of an attempt that was the `attempts`-th.
    fn outcome(&self, result: Result<(), String>, attempts: i64) -> DeliveryOutcome {
        match result {
            Ok(()) => DeliveryOutcome::Delivered { at_ms: now_ms() },
            Err(error) if attempts >= i64::from(self.config.max_attempts) => {
                DeliveryOutcome::Dead { error }
            }
            Err(error) => {
                let wait = backoff(u32::try_from(attempts).unwrap_or(u32::MAX));
                DeliveryOutcome::Retry {
                    next_attempt_ms: now_ms().saturating_add(millis(wait)),
                    error,
                }
            }
        }
    }

    /// Rounds until `stop` turns true: each records the previous round's outcomes, plans,
    /// claims and (outside the transaction) sends.
    async fn run<A: EventStore + DeliveryStore>(
        self: Arc<Self>,
        archive: A,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut committed = archive.committed_events();
        let lease = Duration::from_secs(self.config.timeout_seconds) + LEASE_MARGIN;
        let mut finished = Vec::new();
        while !*stop.borrow() {
            committed.borrow_and_update();
            match self.round(&archive, lease, &finished, CLAIM_BATCH).await {
                Ok(outcomes) => {
                    let busy = !outcomes.is_empty();
                    finished = outcomes;
                    if busy {
                        continue;
                    }
                }
                // The outcomes not recorded yet are kept for the next round.
                Err(error) => {
                    tracing::warn!(subscriber = %self.config.name, %error, "webhook delivery paused");
                    tokio::time::sleep(ERROR_PAUSE).await;
                }
            }
            tokio::select! {
                changed = committed.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(IDLE_POLL).await;
                    }
                }
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = stop.changed() => {}
            }
        }
        // A clean stop records what was sent, so a restart does not send it again.
        if !finished.is_empty() {
            if let Err(error) = self.round(&archive, lease, &finished, 0).await {
                tracing::warn!(subscriber = %self.config.name, %error, "webhook outcomes not recorded at stop");
            }
        }
    }

    /// One round: records `finished`, claims up to `claim_limit` deliveries and attempts them
    /// (each a different dossier, at once); their outcomes, for the next round to record.
    async fn round<A: EventStore + DeliveryStore>(
        &self,
        archive: &A,
        lease: Duration,
        finished: &[(i64, DeliveryOutcome)],
        claim_limit: i64,
    ) -> Result<Vec<(i64, DeliveryOutcome)>, String> {
        let name = &self.config.name;
        let wanted = |event: &StoredEvent| self.wants(event);
        let now = now_ms();
        let claimed = archive
            .deliveries_round(DeliveryRound {
                subscriber: name,
                finished,
                wanted: &wanted,
                now_ms: now,
                lease_until_ms: now.saturating_add(millis(lease)),
                plan_limit: PLAN_BATCH,
                claim_limit,
            })
            .await
            .map_err(|e| e.to_string())?;
        let attempts = claimed.iter().map(|d| self.attempt(&d.event));
        let results = join_all(attempts).await;
        let mut outcomes = Vec::with_capacity(claimed.len());
        for (delivery, result) in claimed.iter().zip(results) {
            let outcome = self.outcome(result, delivery.attempts);
            let label = match &outcome {
                DeliveryOutcome::Delivered { .. } => "delivered",
                DeliveryOutcome::Retry { error, .. } | DeliveryOutcome::Dead { error } => {
                    tracing::info!(
                        subscriber = %name,
                        event = delivery.event.sequence,
                        dossier_code = %delivery.event.dossier_code,
                        attempt = delivery.attempts,
                        %error,
                        "webhook attempt failed"
                    );
                    if matches!(outcome, DeliveryOutcome::Dead { .. }) {
                        "dead"
                    } else {
                        "retry"
                    }
                }
            };
            metrics::counter!("ketqua_webhook_attempts_total", "subscriber" => name.clone(), "outcome" => label)
                .increment(1);
            outcomes.push((delivery.event.sequence, outcome));
        }
        Ok(outcomes)
    }
}

/// Runs every subscriber's loop, and the backlog gauges, until `stop` turns true.
pub async fn deliver_webhooks<A>(archive: A, hooks: Vec<Webhook>, stop: watch::Receiver<bool>)
where
    A: EventStore + DeliveryStore + Clone + 'static,
{
    if hooks.is_empty() {
        return;
    }
    let mut loops = Vec::with_capacity(hooks.len() + 1);
    for hook in hooks {
        loops.push(tokio::spawn(
            Arc::new(hook).run(archive.clone(), stop.clone()),
        ));
    }
    loops.push(tokio::spawn(report_backlog(archive, stop)));
    join_all(loops).await;
}

/// Publishes each subscriber's backlog as gauges, every few seconds.
async fn report_backlog<A: DeliveryStore>(archive: A, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match archive.delivery_backlog().await {
            Ok(backlogs) => {
                for backlog in backlogs {
                    let subscriber = backlog.subscriber.clone();
                    metrics::gauge!("ketqua_webhook_backlog", "subscriber" => subscriber.clone())
                        .set(backlog.open as f64);
                    metrics::gauge!("ketqua_webhook_dead_letters", "subscriber" => subscriber)
                        .set(backlog.dead as f64);
                }
            }
            Err(error) => tracing::debug!(%error, "could not read the webhook backlog"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.changed() => {}
        }
    }
}

pub(super) fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc()
        .unix_timestamp_nanos()
        .div_euclid(1_000_000) as i64
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(13), Duration::from_secs(3600));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(3600));
    }
}

//! `ketqua archive webhooks`: what operators see of webhook deliveries (each subscriber's
//! backlog, its dead letters) and the replay of dead letters, straight on the database that
//! every replica shares.

use anyhow::bail;
use clap::Subcommand;
use ketqua::{
    archive::{DeliveryState, DeliveryStore, PgArchive, SqliteArchive},
    server::Backend,
};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Each subscriber's backlog: open (pending or being sent), dead, and the newest event
    /// planned for it.
    Status,
    /// Deliveries, oldest first: all, or one subscriber's, or in one state.
    List {
        #[arg(long)]
        subscriber: Option<String>,
        /// pending, sending, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        /// Only events after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Makes dead letters owed again from their first attempt: every dead delivery of the
    /// subscriber, or one event (`--event N`, dead or delivered).
    Replay {
        #[arg(long)]
        subscriber: String,
        #[arg(long)]
        event: Option<i64>,
    },
}

pub async fn run(url: &str, command: WebhookCommand) -> anyhow::Result<()> {
    match Backend::of(url)? {
        Backend::Sqlite => on(&SqliteArchive::open(url).await?, command).await,
        Backend::Postgres => on(&PgArchive::open(url).await?, command).await,
    }
}

async fn on(archive: &impl DeliveryStore, command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Status => {
            let backlogs = archive.delivery_backlog().await?;
            if backlogs.is_empty() {
                println!("no webhook subscriber has run yet");
            }
            for b in backlogs {
                println!(
                    "{}: {} open, {} dead; planned through event {}",
                    b.subscriber, b.open, b.dead, b.cursor
                );
            }
            Ok(())
        }
        WebhookCommand::List {
            subscriber,
            state,
            after,
            limit,
            json,
        } => {
            let state = match state.as_deref() {
                None => None,
                Some(text) => match DeliveryState::parse(text) {
                    Some(state) => Some(state),
                    None => bail!("unknown state {text:?}: pending, sending, delivered or dead"),
                },
            };
            if !(1..=10_000).contains(&limit) {
                bail!("--limit must be 1 to 10000");
            }
            let deliveries = archive
                .deliveries(subscriber.as_deref(), state, after, limit)
                .await?;
            for d in &deliveries {
                if json {
                    let line = serde_json::json!({
                        "subscriber": d.subscriber,
                        "event": d.event.sequence,
                        "dossier_code": d.event.dossier_code,
                        "step": d.event.step,
                        "state": d.state.as_str(),
                        "attempts": d.attempts,
                        "next_attempt_ms": d.next_attempt_ms,
                        "last_error": d.last_error,
                        "delivered_at_ms": d.delivered_at_ms,
                    });
                    println!("{line}");
                } else {
                    let error = if d.last_error.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", d.last_error)
                    };
                    println!(
                        "{} event {} ({} {}): {} after {} attempts{error}",
                        d.subscriber,
                        d.event.sequence,
                        d.event.dossier_code,
                        d.event.step,
                        d.state.as_str(),
                        d.attempts
                    );
                }
            }
            Ok(())
        }
        WebhookCommand::Replay { subscriber, event } => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
            let replayed = archive
                .replay_deliveries(&subscriber, event, now as i64)
                .await?;
            if replayed == 0 {
                bail!("nothing to replay for {subscriber}: no dead delivery (or no such event)");
            }
            println!("{replayed} deliveries to {subscriber} are owed again");
            Ok(())
        }
    }
}

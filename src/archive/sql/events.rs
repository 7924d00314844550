//! Events and their deliveries in SQL. Events are written by the group commit (`writer.rs`),
//! numbered under the log head's lock; here they are read, and a subscriber's deliveries are
//! finished, planned and claimed in one transaction a round, each part guarding against
//! another replica doing the same (a cursor moved only from the value read, a claim only of
//! an open row).

use super::{
    archive::SqlArchive,
    backend::{fetch_all_as, fetch_one, fetch_optional, params, Column, Dialect},
    mappers, queries as q,
};
use crate::archive::{
    contracts::{DeliveryStore, EventStore},
    error::Result,
    rows::{Delivery, DeliveryBacklog, DeliveryOutcome, DeliveryRound, DeliveryState, StoredEvent},
};

impl<D: Dialect> EventStore for SqlArchive<D> {
    async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>> {
        let mut conn = self.connection().await?;
        let page = params![after, limit];
        fetch_all_as::<D, _>(&mut conn, q::EVENTS_AFTER, &page, mappers::event).await
    }

    async fn last_event(&self) -> Result<i64> {
        let mut conn = self.connection().await?;
        fetch_one::<D>(&mut conn, q::LAST_EVENT, &[])
            .await?
            .get("last")
    }

    fn committed_events(&self) -> tokio::sync::watch::Receiver<i64> {
        self.events.subscribe()
    }
}

impl<D: Dialect> DeliveryStore for SqlArchive<D> {
    async fn register_subscriber(&self, subscriber: &str, start: i64) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        D::execute(
            &mut tx,
            q::INSERT_WEBHOOK_CURSOR,
            &params![subscriber, start],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries_round(&self, round: DeliveryRound<'_>) -> Result<Vec<Delivery>> {
        // Nothing finished, nothing new, nothing due: no write transaction at all.
        if round.finished.is_empty() && !self.round_has_work(&round).await? {
            return Ok(Vec::new());
        }
        let mut tx = D::begin_write(&self.pool).await?;
        finish::<D>(&mut tx, round.subscriber, round.finished, round.now_ms).await?;
        plan::<D>(&mut tx, &round).await?;
        let claimed = claim::<D>(&mut tx, &round).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn deliveries(
        &self,
        subscriber: Option<&str>,
        state: Option<DeliveryState>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let mut conn = self.connection().await?;
        let filter = params![subscriber, state.map(DeliveryState::as_str), after, limit];
        fetch_all_as::<D, _>(&mut conn, q::LIST_DELIVERIES, &filter, mappers::delivery).await
    }

    async fn replay_deliveries(
        &self,
        subscriber: &str,
        sequence: Option<i64>,
        now_ms: i64,
    ) -> Result<u64> {
        let mut tx = D::begin_write(&self.pool).await?;
        let replay = params![now_ms, subscriber, sequence];
        let replayed = D::execute(&mut tx, q::REPLAY_DELIVERIES, &replay).await?;
        tx.commit().await?;
        Ok(replayed)
    }

    async fn delivery_backlog(&self) -> Result<Vec<DeliveryBacklog>> {
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(&mut conn, q::DELIVERY_BACKLOG, &[], |row| {
            Ok(DeliveryBacklog {
                subscriber: row.get("subscriber")?,
                cursor: row.get("cursor")?,
                open: row.get("open")?,
                dead: row.get("dead")?,
            })
        })
        .await
    }

    async fn register_publisher(&self, publisher: &str, start: i64) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        D::execute(&mut tx, q::INSERT_BUS_CURSOR, &params![publisher, start]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn bus_cursor(&self, publisher: &str) -> Result<Option<i64>> {
        let mut conn = self.connection().await?;
        fetch_optional::<D>(&mut conn, q::BUS_CURSOR, &params![publisher])
            .await?
            .map(|row| row.get("sequence"))
            .transpose()
    }

    async fn advance_bus_cursor(&self, publisher: &str, from: i64, to: i64) -> Result<bool> {
        let mut tx = D::begin_write(&self.pool).await?;
        let moved = D::execute(
            &mut tx,
            q::ADVANCE_BUS_CURSOR,
            &params![to, publisher, from],
        )
        .await?;
        tx.commit().await?;
        Ok(moved == 1)
    }
}

impl<D: Dialect> SqlArchive<D> {
    /// Whether a round would find anything: events after the cursor, or a delivery due. Read
    /// without a write transaction, so an idle subscriber never takes the write lock.
    async fn round_has_work(&self, round: &DeliveryRound<'_>) -> Result<bool> {
        let mut conn = self.connection().await?;
        let Some(cursor): Option<i64> =
            fetch_optional::<D>(&mut conn, q::WEBHOOK_CURSOR, &params![round.subscriber])
                .await?
                .map(|row| row.get("sequence"))
                .transpose()?
        else {
            return Ok(false);
        };
        let last: i64 = fetch_one::<D>(&mut conn, q::LAST_EVENT, &[])
            .await?
            .get("last")?;
        if last > cursor {
            return Ok(true);
        }
        let due = params![round.subscriber, round.now_ms, 1i64];
        Ok(!D::fetch_all(&mut conn, q::DUE_DELIVERIES, &due)
            .await?
            .is_empty())
    }
}

/// Records how claimed attempts ended; if any was delivered, the subscriber is up, and what
/// waits out a backoff is due at once.
async fn finish<D: Dialect>(
    tx: &mut D::Connection,
    subscriber: &str,
    outcomes: &[(i64, DeliveryOutcome)],
    now_ms: i64,
) -> Result<()> {
    let answered = outcomes
        .iter()
        .any(|(_, outcome)| matches!(outcome, DeliveryOutcome::Delivered { .. }));
    for (sequence, outcome) in outcomes {
        let (state, next_attempt_ms, error, delivered_at_ms) = match outcome {
            DeliveryOutcome::Delivered { at_ms } => (DeliveryState::Delivered, 0, "", Some(*at_ms)),
            DeliveryOutcome::Retry {
                next_attempt_ms,
                error,
            } => (
                DeliveryState::Pending,
                *next_attempt_ms,
                error.as_str(),
                None,
            ),
            DeliveryOutcome::Dead { error } => (DeliveryState::Dead, 0, error.as_str(), None),
        };
        let end = params![
            state.as_str(),
            next_attempt_ms,
            error,
            delivered_at_ms,
            subscriber,
            *sequence,
        ];
        D::execute(tx, q::FINISH_DELIVERY, &end).await?;
    }
    if answered {
        D::execute(tx, q::EXPEDITE_RETRIES, &params![now_ms, subscriber]).await?;
    }
    Ok(())
}

/// Plans the events after the cursor: those wanted become pending deliveries, and the cursor
/// moves past every event read — unless another replica moved it first, whose rows stand
/// (`ON CONFLICT DO NOTHING`) while ours are not needed.
async fn plan<D: Dialect>(tx: &mut D::Connection, round: &DeliveryRound<'_>) -> Result<()> {
    let subscriber = round.subscriber;
    // A subscriber is registered (its cursor created where it starts) before it runs; one that
    // was not has no place to start from, and is not guessed one.
    let Some(cursor): Option<i64> =
        fetch_optional::<D>(tx, q::WEBHOOK_CURSOR, &params![subscriber])
            .await?
            .map(|row| row.get("sequence"))
            .transpose()?
    else {
        return Ok(());
    };
    let page = params![cursor, round.plan_limit];
    let events = fetch_all_as::<D, _>(tx, q::EVENTS_AFTER, &page, mappers::event).await?;
    let Some(last) = events.last().map(|event| event.sequence) else {
        return Ok(());
    };
    let advance = params![last, subscriber, cursor];
    if D::execute(tx, q::ADVANCE_WEBHOOK_CURSOR, &advance).await? != 1 {
        return Ok(());
    }
    for event in events.iter().filter(|event| (round.wanted)(event)) {
        let owed = params![
            subscriber,
            event.sequence,
            &event.dossier_code,
            round.now_ms
        ];
        D::execute(tx, q::INSERT_DELIVERY, &owed).await?;
    }
    Ok(())
}

/// Claims the deliveries due now, one a dossier, each for one attempt.
async fn claim<D: Dialect>(
    tx: &mut D::Connection,
    round: &DeliveryRound<'_>,
) -> Result<Vec<Delivery>> {
    let due = params![round.subscriber, round.now_ms, round.claim_limit];
    let candidates = fetch_all_as::<D, _>(tx, q::DUE_DELIVERIES, &due, mappers::delivery).await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for mut delivery in candidates {
        let claim = params![
            round.lease_until_ms,
            round.subscriber,
            delivery.event.sequence,
            round.now_ms,
        ];
        if D::execute(tx, q::CLAIM_DELIVERY, &claim).await? == 1 {
            delivery.state = DeliveryState::Sending;
            delivery.attempts += 1;
            claimed.push(delivery);
        }
    }
    Ok(claimed)
}

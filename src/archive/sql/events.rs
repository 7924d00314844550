//! Events and their deliveries in SQL. Events are written by the group commit (`writer.rs`),
//! numbered under the log head's lock; here they are read, and webhook deliveries planned,
//! claimed and finished, each in a transaction of its own that guards against another replica
//! doing the same (a cursor moved only from the value read, a claim only of an open row).

use super::{
    archive::SqlArchive,
    backend::{fetch_all_as, fetch_one, fetch_optional, params, Column, Dialect},
    mappers, queries as q,
};
use crate::archive::{
    contracts::{DeliveryStore, EventStore},
    error::Result,
    rows::{Delivery, DeliveryBacklog, DeliveryOutcome, DeliveryState, StoredEvent},
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
    async fn plan_deliveries(
        &self,
        subscriber: &str,
        start: i64,
        wanted: &(dyn Fn(&StoredEvent) -> bool + Sync),
        now_ms: i64,
        limit: i64,
    ) -> Result<u64> {
        let mut tx = D::begin_write(&self.pool).await?;
        D::execute(
            &mut tx,
            q::INSERT_WEBHOOK_CURSOR,
            &params![subscriber, start],
        )
        .await?;
        let cursor: i64 = fetch_one::<D>(&mut tx, q::WEBHOOK_CURSOR, &params![subscriber])
            .await?
            .get("sequence")?;
        let events = fetch_all_as::<D, _>(
            &mut tx,
            q::EVENTS_AFTER,
            &params![cursor, limit],
            mappers::event,
        )
        .await?;
        let Some(last) = events.last().map(|event| event.sequence) else {
            tx.commit().await?;
            return Ok(0);
        };
        for event in events.iter().filter(|event| wanted(event)) {
            let owed = params![subscriber, event.sequence, &event.dossier_code, now_ms];
            D::execute(&mut tx, q::INSERT_DELIVERY, &owed).await?;
        }
        let advance = params![last, subscriber, cursor];
        if D::execute(&mut tx, q::ADVANCE_WEBHOOK_CURSOR, &advance).await? != 1 {
            // Another replica planned these events first: its rows stand, ours go.
            tx.rollback().await?;
            return Ok(0);
        }
        tx.commit().await?;
        Ok(events.len() as u64)
    }

    async fn claim_deliveries(
        &self,
        subscriber: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let mut tx = D::begin_write(&self.pool).await?;
        let due = fetch_all_as::<D, _>(
            &mut tx,
            q::DUE_DELIVERIES,
            &params![subscriber, now_ms, limit],
            mappers::delivery,
        )
        .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for mut delivery in due {
            let claim = params![lease_until_ms, subscriber, delivery.event.sequence, now_ms];
            if D::execute(&mut tx, q::CLAIM_DELIVERY, &claim).await? == 1 {
                delivery.state = DeliveryState::Sending;
                delivery.attempts += 1;
                claimed.push(delivery);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn finish_deliveries(
        &self,
        subscriber: &str,
        outcomes: &[(i64, DeliveryOutcome)],
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        for (sequence, outcome) in outcomes {
            let (state, next_attempt_ms, error, delivered_at_ms) = match outcome {
                DeliveryOutcome::Delivered { at_ms } => {
                    (DeliveryState::Delivered, 0, "", Some(*at_ms))
                }
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
            D::execute(&mut tx, q::FINISH_DELIVERY, &end).await?;
        }
        tx.commit().await?;
        Ok(())
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
                delivered: row.get("delivered")?,
            })
        })
        .await
    }

    async fn bus_cursor(&self, publisher: &str, start: i64) -> Result<i64> {
        let mut tx = D::begin_write(&self.pool).await?;
        D::execute(&mut tx, q::INSERT_BUS_CURSOR, &params![publisher, start]).await?;
        let cursor = fetch_optional::<D>(&mut tx, q::BUS_CURSOR, &params![publisher]).await?;
        tx.commit().await?;
        match cursor {
            Some(row) => row.get("sequence"),
            None => Ok(start),
        }
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

//! Admission of expensive work from strangers: verifying uploaded PDFs (the public page and
//! `VerifyDocument`) and signing uploaded PDFs each pass a gate of their own, with a fixed
//! number running at once and a short queue. When both are full the caller is told to come back
//! (`Busy`: gRPC `RESOURCE_EXHAUSTED`, HTTP 503 with `Retry-After`) instead of waiting for ever,
//! so a flood of uploads cannot starve the flow's steps of CPU, memory or tokio workers.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::Error;

/// How long a caller waits in the queue before it is told to come back.
pub const QUEUE_PATIENCE: Duration = Duration::from_secs(10);

/// A bounded pool of permits with a bounded queue.
#[derive(Debug)]
pub(super) struct Gate {
    what: &'static str,
    running: usize,
    permits: Semaphore,
    queue: usize,
    waiting: AtomicUsize,
}

impl Gate {
    /// `running` at once (at least one), `queue` more waiting.
    pub(super) fn new(what: &'static str, running: usize, queue: usize) -> Gate {
        let running = running.max(1);
        Gate {
            what,
            running,
            permits: Semaphore::new(running),
            queue,
            waiting: AtomicUsize::new(0),
        }
    }

    /// A permit to run, held for as long as the work runs.
    pub(super) async fn enter(&self, patience: Duration) -> Result<SemaphorePermit<'_>, Error> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _leave = Leave(&self.waiting);
        if queued >= self.queue {
            return Err(self.busy());
        }
        match tokio::time::timeout(patience, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(self.busy()),
        }
    }

    fn busy(&self) -> Error {
        Error::Busy(format!(
            "the service is busy: {} {} are running and {} waiting; retry in a few seconds",
            self.running, self.what, self.queue
        ))
    }
}

/// Leaves the queue however `enter` returns.
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The gates of one service.
#[derive(Debug)]
pub(super) struct Gates {
    pub verifications: Gate,
    pub signings: Gate,
}

impl Gates {
    pub(super) fn new(limits: &super::input::Limits) -> Gates {
        Gates {
            verifications: Gate::new(
                "verifications",
                limits.verify_concurrency,
                limits.admission_queue,
            ),
            signings: Gate::new(
                "signings of uploaded documents",
                limits.sign_concurrency,
                limits.admission_queue,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_with_a_full_queue_says_busy_at_once() {
        let gate = Gate::new("verifications", 1, 0);
        let first = gate
            .enter(QUEUE_PATIENCE)
            .await
            .expect("the first one runs");
        let started = std::time::Instant::now();
        match gate.enter(QUEUE_PATIENCE).await {
            Err(Error::Busy(message)) => assert!(message.contains("busy"), "{message}"),
            other => panic!("expected Busy, got {other:?}"),
        }
        assert!(
            started.elapsed() < QUEUE_PATIENCE,
            "it waited instead of refusing"
        );
        drop(first);
        assert!(gate.enter(QUEUE_PATIENCE).await.is_ok(), "free again");
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_queued_caller_runs_when_a_permit_is_returned() {
        let gate = std::sync::Arc::new(Gate::new("signings", 1, 1));
        let first = gate.enter(QUEUE_PATIENCE).await.expect("runs");
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter(QUEUE_PATIENCE).await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The queue holds one: a third caller is refused while the second waits.
        assert!(matches!(
            gate.enter(QUEUE_PATIENCE).await,
            Err(Error::Busy(_))
        ));
        drop(first);
        assert!(waiter.await.expect("joined").is_ok());
    }

    #[tokio::test]
    async fn patience_runs_out() {
        let gate = Gate::new("verifications", 1, 4);
        let _first = gate.enter(QUEUE_PATIENCE).await.expect("runs");
        assert!(matches!(
            gate.enter(Duration::from_millis(20)).await,
            Err(Error::Busy(_))
        ));
    }
}

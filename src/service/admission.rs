//! Admission of expensive work from strangers: verifying uploaded PDFs (the public page and
//! `VerifyDocument`) and signing uploaded PDFs each pass a gate of their own, with a fixed
//! number running at once and a short queue. When both are full the caller is told to come back
//! (`Busy`: gRPC `RESOURCE_EXHAUSTED`, HTTP 503 with `Retry-After`) instead of waiting for ever,
//! so a flood of uploads cannot starve the flow's steps of CPU, memory or tokio workers.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Condvar, Mutex,
    },
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

/// The flow's own CPU work — rendering and signing results and forms — runs off the async
/// workers (`block_in_place`) and at most one per core at a time; the others wait, asleep.
///
/// Why: at 64 dossiers in flight some twenty such threads were runnable at once on two cores,
/// and the threads the archive's one writer wakes for every statement (SQLite's, the
/// writer's) waited behind them for a time slice. Measured alone it bought little (90.9 →
/// 96.4 dossiers/s at 64 in flight, docs/benchmarks.md), but it bounds the threads and the
/// memory of concurrent renderings. Nothing is refused here: the steps are the service's own
/// work, already admitted.
#[derive(Debug)]
pub(super) struct CpuSlots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl CpuSlots {
    /// `slots` at once (at least one).
    pub(super) fn new(slots: usize) -> CpuSlots {
        CpuSlots {
            free: Mutex::new(slots.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Runs `work` on this thread, handed over by the async runtime (`block_in_place`: a
    /// multi-threaded runtime's worker), once a slot is free.
    pub(super) fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        tokio::task::block_in_place(|| self.run_blocking(work))
    }

    /// [`CpuSlots::run`] on a thread that may block.
    fn run_blocking<T>(&self, work: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
        }
        let _slot = Slot(self);
        work()
    }
}

/// Gives a slot back however the work ends (a panic included).
struct Slot<'a>(&'a CpuSlots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// The gates of one service.
#[derive(Debug)]
pub(super) struct Gates {
    pub verifications: Gate,
    pub signings: Gate,
    pub flow_cpu: CpuSlots,
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
            flow_cpu: CpuSlots::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
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

    #[test]
    fn cpu_slots_run_at_most_their_number_at_once() {
        let slots = std::sync::Arc::new(CpuSlots::new(2));
        let running = std::sync::Arc::new(AtomicUsize::new(0));
        let most = std::sync::Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (slots, running, most) = (slots.clone(), running.clone(), most.clone());
                std::thread::spawn(move || {
                    slots.run_blocking(|| {
                        let now = running.fetch_add(1, Ordering::AcqRel) + 1;
                        most.fetch_max(now, Ordering::AcqRel);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::AcqRel);
                    })
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(most.load(Ordering::Acquire), 2);
        assert_eq!(*slots.free.lock().unwrap(), 2, "every slot returned");
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

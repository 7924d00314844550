//! `Watch`: the events of every state change, read from the outbox the steps write in their own
//! transactions (docs/events.md). The feed pages through the events after the caller's cursor,
//! keeps those the caller may read and asked for, and when it has caught up waits for this
//! replica's next commit or polls for other replicas' (the numbers are given in commit order
//! under the log head's lock, so a page never skips one that commits later).

use std::{sync::Arc, time::Duration};

use tokio::sync::mpsc;

use super::{core::Service, error::Error};
use crate::{
    access::{Caller, Departments, Permission},
    archive::{Archive, StoredEvent},
    flow::Step,
};

/// Events read from the archive at a time.
pub const EVENT_PAGE: i64 = 500;
/// How often a caught-up feed looks for events committed by other replicas.
pub const EVENT_POLL: Duration = Duration::from_millis(250);
/// Events a feed may hold for a slow reader before it waits for it.
const FEED_BUFFER: usize = 256;

/// What a watcher asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchInput {
    /// Events numbered after this one.
    pub after: u64,
    /// Empty: every department the caller may read.
    pub departments: Vec<String>,
    /// Empty: every step.
    pub steps: Vec<Step>,
    /// End once caught up instead of waiting for more.
    pub stop_at_end: bool,
}

/// Which events a watcher receives.
#[derive(Debug, Clone)]
pub struct EventFilter {
    departments: Departments,
    steps: Vec<Step>,
}

impl EventFilter {
    pub fn wants(&self, event: &StoredEvent) -> bool {
        self.departments.contains(&event.department)
            && (self.steps.is_empty()
                || self
                    .steps
                    .iter()
                    .any(|step| step.as_str() == event.step.as_str()))
    }
}

impl<A: Archive> Service<A> {
    /// Starts a feed of events for `caller`: checked at once (a caller that may read nothing,
    /// or asks for a department it may not read, is refused before anything is sent), then
    /// the events in order on the returned channel. The feed stops when the receiver is
    /// dropped, at the end if asked, or after sending an error.
    pub async fn watch(
        self: &Arc<Self>,
        caller: &Caller,
        input: WatchInput,
    ) -> Result<mpsc::Receiver<Result<StoredEvent, Error>>, Error> {
        // The start of the stream is the call that is audited (what follows is its answer).
        let call = self.call(caller, "Watch");
        let (filter, after) = self
            .audited_read(&call, async {
                let filter = watch_filter(caller, &input)?;
                let after = i64::try_from(input.after).map_err(|_| {
                    Error::InvalidArgument(format!("after_sequence {} is too large", input.after))
                })?;
                Ok((filter, after))
            })
            .await?;
        let (sender, receiver) = mpsc::channel(FEED_BUFFER);
        let service = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(error) = service
                .feed(&filter, after, input.stop_at_end, &sender)
                .await
            {
                let _ = sender.send(Err(error)).await;
            }
        });
        Ok(receiver)
    }

    async fn feed(
        &self,
        filter: &EventFilter,
        mut after: i64,
        stop_at_end: bool,
        sender: &mpsc::Sender<Result<StoredEvent, Error>>,
    ) -> Result<(), Error> {
        let mut committed = self.archive.committed_events();
        loop {
            // Marked seen before reading: a commit during the read wakes the next wait.
            committed.borrow_and_update();
            let page = self.archive.events_after(after, EVENT_PAGE).await?;
            let full = page.len() as i64 == EVENT_PAGE;
            for event in page {
                after = event.sequence;
                if filter.wants(&event) && sender.send(Ok(event)).await.is_err() {
                    return Ok(());
                }
            }
            if full {
                continue;
            }
            if stop_at_end {
                return Ok(());
            }
            tokio::select! {
                // Without a writer (the archive is closing) the poll alone wakes it.
                changed = committed.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(EVENT_POLL).await;
                    }
                }
                _ = tokio::time::sleep(EVENT_POLL) => {}
                _ = sender.closed() => return Ok(()),
            }
        }
    }
}

fn watch_filter(caller: &Caller, input: &WatchInput) -> Result<EventFilter, Error> {
    caller.require_some(Permission::Read)?;
    let departments = if input.departments.is_empty() {
        caller.departments_for(Permission::Read)
    } else {
        for department in &input.departments {
            caller.require(Permission::Read, department)?;
        }
        Departments::Only(input.departments.iter().cloned().collect())
    };
    Ok(EventFilter {
        departments,
        steps: input.steps.clone(),
    })
}

//! Events (the outbox every state change writes in its own transaction) and their delivery
//! to webhook subscribers and the message bus.

/// What a state change announces beyond what the archive is given anyway, from the service
/// (which knows the dossier). The archive adds the dossier code, the record's sequence, step,
/// hash and time, the state after it, the result codes the change signs, issues or revokes,
/// and the event's number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEvent {
    pub department: String,
    pub procedure_code: String,
    /// The national public service portal's status after the step.
    pub national_status: i64,
}

/// One event as stored, with what the dossier row adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Gap-free and in commit order; the event's id.
    pub sequence: i64,
    pub dossier_code: String,
    pub record_sequence: i64,
    pub step: String,
    pub state: String,
    pub national_status: i64,
    pub department: String,
    pub procedure_code: String,
    pub at_ms: i64,
    pub record_sha256: Vec<u8>,
    pub result_codes: Vec<String>,
    /// How the dossier arrived: "desk", "online" or "post".
    pub channel: String,
    /// The applicant's contact for notifications, if they agreed; for subscribers only.
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// Where one event stands with one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Owed, due at `next_attempt_ms`.
    Pending,
    /// Claimed by a replica until its lease ends (then pending again).
    Sending,
    Delivered,
    /// Given up after the last retry; an operator replays it.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            DeliveryState::Pending,
            DeliveryState::Sending,
            DeliveryState::Delivered,
            DeliveryState::Dead,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// An event owed to a subscriber, as claimed for sending or listed for an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub subscriber: String,
    pub event: StoredEvent,
    pub state: DeliveryState,
    /// Attempts made, counting the one a claim starts.
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: String,
    pub delivered_at_ms: Option<i64>,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        at_ms: i64,
    },
    /// Failed; try again at `next_attempt_ms`.
    Retry {
        next_attempt_ms: i64,
        error: String,
    },
    /// Failed for the last time.
    Dead {
        error: String,
    },
}

/// A subscriber's backlog, for operators and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryBacklog {
    pub subscriber: String,
    /// Pending or being sent.
    pub open: i64,
    pub dead: i64,
    /// The newest event planned for the subscriber.
    pub cursor: i64,
}

/// What one round of a subscriber's deliveries does (`DeliveryStore::deliveries_round`).
pub struct DeliveryRound<'a> {
    pub subscriber: &'a str,
    /// The previous round's attempts: (event sequence, outcome).
    pub finished: &'a [(i64, DeliveryOutcome)],
    /// Which events the subscriber receives.
    pub wanted: &'a (dyn Fn(&StoredEvent) -> bool + Sync),
    pub now_ms: i64,
    pub lease_until_ms: i64,
    pub plan_limit: i64,
    pub claim_limit: i64,
}

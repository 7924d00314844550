//! The JSON of an event, as webhook subscribers and the bus receive it: the same facts as the
//! gRPC `Event`, in snake_case, hashes in hex, times in RFC 3339 (UTC) and Unix milliseconds.

use serde_json::{json, Value};

use crate::{archive::StoredEvent, flow::rfc3339_millis};

/// `type` is `dossier.<step>`, e.g. `dossier.receive`.
pub const EVENT_TYPE_PREFIX: &str = "dossier.";

/// The event's body. `id` is its sequence number, in decimal: the same on every attempt and
/// on every replica, so a subscriber drops a repeat by it.
pub fn event_json(event: &StoredEvent) -> Value {
    let time = rfc3339_millis(event.at_ms);
    let contact = (event.contact_phone.is_some() || event.contact_email.is_some()).then(|| {
        json!({
            "phone": event.contact_phone,
            "email": event.contact_email,
        })
    });
    json!({
        "id": event.sequence.to_string(),
        "sequence": event.sequence,
        "type": format!("{EVENT_TYPE_PREFIX}{}", event.step),
        "dossier_code": event.dossier_code,
        "record_sequence": event.record_sequence,
        "step": event.step,
        "state": event.state,
        "national_status": event.national_status,
        "department": event.department,
        "procedure_code": event.procedure_code,
        "time": time,
        "time_unix_millis": event.at_ms,
        "record_sha256": hex::encode(&event.record_sha256),
        "result_codes": event.result_codes,
        "channel": event.channel,
        "contact": contact,
    })
}

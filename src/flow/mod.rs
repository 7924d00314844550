//! The dossier state machine of the five-step electronic flow (receive, appraise, approve, sign,
//! return), who may perform each step, identifiers, deadlines and the procedure catalog.
//!
//! Pure functions only: no I/O, no clock, no crypto. The service asks `check_step` before every
//! step and records the returned state in the same transaction as the signed step record.

mod calendar;
mod catalog;
mod codes;
mod fee;
mod form;
mod form_template;
mod machine;
mod permission;
mod submission;
#[cfg(test)]
mod tests;
mod vocabulary;

pub use calendar::{
    rfc3339_millis, timeliness, vietnam_date, vietnam_time, CalendarError, Timeliness,
    WorkingCalendar, MAX_PROCESSING_DAYS, VIETNAM,
};
pub use catalog::{Catalog, CatalogError, Department, Procedure};
pub use codes::{AgencyCode, CodeError, CodeKind, DossierCode, ProcedureCode, ResultCode};
pub use fee::{format_vnd, Fee, FeeDue};
pub use form::Form;
pub use form_template::{FormTemplate, FormValues, TemplateError};
pub use machine::{allowed_steps, roles_for, transition, TransitionError};
pub use permission::{check_revoke, check_step, Actor, FlowError, PermissionError};
pub use submission::{Channel, Contact, ContactError};
pub use vocabulary::{ParseError, Role, State, Step};

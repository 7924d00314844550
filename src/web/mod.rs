//! The HTTP interface: the citizens' landing, progress and verification pages, the published
//! statistics page (server-rendered HTML,
//! Vietnamese first, English too), the trust anchor, health, and the timestamp authority over
//! HTTP. Like `grpc`, it holds no business rule: verification is the service's.

mod app;
mod html;
mod multipart;
mod ocsp;
mod progress_page;
mod published;
mod statistics_page;
mod tracker;
mod tsa;
mod verifier;
mod verify_page;

pub use app::{router, State};

#[cfg(fuzzing)]
pub use multipart::multipart;

//! Tests against an independent reference: RFC 6962 §2.1 written out naively here (recursive
//! MTH, PATH, SUBPROOF, and the RFC 9162 verification algorithms), using ring directly and none
//! of the module's helpers, so that a shared mistake cannot make both sides agree.

mod checkpoints;
mod proofs;
mod reference;

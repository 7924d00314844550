//! How the commands show the service's answers to people: a dossier, its progress, names of
//! steps, states and roles.

use std::fmt::Write as _;

use ketqua::proto::v1 as pb;

pub fn role_name(role: i32) -> &'static str {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Receiver) => "receiver",
        Ok(pb::Role::Appraiser) => "appraiser",
        Ok(pb::Role::Approver) => "approver",
        Ok(pb::Role::Seal) => "seal",
        _ => "unspecified",
    }
}

pub fn step_name(step: i32) -> String {
    pb::Step::try_from(step)
        .map(|s| s.as_str_name().trim_start_matches("STEP_").to_lowercase())
        .unwrap_or_else(|_| format!("step {step}"))
}

pub fn state_name(state: i32) -> String {
    pb::DossierState::try_from(state)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("DOSSIER_STATE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| format!("state {state}"))
}

fn timeliness_name(t: i32) -> String {
    pb::Timeliness::try_from(t)
        .map(|t| {
            t.as_str_name()
                .trim_start_matches("TIMELINESS_")
                .to_lowercase()
        })
        .unwrap_or_default()
}

fn describe_deadlines(
    out: &mut String,
    extensions: &[pb::Extension],
    waits: &[pb::SupplementWait],
) {
    for e in extensions {
        let _ = writeln!(
            out,
            "extended    on {}: {} -> {} ({})",
            e.extended_on, e.previous_due_date, e.new_due_date, e.reason
        );
    }
    for w in waits {
        let _ = writeln!(
            out,
            "waited      {} days for papers from {}{}",
            w.days,
            w.requested_on,
            if w.received_on.is_empty() {
                " (still waiting)".to_owned()
            } else {
                format!(" to {}", w.received_on)
            }
        );
    }
}

fn describe_fee(out: &mut String, fee: Option<&pb::FeeStatus>) {
    if let Some(fee) = fee {
        let _ = writeln!(
            out,
            "fee         {} {} đồng, due {} ({})",
            fee.name,
            fee.amount_vnd,
            fee.due,
            if fee.paid { "paid" } else { "not yet paid" }
        );
    }
}

/// The human summary `ketqua client track` prints.
pub fn describe_progress(p: &pb::Progress) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "dossier     {}", p.dossier_code);
    let _ = writeln!(
        out,
        "state       {} ({}, national status {})",
        state_name(p.state),
        p.state_name,
        p.national_status
    );
    if p.applicant_verified {
        let _ = writeln!(out, "applicant   {}", p.applicant_name);
    }
    let _ = writeln!(out, "procedure   {} {}", p.procedure_code, p.procedure_name);
    let _ = writeln!(out, "department  {}", p.department_name);
    let _ = writeln!(out, "received    {}", p.received_on);
    let _ = writeln!(
        out,
        "due         {} ({})",
        p.due_date,
        timeliness_name(p.timeliness)
    );
    describe_deadlines(&mut out, &p.extensions, &p.supplement_waits);
    describe_fee(&mut out, p.fee.as_ref());
    for r in &p.results {
        let _ = writeln!(
            out,
            "result      {} {} issued {} ({})",
            r.result_code, r.status, r.issued_on, r.verify_path
        );
    }
    let _ = writeln!(out, "steps");
    for s in &p.steps {
        let _ = writeln!(
            out,
            "  {}  {:<18} {}{}",
            s.at,
            step_name(s.step),
            s.department,
            if s.note.is_empty() {
                String::new()
            } else {
                format!("\n     note: {}", s.note)
            }
        );
    }
    out
}

/// The human summary `ketqua client get` prints.
pub fn describe(d: &pb::Dossier) -> String {
    let mut out = String::new();
    let timeliness = timeliness_name(d.timeliness);
    let applicant = d.applicant.clone().unwrap_or_default();
    let _ = writeln!(out, "dossier     {}", d.code);
    let _ = writeln!(
        out,
        "state       {} (national status {})",
        state_name(d.state),
        d.national_status
    );
    let _ = writeln!(out, "procedure   {} {}", d.procedure_code, d.procedure_name);
    let _ = writeln!(out, "department  {}", d.department);
    let _ = writeln!(out, "applicant   {} {}", applicant.id, applicant.name);
    let _ = writeln!(out, "received    {}", d.received_on);
    let _ = writeln!(out, "due         {} ({timeliness})", d.due_date);
    describe_deadlines(&mut out, &d.extensions, &d.supplement_waits);
    describe_fee(&mut out, d.fee.as_ref());
    let results: Vec<&pb::ResultDocument> = if d.results.is_empty() {
        d.result.iter().collect()
    } else {
        d.results.iter().collect()
    };
    for result in results {
        let digest = result.digest.clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "result      {} {} sha256:{}",
            if result.result_code.is_empty() {
                "(not yet issued)"
            } else {
                &result.result_code
            },
            digest.name,
            hex::encode(&digest.sha256)
        );
    }
    let allowed: Vec<String> = d.allowed_steps.iter().map(|s| step_name(*s)).collect();
    let _ = writeln!(
        out,
        "next steps  {}",
        if allowed.is_empty() {
            "none (final)".to_owned()
        } else {
            allowed.join(", ")
        }
    );
    let _ = writeln!(out, "history");
    for record in &d.records {
        let r = record.decoded.clone().unwrap_or_default();
        let actor = r.actor.clone().unwrap_or_default();
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(r.time_unix_millis) * 1_000_000,
        )
        .map(|t| t.to_offset(ketqua::flow::VIETNAM))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>2} {:<18} {:<17} {}  {} ({}, {})  sha256:{}{}",
            r.sequence,
            step_name(r.step),
            r.decision,
            at,
            actor.name,
            role_name(actor.role),
            actor.credential_id,
            hex::encode(&record.record_sha256),
            if r.note.is_empty() {
                String::new()
            } else {
                format!("\n     note: {}", r.note)
            }
        );
    }
    out
}

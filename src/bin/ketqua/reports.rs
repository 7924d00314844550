//! `ketqua client stats` and `ketqua client watch`: what leaders and other systems read — the
//! period's figures (`Archive.Statistics`) and the event stream (`Dossiers.Watch`), in lines
//! for people or JSON for scripts.

use clap::Subcommand;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient,
};
use serde_json::json;

use crate::{
    remote::{status_error, Remote},
    show::{state_name, step_name},
};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The figures of a period as the centres report them: received (carried over, new, by
    /// channel), resolved early / on time / late, in progress, extended, refused, withdrawn,
    /// and the rates.
    Stats {
        /// First day, YYYY-MM-DD [default: the first of this month].
        #[arg(long, default_value = "")]
        from: String,
        /// Last day, YYYY-MM-DD [default: today].
        #[arg(long, default_value = "")]
        to: String,
        #[arg(long, default_value = "")]
        department: String,
        #[arg(long, default_value = "")]
        procedure: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// Events after a sequence number, then live (until interrupted, or `--until-end`): one
    /// line each, or one JSON object a line with `--json`.
    Watch {
        /// The last sequence number already seen [default: 0, from the first event].
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Only these departments (repeatable) [default: all the caller may read].
        #[arg(long = "department")]
        departments: Vec<String>,
        /// Stop once caught up.
        #[arg(long)]
        until_end: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
}

pub async fn run(command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Stats {
            from,
            to,
            department,
            procedure,
            json,
            remote,
        } => {
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let s = client
                .statistics(pb::StatisticsRequest {
                    from,
                    to,
                    department,
                    procedure_code: procedure,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                println!("{:#}", stats_json(&s));
            } else {
                print!("{}", stats_text(&s));
            }
            Ok(())
        }
        ReportCommand::Watch {
            after,
            departments,
            until_end,
            json,
            remote,
        } => {
            let mut client = DossiersClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let mut stream = client
                .watch(pb::WatchRequest {
                    after_sequence: after,
                    departments,
                    steps: Vec::new(),
                    stop_at_end: until_end,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            while let Some(event) = stream.message().await.map_err(status_error)? {
                println!("{}", event_line(&event, json));
            }
            Ok(())
        }
    }
}

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}%"))
}

fn stats_text(s: &pb::StatisticsReport) -> String {
    let scope = match (s.department.as_str(), s.procedure_code.as_str()) {
        ("", "") => "every department".to_owned(),
        (d, "") => format!("department {d}"),
        ("", p) => format!("procedure {p}"),
        (d, p) => format!("department {d}, procedure {p}"),
    };
    format!(
        "{from} to {to}, {scope} (in progress as of {as_of})\n\
         received      {received} ({carried} carried over, {new} new: {desk} at the desk, {online} online, {post} by post)\n\
         resolved      {resolved} ({early} early, {on_time} on time, {late} late)\n\
         in progress   {progress} ({p_on_time} on time, {overdue} overdue)\n\
         extended      {extended}\n\
         refused       {refused}\n\
         withdrawn     {withdrawn}\n\
         stopped       {stopped}\n\
         on-time rate  {on_time_rate}\n\
         online share  {online_share}\n\
         e-results     {e_results}\n",
        from = s.from,
        to = s.to,
        as_of = s.as_of,
        received = s.received,
        carried = s.carried_over,
        new = s.received_new,
        desk = s.received_at_desk,
        online = s.received_online,
        post = s.received_by_post,
        resolved = s.resolved,
        early = s.resolved_early,
        on_time = s.resolved_on_time,
        late = s.resolved_late,
        progress = s.in_progress,
        p_on_time = s.in_progress_on_time,
        overdue = s.in_progress_overdue,
        extended = s.extended,
        refused = s.refused,
        withdrawn = s.withdrawn,
        stopped = s.stopped,
        on_time_rate = rate(s.on_time_rate),
        online_share = rate(s.online_share),
        e_results = rate(s.electronic_result_share),
    )
}

fn stats_json(s: &pb::StatisticsReport) -> serde_json::Value {
    json!({
        "from": s.from, "to": s.to, "as_of": s.as_of,
        "department": s.department, "procedure_code": s.procedure_code,
        "received": s.received, "carried_over": s.carried_over, "received_new": s.received_new,
        "received_at_desk": s.received_at_desk, "received_online": s.received_online,
        "received_by_post": s.received_by_post,
        "resolved": s.resolved, "resolved_early": s.resolved_early,
        "resolved_on_time": s.resolved_on_time, "resolved_late": s.resolved_late,
        "in_progress": s.in_progress, "in_progress_on_time": s.in_progress_on_time,
        "in_progress_overdue": s.in_progress_overdue,
        "extended": s.extended, "refused": s.refused, "withdrawn": s.withdrawn,
        "stopped": s.stopped,
        "on_time_rate": s.on_time_rate, "online_share": s.online_share,
        "electronic_result_share": s.electronic_result_share,
    })
}

fn event_line(e: &pb::Event, json_wanted: bool) -> String {
    let step = step_name(e.step);
    let state = state_name(e.state);
    if json_wanted {
        return json!({
            "sequence": e.sequence,
            "dossier_code": e.dossier_code,
            "record_sequence": e.record_sequence,
            "step": step,
            "state": state,
            "national_status": e.national_status,
            "department": e.department,
            "procedure_code": e.procedure_code,
            "time_unix_millis": e.time_unix_millis,
            "record_sha256": hex::encode(&e.record_sha256),
            "result_codes": e.result_codes,
        })
        .to_string();
    }
    let results = if e.result_codes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", e.result_codes.join(", "))
    };
    format!(
        "{} {} {} -> {} ({}){results}",
        e.sequence, e.dossier_code, step, state, e.department
    )
}

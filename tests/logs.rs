//! Structured logs (issue 16): every line a call writes carries the call's method, request id
//! and dossier code — a new dossier's from the moment it has one — as text or, with
//! `KETQUA_LOG_FORMAT=json`, as one JSON object a line for log shippers.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
};

use common::*;
use ketqua::proto::v1::dossiers_client::DossiersClient;

#[tokio::test]
async fn each_line_of_a_call_names_its_request_and_dossier() {
    let dir = tempfile::tempdir().unwrap();
    init_pki_without_activation(dir.path());
    let log = dir.path().join("server.log");
    let mut child = serve_command(dir.path())
        .env("KETQUA_LOG", "info")
        .env("KETQUA_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let grpc = loop {
        let line = lines.next().expect("serve exited").unwrap();
        if let Some(addr) = line.strip_prefix("grpc listening on ") {
            break format!("http://{addr}");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let mut client = DossiersClient::connect(grpc).await.unwrap();
    let receive = receive_request(JUDICIAL_RECORD, "stp-receiver");
    let receive_id = receive.request_id.clone();
    let code = client
        .receive(receive)
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let refused = step_request(&code, "stp-approver", "Không");
    let refused_id = refused.request_id.clone();
    let status = client
        .approve(refused)
        .await
        .expect_err("approve before appraise");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let _ = child.kill();
    let _ = child.wait();

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of = |id: &str| -> Vec<&serde_json::Value> {
        lines
            .iter()
            .filter(|l| l["span"]["request_id"] == id)
            .collect()
    };
    let received = of(&receive_id);
    let answered = received
        .iter()
        .find(|l| l["fields"]["message"] == "call answered")
        .unwrap_or_else(|| panic!("no line for the Receive call in {text}"));
    assert_eq!(answered["span"]["method"], "Receive");
    assert_eq!(
        answered["span"]["dossier_code"],
        code.as_str(),
        "recorded once numbered"
    );
    assert_eq!(answered["fields"]["outcome"], "ok");
    let refusal = of(&refused_id);
    let refusal = refusal
        .iter()
        .find(|l| l["fields"]["message"] == "call refused")
        .unwrap_or_else(|| panic!("no line for the refused call in {text}"));
    assert_eq!(refusal["span"]["method"], "Approve");
    assert_eq!(refusal["span"]["dossier_code"], code.as_str());
    assert_eq!(refusal["fields"]["outcome"], "failed_precondition");
}

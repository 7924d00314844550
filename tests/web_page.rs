//! The citizens' pages in headless Chromium (JavaScript disabled: plain HTML and forms): the
//! verification page — a valid result, a tampered one, the QR link, the English switch — and
//! the progress page before and after each step; screenshots are kept under
//! target/tmp/web-page/ and target/tmp/progress-page/.

mod common;

use std::{path::Path, process::Command};

use common::*;
use ketqua::proto::v1 as pb;

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// node_modules with playwright-core: $KETQUA_PLAYWRIGHT_DIR or target/playwright (.ci/run
/// installs it there).
fn playwright_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var("KETQUA_PLAYWRIGHT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/playwright"));
    let found = dir.join("node_modules/playwright-core").exists()
        && Path::new("/usr/bin/chromium").exists()
        && tool_available("node");
    if !found {
        assert!(
            !under_ci(),
            "chromium, node and playwright-core ({}) are required under CI=true (.ci/run installs them)",
            dir.display()
        );
        eprintln!("SKIPPED: chromium, node or playwright-core missing");
        return None;
    }
    Some(dir)
}

/// Runs one of the browser scripts under tests/support and returns the JSON it prints.
fn drive(pw: &Path, script: &str, base: &str, out: &Path, items: &[String]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script);
    let output = Command::new("node")
        .arg(&script)
        .arg(base)
        .arg(out)
        .args(items)
        .env("NODE_PATH", pw.join("node_modules"))
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    eprintln!("{seen:#}");
    seen
}

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    out
}

#[tokio::test]
async fn the_page_shows_the_verdict_signer_and_status() {
    let Some(pw) = playwright_dir() else { return };
    let server = Server::start();
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let step = |c: &str| step_request(&code, c, "Đồng ý");
    client.appraise(step("stp-appraiser")).await.unwrap();
    client.approve(step("stp-approver")).await.unwrap();
    client
        .sign(sign_rendered_request(&code, "stp-approver"))
        .await
        .unwrap();
    client.r#return(step("stp-receiver")).await.unwrap();
    let result = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();

    let out = fresh_dir("web-page");
    let valid = out.join("valid.pdf");
    std::fs::write(&valid, &result.content).unwrap();
    // Tampered: one byte of the first revision (inside the signed range) changed.
    let mut bad = result.content.clone();
    let at = bad.len() / 10;
    bad[at] ^= 0x01;
    let tampered = out.join("tampered.pdf");
    std::fs::write(&tampered, &bad).unwrap();

    let seen = drive(
        &pw,
        "web_check.cjs",
        &server.http,
        &out,
        &[
            format!("valid={}", valid.display()),
            format!("tampered={}", tampered.display()),
            format!("qr=/v/{}", result.result_code),
            format!("english=/v/{}?lang=en", result.result_code),
        ],
    );
    let text = |case: &str, key: &str| seen[case][key].as_str().unwrap_or_default().to_owned();

    assert_eq!(text("valid", "verdict"), "HỢP LỆ");
    assert_eq!(text("valid", "lang"), "vi");
    let summary = text("valid", "summary");
    assert!(summary.contains("Sở Tư pháp"), "{summary}");
    assert!(summary.contains("(UTC+07:00)"), "{summary}");
    assert!(summary.contains("theo dấu thời gian"), "{summary}");
    assert_eq!(seen["valid"]["details"], 1, "details folded below");
    assert_eq!(seen["valid"]["details_open"], 0);
    assert_eq!(seen["valid"]["status_role"], 1);
    assert_eq!(seen["valid"]["labelled_file"], 1);

    assert_eq!(text("tampered", "verdict"), "KHÔNG HỢP LỆ");
    assert!(!text("tampered", "reason").is_empty());

    assert_eq!(text("qr", "verdict"), "HỢP LỆ");
    assert!(text("qr", "summary").contains("Còn hiệu lực"));
    assert!(text("qr", "summary").contains(&result.result_code));
    assert_eq!(text("english", "verdict"), "VALID");
    assert_eq!(text("english", "lang"), "en");
    assert!(text("english", "summary").contains("In force"));
    for name in ["valid", "tampered", "qr", "english"] {
        assert!(out.join(format!("{name}.png")).exists());
    }
}

#[tokio::test]
async fn the_progress_page_follows_the_dossier_step_by_step() {
    let Some(pw) = playwright_dir() else { return };
    let server = Server::start();
    let mut client = server.dossiers().await;
    let out = fresh_dir("progress-page");
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let page = format!("/d/{code}");
    let look = |items: &[String]| drive(&pw, "progress_check.cjs", &server.http, &out, items);
    let text = |seen: &serde_json::Value, case: &str, key: &str| {
        seen[case][key].as_str().unwrap_or_default().to_owned()
    };

    let seen = look(&[
        format!("received={page}"),
        format!("lookup=lookup:{code}"),
        format!("english={page}?lang=en"),
        "malformed=/d/000.00.12.H47-261322-0001".to_owned(),
        "unknown=/d/000.00.12.H47-261122-9999".to_owned(),
    ]);
    assert_eq!(text(&seen, "received", "lang"), "vi");
    assert_eq!(text(&seen, "received", "state"), "đã tiếp nhận");
    assert_eq!(text(&seen, "received", "timeliness"), "trong hạn");
    assert_eq!(seen["received"]["steps"], 1);
    assert!(text(&seen, "received", "summary").contains("Sở Tư pháp"));
    assert_eq!(seen["received"]["applicant_form"], 1);
    assert!(
        seen["received"]["applicant"].is_null(),
        "no name without the identifier"
    );
    assert!(!text(&seen, "received", "body").contains("Nguyễn Văn An"));
    assert!(seen["received"]["labelled_inputs"].as_u64().unwrap() >= 1);
    assert_eq!(
        text(&seen, "lookup", "state"),
        "đã tiếp nhận",
        "the lookup form leads here"
    );
    assert!(text(&seen, "lookup", "url").contains(&page));
    assert_eq!(text(&seen, "english", "lang"), "en");
    assert_eq!(text(&seen, "english", "state"), "received");
    assert_eq!(text(&seen, "english", "timeliness"), "on time");
    assert_eq!(seen["malformed"]["status"], 400);
    assert!(!text(&seen, "malformed", "error").is_empty());
    assert_eq!(seen["unknown"]["status"], 404);
    assert!(text(&seen, "unknown", "error").contains("Không có hồ sơ"));

    let missing = "Thiếu bản chụp hộ chiếu";
    client
        .request_supplement(step_request(&code, "stp-receiver", missing))
        .await
        .unwrap();
    let seen = look(&[
        format!("waiting={page}"),
        format!("wrong_id=applicant:{page}:079099000000"),
        format!("applicant=applicant:{page}:001099012345"),
    ]);
    assert_eq!(text(&seen, "waiting", "state"), "chờ bổ sung hồ sơ");
    assert_eq!(
        text(&seen, "waiting", "timeliness"),
        "tạm dừng, chờ bổ sung hồ sơ"
    );
    assert!(!text(&seen, "waiting", "waits").is_empty());
    assert!(
        !text(&seen, "waiting", "body").contains(missing),
        "notes are the applicant's"
    );
    assert!(!text(&seen, "wrong_id", "mismatch").is_empty());
    assert!(seen["wrong_id"]["applicant"].is_null());
    assert_eq!(text(&seen, "applicant", "applicant"), "Nguyễn Văn An");
    assert!(text(&seen, "applicant", "steps_text").contains(missing));
    assert_eq!(seen["applicant"]["applicant_form"], 0);

    let mut again = receive_request(JUDICIAL_RECORD, "stp-receiver");
    again.supplement_of = code.clone();
    client.receive(again).await.unwrap();
    let step = |c: &str, note: &str| step_request(&code, c, note);
    client.appraise(step("stp-appraiser", "Đủ")).await.unwrap();
    let extended = client
        .extend(pb::ExtendRequest {
            request_id: request_id("extend"),
            credential_id: "stp-approver".to_owned(),
            dossier_code: code.clone(),
            reason: "Cần xác minh thêm; xin lỗi ông/bà vì sự chậm trễ".to_owned(),
            working_days: 30,
            ..pb::ExtendRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let seen = look(&[format!("extended={page}")]);
    assert!(text(&seen, "extended", "timeliness").contains("đã gia hạn"));
    assert!(text(&seen, "extended", "extensions").contains("xin lỗi"));
    let (y, m, d) = {
        let p: Vec<&str> = extended.due_date.split('-').collect();
        (p[0].to_owned(), p[1].to_owned(), p[2].to_owned())
    };
    assert_eq!(text(&seen, "extended", "due"), format!("{d}/{m}/{y}"));
    assert_eq!(seen["extended"]["steps"], 5);

    client
        .approve(step("stp-approver", "Đồng ý"))
        .await
        .unwrap();
    client
        .sign(sign_rendered_request(&code, "stp-approver"))
        .await
        .unwrap();
    client
        .r#return(step("stp-receiver", "Đã trả"))
        .await
        .unwrap();
    let seen = look(&[
        format!("returned={page}"),
        format!("returned_en={page}?lang=en"),
    ]);
    assert_eq!(text(&seen, "returned", "state"), "đã trả kết quả");
    assert!(text(&seen, "returned", "timeliness").contains("hoàn thành đúng hạn"));
    assert_eq!(seen["returned"]["steps"], 8);
    let results = seen["returned"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let link = results[0].as_str().unwrap();
    assert!(link.starts_with(&format!("/v/{code}-KQ")), "{link}");
    assert_eq!(text(&seen, "returned_en", "state"), "result returned");
    // The result's link is the verification page, which judges it valid.
    let seen = drive(
        &pw,
        "web_check.cjs",
        &server.http,
        &out,
        &[format!("result={link}")],
    );
    assert_eq!(text(&seen, "result", "verdict"), "HỢP LỆ");
    for name in ["received", "waiting", "applicant", "extended", "returned"] {
        assert!(out.join(format!("{name}.png")).exists());
    }
}

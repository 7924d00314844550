//! The citizens' verification page in headless Chromium (JavaScript disabled: the page is a
//! plain form): a valid result, a tampered one, the QR link, the English switch; screenshots
//! are kept under target/tmp/web-page/.

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

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-page");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let valid = out.join("valid.pdf");
    std::fs::write(&valid, &result.content).unwrap();
    // Tampered: one byte of the first revision (inside the signed range) changed.
    let mut bad = result.content.clone();
    let at = bad.len() / 10;
    bad[at] ^= 0x01;
    let tampered = out.join("tampered.pdf");
    std::fs::write(&tampered, &bad).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/web_check.cjs");
    let output = Command::new("node")
        .arg(script)
        .arg(&server.http)
        .arg(&out)
        .arg(format!("valid={}", valid.display()))
        .arg(format!("tampered={}", tampered.display()))
        .arg(format!("qr=/v/{}", result.result_code))
        .arg(format!("english=/v/{}?lang=en", result.result_code))
        .env("NODE_PATH", pw.join("node_modules"))
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "web_check.cjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    eprintln!("{seen:#}");
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

//! A result the service issued, countersigned afterwards by another party's tool — pyHanko
//! adding a new invisible signature field, timestamped by the service's own `/tsa` — as a bank
//! or another agency would. DocMDP P=2 permits signing, and signing tools update the
//! catalog's /Version, /Extensions and /Metadata as they do it: every signature stays VALID.

mod common;

use std::process::Command;

use common::*;
use ketqua::{
    pki::KeyStore,
    proto::v1 as pb,
    verify::{self, TrustConfig, Verdict},
};
use time::OffsetDateTime;

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (CI installs it): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_countersignature_by_pyhanko_keeps_the_result_valid() {
    for tool in ["pyhanko", "openssl"] {
        assert!(tool_available(tool), "{tool} is needed (CI installs it)");
    }
    let server = Server::start();
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let step = |c: &str, note: &str| step_request(&code, c, note);
    client
        .appraise(step("stp-appraiser", "Đủ điều kiện"))
        .await
        .unwrap();
    client
        .approve(step("stp-approver", "Đồng ý"))
        .await
        .unwrap();
    client
        .sign(sign_request(&code, "stp-approver"))
        .await
        .unwrap();
    client
        .r#return(step("stp-receiver", "Đã trả"))
        .await
        .unwrap();
    let result = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
        .content;

    // The other party: a credential of another department, as a PKCS#12 file.
    let dir = server.dir.path();
    let pki = server.pki_dir();
    let id = "skhdt-approver";
    let cred = pki.join(format!("credentials/{id}"));
    let key_pem = dir.join("other.key");
    let p12 = dir.join("other.p12");
    run(
        "openssl",
        &[
            "pkey",
            "-inform",
            "DER",
            "-in",
            cred.join("key.pk8").to_str().unwrap(),
            "-out",
            key_pem.to_str().unwrap(),
        ],
    );
    run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-passout",
            "pass:",
            "-inkey",
            key_pem.to_str().unwrap(),
            "-in",
            cred.join("cert.pem").to_str().unwrap(),
            "-certfile",
            pki.join("skhdt/ca.pem").to_str().unwrap(),
            "-out",
            p12.to_str().unwrap(),
        ],
    );
    let issued = dir.join("issued.pdf");
    let countersigned = dir.join("countersigned.pdf");
    std::fs::write(&issued, &result).unwrap();
    let tsa = format!("{}/tsa", server.http);
    run(
        "pyhanko",
        &[
            "sign",
            "addsig",
            "--field",
            "Countersignature",
            "--timestamp-url",
            &tsa,
            "pkcs12",
            "--no-pass",
            issued.to_str().unwrap(),
            countersigned.to_str().unwrap(),
            p12.to_str().unwrap(),
        ],
    );
    let pdf = std::fs::read(&countersigned).unwrap();
    assert!(
        pdf.len() > result.len() && pdf.starts_with(&result),
        "an incremental update"
    );

    let keys = KeyStore::load(&pki).unwrap();
    let trust = TrustConfig {
        anchors_der: vec![keys.root_der().to_vec()],
        crls_der: keys.crls_der(),
    };
    let report = verify::verify(&pdf, &trust, None, OffsetDateTime::now_utc());
    assert_eq!(report.signatures.len(), 3, "{}", report.human());
    for signature in &report.signatures {
        assert_eq!(
            signature.verdict,
            Verdict::Valid,
            "{}: {}",
            signature.field,
            report.human()
        );
    }
    assert_eq!(report.verdict, Verdict::Valid, "{}", report.human());
    // The service's signatures saw the countersignature and its metadata, and allowed them.
    let certification = &report.signatures[0];
    assert!(
        certification
            .coverage
            .allowed_updates
            .iter()
            .any(|u| u == "later signature"),
        "{:?}",
        certification.coverage
    );
}

//! `ketqua verify FILE.pdf`: offline verification with the engine in [`ketqua::verify`], and
//! `ketqua bench verify`: verifications per second against pyHanko on the same files.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use ketqua::verify::{self, TrustConfig, Verdict};

/// Exit status of `ketqua verify`: 0 only for VALID.
pub fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Valid => 0,
        Verdict::Invalid => 1,
        Verdict::Indeterminate => 2,
    }
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The signed PDF.
    pub file: PathBuf,
    /// A trust anchor (PEM or DER certificate); repeat for several.
    #[arg(long = "trust", value_name = "ROOT.pem")]
    pub trust: Vec<PathBuf>,
    /// A CRL (PEM or DER) to use besides those embedded in the document; repeat for several.
    #[arg(long = "crl", value_name = "FILE.crl")]
    pub crl: Vec<PathBuf>,
    /// Trust a development PKI directory's root.pem and CRLs (development profile only).
    #[arg(long, value_name = "DIR")]
    pub dev_pki: Option<PathBuf>,
    /// `development` trusts ./certs/dev when no anchor is given; `production` never does.
    #[arg(long, env = "KETQUA_PROFILE", default_value = "production")]
    pub profile: String,
    /// Print the full report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Trust anchors and CRLs from files, plus a development PKI's root and CRLs.
pub fn trust_from_files(
    anchors: &[PathBuf],
    crls: &[PathBuf],
    dev_pki: Option<&Path>,
) -> anyhow::Result<TrustConfig> {
    let keys = dev_pki
        .map(|dir| {
            ketqua::pki::KeyStore::load(dir)
                .with_context(|| format!("loading the development PKI in {}", dir.display()))
        })
        .transpose()?;
    ketqua::server::load_trust(anchors, crls, keys.as_ref())
}

/// Runs `ketqua verify`; returns the exit status.
pub fn run(args: &VerifyArgs) -> anyhow::Result<u8> {
    let dev = match (&args.dev_pki, args.profile.as_str()) {
        (Some(dir), _) => Some(dir.clone()),
        (None, "development" | "dev") if args.trust.is_empty() => {
            Some(PathBuf::from(ketqua::server::DEFAULT_PKI_DIR))
        }
        (None, "development" | "dev" | "production" | "prod") => None,
        (None, other) => bail!("unknown profile `{other}`; use development or production"),
    };
    let trust = trust_from_files(&args.trust, &args.crl, dev.as_deref())?;
    let pdf =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let report = verify::verify(&pdf, &trust, None, time::OffsetDateTime::now_utc());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.human());
        if trust.anchors_der.is_empty() {
            println!("  (no trust anchor given: use --trust ROOT.pem)");
        }
    }
    Ok(exit_code(report.verdict))
}

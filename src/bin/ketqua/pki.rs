//! `ketqua pki …`: the development hierarchy (init, TSA rotation) and a PKI directory's
//! credentials.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Subcommand;
use ketqua::{flow::Catalog, pki, server};

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Write a development hierarchy (root CA, timestamp authority, department CAs, officials
    /// and organisation seals) for the departments of the catalog, and its TLS material: a
    /// client CA, a server certificate for localhost, one client certificate per department
    /// system and one for an archivist, and the callers table granting them.
    Init {
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        out: PathBuf,
        /// Procedure catalog whose departments get credentials [default: the embedded one].
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Give the officials no activation PIN (for automation; by default they share one
        /// random PIN, written beside each key as `pin`).
        #[arg(long)]
        without_activation: bool,
        /// The service's public HTTP base, where the certificates say their CRLs
        /// (`<url>/pki/…`) and OCSP responder (`<url>/ocsp`) are; give `serve` the same
        /// --public-url.
        #[arg(long, env = "KETQUA_PUBLIC_URL", default_value = pki::DEFAULT_PUBLIC_URL)]
        public_url: String,
    },
    /// Print the Argon2id hash of a PIN (read from stdin, one line), for a credential's
    /// `pin_argon2id` in credentials.toml.
    HashPin,
    /// Make a TOTP secret (RFC 6238) for an official: prints the `totp_secret = "…"` line for
    /// the credential in credentials.toml (sealed under the key passphrase that `serve` is
    /// given) and the otpauth:// URI for the official's authenticator app, once.
    TotpSecret {
        /// The credential id, named in the URI so the app shows whose code it is.
        #[arg(long)]
        credential: String,
        /// The key passphrase (the first line of this file), the one `serve` is given.
        #[arg(long)]
        passphrase_file: PathBuf,
        /// The issuer the app shows.
        #[arg(long, default_value = "ketqua")]
        issuer: String,
    },
    /// List the credentials of a PKI directory: id, role, department, validity, subject.
    Credentials {
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        dir: PathBuf,
    },
    /// Give a development PKI a new timestamp authority certificate and key (the old ones
    /// stay), so that `archive renew` can extend results past the old certificate's expiry.
    /// Restart `serve` afterwards.
    RotateTsa {
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        dir: PathBuf,
        /// Validity of the new certificate, in days (at most until the root expires).
        #[arg(long, default_value_t = 3650)]
        valid_days: i64,
        /// The public HTTP base the new certificate's CRL and OCSP pointers name (as for
        /// `pki init`).
        #[arg(long, env = "KETQUA_PUBLIC_URL", default_value = pki::DEFAULT_PUBLIC_URL)]
        public_url: String,
    },
    /// Encrypt every key file of a PKI directory that is not yet encrypted (the credentials',
    /// the timestamp authority's and the log's) as PKCS#8 with PBES2 (scrypt, AES-256-CBC);
    /// `serve` then needs --key-passphrase-file or --key-passphrase-env.
    EncryptKeys {
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        dir: PathBuf,
        /// The passphrase, the first line of this file.
        #[arg(long)]
        passphrase_file: PathBuf,
    },
    /// Move a credential's key file (or the timestamp authority's) onto a PKCS#11 token: import
    /// it as a sensitive, non-extractable private key, check that the token signs for the
    /// certificate, point credentials.toml at the token URI and delete the key file.
    MoveKeyToToken {
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        pki_dir: PathBuf,
        /// The credential whose key moves.
        #[arg(long, required_unless_present = "tsa", conflicts_with = "tsa")]
        credential: Option<String>,
        /// Move the timestamp authority's key.
        #[arg(long)]
        tsa: bool,
        /// RFC 7512 URI of the token and the new key's label, e.g.
        /// `pkcs11:token=ketqua;object=stp-approver`.
        #[arg(long)]
        token_uri: String,
        /// The PKCS#11 module (added to the URI as module-path when it has none) [default:
        /// /usr/lib/softhsm/libsofthsm2.so].
        #[arg(long)]
        module: Option<PathBuf>,
        /// A file whose first line is the token's user PIN (added to the URI as pin-source).
        #[arg(long)]
        pin_file: Option<PathBuf>,
        /// The passphrase of an encrypted key file, the first line of this file.
        #[arg(long)]
        key_passphrase_file: Option<PathBuf>,
        /// Keep the key file after the move (by default it is deleted).
        #[arg(long)]
        keep_key_file: bool,
    },
    /// Validate a certificate's path to a trust anchor as the verifier does (RFC 5280: signatures,
    /// validity, CRLs, basic and name constraints, key usage, policies): exit 0 only for a valid
    /// path, 1 invalid, 2 indeterminate (3: the input cannot be read), with the reason naming
    /// the certificate at fault. Run it
    /// on an official's, a seal's or a department system's certificate before installing it.
    CheckPath(crate::check_path::CheckPathArgs),
    /// Revoke a development client certificate (`clients/<NAME>.pem`): it is added to
    /// client-ca.crl, and the server refuses its handshake once restarted.
    RevokeClient {
        name: String,
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        dir: PathBuf,
    },
}

/// Runs a `ketqua pki …` command.
pub fn run(command: PkiCommand) -> anyhow::Result<()> {
    match command {
        PkiCommand::CheckPath(args) => {
            // 0, 1 and 2 are verdicts; input that cannot be read is 3, never taken for one.
            let code = match crate::check_path::run(&args) {
                Ok(code) => code,
                Err(error) => {
                    eprintln!("error: {error:#}");
                    3
                }
            };
            if code != 0 {
                let _ = std::io::Write::flush(&mut std::io::stdout());
                std::process::exit(code.into());
            }
            Ok(())
        }
        PkiCommand::Init {
            out,
            catalog,
            without_activation,
            public_url,
        } => init(&out, catalog.as_deref(), !without_activation, &public_url),
        PkiCommand::HashPin => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the PIN from stdin")?;
            let pin = line.trim_end_matches(['\r', '\n']);
            if pin.is_empty() {
                bail!("the PIN is empty");
            }
            println!("{}", pki::hash_pin(pin)?);
            Ok(())
        }
        PkiCommand::TotpSecret {
            credential,
            passphrase_file,
            issuer,
        } => {
            let passphrase = server::read_passphrase_file(&passphrase_file)?;
            let secret = pki::random_totp_secret()?;
            let sealed = pki::seal_totp_secret(&secret, &passphrase)?;
            println!("totp_secret = \"{sealed}\"");
            println!("{}", pki::otpauth_uri(&secret, &issuer, &credential));
            eprintln!(
                "add the first line to credential {credential:?} in credentials.toml; give the URI (a secret) to the official only, e.g. as a QR code, and keep no copy"
            );
            Ok(())
        }
        PkiCommand::Credentials { dir } => {
            let keys = pki::KeyStore::load(&dir)
                .with_context(|| format!("loading the PKI in {}", dir.display()))?;
            for credential in keys.credentials() {
                let info = credential.info();
                println!(
                    "{}\t{}\t{}\t{} .. {}\t{}",
                    info.id,
                    info.role,
                    info.department,
                    date(info.not_before),
                    date(info.not_after),
                    info.subject
                );
            }
            Ok(())
        }
        PkiCommand::EncryptKeys {
            dir,
            passphrase_file,
        } => {
            let passphrase = server::read_passphrase_file(&passphrase_file)?;
            let done = pki::encrypt_key_files(&dir, &passphrase)
                .with_context(|| format!("encrypting the keys of {}", dir.display()))?;
            for path in &done {
                println!("encrypted {}", path.display());
            }
            println!(
                "{} key file(s) encrypted; start `ketqua serve` with --key-passphrase-file",
                done.len()
            );
            Ok(())
        }
        PkiCommand::MoveKeyToToken {
            pki_dir,
            credential,
            tsa,
            token_uri,
            module,
            pin_file,
            key_passphrase_file,
            keep_key_file,
        } => {
            let target = match (credential, tsa) {
                (Some(id), false) => pki::MoveTarget::Credential(id),
                _ => pki::MoveTarget::Tsa,
            };
            let access = pki::KeyAccess {
                passphrase: key_passphrase_file
                    .as_deref()
                    .map(server::read_passphrase_file)
                    .transpose()?,
                ..pki::KeyAccess::default()
            };
            let moved = pki::move_key_to_token(&pki::TokenMove {
                dir: &pki_dir,
                target,
                uri: &token_uri,
                module: module.as_deref(),
                pin_file: pin_file.as_deref(),
                access: &access,
                keep_key_file,
            })
            .with_context(|| format!("moving a key of {} onto a token", pki_dir.display()))?;
            println!("the key is on the token: {}", moved.uri);
            if moved.removed {
                println!("deleted {}", moved.key_file.display());
            } else {
                println!(
                    "kept {}; it still holds the key in the clear or encrypted: delete it when no longer needed",
                    moved.key_file.display()
                );
            }
            println!("restart `ketqua serve` to sign with the token");
            Ok(())
        }
        PkiCommand::RevokeClient { name, dir } => {
            pki::revoke_dev_client(&dir, &name)
                .with_context(|| format!("revoking the client certificate {name:?}"))?;
            println!(
                "revoked {}; restart `ketqua serve` so that it reads {}",
                pki::dev_client_files(&dir, &name).0.display(),
                dir.join(pki::CLIENT_CA_CRL_FILE).display()
            );
            Ok(())
        }
        PkiCommand::RotateTsa {
            dir,
            valid_days,
            public_url,
        } => {
            let info = pki::rotate_dev_tsa(&dir, valid_days, &public_url)
                .with_context(|| format!("rotating the TSA of {}", dir.display()))?;
            println!(
                "new timestamp authority certificate {} valid {} .. {}; restart `ketqua serve` to use it",
                hex::encode(info.fingerprint),
                date(info.not_before),
                date(info.not_after)
            );
            Ok(())
        }
    }
}

fn init(
    out: &Path,
    catalog: Option<&Path>,
    with_pins: bool,
    public_url: &str,
) -> anyhow::Result<()> {
    let catalog = match catalog {
        Some(path) => Catalog::from_toml(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?,
        None => Catalog::embedded_default(),
    };
    if pki::dev_pki_exists(out) {
        bail!(
            "{} already holds a PKI (root.pem exists); remove it first to make a new one",
            out.display()
        );
    }
    let departments = server::dev_departments(&catalog);
    let summary = pki::init_dev_pki_with(out, &departments, with_pins, public_url)?;
    if !pki::dev_tls_exists(out) {
        server::init_dev_tls(out, &departments)?;
    }
    println!(
        "wrote a development PKI with {} credentials to {} (trust anchor: {})",
        summary.credentials.len(),
        out.display(),
        out.join("root.pem").display()
    );
    println!(
        "TLS: server {}, client CA {}, client certificates in {}, callers {}",
        out.join(pki::SERVER_CERT_FILE).display(),
        out.join(pki::CLIENT_CA_FILE).display(),
        out.join(pki::CLIENTS_DIR).display(),
        out.join(server::CALLERS_FILE).display()
    );
    for info in &summary.credentials {
        println!(
            "{}\t{}\t{}\t{}",
            info.id, info.role, info.department, info.subject
        );
    }
    Ok(())
}

fn date(t: time::OffsetDateTime) -> String {
    t.date().to_string()
}

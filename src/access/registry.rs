//! The callers table: which certificate is which caller, and what it is granted. It is read
//! from the `[[callers]]` entries of the configuration (the development PKI writes
//! `<pki>/callers.toml` for its own clients).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::caller::{Caller, Departments, Permission, PermissionSet};
use crate::crypto::sha256;

/// One `[[callers]]` entry as written in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CallerRule {
    /// A short name for logs and the audit trail, e.g. "stp-system".
    pub name: String,
    /// The SHA-256 of the certificate's SubjectPublicKeyInfo, hex: survives re-issuing a
    /// certificate for the same key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spki_sha256: Option<String>,
    /// Or the subject and issuer names, as `ketqua pki show-caller` prints them (RFC 4514).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The department ids it acts for; `["*"]` for all.
    pub departments: Vec<String>,
    /// Any of "flow", "sign", "read", "admin".
    pub may: Vec<String>,
}

/// How a rule recognises a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Spki([u8; 32]),
    Names { subject: String, issuer: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("caller {name:?}: {problem}")]
    Rule { name: String, problem: String },
    #[error("the callers file is not valid TOML: {0}")]
    Toml(String),
    #[error("the client certificate cannot be read: {0}")]
    Certificate(String),
}

#[derive(Debug, Clone)]
struct Compiled {
    name: String,
    identity: Identity,
    departments: Departments,
    may: PermissionSet,
}

/// The callers a deployment knows.
#[derive(Debug, Clone, Default)]
pub struct Callers {
    rules: Vec<Compiled>,
}

/// What a certificate says about its holder, as the rules match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub subject: String,
    pub issuer: String,
    pub spki_sha256: [u8; 32],
    pub fingerprint: [u8; 32],
}

impl Presented {
    pub fn from_der(der: &[u8]) -> Result<Presented, RegistryError> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| RegistryError::Certificate(e.to_string()))?;
        Ok(Presented {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            spki_sha256: sha256(cert.public_key().raw),
            fingerprint: sha256(der),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallersFile {
    #[serde(default)]
    callers: Vec<CallerRule>,
}

impl Callers {
    pub fn new(rules: &[CallerRule]) -> Result<Callers, RegistryError> {
        let mut names = BTreeSet::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            let problem = |problem: String| RegistryError::Rule {
                name: rule.name.clone(),
                problem,
            };
            if rule.name.trim().is_empty() {
                return Err(problem("the name is empty".to_owned()));
            }
            if !names.insert(rule.name.clone()) {
                return Err(problem("the name is used twice".to_owned()));
            }
            let identity = match (&rule.spki_sha256, &rule.subject, &rule.issuer) {
                (Some(hex_digest), None, None) => {
                    let bytes = hex::decode(hex_digest.trim())
                        .ok()
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                        .ok_or_else(|| {
                            problem(format!(
                                "spki_sha256 {hex_digest:?} is not 64 hexadecimal digits"
                            ))
                        })?;
                    Identity::Spki(bytes)
                }
                (None, Some(subject), Some(issuer)) => Identity::Names {
                    subject: subject.trim().to_owned(),
                    issuer: issuer.trim().to_owned(),
                },
                _ => {
                    return Err(problem(
                        "name the certificate either by spki_sha256 or by subject and issuer"
                            .to_owned(),
                    ))
                }
            };
            let departments = if rule.departments.iter().any(|d| d == "*") {
                if rule.departments.len() > 1 {
                    return Err(problem(
                        "departments is either [\"*\"] or a list of ids, not both".to_owned(),
                    ));
                }
                Departments::All
            } else {
                Departments::Only(rule.departments.iter().cloned().collect())
            };
            let may = rule
                .may
                .iter()
                .map(|word| {
                    Permission::parse(word).ok_or_else(|| {
                        problem(format!(
                            "{word:?} is not a permission: use flow, sign, read or admin"
                        ))
                    })
                })
                .collect::<Result<PermissionSet, _>>()?;
            compiled.push(Compiled {
                name: rule.name.clone(),
                identity,
                departments,
                may,
            });
        }
        Ok(Callers { rules: compiled })
    }

    /// Reads a TOML document of `[[callers]]` entries.
    pub fn from_toml(text: &str) -> Result<Callers, RegistryError> {
        Callers::new(&Callers::rules_of(text)?)
    }

    /// The `[[callers]]` entries of a TOML document, unchecked (to merge with others first).
    pub fn rules_of(text: &str) -> Result<Vec<CallerRule>, RegistryError> {
        let file: CallersFile =
            toml::from_str(text).map_err(|e| RegistryError::Toml(e.to_string()))?;
        Ok(file.callers)
    }

    /// Writes rules as a TOML document that [`Callers::from_toml`] reads back.
    pub fn to_toml(rules: &[CallerRule]) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            callers: &'a [CallerRule],
        }
        toml::to_string(&Out { callers: rules }).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The caller a client certificate (already verified by the TLS handshake) belongs to.
    /// A certificate no rule names is an authenticated caller with no grant.
    pub fn identify(&self, certificate_der: &[u8]) -> Result<Caller, RegistryError> {
        let presented = Presented::from_der(certificate_der)?;
        let fingerprint = hex::encode(presented.fingerprint);
        let rule = self.rules.iter().find(|rule| match &rule.identity {
            Identity::Spki(digest) => *digest == presented.spki_sha256,
            Identity::Names { subject, issuer } => {
                *subject == presented.subject && *issuer == presented.issuer
            }
        });
        Ok(match rule {
            Some(rule) => Caller::known(
                &rule.name,
                presented.subject,
                fingerprint,
                rule.departments.clone(),
                rule.may.clone(),
            ),
            None => Caller::unknown(presented.subject, fingerprint),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> CallerRule {
        CallerRule {
            name: name.to_owned(),
            spki_sha256: Some("00".repeat(32)),
            subject: None,
            issuer: None,
            departments: vec!["stp".to_owned()],
            may: vec!["flow".to_owned(), "read".to_owned()],
        }
    }

    #[test]
    fn rules_round_trip_through_toml() {
        let rules = vec![rule("a"), rule("b")];
        let callers = Callers::from_toml(&Callers::to_toml(&rules)).unwrap();
        assert_eq!(callers.len(), 2);
    }

    #[test]
    fn malformed_rules_are_refused_with_the_callers_name() {
        let mut bad = rule("x");
        bad.may.push("everything".to_owned());
        let err = Callers::new(&[bad]).unwrap_err().to_string();
        assert!(err.contains("\"x\"") && err.contains("everything"), "{err}");

        let mut both = rule("y");
        both.subject = Some("CN=y".to_owned());
        assert!(Callers::new(&[both]).is_err());

        let mut star = rule("z");
        star.departments.push("*".to_owned());
        assert!(Callers::new(&[star]).is_err());

        assert!(Callers::new(&[rule("d"), rule("d")]).is_err());
        assert!(Callers::from_toml("[[callers]]\nname = 1").is_err());
    }

    #[test]
    fn garbage_certificates_are_an_error_not_a_caller() {
        assert!(matches!(
            Callers::default().identify(b"not a certificate"),
            Err(RegistryError::Certificate(_))
        ));
    }
}

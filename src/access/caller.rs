//! A caller and the test every use case applies to it.

use std::{collections::BTreeSet, fmt};

/// What a caller may do, for the departments it acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// Run the flow: Receive, the steps, Sign, and the credentials list.
    Flow,
    /// Sign documents that are not results: SignDocument, Prepare/CompleteSignature.
    Sign,
    /// Read the archive: Get, GetRecord, Search, FindReusable, ExportPackage.
    Read,
    /// Administer: RevokeResult, RenewTimestamps.
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Permission::Flow,
        Permission::Sign,
        Permission::Read,
        Permission::Admin,
    ];

    /// The word used in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Flow => "flow",
            Permission::Sign => "sign",
            Permission::Read => "read",
            Permission::Admin => "admin",
        }
    }

    pub fn parse(word: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == word)
    }

    /// What the permission lets one do, for messages.
    fn doing(self) -> &'static str {
        match self {
            Permission::Flow => "run the flow",
            Permission::Sign => "sign documents",
            Permission::Read => "read the archive",
            Permission::Admin => "administer results",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub type PermissionSet = BTreeSet<Permission>;

/// The departments a caller acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departments {
    /// Every department of the catalog (`departments = ["*"]`): a province-wide archivist.
    All,
    Only(BTreeSet<String>),
}

impl Departments {
    pub fn contains(&self, department: &str) -> bool {
        match self {
            Departments::All => true,
            Departments::Only(set) => set.contains(department),
        }
    }
}

/// Why a caller may not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// No certificate, or one the deployment does not know.
    #[error("{0}")]
    Unauthenticated(String),
    /// A known caller without the grant for this department or this kind of call.
    #[error("{0}")]
    Denied(String),
}

/// Who is calling, as the interfaces established it, and the activation factor (an
/// official's PIN) the call carries, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    kind: Kind,
    departments: Departments,
    may: PermissionSet,
    activation: Option<Factor>,
}

/// An activation factor as the call gave it; never printed.
#[derive(Clone, PartialEq, Eq)]
struct Factor(String);

impl fmt::Debug for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Factor(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// No client certificate: only the public calls.
    Anonymous,
    /// A certificate the callers table names.
    Known {
        name: String,
        subject: String,
        /// SHA-256 of the certificate, hex.
        fingerprint: String,
    },
    /// A certificate from the client CA that the callers table does not name: authenticated
    /// but granted nothing.
    Unknown {
        subject: String,
        fingerprint: String,
    },
    /// The server itself (the renewal sweep), or every caller of a server started with
    /// `--insecure`: every permission for every department.
    Unrestricted { why: &'static str },
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            kind: Kind::Anonymous,
            departments: Departments::Only(BTreeSet::new()),
            may: PermissionSet::new(),
            activation: None,
        }
    }

    /// The same caller, giving `factor` to activate the credential its call names.
    pub fn with_activation(mut self, factor: &str) -> Caller {
        self.activation = Some(Factor(factor.to_owned()));
        self
    }

    /// The activation factor the call gives, if any.
    pub fn activation(&self) -> Option<&str> {
        self.activation.as_ref().map(|f| f.0.as_str())
    }

    /// Every permission for every department. `why` is what the audit trail records as the
    /// caller, e.g. "insecure" for a plaintext development server.
    pub fn unrestricted(why: &'static str) -> Caller {
        Caller {
            kind: Kind::Unrestricted { why },
            departments: Departments::All,
            may: Permission::ALL.into_iter().collect(),
            activation: None,
        }
    }

    pub(super) fn known(
        name: &str,
        subject: String,
        fingerprint: String,
        departments: Departments,
        may: PermissionSet,
    ) -> Caller {
        Caller {
            kind: Kind::Known {
                name: name.to_owned(),
                subject,
                fingerprint,
            },
            departments,
            may,
            activation: None,
        }
    }

    pub(super) fn unknown(subject: String, fingerprint: String) -> Caller {
        Caller {
            kind: Kind::Unknown {
                subject,
                fingerprint,
            },
            departments: Departments::Only(BTreeSet::new()),
            may: PermissionSet::new(),
            activation: None,
        }
    }

    /// The caller's configured name, if it has one.
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Known { name, .. } => Some(name),
            _ => None,
        }
    }

    /// How the audit trail names the caller: the certificate's subject and SHA-256.
    pub fn audit_name(&self) -> String {
        match &self.kind {
            Kind::Anonymous => "anonymous".to_owned(),
            Kind::Known {
                name,
                subject,
                fingerprint,
            } => format!("{name}: {subject} sha256:{fingerprint}"),
            Kind::Unknown {
                subject,
                fingerprint,
            } => format!("unknown: {subject} sha256:{fingerprint}"),
            Kind::Unrestricted { why } => (*why).to_owned(),
        }
    }

    /// Whether the caller holds `permission` for `department`.
    pub fn may(&self, permission: Permission, department: &str) -> bool {
        self.may.contains(&permission) && self.departments.contains(department)
    }

    /// Whether the caller holds `permission` for every department.
    pub fn may_everywhere(&self, permission: Permission) -> bool {
        self.may.contains(&permission) && self.departments == Departments::All
    }

    /// The departments the caller holds `permission` for.
    pub fn departments_for(&self, permission: Permission) -> Departments {
        if self.may.contains(&permission) {
            self.departments.clone()
        } else {
            Departments::Only(BTreeSet::new())
        }
    }

    /// Whether the caller acts for `department`, whatever it may do there.
    pub fn acts_for(&self, department: &str) -> bool {
        self.departments.contains(department)
    }

    /// The test of a call open to every known caller, whatever its grants (the credentials
    /// list: public certificates, shown for the departments the caller acts for).
    pub fn require_known(&self) -> Result<(), AccessError> {
        match self.kind {
            Kind::Known { .. } | Kind::Unrestricted { .. } => Ok(()),
            _ => self.require_some(Permission::Flow),
        }
    }

    /// The test of a use case that acts in `department`: authenticated first, then granted.
    pub fn require(&self, permission: Permission, department: &str) -> Result<(), AccessError> {
        self.require_some(permission)?;
        if self.departments.contains(department) {
            Ok(())
        } else {
            Err(AccessError::Denied(format!(
                "{} does not act for department {department:?}",
                self.who()
            )))
        }
    }

    /// The test of a use case that needs `permission` for at least one department (a search,
    /// which then sees only those departments).
    pub fn require_some(&self, permission: Permission) -> Result<(), AccessError> {
        if let Kind::Anonymous = self.kind {
            return Err(AccessError::Unauthenticated(
                "this call needs a client certificate: present the department system's certificate issued by the service's client CA".to_owned(),
            ));
        }
        if let Kind::Unknown { .. } = self.kind {
            return Err(AccessError::Denied(format!(
                "{} is not in the service's callers table: ask the operator to grant it",
                self.who()
            )));
        }
        if self.may.contains(&permission) {
            Ok(())
        } else {
            Err(AccessError::Denied(format!(
                "{} may not {}: it lacks the {permission} grant",
                self.who(),
                permission.doing()
            )))
        }
    }

    /// The test of a use case that spans every department (a renewal sweep).
    pub fn require_everywhere(&self, permission: Permission) -> Result<(), AccessError> {
        self.require_some(permission)?;
        if self.departments == Departments::All {
            Ok(())
        } else {
            Err(AccessError::Denied(format!(
                "{} may {} only for some departments; this call spans all of them",
                self.who(),
                permission.doing()
            )))
        }
    }

    fn who(&self) -> String {
        match &self.kind {
            Kind::Known { name, .. } => format!("caller {name:?}"),
            Kind::Unknown { subject, .. } => format!("the certificate {subject:?}"),
            Kind::Anonymous => "an anonymous caller".to_owned(),
            Kind::Unrestricted { why } => format!("the {why} caller"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stp_system() -> Caller {
        Caller::known(
            "stp-system",
            "CN=stp".into(),
            "00".into(),
            Departments::Only(["stp".to_owned()].into()),
            [Permission::Flow, Permission::Read].into(),
        )
    }

    #[test]
    fn a_department_system_acts_only_for_its_department_and_grants() {
        let caller = stp_system();
        assert!(caller.require(Permission::Flow, "stp").is_ok());
        assert!(matches!(
            caller.require(Permission::Flow, "skhdt"),
            Err(AccessError::Denied(m)) if m.contains("does not act for department \"skhdt\"")
        ));
        assert!(matches!(
            caller.require(Permission::Admin, "stp"),
            Err(AccessError::Denied(m)) if m.contains("lacks the admin grant")
        ));
        assert!(caller.require_everywhere(Permission::Read).is_err());
    }

    #[test]
    fn anonymous_and_unknown_callers_get_nothing() {
        assert!(matches!(
            Caller::anonymous().require(Permission::Read, "stp"),
            Err(AccessError::Unauthenticated(_))
        ));
        let unknown = Caller::unknown("CN=x".into(), "ff".into());
        assert!(matches!(
            unknown.require_some(Permission::Read),
            Err(AccessError::Denied(m)) if m.contains("not in the service's callers table")
        ));
        assert!(Caller::unrestricted("insecure")
            .require_everywhere(Permission::Admin)
            .is_ok());
    }
}

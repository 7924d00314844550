//! Who may do what. A caller is a department system or an archivist, known by the TLS client
//! certificate it presents; the deployment's `callers` table grants each the departments it
//! acts for and the permissions it holds there. The service asks this module before every use
//! case that touches a dossier, a credential or the archive; the interfaces only say who is
//! calling.
//!
//! Nothing here knows TLS or gRPC: a caller is found from the certificate's DER bytes.

mod caller;
mod policy;
mod registry;

pub use caller::{AccessError, Caller, Departments, Permission, PermissionSet};
pub use policy::Policy;
pub use registry::{CallerRule, Callers, Identity, Presented, RegistryError};

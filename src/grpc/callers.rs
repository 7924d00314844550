//! Who is calling: the client certificate the TLS handshake verified, as the service's access
//! policy knows it. The checks themselves are the use cases'.

use tonic::Request;

use crate::{access::Caller, archive::Archive, service::Service};

pub(super) fn caller_of<A: Archive, T>(service: &Service<A>, request: &Request<T>) -> Caller {
    let certificates = request.peer_certs();
    let leaf = certificates
        .as_ref()
        .and_then(|chain| chain.first())
        .map(|certificate| certificate.as_ref());
    service.caller(leaf)
}

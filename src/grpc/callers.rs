//! Who is calling: the client certificate the TLS handshake verified, as the service's access
//! policy knows it, and the official's activation factor from the `x-ketqua-activation`
//! metadata. The checks themselves are the use cases'.

use tonic::Request;

use crate::{
    access::Caller,
    archive::Archive,
    service::{Service, ACTIVATION_METADATA},
};

pub(super) fn caller_of<A: Archive, T>(service: &Service<A>, request: &Request<T>) -> Caller {
    let certificates = request.peer_certs();
    let leaf = certificates
        .as_ref()
        .and_then(|chain| chain.first())
        .map(|certificate| certificate.as_ref());
    let caller = service.caller(leaf);
    match request
        .metadata()
        .get(ACTIVATION_METADATA)
        .and_then(|value| value.to_str().ok())
    {
        Some(factor) => caller.with_activation(factor),
        None => caller,
    }
}

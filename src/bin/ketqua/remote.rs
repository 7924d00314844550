//! Talking to a running server: the default address, connecting, and gRPC statuses as errors
//! for the command line.

use anyhow::Context;
use tonic::transport::Channel;

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

pub async fn connect(server: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(server.to_owned())
        .with_context(|| format!("{server:?} is not a server URL like {DEFAULT_SERVER}"))?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {server}"))
}

pub fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

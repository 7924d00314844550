//! Code generated from `proto/ketqua/v1` by `build.rs` (protox and tonic-prost-build, no
//! `protoc` needed): the public API's messages, clients and servers, and the step record
//! format, whose bytes are what officials sign.

pub mod v1 {
    tonic::include_proto!("ketqua.v1");
}

/// The encoded descriptors of our protos, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ketqua_descriptor.bin"));

//! Compiles `proto/` with protox, a pure-Rust protobuf compiler, so building needs no `protoc`.
//! The encoded descriptor set is written next to the generated code for gRPC reflection.

use std::{env, path::PathBuf};

const PROTOS: &[&str] = &[
    "ketqua/v1/records.proto",
    "ketqua/v1/dossiers.proto",
    "ketqua/v1/signing.proto",
    "ketqua/v1/archive.proto",
    "ketqua/v1/verification.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    // sqlx::migrate! embeds the migrations at compile time: a new one must rebuild the crate.
    println!("cargo:rerun-if-changed=src/archive/migrations");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTOS)?;
    std::fs::write(
        out_dir.join("ketqua_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

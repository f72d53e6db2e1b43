//! The gRPC contracts of aidoc's services, generated at build time from
//! `proto/aidoc/*/v1/*.proto`, and the one closed [`ErrorCode`] enum that every
//! service and the gateway share.

pub mod error;

pub use error::{ErrorCode, retry_after_of, status_code_of};

/// The encoded file descriptor set of every aidoc package, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/aidoc_descriptor.bin"));

#[allow(clippy::all, missing_docs, rust_2018_idioms)]
pub mod parser {
    pub mod v1 {
        tonic::include_proto!("aidoc.parser.v1");
    }
}

#[allow(clippy::all, missing_docs, rust_2018_idioms)]
pub mod indexer {
    pub mod v1 {
        tonic::include_proto!("aidoc.indexer.v1");
    }
}

#[allow(clippy::all, missing_docs, rust_2018_idioms)]
pub mod api {
    pub mod v1 {
        tonic::include_proto!("aidoc.api.v1");
    }
}

#[allow(clippy::all, missing_docs, rust_2018_idioms)]
pub mod backup {
    pub mod v1 {
        tonic::include_proto!("aidoc.backup.v1");
    }
}

#[allow(clippy::all, missing_docs, rust_2018_idioms)]
pub mod common {
    pub mod v1 {
        tonic::include_proto!("aidoc.common.v1");
    }
}

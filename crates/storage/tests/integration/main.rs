//! aidoc-storage against real backends: a temporary folder and a real S3 server (s3s-fs, see
//! `aidoc_storage::testing`). The same suite ([`suite`]) runs on both.

mod fs;
mod s3;
mod suite;
mod support;

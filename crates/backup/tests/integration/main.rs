//! aidoc-backup against a real PostgreSQL (with pgvector), the real client tools, a real S3 server and the
//! filesystem store: backups restore exactly, damage is refused before anything changes, interrupted backups are
//! never usable, and the service schedules, reports and answers over gRPC.

mod archive;
mod interrupted;
mod restore;
mod service;
mod support;

//! Integration tests of aidoc-parser: the shared corpus (real files, broken ones
//! included), generated fixtures with JSON snapshots, and property tests.

mod corpus;
mod fixtures;
mod props;

//! Text analysis for aidoc's indexer and search.
//!
//! * [`tokenize`]: lexemes for the PostgreSQL `tsvector` keyword index, produced in Rust rather than by
//!   PostgreSQL's parser, so that Chinese (jieba), Japanese, Korean and technical identifiers
//!   (`PPR-9087`, `std::fs::read`, `/etc/nginx/nginx.conf`) are handled the same way for documents and
//!   queries; plus the `tsvector` / `tsquery` input literals the indexer binds as parameters.
//! * [`highlight`]: a query-centred, HTML-escaped snippet with `<mark>` around the matches, located with the
//!   same tokeniser.
//! * [`lang`]: a cheap language guess from script statistics.
//! * [`chunk`]: cuts a parsed document (headings, paragraphs, list items, tables, code) into chunks under a
//!   token budget for embedding and search, keeping heading paths and page ranges.
//!
//! Everything is synchronous, deterministic and free of I/O; jieba's bundled dictionary is loaded once, on
//! first use.

mod script;

pub mod chunk;
pub mod highlight;
pub mod lang;
pub mod tokenize;

pub use chunk::{Block, BlockKind, Chunk, ChunkerConfig, approx_tokens, chunk_document};
pub use highlight::snippet;
pub use lang::detect_language;

pub use tokenize::{
    MAX_LEXEME_BYTES, MAX_POSITION, QueryOp, Token, index_tokens, query_tokens, to_tsquery_literal, to_tsvector_literal,
};

//! aidoc-embed's integration tests: the real model (when installed), the OpenAI-compatible client against a
//! loopback server, and configuration.

mod local;
mod openai;
mod support;
mod tokenizer;

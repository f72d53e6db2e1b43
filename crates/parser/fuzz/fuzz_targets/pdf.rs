//! Fuzzes the PDF parser directly (not through `aidoc_parser::parse`, which would
//! turn a panic into an error and hide it from the fuzzer).
#![no_main]

use aidoc_parser::{Budget, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits =
        Limits { timeout: std::time::Duration::from_secs(10), max_decompressed_bytes: 64 << 20, ..Limits::default() };
    let mut budget = Budget::new(&limits);
    let _ = aidoc_parser::pdf::parse(data, &limits, &mut budget);
});

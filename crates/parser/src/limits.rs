//! Limits on what one document may cost, and the deadline that enforces time.

use std::time::{Duration, Instant};

use crate::error::{ParseError, Result};

/// Per-document limits. Every one has a typed error (`too_large` or `timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the input file.
    pub max_bytes: u64,
    pub max_pages: u32,
    /// PDF objects, or parts in a DOCX package.
    pub max_objects: u64,
    /// Total bytes inflated from flate streams or zip entries (bomb guard).
    pub max_decompressed_bytes: u64,
    /// Form XObject / table / list / HTML element nesting.
    pub max_nesting_depth: u32,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 100 * 1024 * 1024,
            max_pages: 10_000,
            max_objects: 2_000_000,
            max_decompressed_bytes: 1024 * 1024 * 1024,
            max_nesting_depth: 64,
            timeout: Duration::from_secs(60),
        }
    }
}

/// The running budget of one parse: time and decompressed bytes.
#[derive(Debug)]
pub struct Budget {
    start: Instant,
    deadline: Instant,
    limit_ms: u64,
    inflated: u64,
    max_inflated: u64,
}

impl Budget {
    pub fn new(limits: &Limits) -> Self {
        let start = Instant::now();
        Budget {
            start,
            deadline: start + limits.timeout,
            limit_ms: limits.timeout.as_millis() as u64,
            inflated: 0,
            max_inflated: limits.max_decompressed_bytes,
        }
    }

    /// Fails with `timeout` once the deadline has passed.
    pub fn check_time(&self) -> Result<()> {
        if Instant::now() > self.deadline {
            return Err(ParseError::Timeout { limit_ms: self.limit_ms });
        }
        Ok(())
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Bytes still allowed to be inflated.
    pub fn inflate_allowance(&self) -> u64 {
        self.max_inflated.saturating_sub(self.inflated)
    }

    /// Counts `n` inflated bytes; fails with `too_large` past the limit.
    pub fn add_inflated(&mut self, n: u64) -> Result<()> {
        self.inflated = self.inflated.saturating_add(n);
        if self.inflated > self.max_inflated {
            return Err(ParseError::TooLarge { what: "decompressed bytes", limit: self.max_inflated });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflate_budget_is_enforced() {
        let limits = Limits { max_decompressed_bytes: 10, ..Limits::default() };
        let mut b = Budget::new(&limits);
        b.add_inflated(6).unwrap();
        assert_eq!(b.inflate_allowance(), 4);
        let err = b.add_inflated(6).unwrap_err();
        assert_eq!(err.code(), "too_large");
    }

    #[test]
    fn zero_timeout_expires() {
        let limits = Limits { timeout: Duration::ZERO, ..Limits::default() };
        let b = Budget::new(&limits);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(b.check_time().unwrap_err().code(), "timeout");
    }
}

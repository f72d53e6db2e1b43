//! Keyed token buckets, in process: each key holds up to `burst` tokens that
//! refill at `per_minute / 60` per second; a request takes one. Limits are
//! per gateway instance (the edge spreads clients over instances).

use crate::config::Limit;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 16;
/// Idle keys are dropped once a shard holds this many.
const SWEEP_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    limit: Limit,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
}

impl RateLimiter {
    pub fn new(limit: Limit) -> Self {
        RateLimiter { limit, shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect() }
    }

    pub fn enabled(&self) -> bool {
        self.limit.per_minute > 0
    }

    fn rate(&self) -> f64 {
        f64::from(self.limit.per_minute) / 60.0
    }

    /// Takes a token for `key`: `Ok` or `Err(time until one is available)`.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if !self.enabled() {
            return Ok(());
        }
        let burst = f64::from(self.limit.burst.max(1));
        let rate = self.rate();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let shard = &self.shards[(h.finish() as usize) % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            // A bucket refilled to the brim is the same as no bucket.
            let full_after = Duration::from_secs_f64(burst / rate);
            map.retain(|_, b| now.saturating_duration_since(b.at) < full_after);
        }
        let b = map.entry(key.to_owned()).or_insert(Bucket { tokens: burst, at: now });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }

    /// Forgets `key` (a successful sign-in clears its failures' budget).
    pub fn reset(&self, key: &str) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let shard = &self.shards[(h.finish() as usize) % SHARDS];
        shard.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// Whole seconds for `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refills_at_the_rate_per_key() {
        let l = RateLimiter::new(Limit { per_minute: 60, burst: 3 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at("a", t0).is_ok());
        }
        let wait = l.check_at("a", t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(l.check_at("b", t0).is_ok(), "keys are independent");
        assert!(l.check_at("a", t0 + Duration::from_millis(500)).is_err());
        assert!(l.check_at("a", t0 + Duration::from_millis(1100)).is_ok(), "one token back after a second");
        assert!(l.check_at("a", t0 + Duration::from_millis(1200)).is_err());
        l.reset("a");
        assert!(l.check_at("a", t0 + Duration::from_millis(1200)).is_ok());
    }

    #[test]
    fn zero_per_minute_is_off_and_retry_after_rounds_up() {
        let l = RateLimiter::new(Limit { per_minute: 0, burst: 0 });
        for _ in 0..1000 {
            assert!(l.check("x").is_ok());
        }
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(12)), 12);
        assert_eq!(retry_after_secs(Duration::from_millis(12_001)), 13);
    }
}

//! MCP sessions: opened by `initialize`, bound to the caller who opened
//! them, ended by DELETE or after an hour unused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Unused sessions end after this.
const IDLE: Duration = Duration::from_secs(3600);
/// Most open sessions per process; the least recently used end first.
const MAX: usize = 10_000;

struct Session {
    user_id: String,
    last_seen: Instant,
}

#[derive(Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for `user_id`; returns its id.
    pub fn open(&self, user_id: &str) -> String {
        use rand::Rng;
        let mut bytes = [0u8; 24];
        rand::rng().fill(&mut bytes[..]);
        let id = hex::encode(bytes);
        let now = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| now.duration_since(s.last_seen) < IDLE);
        if map.len() >= MAX
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), Session { user_id: user_id.to_owned(), last_seen: now });
        id
    }

    /// Whether `id` is an open session of `user_id`; marks it used.
    pub fn touch(&self, id: &str, user_id: &str) -> bool {
        let now = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(id) {
            Some(s) if s.user_id == user_id && now.duration_since(s.last_seen) < IDLE => {
                s.last_seen = now;
                true
            }
            _ => false,
        }
    }

    /// Ends `id` when it belongs to `user_id`.
    pub fn end(&self, id: &str, user_id: &str) -> bool {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(id).is_some_and(|s| s.user_id == user_id) {
            map.remove(id);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_belong_to_their_user_and_end() {
        let s = Sessions::default();
        let id = s.open("u1");
        assert_eq!(id.len(), 48);
        assert!(s.touch(&id, "u1"));
        assert!(!s.touch(&id, "u2"), "another user cannot use it");
        assert!(!s.end(&id, "u2"));
        assert!(s.end(&id, "u1"));
        assert!(!s.touch(&id, "u1"), "ended");
        assert!(!s.touch("nope", "u1"));
    }
}

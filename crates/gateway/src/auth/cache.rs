//! A small time-bounded cache for verified credentials.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 10_000;

pub struct TtlCache<K, V> {
    ttl: Duration,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache { ttl, map: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let mut map = self.lock();
        match map.get(k) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            Some(_) => {
                map.remove(k);
                None
            }
            None => None,
        }
    }

    pub fn insert(&self, k: K, v: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(k, (Instant::now(), v));
    }

    /// Drops every entry whose value matches.
    pub fn remove_where(&self, f: impl Fn(&V) -> bool) {
        self.lock().retain(|_, (_, v)| !f(v));
    }

    pub fn remove(&self, k: &K) {
        self.lock().remove(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let c: TtlCache<String, u32> = TtlCache::new(Duration::from_millis(50));
        c.insert("a".into(), 1);
        c.insert("b".into(), 2);
        assert_eq!(c.get(&"a".into()), Some(1));
        c.remove_where(|v| *v == 2);
        assert_eq!(c.get(&"b".into()), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(c.get(&"a".into()), None);
        let off: TtlCache<String, u32> = TtlCache::new(Duration::ZERO);
        off.insert("a".into(), 1);
        assert_eq!(off.get(&"a".into()), None);
    }
}

//! Verified SNS signing keys kept across invocations, and a budget for fetching new ones.
//!
//! The cache is bounded and evicts the least recently used entry, one at a time, so a stream
//! of new certificate URLs cannot push out the key in use. Only keys whose certificate was
//! trusted enter it. New fetches are rationed: a flood of unknown URLs costs at most a few
//! fetches a minute, then answers "unavailable" (SNS retries) without fetching.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys kept at most (SNS rotates its certificates rarely; one per region in use).
pub const MAX_CACHED_KEYS: usize = 16;
/// New certificate fetches allowed per [`FETCH_WINDOW`].
pub const FETCHES_PER_WINDOW: u32 = 4;
/// The window of the fetch budget.
pub const FETCH_WINDOW: Duration = Duration::from_secs(60);

/// A kept key and when it was last used (a logical clock).
type Entry = (Arc<Vec<u8>>, u64);

/// SubjectPublicKeyInfo by certificate URL, least recently used evicted first.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
    clock: std::sync::atomic::AtomicU64,
}

impl KeyCache {
    /// The key for `url`, marking it used.
    pub fn get(&self, url: &str) -> Option<Arc<Vec<u8>>> {
        let tick = self.tick();
        let mut entries = lock(&self.entries);
        let entry = entries.get_mut(url)?;
        entry.1 = tick;
        Some(entry.0.clone())
    }

    /// Keeps a trusted key, evicting the least recently used one when full.
    pub fn insert(&self, url: String, key: Arc<Vec<u8>>) {
        let tick = self.tick();
        let mut entries = lock(&self.entries);
        if entries.len() >= MAX_CACHED_KEYS && !entries.contains_key(&url) {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(url, _)| url.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(url, (key, tick));
    }

    /// How many keys are kept.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether no key is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// At most [`FETCHES_PER_WINDOW`] fetches per [`FETCH_WINDOW`].
#[derive(Debug)]
pub struct FetchBudget {
    state: Mutex<(Instant, u32)>,
}

impl Default for FetchBudget {
    fn default() -> Self {
        FetchBudget {
            state: Mutex::new((Instant::now(), 0)),
        }
    }
}

impl FetchBudget {
    /// Takes one fetch from the budget; `false` when it is spent for this window.
    pub fn take(&self) -> bool {
        let mut state = lock(&self.state);
        if state.0.elapsed() >= FETCH_WINDOW {
            *state = (Instant::now(), 0);
        }
        if state.1 >= FETCHES_PER_WINDOW {
            return false;
        }
        state.1 += 1;
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Entries are inserted whole, so a panic elsewhere cannot leave one half-written.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_one_least_recently_used_entry_at_a_time() {
        let cache = KeyCache::default();
        cache.insert("real".into(), Arc::new(vec![1]));
        for i in 0..100 {
            assert!(cache.get("real").is_some(), "the key in use stays");
            cache.insert(format!("other-{i}"), Arc::new(vec![2]));
            assert!(cache.len() <= MAX_CACHED_KEYS);
        }
        assert!(cache.get("real").is_some());
        assert_eq!(cache.len(), MAX_CACHED_KEYS);
    }

    #[test]
    fn the_fetch_budget_runs_out() {
        let budget = FetchBudget::default();
        let granted = (0..10).filter(|_| budget.take()).count();
        assert_eq!(granted, FETCHES_PER_WINDOW as usize);
    }
}

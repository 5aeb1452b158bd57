//! Verified SNS signing keys kept across invocations, certificate URLs SNS said it does not
//! know, and a budget for fetching new certificates, per region.
//!
//! The cache is bounded and evicts the least recently used entry, one at a time, so a stream
//! of new certificate URLs cannot push out the key in use. Only keys whose certificate was
//! trusted enter it. New fetches are rationed per region: a flood of unknown URLs costs at most
//! a few fetches a minute in that region, then answers "unavailable" (SNS retries) without
//! fetching, and leaves every other region's budget alone. A URL SNS answered with a client
//! error is forged: it is remembered for a while and refused without a fetch, and the fetch it
//! took is given back to the budget.

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

/// How long a certificate URL SNS refused is remembered.
pub const REFUSED_FOR: Duration = Duration::from_secs(600);
/// Refused URLs remembered at most.
pub const MAX_REFUSED_URLS: usize = 256;
/// Regions with a budget of their own at most (every allowed topic's region is far fewer).
pub const MAX_BUDGET_REGIONS: usize = 64;

/// Certificate URLs SNS answered with a client error, each remembered for [`REFUSED_FOR`].
#[derive(Debug, Default)]
pub struct RefusedUrls {
    entries: Mutex<HashMap<String, (Instant, u16)>>,
}

impl RefusedUrls {
    /// The status SNS refused `url` with, when that was less than [`REFUSED_FOR`] ago.
    pub fn get(&self, url: &str) -> Option<u16> {
        let mut entries = lock(&self.entries);
        match entries.get(url) {
            Some((at, status)) if at.elapsed() < REFUSED_FOR => Some(*status),
            Some(_) => {
                entries.remove(url);
                None
            }
            None => None,
        }
    }

    /// Remembers that SNS refused `url`; the oldest entry goes when full.
    pub fn insert(&self, url: String, status: u16) {
        let mut entries = lock(&self.entries);
        entries.retain(|_, (at, _)| at.elapsed() < REFUSED_FOR);
        if entries.len() >= MAX_REFUSED_URLS {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(u, _)| u.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(url, (Instant::now(), status));
    }
}

/// A [`FetchBudget`] for each region.
#[derive(Debug, Default)]
pub struct RegionBudgets {
    budgets: Mutex<HashMap<String, Arc<FetchBudget>>>,
}

impl RegionBudgets {
    /// The budget of `region`.
    pub fn of(&self, region: &str) -> Arc<FetchBudget> {
        let mut budgets = lock(&self.budgets);
        if !budgets.contains_key(region) && budgets.len() >= MAX_BUDGET_REGIONS {
            budgets.clear();
        }
        budgets.entry(region.to_owned()).or_default().clone()
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

    /// Gives back a fetch that turned out to be a forgery's (SNS refused the URL).
    pub fn refund(&self) {
        let mut state = lock(&self.state);
        state.1 = state.1.saturating_sub(1);
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
    fn the_fetch_budget_runs_out_per_region_and_a_refund_gives_one_back() {
        let budgets = RegionBudgets::default();
        let east = budgets.of("us-east-1");
        let granted = (0..10).filter(|_| east.take()).count();
        assert_eq!(granted, FETCHES_PER_WINDOW as usize);
        assert!(!budgets.of("us-east-1").take(), "the same region's budget");
        assert!(budgets.of("eu-west-1").take(), "another region is untouched");
        east.refund();
        assert!(east.take());
        assert!(!east.take());
    }

    #[test]
    fn refused_urls_are_remembered_and_bounded() {
        let refused = RefusedUrls::default();
        refused.insert(
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem".into(),
            404,
        );
        assert_eq!(
            refused.get("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"),
            Some(404)
        );
        for i in 0..1000 {
            refused.insert(format!("u{i}"), 403);
        }
        assert!(lock(&refused.entries).len() <= MAX_REFUSED_URLS);
    }
}

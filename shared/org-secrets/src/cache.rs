//! A bounded TTL cache in front of a [`SecretSource`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

use crate::{KnownOrgs, OrgName, OrgSecret, SecretError, SecretSource};

/// Most orgs a cache holds when no [`KnownOrgs`] bound it: a flood of names cannot
/// grow it past this, and any deployment's orgs ([`crate::MAX_ORGS`]) fit, so a function
/// that does not know the set (the router, the executors) never evicts a served org for
/// another.
pub const DEFAULT_CAPACITY: usize = crate::MAX_ORGS;
/// Most "no such secret" answers a cache remembers; older ones are dropped first, and
/// they never push out an org that has a secret while there are some to drop.
pub const MAX_NOT_FOUND: usize = 16;
/// Most re-reads for unknown signing keys per org until the cached entry expires (its
/// TTL): a flood of envelopes with invented key ids costs at most this many reads.
pub const MAX_KEY_REREADS: usize = 8;

/// Caches each org's secret for `ttl`, so the hot path makes no network call.
///
/// Bounded: with [`SecretCache::with_known_orgs`] an org outside the set is
/// [`SecretError::NotFound`] with no read and no entry; in any case the cache holds at
/// most its capacity ([`DEFAULT_CAPACITY`], or the number of known orgs), of which at
/// most [`MAX_NOT_FOUND`] "not found" answers.
///
/// A rotated value is picked up without a redeploy: when a request fails authentication,
/// the caller asks for [`SecretCache::refresh`], which re-reads the secret unless it was
/// read less than `min_refresh_age` ago (so that a flood of bad requests cannot turn into
/// a flood of Secrets Manager calls). "Not found" is cached too, for the same reason.
/// A signing key id the cached secret lacks gets one re-read of its own, whatever the
/// age of the entry ([`SecretCache::reread_for_key`]).
pub struct SecretCache<S> {
    source: S,
    ttl: Duration,
    min_refresh_age: Duration,
    known: Option<KnownOrgs>,
    capacity: usize,
    entries: RwLock<HashMap<OrgName, Entry>>,
    /// Held across a re-read for a key id: concurrent envelopes signed with one new key
    /// wait for the first one's read instead of each making their own. Holds when such
    /// a read last failed.
    key_rereads: Mutex<Option<Instant>>,
}

struct Entry {
    secret: Option<Arc<OrgSecret>>,
    fetched: Instant,
    /// Key ids this entry was re-read for (at most [`MAX_KEY_REREADS`]); forgotten when
    /// the entry expires and is read again.
    reread_for: Vec<String>,
}

/// What [`SecretCache::reread_for_key`] found.
#[derive(Debug, Clone)]
pub enum KeyReread {
    /// The secret as read now (or by a concurrent caller moments ago): use it, and refuse
    /// the key if it still lacks it.
    Secret(Arc<OrgSecret>),
    /// The secret was already re-read for this key id and lacked it: refuse.
    AlreadyTried,
    /// Not re-read now (too many re-reads for unknown keys lately, or the last one
    /// failed moments ago): try again later.
    NotNow,
}

impl<S: SecretSource> SecretCache<S> {
    /// A cache of at most [`DEFAULT_CAPACITY`] orgs, any valid org name admitted.
    pub fn new(source: S, ttl: Duration, min_refresh_age: Duration) -> Self {
        SecretCache {
            source,
            ttl,
            min_refresh_age,
            known: None,
            capacity: DEFAULT_CAPACITY,
            entries: RwLock::new(HashMap::new()),
            key_rereads: Mutex::new(None),
        }
    }

    /// Admits only `known`'s orgs (others are not found, with no read) and holds at most
    /// that many entries.
    pub fn with_known_orgs(mut self, known: KnownOrgs) -> Self {
        self.capacity = known.len().max(1);
        self.known = Some(known);
        self
    }

    /// Holds at most `capacity` orgs (at least one).
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The most orgs this cache holds at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many orgs are cached now ("not found" answers included).
    pub async fn len(&self) -> usize {
        self.entries.read().await.len()
    }

    /// Whether nothing is cached.
    pub async fn is_empty(&self) -> bool {
        self.entries.read().await.is_empty()
    }

    /// Whether `org` may be looked up at all.
    fn admits(&self, org: &OrgName) -> bool {
        self.known.as_ref().is_none_or(|known| known.contains(org))
    }

    /// The org's secret, from the cache while it is fresh.
    pub async fn get(&self, org: &OrgName) -> Result<Arc<OrgSecret>, SecretError> {
        if !self.admits(org) {
            return Err(not_found(org));
        }
        if let Some(entry) = self.entries.read().await.get(org)
            && entry.fetched.elapsed() < self.ttl
        {
            return entry.found(org);
        }
        self.load(org, Vec::new()).await
    }

    /// Re-reads the org's secret after a failed authentication. Returns `None` when the
    /// cached copy is too recent to be worth another read.
    pub async fn refresh(&self, org: &OrgName) -> Option<Result<Arc<OrgSecret>, SecretError>> {
        if !self.admits(org) {
            return Some(Err(not_found(org)));
        }
        let reread_for = match self.entries.read().await.get(org) {
            Some(entry) if entry.fetched.elapsed() < self.min_refresh_age => return None,
            Some(entry) => entry.reread_for.clone(),
            None => Vec::new(),
        };
        Some(self.load(org, reread_for).await)
    }

    /// Re-reads the org's secret because an envelope names signing key `kid`, which the
    /// cached secret lacks: a key added and made active in one edit is then used at once,
    /// even within `min_refresh_age`. One read per key id while the entry lives, at most
    /// [`MAX_KEY_REREADS`] per org, one at a time; after a failed read, none for
    /// `min_refresh_age`.
    pub async fn reread_for_key(&self, org: &OrgName, kid: &str) -> Result<KeyReread, SecretError> {
        if !self.admits(org) {
            return Err(not_found(org));
        }
        let mut last_failure = self.key_rereads.lock().await;
        if last_failure.is_some_and(|at| at.elapsed() < self.min_refresh_age) {
            return Ok(KeyReread::NotNow);
        }
        let mut reread_for = match self.entries.read().await.get(org) {
            Some(entry) => {
                if let Some(secret) = &entry.secret
                    && holds_key(secret, kid)
                {
                    // A concurrent caller re-read it while this one waited.
                    return Ok(KeyReread::Secret(secret.clone()));
                }
                if entry.reread_for.iter().any(|k| k == kid) {
                    return Ok(KeyReread::AlreadyTried);
                }
                if entry.reread_for.len() >= MAX_KEY_REREADS {
                    return Ok(KeyReread::NotNow);
                }
                entry.reread_for.clone()
            }
            None => Vec::new(),
        };
        reread_for.push(kid.to_owned());
        match self.load(org, reread_for).await {
            Ok(secret) => Ok(KeyReread::Secret(secret)),
            Err(e @ SecretError::Unavailable { .. }) => {
                *last_failure = Some(Instant::now());
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn load(
        &self,
        org: &OrgName,
        reread_for: Vec<String>,
    ) -> Result<Arc<OrgSecret>, SecretError> {
        let secret = match self.source.fetch(org).await {
            Ok(secret) => Some(Arc::new(secret)),
            Err(SecretError::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        let entry = Entry {
            secret,
            fetched: Instant::now(),
            reread_for,
        };
        let result = entry.found(org);
        let mut entries = self.entries.write().await;
        self.make_room(&mut entries, org, entry.secret.is_none());
        entries.insert(org.clone(), entry);
        result
    }

    /// Drops entries so that one for `org` fits within the bounds: "not found" answers
    /// first, oldest first.
    fn make_room(&self, entries: &mut HashMap<OrgName, Entry>, org: &OrgName, not_found: bool) {
        if entries.contains_key(org) {
            return;
        }
        if not_found {
            let limit = MAX_NOT_FOUND.min(self.capacity);
            while entries.values().filter(|e| e.secret.is_none()).count() >= limit {
                if !evict_oldest(entries, |e| e.secret.is_none()) {
                    break;
                }
            }
        }
        while entries.len() >= self.capacity {
            if !evict_oldest(entries, |e| e.secret.is_none()) && !evict_oldest(entries, |_| true) {
                break;
            }
        }
    }
}

/// Removes the oldest entry `which` selects; `false` when it selects none.
fn evict_oldest(entries: &mut HashMap<OrgName, Entry>, which: impl Fn(&Entry) -> bool) -> bool {
    let oldest = entries
        .iter()
        .filter(|(_, e)| which(e))
        .min_by_key(|(_, e)| e.fetched)
        .map(|(org, _)| org.clone());
    match oldest {
        Some(org) => entries.remove(&org).is_some(),
        None => false,
    }
}

fn holds_key(secret: &OrgSecret, kid: &str) -> bool {
    secret
        .signing
        .as_ref()
        .is_some_and(|keys| keys.key(kid).is_some())
}

impl Entry {
    fn found(&self, org: &OrgName) -> Result<Arc<OrgSecret>, SecretError> {
        self.secret.clone().ok_or_else(|| not_found(org))
    }
}

fn not_found(org: &OrgName) -> SecretError {
    SecretError::NotFound {
        org: org.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;
    use crate::{HookAuth, SigningKeys, StaticSecrets};

    struct Counting {
        inner: StaticSecrets,
        calls: AtomicUsize,
        down: AtomicBool,
    }

    impl SecretSource for Counting {
        async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.down.load(Ordering::SeqCst) {
                return Err(SecretError::Unavailable {
                    org: org.to_string(),
                    reason: "down".to_owned(),
                });
            }
            self.inner.fetch(org).await
        }
    }

    impl SecretCache<Counting> {
        fn calls(&self) -> usize {
            self.source.calls.load(Ordering::SeqCst)
        }
    }

    fn secret(value: &str) -> OrgSecret {
        OrgSecret {
            hook: Some(HookAuth::new("Authorization", value, None)),
            ..Default::default()
        }
    }

    fn cache(ttl: u64, min_refresh: u64) -> (SecretCache<Counting>, StaticSecrets) {
        let inner = StaticSecrets::new().with("acme", secret("one"));
        let source = Counting {
            inner: inner.clone(),
            calls: AtomicUsize::new(0),
            down: AtomicBool::new(false),
        };
        let cache = SecretCache::new(
            source,
            Duration::from_secs(ttl),
            Duration::from_secs(min_refresh),
        );
        (cache, inner)
    }

    #[tokio::test(start_paused = true)]
    async fn serves_from_cache_until_the_ttl_expires() {
        let (cache, store) = cache(60, 5);
        let org = OrgName::parse("acme").unwrap();
        cache.get(&org).await.unwrap();
        store.set("acme", secret("two"));
        cache.get(&org).await.unwrap();
        assert_eq!(cache.source.calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        let fresh = cache.get(&org).await.unwrap();
        assert_eq!(cache.source.calls.load(Ordering::SeqCst), 2);
        let headers = [("authorization", "two")]
            .into_iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect();
        assert!(fresh.hook.as_ref().unwrap().accepts(&headers));
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_rereads_but_not_more_often_than_the_minimum_age() {
        let (cache, _) = cache(300, 5);
        let org = OrgName::parse("acme").unwrap();
        cache.get(&org).await.unwrap();
        assert!(cache.refresh(&org).await.is_none());
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(cache.refresh(&org).await.is_some());
        assert_eq!(cache.source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_is_cached() {
        let (cache, _) = cache(300, 5);
        let org = OrgName::parse("nobody").unwrap();
        for _ in 0..3 {
            assert!(matches!(
                cache.get(&org).await,
                Err(SecretError::NotFound { .. })
            ));
        }
        assert_eq!(cache.source.calls.load(Ordering::SeqCst), 1);
    }

    fn org(name: &str) -> OrgName {
        OrgName::parse(name).unwrap()
    }

    const K1: &str = "k1-0123456789abcdef0123456789abcdef";
    const K2: &str = "k2-0123456789abcdef0123456789abcdef";

    fn signed(active: &str, keys: &[(&str, &str)]) -> OrgSecret {
        OrgSecret {
            signing: Some(SigningKeys::new(active, keys)),
            ..Default::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_org_outside_the_known_set_is_not_found_without_a_read_or_an_entry() {
        let (cache, _) = cache(300, 5);
        let cache = cache.with_known_orgs(KnownOrgs::single(org("acme")));
        for i in 0..100 {
            let stranger = org(&format!("stranger{i}"));
            assert!(matches!(
                cache.get(&stranger).await,
                Err(SecretError::NotFound { .. })
            ));
            assert!(matches!(
                cache.refresh(&stranger).await,
                Some(Err(SecretError::NotFound { .. }))
            ));
            assert!(matches!(
                cache.reread_for_key(&stranger, "k9").await,
                Err(SecretError::NotFound { .. })
            ));
        }
        assert_eq!(cache.calls(), 0);
        assert!(cache.is_empty().await);
        cache.get(&org("acme")).await.unwrap();
        assert_eq!((cache.calls(), cache.len().await), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_cache_never_holds_more_than_its_capacity() {
        let (cache, store) = cache(300, 5);
        let cache = cache.with_capacity(3);
        for i in 0..20 {
            let name = format!("org{i}");
            store.set(&name, secret("v"));
            cache.get(&org(&name)).await.unwrap();
            tokio::time::advance(Duration::from_millis(1)).await;
            assert!(cache.len().await <= 3, "{} entries", cache.len().await);
        }
        // The newest stay: the last org is served from memory.
        let before = cache.calls();
        cache.get(&org("org19")).await.unwrap();
        assert_eq!(cache.calls(), before);
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_answers_are_bounded_and_never_push_out_a_found_secret() {
        let (cache, _) = cache(300, 5);
        let acme = org("acme");
        cache.get(&acme).await.unwrap();
        for i in 0..(DEFAULT_CAPACITY * 4) {
            tokio::time::advance(Duration::from_millis(1)).await;
            assert!(cache.get(&org(&format!("ghost{i}"))).await.is_err());
        }
        assert_eq!(cache.len().await, 1 + MAX_NOT_FOUND);
        let before = cache.calls();
        cache.get(&acme).await.unwrap();
        assert_eq!(cache.calls(), before, "acme was not pushed out");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_key_id_is_reread_once_even_within_the_minimum_refresh_age() {
        let (cache, store) = cache(300, 10);
        let acme = org("acme");
        store.set("acme", signed("k1", &[("k1", K1)]));
        cache.get(&acme).await.unwrap();
        // k2 added and made active in one edit, a moment after the executor's read.
        store.set("acme", signed("k2", &[("k1", K1), ("k2", K2)]));
        assert!(
            cache.refresh(&acme).await.is_none(),
            "within the minimum age"
        );
        let KeyReread::Secret(fresh) = cache.reread_for_key(&acme, "k2").await.unwrap() else {
            panic!("a new key id is re-read");
        };
        assert!(fresh.signing.as_ref().unwrap().key("k2").is_some());
        assert_eq!(cache.calls(), 2);
        // The cache now holds it: later envelopes need no read.
        assert!(
            cache
                .get(&acme)
                .await
                .unwrap()
                .signing
                .as_ref()
                .unwrap()
                .key("k2")
                .is_some()
        );
        assert_eq!(cache.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_id_still_missing_after_its_reread_is_not_reread_again() {
        let (cache, store) = cache(300, 10);
        let acme = org("acme");
        store.set("acme", signed("k1", &[("k1", K1)]));
        cache.get(&acme).await.unwrap();
        let KeyReread::Secret(fresh) = cache.reread_for_key(&acme, "k9").await.unwrap() else {
            panic!("the first envelope naming k9 gets a re-read");
        };
        assert!(fresh.signing.as_ref().unwrap().key("k9").is_none());
        for _ in 0..5 {
            assert!(matches!(
                cache.reread_for_key(&acme, "k9").await.unwrap(),
                KeyReread::AlreadyTried
            ));
        }
        assert_eq!(cache.calls(), 2);
        // Once the entry expires, the key id may be re-read for again.
        tokio::time::advance(Duration::from_secs(301)).await;
        cache.get(&acme).await.unwrap();
        assert!(matches!(
            cache.reread_for_key(&acme, "k9").await.unwrap(),
            KeyReread::Secret(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_unknown_key_ids_costs_one_read_each_up_to_the_bound() {
        let (cache, store) = cache(300, 10);
        let acme = org("acme");
        store.set("acme", signed("k1", &[("k1", K1)]));
        cache.get(&acme).await.unwrap();
        let mut not_now = 0;
        for round in 0..3 {
            for i in 0..50 {
                match cache
                    .reread_for_key(&acme, &format!("random{i}"))
                    .await
                    .unwrap()
                {
                    KeyReread::NotNow => not_now += 1,
                    KeyReread::AlreadyTried => assert!(round > 0),
                    KeyReread::Secret(_) => assert_eq!(round, 0),
                }
            }
        }
        assert_eq!(cache.calls(), 1 + MAX_KEY_REREADS);
        assert_eq!(not_now, 3 * (50 - MAX_KEY_REREADS));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_envelopes_with_one_new_key_make_one_read() {
        let (cache, store) = cache(300, 10);
        let acme = org("acme");
        store.set("acme", signed("k1", &[("k1", K1)]));
        cache.get(&acme).await.unwrap();
        store.set("acme", signed("k2", &[("k1", K1), ("k2", K2)]));
        let answers =
            futures_util::future::join_all((0..10).map(|_| cache.reread_for_key(&acme, "k2")))
                .await;
        for answer in answers {
            let KeyReread::Secret(secret) = answer.unwrap() else {
                panic!("every envelope sees the new key");
            };
            assert!(secret.signing.as_ref().unwrap().key("k2").is_some());
        }
        assert_eq!(cache.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_key_reread_is_not_repeated_at_once_and_not_held_against_the_key() {
        let (cache, store) = cache(300, 10);
        let acme = org("acme");
        store.set("acme", signed("k1", &[("k1", K1)]));
        cache.get(&acme).await.unwrap();
        store.set("acme", signed("k2", &[("k1", K1), ("k2", K2)]));
        cache.source.down.store(true, Ordering::SeqCst);
        assert!(matches!(
            cache.reread_for_key(&acme, "k2").await,
            Err(SecretError::Unavailable { .. })
        ));
        for _ in 0..5 {
            assert!(matches!(
                cache.reread_for_key(&acme, "k2").await.unwrap(),
                KeyReread::NotNow
            ));
        }
        assert_eq!(cache.calls(), 2);
        cache.source.down.store(false, Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(matches!(
            cache.reread_for_key(&acme, "k2").await.unwrap(),
            KeyReread::Secret(s) if s.signing.as_ref().unwrap().key("k2").is_some()
        ));
    }

    #[test]
    fn malformed_secret_errors_never_echo_the_content() {
        let err = OrgSecret::from_json(r#"{"hook": {"current": 12345678}}"#).unwrap_err();
        assert!(!err.contains("12345678"), "{err}");
        let err = OrgSecret::from_json(r#"{"hook": {"header": "bad header", "current": "x"}}"#)
            .unwrap_err();
        assert!(err.contains("hook.header"), "{err}");
    }
}

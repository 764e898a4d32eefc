//! A TTL cache in front of a [`SecretSource`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::RwLock;
use tokio::time::Instant;

use crate::{OrgName, OrgSecret, SecretError, SecretSource};

/// Caches each org's secret for `ttl`, so the hot path makes no network call.
///
/// A rotated value is picked up without a redeploy: when a request fails authentication,
/// the caller asks for [`SecretCache::refresh`], which re-reads the secret unless it was
/// read less than `min_refresh_age` ago (so that a flood of bad requests cannot turn into
/// a flood of Secrets Manager calls). "Not found" is cached too, for the same reason.
pub struct SecretCache<S> {
    source: S,
    ttl: Duration,
    min_refresh_age: Duration,
    entries: RwLock<HashMap<OrgName, Entry>>,
}

struct Entry {
    secret: Option<Arc<OrgSecret>>,
    fetched: Instant,
}

impl<S: SecretSource> SecretCache<S> {
    pub fn new(source: S, ttl: Duration, min_refresh_age: Duration) -> Self {
        SecretCache {
            source,
            ttl,
            min_refresh_age,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The org's secret, from the cache while it is fresh.
    pub async fn get(&self, org: &OrgName) -> Result<Arc<OrgSecret>, SecretError> {
        if let Some(entry) = self.entries.read().await.get(org)
            && entry.fetched.elapsed() < self.ttl
        {
            return entry.found(org);
        }
        self.load(org).await
    }

    /// Re-reads the org's secret after a failed authentication. Returns `None` when the
    /// cached copy is too recent to be worth another read.
    pub async fn refresh(&self, org: &OrgName) -> Option<Result<Arc<OrgSecret>, SecretError>> {
        if let Some(entry) = self.entries.read().await.get(org)
            && entry.fetched.elapsed() < self.min_refresh_age
        {
            return None;
        }
        Some(self.load(org).await)
    }

    async fn load(&self, org: &OrgName) -> Result<Arc<OrgSecret>, SecretError> {
        let secret = match self.source.fetch(org).await {
            Ok(secret) => Some(Arc::new(secret)),
            Err(SecretError::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        let entry = Entry {
            secret,
            fetched: Instant::now(),
        };
        let result = entry.found(org);
        self.entries.write().await.insert(org.clone(), entry);
        result
    }
}

impl Entry {
    fn found(&self, org: &OrgName) -> Result<Arc<OrgSecret>, SecretError> {
        self.secret.clone().ok_or_else(|| SecretError::NotFound {
            org: org.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::{HookAuth, StaticSecrets};

    struct Counting {
        inner: StaticSecrets,
        calls: AtomicUsize,
    }

    impl SecretSource for Counting {
        async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.inner.fetch(org).await
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

    #[test]
    fn malformed_secret_errors_never_echo_the_content() {
        let err = OrgSecret::from_json(r#"{"hook": {"current": 12345678}}"#).unwrap_err();
        assert!(!err.contains("12345678"), "{err}");
        let err = OrgSecret::from_json(r#"{"hook": {"header": "bad header", "current": "x"}}"#)
            .unwrap_err();
        assert!(err.contains("hook.header"), "{err}");
    }
}

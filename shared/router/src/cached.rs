//! Enrichment lookups cached for one invocation: a batch with several events about the
//! same user asks Okta once. "No such user" is an answer and is cached too; a failed
//! lookup is not.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use org_secrets::OrgName;
use ports::{Directory, DirectoryError};

type Key = (String, String, bool);

/// A [`Directory`] that remembers answers until [`CachingDirectory::clear`], which the
/// function calls at the start of every invocation so no answer outlives its batch.
pub struct CachingDirectory<D> {
    inner: D,
    answers: Mutex<HashMap<Key, Option<Value>>>,
}

impl<D: Directory> CachingDirectory<D> {
    /// Caches the answers of `inner`, starting with none.
    pub fn new(inner: D) -> Self {
        CachingDirectory {
            inner,
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every answer.
    pub fn clear(&self) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.clear();
        }
    }

    fn cached(&self, key: &Key) -> Option<Option<Value>> {
        self.answers.lock().ok()?.get(key).cloned()
    }
}

impl<D: Directory> Directory for CachingDirectory<D> {
    async fn user(
        &self,
        org: &OrgName,
        user_id: &str,
        with_groups: bool,
    ) -> Result<Option<Value>, DirectoryError> {
        let key = (org.as_str().to_owned(), user_id.to_owned(), with_groups);
        if let Some(answer) = self.cached(&key) {
            return Ok(answer);
        }
        let answer = self.inner.user(org, user_id, with_groups).await?;
        if let Ok(mut answers) = self.answers.lock() {
            answers.insert(key, answer.clone());
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    fn org() -> OrgName {
        OrgName::parse("o").unwrap()
    }

    struct Counting(AtomicUsize);

    impl Directory for Counting {
        async fn user(
            &self,
            _: &OrgName,
            user_id: &str,
            _: bool,
        ) -> Result<Option<Value>, DirectoryError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            match user_id {
                "gone" => Ok(None),
                // The second lookup of the test below fails, the next one succeeds.
                "flaky" if n == 1 => Err(DirectoryError::transient("503")),
                _ => Ok(Some(json!({"id": user_id}))),
            }
        }
    }

    #[tokio::test]
    async fn asks_once_per_user_until_cleared() {
        let directory = CachingDirectory::new(Counting(AtomicUsize::new(0)));
        directory.user(&org(), "u1", false).await.unwrap();
        directory.user(&org(), "u1", false).await.unwrap();
        directory.user(&org(), "u1", true).await.unwrap();
        assert_eq!(
            directory.inner.0.load(Ordering::SeqCst),
            2,
            "with groups is another question"
        );
        directory.clear();
        directory.user(&org(), "u1", false).await.unwrap();
        assert_eq!(directory.inner.0.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_missing_user_is_remembered_and_a_failure_is_not() {
        let directory = CachingDirectory::new(Counting(AtomicUsize::new(0)));
        assert_eq!(directory.user(&org(), "gone", false).await.unwrap(), None);
        assert_eq!(directory.user(&org(), "gone", false).await.unwrap(), None);
        assert_eq!(directory.inner.0.load(Ordering::SeqCst), 1);
        assert!(directory.user(&org(), "flaky", false).await.is_err());
        assert!(
            directory
                .user(&org(), "flaky", false)
                .await
                .unwrap()
                .is_some(),
            "the failure was not cached: asked again"
        );
        assert_eq!(directory.inner.0.load(Ordering::SeqCst), 3);
    }
}

//! SDK clients built on first use.
//!
//! Building an SDK client is not free: the first client of each service parses that
//! service's endpoint partition table (about a quarter of hook-verify's init instructions,
//! measured with callgrind), and each client assembles its runtime plugins. A function
//! builds several adapters at cold start — the router one queue per executor family, most
//! of which a given batch never sends to — so each adapter holds a [`LazyClient`] and the
//! client is built when a request first needs it. `make bench` reports that first
//! invocation beside the cold start, so the work moved is still counted.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

type Build<C> = Box<dyn FnOnce() -> C + Send>;

/// An SDK client, built by the first call that needs it and shared by every clone.
pub struct LazyClient<C>(Arc<LazyLock<C, Build<C>>>);

impl<C> LazyClient<C> {
    /// A client `build` makes from `config` on first use
    /// (`LazyClient::from_config(aws, aws_sdk_sqs::Client::new)`).
    pub fn from_config(
        config: &aws_config::SdkConfig,
        build: fn(&aws_config::SdkConfig) -> C,
    ) -> Self
    where
        C: 'static,
    {
        let config = config.clone();
        LazyClient(Arc::new(LazyLock::new(Box::new(move || build(&config)))))
    }

    /// A client already built (tests, a client with its own settings).
    pub fn ready(client: C) -> Self
    where
        C: Send + 'static,
    {
        LazyClient(Arc::new(LazyLock::new(Box::new(move || client))))
    }

    /// Whether the client has been built yet.
    pub fn is_built(&self) -> bool {
        LazyLock::get(&self.0).is_some()
    }
}

impl<C> Clone for LazyClient<C> {
    fn clone(&self) -> Self {
        LazyClient(Arc::clone(&self.0))
    }
}

impl<C> Deref for LazyClient<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.0
    }
}

impl<C> fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.is_built())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};

    static BUILT: AtomicUsize = AtomicUsize::new(0);

    fn count_builds(_: &aws_config::SdkConfig) -> usize {
        BUILT.fetch_add(1, Ordering::SeqCst) + 1
    }

    #[test]
    fn a_client_is_built_once_on_first_use_and_shared_by_clones() {
        let config = aws_config::SdkConfig::builder().build();
        let lazy = LazyClient::from_config(&config, count_builds);
        let clone = lazy.clone();
        assert!(!lazy.is_built());
        assert_eq!(BUILT.load(Ordering::SeqCst), 0);
        assert_eq!(*clone, 1);
        assert_eq!(*lazy, 1);
        assert!(lazy.is_built());
        assert_eq!(BUILT.load(Ordering::SeqCst), 1);
    }
}

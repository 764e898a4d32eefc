//! The AWS SDK's HTTP client, as the SDK makes it by default (hyper 1 over rustls,
//! `HTTP(S)_PROXY` honoured), on ring rather than aws-lc, and reading the OS trust store later.
//!
//! The SDK's client loads the native certificates when a client is *validated*, which
//! happens as each SDK client is built — and `aws_config`'s credential chain builds an STS
//! client inside `load_defaults`. That read was ~90 % of every function's cold start
//! (callgrind: 154 M of 166 M instructions before the first `/next` in a debug
//! hook-verify). Here the client skips that eager validation step, so the store is read
//! when the first request needs a connection: a function that answers from its cache, or
//! fails its configuration, never reads it, and the ones that do pay once, in their first
//! invocation, where `make bench` reports it ("1st call"). The store is the same one the
//! SDK would read (`SSL_CERT_FILE`/`SSL_CERT_DIR` honoured), and the Okta client shares the
//! SDK's cached copy.
//!
//! Ring, not the SDK's aws-lc: the SDK crates are built without `default-https-client`,
//! so every `SdkConfig` must carry this client ([`crate::load_config`] and
//! [`crate::lambda_config`] do; a test's own config adds [`certificates_on_first_request`]).
//! With one crypto library for TLS, JWT signing, plan signatures and sealed outputs, the
//! functions do not link aws-lc's C library beside it (≈ 0.7 MB each).

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

/// The SDK's default HTTPS client, reading the trust store on its first request.
pub fn certificates_on_first_request() -> SharedHttpClient {
    let client = Builder::new().build_with_connector_fn(|settings, components| {
        let mut builder =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    });
    FirstRequest(client).into_shared()
}

/// Forwards everything but the eager validation (see the module docs).
#[derive(Debug)]
struct FirstRequest(SharedHttpClient);

impl HttpClient for FirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_types::config_bag::ConfigBag;

    #[test]
    fn validating_the_client_builds_no_connector() {
        // The SDK's own client builds its connector (and reads the trust store) here; ours
        // must not. A connector function that counts its calls tells them apart.
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let built = Arc::new(AtomicUsize::new(0));
        let counter = built.clone();
        let inner = Builder::new().build_with_connector_fn(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            ConnectorBuilder::default().build_http()
        });
        let sdk_default = inner.clone();
        let ours = FirstRequest(inner);
        let components = RuntimeComponentsBuilder::new("test");
        let bag = ConfigBag::base();
        ours.validate_base_client_config(&components, &bag)
            .expect("validation");
        assert_eq!(
            built.load(Ordering::SeqCst),
            0,
            "ours built a connector when validated"
        );
        sdk_default
            .validate_base_client_config(&components, &bag)
            .expect("validation");
        assert_eq!(
            built.load(Ordering::SeqCst),
            1,
            "the SDK's client is eager: the test would not see a regression"
        );
    }
}

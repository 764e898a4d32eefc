//! A raw request, for any operation this crate has no method for. It still gets
//! authentication, DPoP, rate-limit parsing, typed errors, retries and the in-flight
//! bound.

use http::Method;
use serde_json::Value;
use url::Url;

use crate::client::{Call, OktaClient, RawResponse};
use crate::error::{OktaError, Result};

impl OktaClient {
    /// Sends `method path_or_url` with an optional JSON body. `path_or_url` is a path
    /// with its query (`/api/v1/users?limit=1`) or a full URL of the same org (a link
    /// taken from `_links`). A non-2xx answer is an [`OktaError::Api`].
    pub async fn raw(
        &self,
        method: Method,
        path_or_url: &str,
        body: Option<&Value>,
    ) -> Result<RawResponse> {
        let url = if path_or_url.starts_with('/') {
            self.org_url()
                .join(path_or_url)
                .map_err(|e| OktaError::InvalidRequest(format!("path {path_or_url:?}: {e}")))?
        } else {
            Url::parse(path_or_url)
                .map_err(|e| OktaError::InvalidRequest(format!("URL {path_or_url:?}: {e}")))?
        };
        self.check_origin(&url)?;
        let mut call = Call::new(method, url);
        if let Some(body) = body {
            call = call.json(body)?;
        }
        self.execute(call).await
    }
}

//! The event hook's shared-secret header, checked in constant time.

use http::{HeaderMap, HeaderName};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header Okta sends with every delivery (`channel.config.authScheme`).
///
/// Two values are accepted at once, `current` and `previous`, so that a rotation has no
/// gap: put the new value in `current` and the old one in `previous`, update the hook in
/// Okta, then drop `previous`.
#[derive(Debug, Clone, Deserialize)]
pub struct HookAuth {
    /// Header name; Okta's default is `Authorization`. Compared case-insensitively.
    #[serde(default = "default_header")]
    pub header: String,
    /// The value Okta sends now.
    pub current: SecretString,
    /// The value before a rotation, still accepted until it is dropped.
    #[serde(default)]
    pub previous: Option<SecretString>,
}

fn default_header() -> String {
    "Authorization".to_owned()
}

impl HookAuth {
    /// Hook auth on `header` accepting `current` (and `previous`, mid-rotation).
    pub fn new(header: &str, current: &str, previous: Option<&str>) -> Self {
        HookAuth {
            header: header.to_owned(),
            current: SecretString::from(current),
            previous: previous.map(SecretString::from),
        }
    }

    /// Whether the request carries the header with the current or the previous value.
    ///
    /// Both values are always compared, on SHA-256 digests, so neither the time taken nor
    /// an early exit tells a caller how close a guess was, or its length.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        let Ok(name) = HeaderName::try_from(self.header.as_str()) else {
            return false;
        };
        let Some(presented) = headers.get(name) else {
            return false;
        };
        let presented = Sha256::digest(presented.as_bytes());
        let current = Sha256::digest(self.current.expose_secret().as_bytes());
        let mut ok = presented.ct_eq(&current);
        if let Some(previous) = &self.previous {
            let previous = Sha256::digest(previous.expose_secret().as_bytes());
            ok |= presented.ct_eq(&previous);
        }
        ok.into()
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if HeaderName::try_from(self.header.as_str()).is_err() {
            return Err("hook.header is not a valid HTTP header name".to_owned());
        }
        if self.current.expose_secret().is_empty() {
            return Err("hook.current is empty".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(HeaderName::try_from(name).unwrap(), value.parse().unwrap());
        map
    }

    #[test]
    fn accepts_current_and_previous_in_any_header_case() {
        let auth = HookAuth::new("X-Okta-Secret", "new-value", Some("old-value"));
        assert!(auth.accepts(&headers("x-okta-secret", "new-value")));
        assert!(auth.accepts(&headers("X-OKTA-SECRET", "old-value")));
    }

    #[test]
    fn refuses_wrong_missing_and_prefix_values() {
        let auth = HookAuth::new("Authorization", "Basic abc", None);
        assert!(!auth.accepts(&headers("authorization", "Basic ab")));
        assert!(!auth.accepts(&headers("authorization", "Basic abcd")));
        assert!(!auth.accepts(&headers("x-other", "Basic abc")));
        assert!(!auth.accepts(&HeaderMap::new()));
    }

    #[test]
    fn debug_never_shows_the_values() {
        let auth = HookAuth::new("Authorization", "s3cr3t-current", Some("s3cr3t-previous"));
        let shown = format!("{auth:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}

//! `Authorization: SSWS <token>`: Okta's API token. No minting, no expiry to track
//! (Okta expires an unused token after 30 days on its side).

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{OktaError, Result};

/// The `Authorization` value for an API token, marked sensitive so that `http`'s
/// `Debug` and HTTP/2 header compression never expose it.
pub(crate) fn authorization(token: &SecretString) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("SSWS {}", token.expose_secret().trim()))
        .map_err(|_| {
            OktaError::Config("the API token has characters not allowed in a header".into())
        })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_ssws_and_sensitive() {
        let v = authorization(&SecretString::from("00abc-def")).unwrap();
        assert_eq!(v.to_str().unwrap(), "SSWS 00abc-def");
        assert!(v.is_sensitive());
        assert!(!format!("{v:?}").contains("00abc"));
        assert!(authorization(&SecretString::from("bad\ntoken")).is_err());
    }
}

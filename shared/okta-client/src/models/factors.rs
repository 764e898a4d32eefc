use super::{Links, Profile};

okta_object! {
    /// An enrolled (or enrolling) factor (`GET /api/v1/users/{userId}/factors`).
    Factor {
        id: String,
        /// e.g. `token:software:totp`, `email`, `sms`, `push`, `webauthn`.
        factor_type: String,
        /// e.g. `GOOGLE`, `OKTA`.
        provider: String,
        vendor_name: String,
        status: String,
        created: String,
        last_updated: String,
        profile: Profile,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}

impl Factor {
    /// Enrollment body for Google Authenticator (TOTP). The answer's `_embedded`
    /// carries the shared secret and QR code to show the user.
    pub fn google_authenticator() -> Self {
        Factor {
            factor_type: Some("token:software:totp".into()),
            provider: Some("GOOGLE".into()),
            ..Factor::default()
        }
    }

    /// Enrollment body for the Okta email factor.
    pub fn okta_email(email: &str) -> Self {
        let mut profile = Profile::new();
        profile.insert("email".into(), email.into());
        Factor {
            factor_type: Some("email".into()),
            provider: Some("OKTA".into()),
            profile: Some(profile),
            ..Factor::default()
        }
    }
}

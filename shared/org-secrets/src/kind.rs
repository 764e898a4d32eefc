//! The kinds of secret an org has, each its own Secrets Manager secret, so that each
//! function's role can be allowed exactly the kinds it needs.

use std::borrow::Cow;
use std::fmt;

use crate::OrgName;

/// One kind of an org's secrets. Its id is `<prefix><org>/<suffix>`
/// ([`SecretKind::secret_id`]); its content is the section of the old single secret with
/// the same name.
///
/// | kind | holds | read by |
/// | --- | --- | --- |
/// | `hook` | the event hook's auth header values | hook-verify, hook-ingest |
/// | `signing` | the envelope signing keys (HMAC), the plan public keys | the router, the executors |
/// | `plan-signing` | the private Ed25519 plan keys (optional) | the router |
/// | `okta` | the executors' shared Okta credential | the executors (not notify) |
/// | `okta-<family>` | one family's own Okta credential (optional) | that family's executor |
/// | `okta-read` | a read-only Okta credential | the router (enrichment), the poller |
/// | `named` | values rules refer to by name (webhook URLs, …) | the notify and admin executors |
///
/// The internet-facing functions read `hook` only: a flaw in the delivery parser then
/// reaches no Okta credential and no key that could forge an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    /// `hook`: [`crate::HookAuth`].
    Hook,
    /// `signing`: [`crate::SigningKeys`].
    Signing,
    /// `plan-signing`: the router's private [`crate::PlanSigningKeys`]. Optional: an org
    /// without it has HMAC-only envelopes (before plan signatures).
    PlanSigning,
    /// `okta`: the executors' shared [`crate::OktaCredential`].
    Okta,
    /// `okta-read`: the read-only [`crate::OktaCredential`] of enrichment and the poller.
    OktaRead,
    /// `okta-<family>`: one executor family's own [`crate::OktaCredential`]; a family
    /// without one uses [`SecretKind::Okta`] (with `ExecutorCredentials=PerFamily`).
    OktaFamily(FamilyName),
    /// `named`: a flat map of named values.
    Named,
}

/// An executor family's name as it appears in a secret id (`users`, `groups`, …):
/// 1–32 lower-case ASCII letters, and not `read` (which would be `okta-read`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FamilyName(String);

impl FamilyName {
    /// `name` if it is 1–32 lower-case ASCII letters other than `read`.
    pub fn parse(name: &str) -> Option<Self> {
        let valid = (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_lowercase())
            && name != "read";
        valid.then(|| FamilyName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SecretKind {
    /// The kinds every org has, in the order they are listed (per-family credentials
    /// are optional and not among them).
    pub const BASE: [SecretKind; 5] = [
        SecretKind::Hook,
        SecretKind::Signing,
        SecretKind::Okta,
        SecretKind::OktaRead,
        SecretKind::Named,
    ];

    /// Whether this kind holds a key that signs what the executors run (`signing`,
    /// `plan-signing`).
    pub fn is_signing_key(&self) -> bool {
        matches!(self, SecretKind::Signing | SecretKind::PlanSigning)
    }

    /// `okta-<family>`, if `family` is a valid [`FamilyName`].
    pub fn okta_family(family: &str) -> Option<Self> {
        FamilyName::parse(family).map(SecretKind::OktaFamily)
    }

    /// The last part of the secret's id: `hook`, `signing`, `okta`, `okta-read`,
    /// `okta-<family>`, `named`, `plan-signing`. Also the section's key in a secret file.
    pub fn suffix(&self) -> Cow<'static, str> {
        match self {
            SecretKind::Hook => Cow::Borrowed("hook"),
            SecretKind::Signing => Cow::Borrowed("signing"),
            SecretKind::PlanSigning => Cow::Borrowed("plan-signing"),
            SecretKind::Okta => Cow::Borrowed("okta"),
            SecretKind::OktaRead => Cow::Borrowed("okta-read"),
            SecretKind::OktaFamily(family) => Cow::Owned(format!("okta-{}", family.as_str())),
            SecretKind::Named => Cow::Borrowed("named"),
        }
    }

    /// The kind a suffix (or a secret file's key) names; `None` for anything else.
    pub fn parse(suffix: &str) -> Option<Self> {
        match suffix {
            "hook" => Some(SecretKind::Hook),
            "signing" => Some(SecretKind::Signing),
            "plan-signing" => Some(SecretKind::PlanSigning),
            "okta" => Some(SecretKind::Okta),
            "okta-read" => Some(SecretKind::OktaRead),
            "named" => Some(SecretKind::Named),
            other => other
                .strip_prefix("okta-")
                .and_then(SecretKind::okta_family),
        }
    }

    /// Whether this kind holds an Okta credential.
    pub fn is_okta_credential(&self) -> bool {
        matches!(
            self,
            SecretKind::Okta | SecretKind::OktaRead | SecretKind::OktaFamily(_)
        )
    }

    /// The Secrets Manager id of this kind for `org`: `okta-hooks/acme/okta-read`.
    pub fn secret_id(&self, prefix: &str, org: &OrgName) -> String {
        format!("{prefix}{org}/{}", self.suffix())
    }
}

/// The id of an org's single secret of before the split (`LegacySingleSecret`):
/// `okta-hooks/acme`.
pub fn legacy_secret_id(prefix: &str, org: &OrgName) -> String {
    format!("{prefix}{org}")
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_suffix() {
        let mut kinds = SecretKind::BASE.to_vec();
        kinds.push(SecretKind::okta_family("users").unwrap());
        kinds.push(SecretKind::PlanSigning);
        for kind in kinds {
            assert_eq!(
                SecretKind::parse(&kind.suffix()),
                Some(kind.clone()),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_family_named_read_or_not_lower_case_letters_is_no_kind() {
        for bad in [
            "okta-read2",
            "okta-",
            "okta-Users",
            "okta-a/b",
            "oktausers",
            "secret",
        ] {
            assert_eq!(SecretKind::parse(bad), None, "{bad}");
        }
        assert_eq!(SecretKind::okta_family("read"), None);
    }

    #[test]
    fn ids_put_the_kind_after_the_org() {
        let org = OrgName::parse("acme").unwrap();
        assert_eq!(
            SecretKind::OktaRead.secret_id("okta-hooks/", &org),
            "okta-hooks/acme/okta-read"
        );
        assert_eq!(
            SecretKind::okta_family("groups")
                .unwrap()
                .secret_id("p/", &org),
            "p/acme/okta-groups"
        );
        assert_eq!(legacy_secret_id("okta-hooks/", &org), "okta-hooks/acme");
    }
}

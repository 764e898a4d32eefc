//! Which kinds of secret a function reads, and how they make the [`OrgSecret`] it holds.

use std::collections::BTreeMap;

use env_config::ConfigError;
use secrecy::SecretString;

use crate::{
    HookAuth, OktaCredential, OrgSecret, PlanSigningKeys, SecretKind, SigningKeys, StoredSecrets,
};

/// Where the executors take their Okta credential from (`OKTA_HOOKS_EXECUTOR_CREDENTIALS`,
/// set from the template's `ExecutorCredentials`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutorCredentials {
    /// `shared`: every executor uses `okta`.
    #[default]
    Shared,
    /// `per-family`: the users executor uses `okta-users`, or `okta` when the org has
    /// no `okta-users`; and so on for each family.
    PerFamily,
    /// `per-family-only`: the users executor uses `okta-users` and nothing else, so no
    /// executor can reach the shared `okta` credential (the template grants none the
    /// read): a family whose org has no `okta-<family>` fails its Okta steps, naming
    /// the secret to create.
    PerFamilyOnly,
}

impl ExecutorCredentials {
    /// `shared`, `per-family` or `per-family-only`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "shared" => Some(ExecutorCredentials::Shared),
            "per-family" => Some(ExecutorCredentials::PerFamily),
            "per-family-only" => Some(ExecutorCredentials::PerFamilyOnly),
            _ => None,
        }
    }

    /// The variable the executors (and `okta-hooks dev`) read it from.
    pub const VAR: &str = "OKTA_HOOKS_EXECUTOR_CREDENTIALS";

    /// Reads [`ExecutorCredentials::VAR`] through `lookup`: unset is
    /// [`ExecutorCredentials::Shared`]; any value other than `shared`, `per-family` or
    /// `per-family-only` is an error naming the variable and quoting the value, so a
    /// misspelt mode fails at cold start instead of falling back to the shared credential.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match lookup(Self::VAR) {
            None => Ok(ExecutorCredentials::default()),
            Some(value) => ExecutorCredentials::parse(&value).ok_or_else(|| ConfigError {
                var: Self::VAR,
                reason: format!("must be shared, per-family or per-family-only, not {value:?}"),
            }),
        }
    }

    /// The value [`ExecutorCredentials::parse`] takes for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutorCredentials::Shared => "shared",
            ExecutorCredentials::PerFamily => "per-family",
            ExecutorCredentials::PerFamilyOnly => "per-family-only",
        }
    }
}

/// The kinds of secret one function reads. Fixed in each function's composition root
/// from what it does, never from configuration alone: hook-ingest cannot be configured
/// into reading an Okta credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretReads {
    hook: bool,
    signing: bool,
    /// The router's private plan keys (`plan-signing`): the router alone.
    plan_signing: bool,
    /// The Okta credential kinds, the first configured one used.
    okta: Vec<SecretKind>,
    named: bool,
}

impl SecretReads {
    /// hook-verify and hook-ingest: the hook's auth values, nothing else.
    pub fn hook_receiver() -> Self {
        SecretReads {
            hook: true,
            signing: false,
            plan_signing: false,
            okta: Vec::new(),
            named: false,
        }
    }

    /// The router: the signing keys, its private plan keys, and the read-only credential
    /// for enrichment.
    pub fn router() -> Self {
        SecretReads {
            hook: false,
            signing: true,
            plan_signing: true,
            okta: vec![SecretKind::OktaRead],
            named: false,
        }
    }

    /// The poller: the read-only credential.
    pub fn poller() -> Self {
        SecretReads {
            hook: false,
            signing: false,
            plan_signing: false,
            okta: vec![SecretKind::OktaRead],
            named: false,
        }
    }

    /// The executor of `family`: the signing keys; its Okta credential unless the family
    /// calls no Okta (`okta` with [`ExecutorCredentials::Shared`], `okta-<family>` before
    /// `okta` with [`ExecutorCredentials::PerFamily`], `okta-<family>` alone with
    /// [`ExecutorCredentials::PerFamilyOnly`]); the named values if its actions name some.
    pub fn executor(
        family: &str,
        credentials: ExecutorCredentials,
        calls_okta: bool,
        reads_named: bool,
    ) -> Self {
        let mut okta = Vec::new();
        if calls_okta {
            if credentials != ExecutorCredentials::Shared
                && let Some(own) = SecretKind::okta_family(family)
            {
                okta.push(own);
            }
            if credentials != ExecutorCredentials::PerFamilyOnly {
                okta.push(SecretKind::Okta);
            }
        }
        SecretReads {
            hook: false,
            signing: true,
            plan_signing: false,
            okta,
            named: reads_named,
        }
    }

    /// Every section of the single shape (`okta` as the credential): tests, and the
    /// command line where it acts as a whole deployment.
    pub fn all() -> Self {
        SecretReads {
            hook: true,
            signing: true,
            plan_signing: true,
            okta: vec![SecretKind::Okta],
            named: true,
        }
    }

    /// The kinds read, each once: the secrets to fetch, and what the function's role must
    /// be allowed.
    pub fn kinds(&self) -> Vec<SecretKind> {
        let mut kinds = Vec::new();
        if self.hook {
            kinds.push(SecretKind::Hook);
        }
        if self.signing {
            kinds.push(SecretKind::Signing);
        }
        if self.plan_signing {
            kinds.push(SecretKind::PlanSigning);
        }
        kinds.extend(self.okta.iter().cloned());
        if self.named {
            kinds.push(SecretKind::Named);
        }
        kinds
    }

    /// The kinds the Okta credential is read from, in the order tried (empty: the
    /// function holds none). An Okta client that finds none names these secrets.
    pub fn okta_kinds(&self) -> &[SecretKind] {
        &self.okta
    }

    /// Whether `kind` is among [`SecretReads::kinds`], answered from the flags without
    /// building the list (a source may ask for every kind of every read).
    pub fn reads(&self, kind: &SecretKind) -> bool {
        match kind {
            SecretKind::Hook => self.hook,
            SecretKind::Signing => self.signing,
            SecretKind::PlanSigning => self.plan_signing,
            SecretKind::Named => self.named,
            SecretKind::Okta | SecretKind::OktaRead | SecretKind::OktaFamily(_) => {
                self.okta.contains(kind)
            }
        }
    }

    /// What the function holds of `stored`: only the sections it reads, parsed and
    /// checked. With the single shape, `okta` serves whichever credential it reads. The
    /// error names the kind and a position, never a value.
    pub fn resolve(&self, stored: &StoredSecrets) -> Result<OrgSecret, String> {
        let hook = if self.hook {
            stored.parse::<HookAuth>(&SecretKind::Hook)?
        } else {
            None
        };
        if let Some(hook) = &hook {
            hook.validate()?;
        }
        let signing = if self.signing {
            stored.parse::<SigningKeys>(&SecretKind::Signing)?
        } else {
            None
        };
        if let Some(signing) = &signing {
            signing.validate()?;
        }
        let plan_signing = if self.plan_signing {
            stored.parse::<PlanSigningKeys>(&SecretKind::PlanSigning)?
        } else {
            None
        };
        let signing = match (signing, plan_signing) {
            (Some(signing), Some(plan)) => Some(signing.attach(plan)?),
            (None, Some(_)) => {
                return Err("plan-signing is configured but signing is not".to_owned());
            }
            (signing, None) => signing,
        };
        let single = [SecretKind::Okta];
        let candidates: &[SecretKind] = if stored.is_single_shape() && !self.okta.is_empty() {
            &single
        } else {
            &self.okta
        };
        let mut okta = None;
        for kind in candidates {
            if let Some(credential) = stored.parse::<OktaCredential>(kind)? {
                credential.validate().map_err(|e| format!("{kind}: {e}"))?;
                okta = Some(credential);
                break;
            }
        }
        let named = if self.named {
            stored
                .parse::<BTreeMap<String, SecretString>>(&SecretKind::Named)?
                .unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        Ok(OrgSecret {
            hook,
            signing,
            okta,
            named,
        })
    }

    /// `secret` with the sections this function does not read dropped: for a source
    /// that holds secrets already parsed (tests, the local runner).
    pub fn keep(&self, secret: &OrgSecret) -> OrgSecret {
        OrgSecret {
            hook: secret.hook.clone().filter(|_| self.hook),
            signing: secret.signing.clone().filter(|_| self.signing).map(|keys| {
                if self.plan_signing {
                    keys
                } else {
                    keys.without_plan_signing()
                }
            }),
            okta: secret.okta.clone().filter(|_| !self.okta.is_empty()),
            named: if self.named {
                secret.named.clone()
            } else {
                BTreeMap::new()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(text: &str) -> StoredSecrets {
        StoredSecrets::from_json(text).unwrap()
    }

    const SPLIT: &str = r#"{
        "hook": {"current": "hook-value"},
        "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef"}},
        "okta": {"org_url": "https://acme.okta.com", "api_token": "admin-token"},
        "okta-read": {"org_url": "https://acme.okta.com", "api_token": "read-token"},
        "okta-groups": {"org_url": "https://acme.okta.com", "api_token": "groups-token"},
        "named": {"slack": "https://hooks.example.com/x"}
    }"#;

    fn token(secret: &OrgSecret) -> Option<String> {
        use secrecy::ExposeSecret;
        secret
            .okta
            .as_ref()
            .and_then(|o| o.api_token.as_ref())
            .map(|t| t.expose_secret().to_owned())
    }

    #[test]
    fn a_hook_receiver_holds_the_hook_values_and_nothing_else() {
        let held = SecretReads::hook_receiver()
            .resolve(&stored(SPLIT))
            .unwrap();
        assert!(held.hook.is_some());
        assert!(held.signing.is_none() && held.okta.is_none() && held.named.is_empty());
        assert_eq!(SecretReads::hook_receiver().kinds(), [SecretKind::Hook]);
    }

    #[test]
    fn the_router_and_poller_use_the_read_only_credential() {
        let router = SecretReads::router().resolve(&stored(SPLIT)).unwrap();
        assert_eq!(token(&router).as_deref(), Some("read-token"));
        assert!(router.signing.is_some() && router.hook.is_none());
        let poller = SecretReads::poller().resolve(&stored(SPLIT)).unwrap();
        assert_eq!(token(&poller).as_deref(), Some("read-token"));
        assert!(poller.signing.is_none());
    }

    #[test]
    fn a_family_uses_its_own_credential_per_family_and_the_shared_one_otherwise() {
        let exec = |family, creds| {
            SecretReads::executor(family, creds, true, false)
                .resolve(&stored(SPLIT))
                .unwrap()
        };
        use ExecutorCredentials::{PerFamily, Shared};
        assert_eq!(
            token(&exec("groups", PerFamily)).as_deref(),
            Some("groups-token")
        );
        assert_eq!(
            token(&exec("users", PerFamily)).as_deref(),
            Some("admin-token")
        );
        assert_eq!(
            token(&exec("groups", Shared)).as_deref(),
            Some("admin-token")
        );
        assert!(
            !SecretReads::executor("groups", Shared, true, false)
                .reads(&SecretKind::okta_family("groups").unwrap())
        );
    }

    #[test]
    fn per_family_only_reads_the_familys_own_credential_and_never_the_shared_one() {
        use ExecutorCredentials::PerFamilyOnly;
        let groups = SecretReads::executor("groups", PerFamilyOnly, true, false);
        let own = SecretKind::okta_family("groups").unwrap();
        assert_eq!(groups.kinds(), [SecretKind::Signing, own.clone()]);
        assert_eq!(groups.okta_kinds(), [own]);
        assert!(!groups.reads(&SecretKind::Okta));
        assert_eq!(
            token(&groups.resolve(&stored(SPLIT)).unwrap()).as_deref(),
            Some("groups-token")
        );
        // users has no okta-users: no credential at all, not the shared admin one.
        let users = SecretReads::executor("users", PerFamilyOnly, true, false);
        assert!(!users.reads(&SecretKind::Okta));
        let held = users.resolve(&stored(SPLIT)).unwrap();
        assert!(held.okta.is_none(), "fell back to {:?}", token(&held));
        assert!(held.signing.is_some());
        // notify calls no Okta: nothing, as in every mode.
        let notify = SecretReads::executor("notify", PerFamilyOnly, false, true);
        assert!(notify.okta_kinds().is_empty());
        assert_eq!(notify.kinds(), [SecretKind::Signing, SecretKind::Named]);
        for mode in [
            ExecutorCredentials::Shared,
            ExecutorCredentials::PerFamily,
            PerFamilyOnly,
        ] {
            assert_eq!(ExecutorCredentials::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(
            ExecutorCredentials::parse("per-family-only"),
            Some(PerFamilyOnly)
        );
        assert_eq!(ExecutorCredentials::parse("PerFamilyOnly"), None);
    }

    #[test]
    fn reads_answers_exactly_what_kinds_lists_for_every_function() {
        let mut every = SecretKind::BASE.to_vec();
        every.push(SecretKind::PlanSigning);
        let mut functions = vec![
            SecretReads::hook_receiver(),
            SecretReads::router(),
            SecretReads::poller(),
            SecretReads::all(),
        ];
        for family in ["users", "groups", "notify", "admin"] {
            every.push(SecretKind::okta_family(family).unwrap());
            for credentials in [
                ExecutorCredentials::Shared,
                ExecutorCredentials::PerFamily,
                ExecutorCredentials::PerFamilyOnly,
            ] {
                for (calls_okta, reads_named) in [(true, false), (false, true), (true, true)] {
                    functions.push(SecretReads::executor(
                        family,
                        credentials,
                        calls_okta,
                        reads_named,
                    ));
                }
            }
        }
        for reads in &functions {
            let kinds = reads.kinds();
            for kind in &every {
                assert_eq!(
                    reads.reads(kind),
                    kinds.contains(kind),
                    "{kind} for {reads:?}"
                );
            }
        }
    }

    #[test]
    fn executor_credentials_default_to_shared_and_a_bad_value_names_the_variable() {
        let with = |value: Option<&'static str>| {
            ExecutorCredentials::from_lookup(move |name| {
                assert_eq!(name, "OKTA_HOOKS_EXECUTOR_CREDENTIALS");
                value.map(str::to_owned)
            })
        };
        assert_eq!(with(None), Ok(ExecutorCredentials::Shared));
        assert_eq!(with(Some("shared")), Ok(ExecutorCredentials::Shared));
        assert_eq!(with(Some("per-family")), Ok(ExecutorCredentials::PerFamily));
        assert_eq!(
            with(Some("per-family-only")),
            Ok(ExecutorCredentials::PerFamilyOnly)
        );
        for bad in ["each", "", "PerFamily"] {
            let err = with(Some(bad)).unwrap_err();
            assert_eq!(err.var, "OKTA_HOOKS_EXECUTOR_CREDENTIALS");
            assert_eq!(
                err.reason,
                format!("must be shared, per-family or per-family-only, not {bad:?}")
            );
        }
    }

    #[test]
    fn notify_reads_no_okta_credential_and_only_namers_read_named_values() {
        let notify = SecretReads::executor("notify", ExecutorCredentials::PerFamily, false, true);
        let held = notify.resolve(&stored(SPLIT)).unwrap();
        assert!(held.okta.is_none());
        assert_eq!(held.named.len(), 1);
        assert!(!notify.kinds().iter().any(SecretKind::is_okta_credential));
        let users = SecretReads::executor("users", ExecutorCredentials::Shared, true, false);
        assert!(users.resolve(&stored(SPLIT)).unwrap().named.is_empty());
    }

    #[test]
    fn with_the_single_shape_okta_serves_every_credential() {
        let single =
            stored(r#"{"okta": {"org_url": "https://acme.okta.com", "api_token": "only-token"}}"#);
        assert_eq!(
            token(&SecretReads::poller().resolve(&single).unwrap()).as_deref(),
            Some("only-token")
        );
        assert!(
            SecretReads::hook_receiver()
                .resolve(&single)
                .unwrap()
                .okta
                .is_none()
        );
    }

    /// The split secrets with a plan key pair: the seed in `plan-signing`, its public
    /// key in `signing.plan_keys` under `listed_as`.
    fn with_plan_key(listed_as: &str) -> (StoredSecrets, String) {
        use secrecy::ExposeSecret;
        let pair = crate::generate_plan_key().unwrap();
        let seed = pair.seed.expose_secret().to_owned();
        let text = serde_json::json!({
            "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef"},
                        "plan_keys": {listed_as: pair.public_key}},
            "plan-signing": {"active": "p1", "keys": {"p1": seed}},
        })
        .to_string();
        (StoredSecrets::from_json(&text).unwrap(), seed)
    }

    #[test]
    fn only_the_router_holds_the_private_plan_keys() {
        let (held, seed) = with_plan_key("p1");
        let router = SecretReads::router().resolve(&held).unwrap();
        assert!(router.plan_signing().is_some());
        assert!(SecretReads::router().reads(&SecretKind::PlanSigning));
        assert!(SecretReads::all().reads(&SecretKind::PlanSigning));
        for reads in [
            SecretReads::executor("users", ExecutorCredentials::Shared, true, true),
            SecretReads::executor("notify", ExecutorCredentials::PerFamily, false, true),
            SecretReads::poller(),
            SecretReads::hook_receiver(),
        ] {
            assert!(!reads.reads(&SecretKind::PlanSigning), "{reads:?}");
            assert!(
                reads.resolve(&held).unwrap().plan_signing().is_none(),
                "{reads:?}"
            );
            // Already parsed (the local runner's store), the view drops them too.
            assert!(reads.keep(&router).plan_signing().is_none(), "{reads:?}");
        }
        let executor = SecretReads::executor("users", ExecutorCredentials::Shared, true, false);
        let signing = executor.resolve(&held).unwrap().signing.unwrap();
        assert!(signing.plan_keys_configured() && signing.plan_key("p1").is_some());
        assert!(
            !format!("{router:?}").contains(&seed),
            "Debug shows the seed"
        );
    }

    #[test]
    fn a_plan_key_the_executors_cannot_verify_is_a_configuration_error() {
        let (held, seed) = with_plan_key("p2");
        let err = SecretReads::router().resolve(&held).unwrap_err();
        assert!(err.contains("plan_keys") && err.contains("\"p1\""), "{err}");
        assert!(!err.contains(&seed));
        // An executor does not read plan-signing, so it does not fail on it.
        assert!(
            SecretReads::executor("users", ExecutorCredentials::Shared, true, false)
                .resolve(&held)
                .is_ok()
        );
        // Before plan_keys are listed, the router holds the key (and signs nothing yet).
        let (unlisted, _) = with_plan_key("p1");
        let mut text: serde_json::Value = serde_json::from_str(
            unlisted
                .get(&SecretKind::Signing)
                .map(secrecy::ExposeSecret::expose_secret)
                .unwrap(),
        )
        .unwrap();
        text.as_object_mut().unwrap().remove("plan_keys");
        let mut first_step = unlisted.clone();
        first_step
            .insert(SecretKind::Signing, &text.to_string())
            .unwrap();
        let router = SecretReads::router().resolve(&first_step).unwrap();
        assert!(router.plan_signing().is_some());
        assert!(!router.signing.unwrap().plan_keys_configured());
        let bad = stored(
            r#"{"signing": {"active": "k1",
            "keys": {"k1": "0123456789abcdef0123456789abcdef"}, "plan_keys": {"p1": "c2hvcnQ="}}}"#,
        );
        let err = SecretReads::router().resolve(&bad).unwrap_err();
        assert!(err.contains("plan_keys") && err.contains("p1"), "{err}");
    }

    #[test]
    fn an_invalid_section_is_an_error_naming_its_kind() {
        let bad = stored(r#"{"okta-read": {"org_url": "http://acme.okta.com", "api_token": "t"}}"#);
        let err = SecretReads::router().resolve(&bad).unwrap_err();
        assert!(err.contains("okta-read") && err.contains("https"), "{err}");
        // The receiver does not read it, so it does not fail on it either.
        assert!(SecretReads::hook_receiver().resolve(&bad).is_ok());
    }
}

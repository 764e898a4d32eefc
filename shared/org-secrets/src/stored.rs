//! An org's secrets as stored: by kind, each still the JSON text of its section.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::SecretKind;

/// An org's secrets by [`SecretKind`], as JSON text not yet parsed (redacted in `Debug`).
///
/// One form for both shapes a person may hold them in:
/// - split: one Secrets Manager secret per kind ([`StoredSecrets::insert`] per secret
///   read), or a file `{"hook": …, "signing": …, "okta": …, "okta-read": …,
///   "okta-users": …, "named": …}`;
/// - single (before the split, `LegacySingleSecret`): one secret or file
///   `{"hook", "signing", "okta", "named"}`, whose `okta` serves every Okta credential
///   ([`StoredSecrets::is_single_shape`]).
///
/// A section that holds only keys starting with `_` (the template's `{"_readme": …}`
/// placeholders) is not configured: it is left out. Keys that name no kind are ignored,
/// so a newer secret still loads; their names (not their values) are kept, so that a
/// command can warn about a typo such as `okta_read` ([`StoredSecrets::ignored_keys`]).
#[derive(Debug, Clone, Default)]
pub struct StoredSecrets {
    sections: BTreeMap<SecretKind, SecretString>,
    /// Top-level keys of [`StoredSecrets::from_json`] that name no kind and do not start
    /// with `_`, sorted. Names only: never a value.
    ignored: Vec<String>,
}

impl StoredSecrets {
    /// Nothing stored yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a secret file or single secret: a JSON object keyed by kind. The error names
    /// the position only, never the content.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let map: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(text).map_err(|e| position("org secret", &e))?;
        let mut stored = StoredSecrets::new();
        for (key, raw) in map {
            match SecretKind::parse(&key) {
                Some(kind) => stored.insert(kind, raw.get())?,
                None if key.starts_with('_') => {}
                None => stored.ignored.push(key),
            }
        }
        Ok(stored)
    }

    /// The keys [`StoredSecrets::from_json`] ignored because they name no kind (a typo
    /// such as `okta_read` or `Hook`, or a kind of a newer version), sorted; keys starting
    /// with `_` (comments) are not among them. Names only, for a warning: the values are
    /// not kept.
    pub fn ignored_keys(&self) -> &[String] {
        &self.ignored
    }

    /// Adds the section of `kind` as read from its own secret (or a file's key); a
    /// placeholder (only `_` keys) is left out. Fails when `text` is not a JSON object.
    pub fn insert(&mut self, kind: SecretKind, text: &str) -> Result<(), String> {
        let value: Value = serde_json::from_str(text).map_err(|e| position(&kind.suffix(), &e))?;
        let Value::Object(fields) = value else {
            return Err(format!("{kind}: must be a JSON object"));
        };
        if fields.keys().all(|k| k.starts_with('_')) {
            return Ok(());
        }
        self.sections
            .insert(kind, SecretString::from(text.to_owned()));
        Ok(())
    }

    /// The JSON text of `kind`'s section, if configured. Secret material: never log it.
    pub fn get(&self, kind: &SecretKind) -> Option<&SecretString> {
        self.sections.get(kind)
    }

    /// The configured kinds and their JSON text, in kind order.
    pub fn iter(&self) -> impl Iterator<Item = (&SecretKind, &SecretString)> {
        self.sections.iter()
    }

    /// Whether no kind is configured.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// Whether this is the single shape of before the split: an `okta` credential and
    /// no `okta-read` nor per-family one, so `okta` serves enrichment and the poller too.
    pub fn is_single_shape(&self) -> bool {
        self.sections.contains_key(&SecretKind::Okta)
            && !self
                .sections
                .keys()
                .any(|k| matches!(k, SecretKind::OktaRead | SecretKind::OktaFamily(_)))
    }

    /// The same secrets in the split shape, for `okta-hooks secrets split`: every section
    /// as is, and for the single shape its `okta` copied to `okta-read` too (the router
    /// and the poller read only that one) — the second value says whether that copy was
    /// made, as it keeps the admin credential's rights until a read-only one replaces it.
    pub fn to_split(&self) -> (StoredSecrets, bool) {
        let mut split = self.clone();
        let copy = self.is_single_shape();
        if copy && let Some(okta) = self.get(&SecretKind::Okta) {
            split.sections.insert(SecretKind::OktaRead, okta.clone());
        }
        (split, copy)
    }

    /// The section of `kind` parsed as `T`, if configured; the error names the kind and
    /// the position only.
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(
        &self,
        kind: &SecretKind,
    ) -> Result<Option<T>, String> {
        self.get(kind)
            .map(|text| {
                serde_json::from_str(text.expose_secret()).map_err(|e| position(&kind.suffix(), &e))
            })
            .transpose()
    }
}

/// "not a valid okta-read (Syntax error at line 1 column 7)": where, never what.
fn position(what: &str, e: &serde_json::Error) -> String {
    format!(
        "not a valid {what} ({:?} error at line {} column {})",
        e.classify(),
        e.line(),
        e.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_either_shape_reads_by_kind_and_drops_placeholders() {
        let split = r#"{"hook": {"current": "h"}, "okta-read": {"org_url": "https://a"},
            "okta-users": {"org_url": "https://a"}, "signing": {"_readme": "put keys here"},
            "_comment": "ignored", "future": {}}"#;
        let stored = StoredSecrets::from_json(split).unwrap();
        let kinds: Vec<String> = stored.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(kinds, ["hook", "okta-read", "okta-users"]);
        assert!(!stored.is_single_shape());
        assert_eq!(stored.ignored_keys(), ["future"]);

        let single = r#"{"hook": {"current": "h"}, "okta": {"org_url": "https://a"}}"#;
        assert!(StoredSecrets::from_json(single).unwrap().is_single_shape());
    }

    #[test]
    fn keys_that_name_no_kind_are_listed_by_name_for_a_warning_and_comments_are_not() {
        let stored = StoredSecrets::from_json(
            r#"{"okta_read": {"api_token": "hunter2"}, "Hook": {"current": "h"},
            "hook": {"current": "h"}, "_comment": "fine", "okta-Users": {}}"#,
        )
        .unwrap();
        assert_eq!(stored.ignored_keys(), ["Hook", "okta-Users", "okta_read"]);
        let kinds: Vec<String> = stored.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(kinds, ["hook"]);
        assert!(!format!("{stored:?}").contains("hunter2"));
        assert!(StoredSecrets::new().ignored_keys().is_empty());
    }

    #[test]
    fn splitting_the_single_shape_copies_okta_to_okta_read_once() {
        let single = StoredSecrets::from_json(
            r#"{"hook": {"current": "h"},
            "okta": {"org_url": "https://a", "api_token": "t"}}"#,
        )
        .unwrap();
        let (split, copied) = single.to_split();
        assert!(copied && !split.is_single_shape());
        let kinds: Vec<String> = split.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(kinds, ["hook", "okta", "okta-read"]);
        let (again, copied) = split.to_split();
        assert!(!copied);
        assert_eq!(again.iter().count(), 3);
    }

    #[test]
    fn errors_name_the_kind_and_position_never_the_value() {
        let err = StoredSecrets::from_json(r#"{"named": "hunter2-secret"}"#).unwrap_err();
        assert!(err.contains("named") && !err.contains("hunter2"), "{err}");
        let err = StoredSecrets::from_json(r#"{"hook": {"current": "x""#).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let debug = format!(
            "{:?}",
            StoredSecrets::from_json(r#"{"hook": {"current": "hunter2"}}"#).unwrap()
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}

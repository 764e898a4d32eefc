//! The orgs a deployment serves, from its configuration.
//!
//! Every function that turns an org name from outside (a URL path, a queue body) into a
//! secret lookup first asks [`KnownOrgs`]: a name that is not configured is refused with
//! no Secrets Manager call and no cache entry, so an unauthenticated caller cannot run up
//! calls or memory by inventing names. The set comes from configuration, not from
//! `ListSecrets` (which would need `secretsmanager:ListSecrets` on `*`).

use std::fmt;

use env_config::ConfigError;

use crate::OrgName;

/// Most orgs one deployment may list: it bounds every per-org cache.
pub const MAX_ORGS: usize = 256;

/// The orgs of a deployment and its default org (the org of `/hooks/okta` without an
/// `{org}`), which is always one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownOrgs {
    default: OrgName,
    /// In configuration order, no duplicates, the default included.
    orgs: Vec<OrgName>,
}

impl Default for KnownOrgs {
    /// `default` alone: what an unconfigured single-org deployment serves.
    fn default() -> Self {
        KnownOrgs::single(OrgName::default_org())
    }
}

impl KnownOrgs {
    /// One org, which is also the default.
    pub fn single(org: OrgName) -> Self {
        KnownOrgs {
            orgs: vec![org.clone()],
            default: org,
        }
    }

    /// `default` and `others` (duplicates dropped; the default is added when missing).
    /// For code and tests; configuration goes through [`KnownOrgs::from_lookup`], which
    /// refuses a default that the list leaves out instead.
    pub fn new(default: OrgName, others: impl IntoIterator<Item = OrgName>) -> Self {
        let mut known = KnownOrgs::single(default);
        for org in others {
            if !known.orgs.contains(&org) {
                known.orgs.push(org);
            }
        }
        known
    }

    /// Reads `OKTA_HOOKS_ORGS` (comma-separated org names) and `OKTA_HOOKS_DEFAULT_ORG`:
    ///
    /// - neither set: the org `default` alone;
    /// - only the default set: that org alone (a single-org deployment sets nothing else);
    /// - only the list set: those orgs, the first one being the default;
    /// - both set: the list, which must name the default (a default that is not listed is
    ///   refused rather than added, as it is most likely a typo in one of the two).
    ///
    /// Errors name the variable, and the offending name for a bad org name.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let default = match lookup("OKTA_HOOKS_DEFAULT_ORG") {
            None => None,
            Some(value) => Some(OrgName::parse(value.trim()).map_err(|e| ConfigError {
                var: "OKTA_HOOKS_DEFAULT_ORG",
                reason: format!("{value:?}: {e}"),
            })?),
        };
        let Some(text) = lookup("OKTA_HOOKS_ORGS") else {
            return Ok(KnownOrgs::single(
                default.unwrap_or_else(OrgName::default_org),
            ));
        };
        let mut orgs: Vec<OrgName> = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let org = OrgName::parse(name).map_err(|e| ConfigError {
                var: "OKTA_HOOKS_ORGS",
                reason: format!("{name:?}: {e}"),
            })?;
            if !orgs.contains(&org) {
                orgs.push(org);
            }
        }
        if orgs.len() > MAX_ORGS {
            return Err(ConfigError {
                var: "OKTA_HOOKS_ORGS",
                reason: format!("names {} orgs; at most {MAX_ORGS}", orgs.len()),
            });
        }
        let Some(first) = orgs.first().cloned() else {
            return Err(ConfigError {
                var: "OKTA_HOOKS_ORGS",
                reason: "names no org (a comma-separated list of org names)".to_owned(),
            });
        };
        let default = match default {
            None => first,
            Some(default) if orgs.contains(&default) => default,
            Some(default) => {
                return Err(ConfigError {
                    var: "OKTA_HOOKS_DEFAULT_ORG",
                    reason: format!(
                        "{default} is not one of OKTA_HOOKS_ORGS ({}); list it there too",
                        orgs.iter()
                            .map(OrgName::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                });
            }
        };
        Ok(KnownOrgs { default, orgs })
    }

    /// The org of `/hooks/okta` without an `{org}`.
    pub fn default_org(&self) -> &OrgName {
        &self.default
    }

    /// The configured org of this name, if it is one. Takes the raw name, so a caller
    /// needs no validation of its own: anything not configured is `None`.
    pub fn get(&self, name: &str) -> Option<&OrgName> {
        self.orgs.iter().find(|org| org.as_str() == name)
    }

    /// Whether `org` is served.
    pub fn contains(&self, org: &OrgName) -> bool {
        self.orgs.contains(org)
    }

    /// The orgs, in configuration order (the default among them).
    pub fn iter(&self) -> impl Iterator<Item = &OrgName> {
        self.orgs.iter()
    }

    /// How many orgs are served (at least one).
    pub fn len(&self) -> usize {
        self.orgs.len()
    }

    /// Always `false`: there is at least the default org.
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }
}

impl fmt::Display for KnownOrgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.orgs.iter().map(OrgName::as_str).collect();
        write!(f, "{} (default {})", names.join(","), self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn names(known: &KnownOrgs) -> Vec<&str> {
        known.iter().map(OrgName::as_str).collect()
    }

    #[test]
    fn nothing_set_serves_the_default_org_alone() {
        let known = KnownOrgs::from_lookup(&env(&[])).unwrap();
        assert_eq!(names(&known), ["default"]);
        assert_eq!(known.default_org().as_str(), "default");
        assert_eq!(known, KnownOrgs::default());
    }

    #[test]
    fn a_default_org_alone_is_the_whole_set() {
        let known = KnownOrgs::from_lookup(&env(&[("OKTA_HOOKS_DEFAULT_ORG", "acme")])).unwrap();
        assert_eq!(names(&known), ["acme"]);
        assert_eq!(known.default_org().as_str(), "acme");
    }

    #[test]
    fn the_list_is_checked_deduplicated_and_its_first_org_is_the_default() {
        let known =
            KnownOrgs::from_lookup(&env(&[("OKTA_HOOKS_ORGS", " acme, beta ,acme,")])).unwrap();
        assert_eq!(names(&known), ["acme", "beta"]);
        assert_eq!(known.default_org().as_str(), "acme");
        assert!(known.get("beta").is_some());
        assert!(known.get("gamma").is_none());
        assert!(known.get("../etc").is_none());
    }

    #[test]
    fn a_bad_org_name_in_the_list_is_an_error_naming_the_variable_and_the_name() {
        let err =
            KnownOrgs::from_lookup(&env(&[("OKTA_HOOKS_ORGS", "acme,no/slash")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ORGS");
        assert!(err.reason.contains("no/slash"), "{}", err.reason);
        assert!(err.to_string().contains("OKTA_HOOKS_ORGS"));
        let err = KnownOrgs::from_lookup(&env(&[("OKTA_HOOKS_ORGS", " , ")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ORGS");
        let err = KnownOrgs::from_lookup(&env(&[("OKTA_HOOKS_DEFAULT_ORG", "a/b")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_DEFAULT_ORG");
    }

    #[test]
    fn a_default_org_the_list_leaves_out_is_refused_not_added() {
        let err = KnownOrgs::from_lookup(&env(&[
            ("OKTA_HOOKS_ORGS", "acme,beta"),
            ("OKTA_HOOKS_DEFAULT_ORG", "gamma"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_DEFAULT_ORG");
        assert!(err.reason.contains("OKTA_HOOKS_ORGS"), "{}", err.reason);
        let known = KnownOrgs::from_lookup(&env(&[
            ("OKTA_HOOKS_ORGS", "acme,beta"),
            ("OKTA_HOOKS_DEFAULT_ORG", "beta"),
        ]))
        .unwrap();
        assert_eq!(known.default_org().as_str(), "beta");
        assert_eq!(names(&known), ["acme", "beta"]);
    }

    #[test]
    fn more_orgs_than_the_bound_are_refused() {
        let many: String = (0..=MAX_ORGS)
            .map(|i| format!("org{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let err =
            KnownOrgs::from_lookup(&|name: &str| (name == "OKTA_HOOKS_ORGS").then(|| many.clone()))
                .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ORGS");
    }
}

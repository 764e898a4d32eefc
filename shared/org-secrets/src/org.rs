//! Org names: the `{org}` of `/hooks/okta/{org}`, also part of the secret's id.

use std::fmt;

/// A validated org name: 1–64 characters of `A-Z a-z 0-9 - _`.
///
/// It comes from a URL path and becomes part of a Secrets Manager id, so anything else is
/// refused before it reaches either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an org name is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'")]
pub struct OrgNameError;

impl OrgName {
    pub fn parse(name: &str) -> Result<Self, OrgNameError> {
        let valid = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(OrgName(name.to_owned()))
        } else {
            Err(OrgNameError)
        }
    }

    /// `default`: the org of `/hooks/okta` when no other default is configured.
    pub fn default_org() -> Self {
        OrgName("default".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_and_refuses_the_rest() {
        assert!(OrgName::parse("acme-prod_1").is_ok());
        for bad in ["", "a/b", "../x", "a b", "é", &"x".repeat(65)] {
            assert_eq!(OrgName::parse(bad), Err(OrgNameError), "{bad:?}");
        }
    }
}

//! Org names: the `{org}` of `/hooks/okta/{org}`, also part of the secret's id.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// A validated org name: 1–64 characters of `A-Z a-z 0-9 - _`.
///
/// It comes from a URL path and becomes part of a Secrets Manager id, so anything else is
/// refused before it reaches either.
///
/// In JSON it is the plain string, and it deserialises only when valid (through
/// [`OrgName::parse`]): a struct that holds an `OrgName` needs no second check after it
/// is read, and one holding an invalid name is never built.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct OrgName(String);

/// Why a string is not an [`OrgName`] (the message says what one is, never echoes the
/// refused text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an org name is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'")]
pub struct OrgNameError;

impl OrgName {
    /// `name` as an org name, if it is 1–64 characters of `A-Z a-z 0-9 - _`.
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

    /// The name, as written in URLs, secret ids and JSON.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgName {
    type Error = OrgNameError;

    fn try_from(name: String) -> Result<Self, OrgNameError> {
        OrgName::parse(&name)
    }
}

impl Serialize for OrgName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
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

    #[test]
    fn json_holds_the_plain_string_and_reads_back_only_valid_names() {
        let org = OrgName::parse("acme-prod_1").unwrap();
        assert_eq!(serde_json::to_string(&org).unwrap(), r#""acme-prod_1""#);
        let back: OrgName = serde_json::from_str(r#""acme-prod_1""#).unwrap();
        assert_eq!(back, org);
        for bad in [r#""""#, r#""a/b""#, r#""../x""#, "7", "null"] {
            assert!(serde_json::from_str::<OrgName>(bad).is_err(), "{bad}");
        }
        let refused = serde_json::from_str::<OrgName>(r#""a b""#).unwrap_err();
        assert!(refused.to_string().contains("an org name is"), "{refused}");
    }
}

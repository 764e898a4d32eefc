//! Building request URLs: path segments percent-encoded, query parameters typed.
//!
//! Logins go into paths (`/api/v1/users/{login}`), and a login can hold `@`, `+`, `/`,
//! `#`, `?` or spaces. Every segment is encoded with the strictest set (all but
//! unreserved characters), which Okta decodes, so `a+b@x.com` cannot become a different
//! path or a query.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::error::{OktaError, Result};

/// Everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `org_url` + `/seg1/seg2/…`, each segment percent-encoded.
pub(crate) fn url_for(org_url: &Url, segments: &[&str]) -> Result<Url> {
    let mut path = String::new();
    for segment in segments {
        if segment.is_empty() || *segment == "." || *segment == ".." {
            return Err(OktaError::InvalidRequest(format!(
                "path segment {segment:?} would change the path; pass an id or login"
            )));
        }
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    let mut url = org_url.clone();
    url.set_path(&path);
    Ok(url)
}

/// Appends `query` (a struct of optional fields, serialised with serde) to `url`.
///
/// `None` fields are skipped; booleans and numbers are written as JSON writes them;
/// lists are comma-joined (Okta's convention for `expand`, `fields`). The encoding is
/// `application/x-www-form-urlencoded`, as Okta's own examples use.
pub(crate) fn with_query<Q: Serialize + ?Sized>(mut url: Url, query: &Q) -> Result<Url> {
    let value = serde_json::to_value(query)
        .map_err(|e| OktaError::InvalidRequest(format!("query parameters: {e}")))?;
    let Value::Object(map) = value else {
        return Err(OktaError::InvalidRequest(
            "query parameters must be a struct".into(),
        ));
    };
    let pairs: Vec<(String, String)> = map
        .into_iter()
        .filter_map(|(k, v)| scalar_text(&v).map(|t| (k, t)))
        .collect();
    if !pairs.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
    }
    Ok(url)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar_text).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        Value::Object(_) => None,
    }
}

/// `METHOD /path` for errors and logs: no host, no query (queries hold search terms).
pub(crate) fn describe(method: &http::Method, url: &Url) -> String {
    format!("{method} {}", url.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Url {
        Url::parse("https://ex.okta.com").unwrap()
    }

    #[test]
    fn logins_are_encoded_as_one_segment() {
        let u = url_for(&org(), &["api", "v1", "users", "a+b@x.com/../?#"]).unwrap();
        assert_eq!(
            u.as_str(),
            "https://ex.okta.com/api/v1/users/a%2Bb%40x.com%2F..%2F%3F%23"
        );
        assert_eq!(u.path_segments().unwrap().count(), 4);
    }

    #[test]
    fn dot_segments_are_refused() {
        assert!(url_for(&org(), &["api", "v1", "users", ".."]).is_err());
        assert!(url_for(&org(), &["api", "v1", "users", ""]).is_err());
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Q {
        search: Option<String>,
        limit: Option<u32>,
        send_email: Option<bool>,
        expand: Vec<String>,
    }

    #[test]
    fn typed_query() {
        let q = Q {
            search: Some("profile.department eq \"Eng\"".into()),
            limit: Some(200),
            send_email: Some(false),
            expand: vec!["a".into(), "b".into()],
        };
        let u = with_query(url_for(&org(), &["api", "v1", "users"]).unwrap(), &q).unwrap();
        let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("search".into(), "profile.department eq \"Eng\"".into())));
        assert!(pairs.contains(&("limit".into(), "200".into())));
        assert!(pairs.contains(&("sendEmail".into(), "false".into())));
        assert!(pairs.contains(&("expand".into(), "a,b".into())));
        let none = Q {
            search: None,
            limit: None,
            send_email: None,
            expand: vec![],
        };
        let u = with_query(url_for(&org(), &["x"]).unwrap(), &none).unwrap();
        assert_eq!(u.query(), None);
    }
}

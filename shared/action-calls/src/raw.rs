//! `okta.request`: a raw Management API request, for anything Okta adds later.
//!
//! The executor's credential is powerful, so the request is held to the Management API
//! of the same org: a path (never a URL) under `/api/`, no dot segments, no query or
//! fragment smuggled into the path (the query goes in `query`). `okta-client` checks the
//! origin again before sending.

use http::Method;
use okta_client::OktaClient;
use serde_json::{Map, Value};
use url::Url;

use crate::dispatch::{Ctx, done, handlers};
use crate::error::ExecError;
use crate::outcome::Outcome;
use crate::params::Params;

handlers! {
    "okta.request" => request,
}

/// Response headers not worth passing on to later steps.
const DROPPED_HEADERS: &[&str] = &["set-cookie", "strict-transport-security", "p3p"];

async fn request(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let method = method(p)?;
    let okta = ctx.okta()?;
    let url = api_url(p, okta, p.id("path")?, p.opt_object("query")?)?;
    let body = p.value("body").filter(|b| !b.is_null());
    let r = okta.raw(method, url.as_str(), body).await?;
    let mut headers = Map::new();
    for name in r.meta.headers.keys() {
        if DROPPED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let values: Vec<&str> = r
            .meta
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        headers.insert(name.as_str().to_owned(), Value::from(values.join(", ")));
    }
    let body = if r.body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&r.body)
            .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&r.body).into_owned()))
    };
    let mut output = Map::new();
    output.insert("status".into(), Value::from(r.meta.status));
    output.insert("headers".into(), Value::Object(headers));
    output.insert("body".into(), body);
    Ok(done(&r.meta).output(output))
}

fn method(p: &Params<'_>) -> Result<Method, ExecError> {
    let name = p.id("method")?.to_ascii_uppercase();
    match name.as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        _ => Err(p.bad("parameter `method` must be GET, POST, PUT, PATCH or DELETE")),
    }
}

/// The org's URL for `path` + `query`, or why not.
pub(crate) fn api_url(
    p: &Params<'_>,
    okta: &OktaClient,
    path: &str,
    query: Option<&Map<String, Value>>,
) -> Result<Url, ExecError> {
    let refuse = |why: &str| p.bad(format!("parameter `path`: {why}"));
    if !path.starts_with("/api/") {
        return Err(refuse(
            "must be a path under /api/ of the org (not a URL, not another API)",
        ));
    }
    if path
        .chars()
        .any(|c| matches!(c, '?' | '#' | '\\') || c.is_control() || c.is_whitespace())
    {
        return Err(refuse(
            "must not hold `?`, `#`, `\\` or spaces (give the query in `query`)",
        ));
    }
    let dot_segment = path.split('/').any(|seg| {
        let s = seg.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    });
    if dot_segment {
        return Err(refuse("must not hold `.` or `..` segments"));
    }
    let org = okta.org_url();
    let mut url = org
        .join(path)
        .map_err(|_| refuse("is not a valid URL path"))?;
    if url.origin() != org.origin() || !url.path().starts_with("/api/") {
        return Err(refuse("leaves the org's /api/"));
    }
    url.set_query(None);
    if let Some(query) = query {
        let mut pairs = Vec::new();
        for (key, value) in query {
            match value {
                Value::Null => {}
                Value::Array(items) => {
                    for item in items {
                        pairs.push((key, scalar(p, key, item)?));
                    }
                }
                other => pairs.push((key, scalar(p, key, other)?)),
            }
        }
        if !pairs.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k, &v);
            }
        }
    }
    Ok(url)
}

fn scalar(p: &Params<'_>, key: &str, value: &Value) -> Result<String, ExecError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(p.bad(format!(
            "query parameter `{key}` must be a string, number, boolean or a list of them"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_client::{AuthConfig, OktaConfig, SecretString};
    use serde_json::json;

    fn client() -> OktaClient {
        let auth = AuthConfig::ApiToken(SecretString::from("t"));
        OktaClient::new(OktaConfig::new("https://acme.okta.com", auth).unwrap()).unwrap()
    }

    fn url(path: &str, query: &Value) -> Result<String, String> {
        let m = Map::new();
        let p = Params::new("okta.request", &m);
        api_url(&p, &client(), path, query.as_object())
            .map(|u| u.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn paths_under_api_with_a_query() {
        assert_eq!(
            url(
                "/api/v1/users",
                &json!({"limit": 2, "search": "a eq \"b\"", "expand": ["x", "y"], "n": null})
            )
            .unwrap(),
            "https://acme.okta.com/api/v1/users?expand=x&expand=y&limit=2&search=a+eq+%22b%22"
        );
        assert_eq!(
            url("/api/v1/users/a%40b.com", &json!(null)).unwrap(),
            "https://acme.okta.com/api/v1/users/a%40b.com"
        );
    }

    #[test]
    fn other_hosts_apis_and_tricks_are_refused() {
        for path in [
            "https://evil.example.com/api/v1/users",
            "//evil.example.com/api/v1/users",
            "/oauth2/v1/token",
            "api/v1/users",
            "/api/v1/../../oauth2/v1/token",
            "/api/v1/%2e%2e/%2E%2E/oauth2/v1/token",
            "/api/v1/users?limit=1",
            "/api/v1/users#x",
            "/api/v1\\..\\oauth2",
            "/api/v1/users/a b",
        ] {
            let e = url(path, &json!(null)).unwrap_err();
            assert!(e.contains("parameter `path`"), "{path}: {e}");
        }
        assert!(url("/api/v1/users", &json!({"q": {"nested": 1}})).is_err());
    }
}

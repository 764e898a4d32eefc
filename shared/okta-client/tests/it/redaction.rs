//! No secret — API token, private key, client assertion, access token, DPoP proof or
//! key — reaches `Debug`, `Display`, an error or a log line, across the flows that
//! handle them: minting with a DPoP nonce challenge, a 401 re-mint, and failures.

use crate::common;

use common::*;
use jsonwebtoken::Algorithm;
use okta_client::{KeyAlgorithm, OktaClient};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// 401 for the first token, 500 for the second: exercises re-mint and error paths.
struct RejectThenFail;
impl Respond for RejectThenFail {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        if auth.ends_with(" tok-1") {
            ResponseTemplate::new(401).set_body_json(serde_json::json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"}))
        } else {
            ResponseTemplate::new(500).set_body_json(error_body("ErrorInternalServer"))
        }
    }
}

/// Secret material that must never be printed. The PEM is checked by its body lines.
fn secrets(extra: &[String]) -> Vec<String> {
    let mut s: Vec<String> = vec![API_TOKEN.into(), "tok-1".into(), "tok-2".into()];
    for pem in [RSA_PRIVATE, EC_PRIVATE] {
        s.extend(
            pem.lines()
                .filter(|l| !l.starts_with("-----") && l.len() > 20)
                .map(str::to_owned),
        );
    }
    s.extend(extra.iter().cloned());
    s
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} leaks a secret ({}…):\n{text}",
            &secret[..secret.len().min(8)]
        );
    }
    // Any JWT (assertion, DPoP proof) starts with a base64url `{"`.
    assert!(!text.contains("eyJ"), "{what} contains a JWT:\n{text}");
}

#[tokio::test]
async fn no_secret_in_logs_debug_display_or_errors() {
    let captured = okta_fixtures::CapturedLogs::text();

    let server = MockServer::builder().start().await;
    let mut endpoint = TokenEndpoint::new(EC_PUBLIC, Algorithm::ES256);
    endpoint.nonce = Some("nonce-1".into());
    let seen = endpoint.seen.clone();
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(endpoint)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(RejectThenFail)
        .mount(&server)
        .await;

    let oauth_config = oauth_config(&server.uri(), KeyAlgorithm::Es256, true);
    let oauth = OktaClient::new(oauth_config.clone()).unwrap();
    let oauth_err = oauth.get_user("00u1").await.unwrap_err();

    let ssws_config = ssws_config(&server.uri());
    let ssws = OktaClient::new(ssws_config.clone()).unwrap();
    let ssws_err = ssws.get_user("00u1").await.unwrap_err();

    // A bad key's error must not quote the key either.
    let mut bad = oauth_config.clone();
    if let okta_client::AuthConfig::OAuth(o) = &mut bad.auth {
        o.private_key_pem = okta_client::SecretString::from(RSA_PRIVATE.replace("MII", "XXX"));
        o.algorithm = KeyAlgorithm::Rs256;
    }
    let bad_err = OktaClient::new(bad).unwrap_err();

    // What the server received proves the secrets were really used.
    let reqs = server.received_requests().await.unwrap();
    let mut sent: Vec<String> = reqs
        .iter()
        .filter_map(|r| {
            r.headers
                .get("dpop")
                .map(|v| v.to_str().unwrap().to_owned())
        })
        .collect();
    for t in seen.lock().unwrap().iter() {
        sent.push(t.form_value("client_assertion").unwrap().to_owned());
    }
    assert!(
        sent.len() >= 4,
        "assertions and proofs were sent: {}",
        sent.len()
    );
    assert!(reqs.iter().any(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v == "DPoP tok-2")
    }));
    let secrets = secrets(&sent);

    let texts = [
        ("config Debug (OAuth)", format!("{oauth_config:?}")),
        ("config Debug (SSWS)", format!("{ssws_config:?}")),
        ("client Debug (OAuth)", format!("{oauth:?}")),
        ("client Debug (SSWS)", format!("{ssws:?}")),
        (
            "error Debug",
            format!("{oauth_err:?} {ssws_err:?} {bad_err:?}"),
        ),
        ("error Display", format!("{oauth_err} {ssws_err} {bad_err}")),
    ];
    for (what, text) in &texts {
        assert_clean(what, text, &secrets);
    }
    assert!(
        texts[0].1.contains("[REDACTED]"),
        "the config shows that a secret is there"
    );

    let logs = captured.contents();
    assert!(
        logs.contains("minted an Okta access token"),
        "logging was captured:\n{logs}"
    );
    assert!(logs.contains("Okta rejected the access token"), "{logs}");
    assert_clean("logs", &logs, &secrets);
}

//! `okta-hooks send`: posts a delivery to a hook URL as Okta's Preview tab does, or
//! performs the verification challenge and checks the echo.

use std::path::PathBuf;

use okta_events::{Delivery, OKTA_EVENT_HOOK_TYPE};
use reqwest::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const AGENT: &str = concat!("okta-hooks/", env!("CARGO_PKG_VERSION"), " (send)");

#[derive(clap::Args)]
pub struct SendArgs {
    /// A delivery, a single System Log event, or a JSON array of events (wrapped in an
    /// envelope as Okta would).
    #[arg(required_unless_present = "verify")]
    file: Option<PathBuf>,
    /// The hook URL, e.g. `http://127.0.0.1:8787/hooks/okta`
    #[arg(long)]
    url: String,
    /// The auth header value the hook expects.
    #[arg(long, env = "OKTA_HOOKS_SECRET")]
    secret: Option<String>,
    /// The auth header's name.
    #[arg(long, default_value = "Authorization")]
    header: String,
    /// Send the one-time verification challenge instead of a delivery.
    #[arg(long, conflicts_with = "file")]
    verify: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("give a FILE to send, or --verify")]
    NothingToSend,
    #[error("{0} holds neither a delivery, a System Log event nor an array of events")]
    NotAnEvent(PathBuf),
    #[error("request to {url} failed: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("the hook answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("verification failed: sent challenge {sent:?}, got back {got}")]
    WrongEcho { sent: String, got: String },
}

pub async fn run(args: SendArgs) -> Result<(), SendError> {
    let client = reqwest::Client::builder()
        .user_agent(AGENT)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|source| SendError::Http {
            url: args.url.clone(),
            source,
        })?;
    if args.verify {
        return verify(&client, &args).await;
    }
    let Some(path) = &args.file else {
        return Err(SendError::NothingToSend);
    };
    let delivery = delivery_from_file(path)?;
    let count = delivery["data"]["events"].as_array().map_or(0, Vec::len);
    let mut request = client
        .post(&args.url)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, AGENT)
        .body(delivery.to_string());
    if let Some(secret) = &args.secret {
        request = request.header(args.header.as_str(), secret.as_str());
    }
    let (status, body) = exchange(request, &args.url).await?;
    println!(
        "delivered {count} event(s) in delivery {}: {status} {body}",
        delivery["eventId"].as_str().unwrap_or("?")
    );
    Ok(())
}

async fn verify(client: &reqwest::Client, args: &SendArgs) -> Result<(), SendError> {
    let challenge = uuid::Uuid::new_v4().to_string();
    let mut request = client
        .get(&args.url)
        .header("X-Okta-Verification-Challenge", &challenge)
        .header(ACCEPT, "application/json");
    if let Some(secret) = &args.secret {
        request = request.header(args.header.as_str(), secret.as_str());
    }
    let (_, body) = exchange(request, &args.url).await?;
    let echoed: Option<String> = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["verification"].as_str().map(str::to_owned));
    if echoed.as_deref() != Some(challenge.as_str()) {
        return Err(SendError::WrongEcho {
            sent: challenge,
            got: body,
        });
    }
    println!("verified: {} echoed challenge {challenge}", args.url);
    Ok(())
}

/// Sends, and turns any non-2xx answer into an error that shows it.
async fn exchange(request: reqwest::RequestBuilder, url: &str) -> Result<(u16, String), SendError> {
    let response = request.send().await.map_err(|source| SendError::Http {
        url: url.to_owned(),
        source,
    })?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        Ok((status, body))
    } else {
        Err(SendError::Refused { status, body })
    }
}

/// Reads a file as a delivery, wrapping bare events in a fresh envelope.
pub fn delivery_from_file(path: &std::path::Path) -> Result<Value, SendError> {
    let text = std::fs::read_to_string(path).map_err(|source| SendError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| SendError::NotJson {
        path: path.to_owned(),
        source,
    })?;
    wrap(value).ok_or_else(|| SendError::NotAnEvent(path.to_owned()))
}

fn wrap(value: Value) -> Option<Value> {
    let events = match value {
        Value::Object(ref map)
            if map.get("eventType").and_then(Value::as_str) == Some(OKTA_EVENT_HOOK_TYPE) =>
        {
            return Some(value);
        }
        Value::Object(ref map) if map.contains_key("uuid") && map.contains_key("eventType") => {
            vec![value]
        }
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|i| i.get("uuid").is_some()) =>
        {
            items
        }
        _ => return None,
    };
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let delivery = Delivery::wrap(events, uuid::Uuid::new_v4().to_string(), now);
    serde_json::to_value(delivery).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_event_is_wrapped_in_an_envelope() {
        let event = serde_json::json!({"uuid": "u1", "eventType": "user.lifecycle.suspend"});
        let delivery = wrap(event.clone()).unwrap();
        assert_eq!(delivery["eventType"], OKTA_EVENT_HOOK_TYPE);
        assert_eq!(delivery["cloudEventsVersion"], "0.1");
        assert_eq!(delivery["data"]["events"][0], event);
        assert!(
            delivery["eventId"]
                .as_str()
                .is_some_and(|id| id.len() == 36)
        );
    }

    #[test]
    fn a_delivery_is_sent_as_is_and_junk_is_refused() {
        let delivery = serde_json::json!({"eventType": OKTA_EVENT_HOOK_TYPE, "eventId": "d", "data": {"events": []}});
        assert_eq!(wrap(delivery.clone()), Some(delivery));
        assert_eq!(wrap(serde_json::json!({"hello": "world"})), None);
        assert_eq!(wrap(serde_json::json!([])), None);
        let two =
            serde_json::json!([{"uuid": "a", "eventType": "x"}, {"uuid": "b", "eventType": "y"}]);
        assert_eq!(
            wrap(two).unwrap()["data"]["events"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}

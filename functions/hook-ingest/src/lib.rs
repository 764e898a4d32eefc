//! `hook-ingest`: Okta's event hook deliveries in, one FIFO message per event out; an
//! event that cannot go on the events queue is parked on the rejects queue
//! (`OKTA_HOOKS_REJECTS_QUEUE_URL`, required) with its reason.
//!
//! [`build`] is the composition root: the configuration and the AWS clients, and no
//! network call; the org's secret is fetched on the first request and cached. Only the
//! orgs of `OKTA_HOOKS_ORGS` (default: `OKTA_HOOKS_DEFAULT_ORG`) are served: a request
//! for any other is `401` with no secret read. [`handle`] answers one request.
//!
//! Two ways in (template parameter `Ingress`): the HTTP API routes `POST /hooks/okta` and
//! `POST /hooks/okta/{org}` here (`HttpApi`), or a Lambda Function URL sends every request
//! here (`FunctionUrl`): then this function also answers Okta's verification `GET` (the
//! very code `hook-verify` runs, [`IngestHandler::handle`]) and reads the org from the
//! path itself, since a Function URL has no routes.

use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use fifo_queue::FifoQueue;
use hook_receiver::{
    Authenticator, ConfigError, HookRequest, HookResponse, IngestConfig, IngestHandler, org_of_path,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use lambda_support::{hook_request, lambda_response};
use org_secrets::SecretSource;

/// The handler with its AWS adapters: events queue, org secrets, rejects queue.
pub type Handler = IngestHandler<SqsFifoQueue, SecretsManagerSource, SqsFifoQueue>;

/// Builds the handler once per cold start; the rejects queue is required here.
pub fn build(config: IngestConfig, aws: &aws_config::SdkConfig) -> Result<Handler, ConfigError> {
    let rejects_url = config.rejects_queue_url.clone().ok_or(ConfigError {
        var: "OKTA_HOOKS_REJECTS_QUEUE_URL",
        reason: "required: the FIFO queue where events the events queue cannot take are parked"
            .to_owned(),
    })?;
    let secrets = SecretsManagerSource::for_hook_receiver(aws, &config.receiver.secrets);
    // One SQS client for both queues, built by the first delivery.
    let sqs = SqsFifoQueue::client(aws);
    let queue = SqsFifoQueue::shared(&sqs, &config.events_queue_url);
    let auth = Authenticator::for_config(secrets, &config.receiver);
    let rejects = SqsFifoQueue::shared(&sqs, &rejects_url);
    Ok(IngestHandler::new(config.receiver, auth, queue).with_rejects(rejects))
}

/// Answers one request, from the HTTP API or a Function URL (both payload format 2.0).
pub async fn handle<Q: FifoQueue, S: SecretSource, R: FifoQueue>(
    handler: &IngestHandler<Q, S, R>,
    request: Request,
) -> Response<Body> {
    let response = match routed(request) {
        Ok(request) => handler.handle(&request).await,
        Err(refused) => refused,
    };
    lambda_response(response)
}

/// The request, its org taken from the path when nothing routed it: a Lambda Function
/// URL invokes with route key `$default` and no path parameters for every method and path,
/// so `/hooks/okta` and `/hooks/okta/{org}` are told apart here and any other path is
/// `404`, as API Gateway answers a path without a route.
fn routed(request: Request) -> Result<HookRequest, HookResponse> {
    let unrouted = matches!(
        request.request_context_ref(),
        Some(RequestContext::ApiGatewayV2(context))
            if context.route_key.as_deref().is_none_or(|key| key == "$default")
    ) && request
        .path_parameters_ref()
        .is_none_or(|parameters| parameters.first("org").is_none());
    let path = unrouted.then(|| request.raw_http_path().to_owned());
    let mut hook = hook_request(request);
    if let Some(path) = path {
        hook.org = org_of_path(&path).map_err(HookResponse::from)?;
    }
    Ok(hook)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use fifo_queue::MemoryQueue;
    use hook_receiver::ReceiverConfig;
    use lambda_http::request::from_str;
    use org_secrets::{HookAuth, KnownOrgs, OrgName, OrgSecret, SecretCache, StaticSecrets};
    use serde_json::{Value, json};

    use super::*;

    /// The auth header value of the files in `events/`.
    const SECRET: &str = "okta-hooks-example-secret";

    fn handler(queue: Arc<MemoryQueue>) -> IngestHandler<Arc<MemoryQueue>, StaticSecrets> {
        let org = |name: &str| OrgName::parse(name).unwrap();
        let config = ReceiverConfig {
            orgs: KnownOrgs::new(org("default"), [org("acme")]),
            ..ReceiverConfig::default()
        };
        let secret = |value: &str| OrgSecret {
            hook: Some(HookAuth::new("Authorization", value, None)),
            ..Default::default()
        };
        let secrets = StaticSecrets::new()
            .with("default", secret(SECRET))
            .with("acme", secret("acme-secret"));
        let auth = Authenticator::new(SecretCache::new(
            secrets,
            Duration::from_secs(300),
            Duration::ZERO,
        ));
        IngestHandler::new(config, auth, queue)
    }

    /// A file of `events/` as Lambda hands it over, with `edit` applied to its JSON.
    fn event(name: &str, edit: impl FnOnce(&mut Value)) -> Request {
        let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("events/ file");
        let mut json: Value = serde_json::from_str(&text).unwrap();
        edit(&mut json);
        from_str(&json.to_string()).expect("a Lambda HTTP event")
    }

    fn at(path: &str) -> impl FnOnce(&mut Value) {
        move |json: &mut Value| {
            json["rawPath"] = json!(path);
            json["requestContext"]["http"]["path"] = json!(path);
        }
    }

    fn text(response: &Response<Body>) -> Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("JSON"),
            other => panic!("a text body, not {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_verification_get_through_the_function_url_answers_the_challenge() {
        let queue = Arc::new(MemoryQueue::new());
        let handler = handler(queue.clone());
        for path in ["/hooks/okta/default", "/hooks/okta"] {
            let response = handle(&handler, event("function-url-verify.json", at(path))).await;
            assert_eq!(response.status(), 200, "{path}: {:?}", response.body());
            assert_eq!(response.headers()["content-type"], "application/json");
            assert_eq!(
                text(&response),
                json!({"verification": "2ed3b9f8-f34e-4d1c-9b53-1a0d7c0e5b11"}),
                "{path}"
            );
        }
        assert!(queue.is_empty(), "a verification enqueues nothing");
    }

    #[tokio::test]
    async fn a_verification_get_with_wrong_auth_is_refused_as_a_delivery_with_wrong_auth_is() {
        let queue = Arc::new(MemoryQueue::new());
        let handler = handler(queue.clone());
        let wrong = |json: &mut Value| json["headers"]["authorization"] = json!("nope");
        let get = handle(&handler, event("function-url-verify.json", wrong)).await;
        let post = handle(&handler, event("function-url-delivery.json", wrong)).await;
        assert_eq!(get.status(), 401);
        assert_eq!(text(&get)["code"], "unauthorized");
        assert_eq!((get.status(), text(&get)), (post.status(), text(&post)));
        // The org in the path is the org whose secret is checked: acme's value is not default's.
        let other_org = handle(
            &handler,
            event("function-url-verify.json", at("/hooks/okta/acme")),
        )
        .await;
        assert_eq!(other_org.status(), 401);
        assert!(queue.is_empty());
    }

    #[tokio::test]
    async fn a_delivery_through_the_function_url_is_enqueued_for_the_org_in_its_path() {
        let queue = Arc::new(MemoryQueue::new());
        let handler = handler(queue.clone());
        let response = handle(
            &handler,
            event("function-url-delivery.json", at("/hooks/okta/acme")),
        )
        .await;
        assert_eq!(response.status(), 401, "default's secret is not acme's");
        let response = handle(&handler, event("function-url-delivery.json", |_| {})).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
        assert_eq!(text(&response)["accepted"], 3);
        let queued: Value = serde_json::from_str(&queue.messages()[0].message.body).unwrap();
        assert_eq!(queued["org"], "default");
    }

    #[tokio::test]
    async fn a_function_url_path_that_is_no_hook_endpoint_is_404_with_no_secret_read() {
        let handler = handler(Arc::new(MemoryQueue::new()));
        for path in ["/", "/hooks", "/hooks/okta/acme/more", "/admin"] {
            let response = handle(&handler, event("function-url-delivery.json", at(path))).await;
            assert_eq!(response.status(), 404, "{path}");
            assert_eq!(text(&response)["code"], "not_found", "{path}");
        }
        assert_eq!(handler.authenticator().cached_orgs().await, 0);
    }

    #[tokio::test]
    async fn behind_the_http_api_the_route_decides_and_the_path_is_not_read_again() {
        let queue = Arc::new(MemoryQueue::new());
        let handler = handler(queue.clone());
        // A named stage prefixes the raw path; the route's {org} parameter names the org.
        let staged = |json: &mut Value| json["rawPath"] = json!("/prod/hooks/okta/default");
        let response = handle(&handler, event("apigw-v2-delivery.json", staged)).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
        assert_eq!(queue.len(), 3);
    }
}

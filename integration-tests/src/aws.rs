//! AWS SDK clients pointed at a local emulator, and the set-up the tests need.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_secretsmanager::config::{Credentials, Region};
use org_secrets::{OrgName, SecretKind, SecretsConfig, legacy_secret_id};

/// SDK configuration and clients for an emulator endpoint.
pub struct Aws {
    /// The configuration the clients were built from, for the code under test to build
    /// its own clients from (as the functions do from the environment), so they reach
    /// the same emulator.
    pub config: aws_config::SdkConfig,
    /// SQS: the FIFO queues and their DLQs.
    pub sqs: aws_sdk_sqs::Client,
    /// Secrets Manager: the org secrets.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// DynamoDB: the ledger, counter and idempotency tables.
    pub dynamodb: aws_sdk_dynamodb::Client,
}

/// The environment a function binary needs to reach the emulator.
pub fn function_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
    ]
}

impl Aws {
    /// Clients for the emulator at `endpoint`, in `us-east-1` with fixed dummy
    /// credentials: nothing is read from the environment or `~/.aws`, so a developer's
    /// real account can never be reached by a test.
    pub async fn new(endpoint: &str) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(aws_adapters::http_client::certificates_on_first_request())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load()
            .await;
        Aws {
            sqs: aws_sdk_sqs::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            config,
        }
    }

    /// Creates a FIFO queue (explicit dedup ids, as ingest sends) and returns its URL.
    pub async fn fifo_queue(&self, name: &str) -> String {
        self.fifo_queue_with(name, &[]).await
    }

    /// The same with `attributes` added (e.g. `MaximumMessageSize`).
    pub async fn fifo_queue_with(
        &self,
        name: &str,
        attributes: &[(aws_sdk_sqs::types::QueueAttributeName, &str)],
    ) -> String {
        use aws_sdk_sqs::types::QueueAttributeName;
        let mut create = self
            .sqs
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::ContentBasedDeduplication, "false");
        for (attribute, value) in attributes {
            create = create.attributes(attribute.clone(), *value);
        }
        create
            .send()
            .await
            .expect("create queue")
            .queue_url()
            .expect("queue url")
            .to_owned()
    }

    /// Creates a standard (not FIFO) queue; its URL.
    pub async fn standard_queue(&self, name: &str) -> String {
        self.sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("create queue")
            .queue_url()
            .expect("queue url")
            .to_owned()
    }

    /// Creates a table keyed by the string `pk`, as the router's stores expect.
    pub async fn table(&self, name: &str) {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        self.dynamodb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attribute definition"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key schema"),
            )
            .send()
            .await
            .expect("create table");
    }

    /// Creates or replaces the secret `name` (as the current version).
    pub async fn put_secret(&self, name: &str, value: &serde_json::Value) {
        let created = self
            .secrets
            .create_secret()
            .name(name)
            .secret_string(value.to_string())
            .send()
            .await;
        if created.is_err() {
            self.secrets
                .put_secret_value()
                .secret_id(name)
                .secret_string(value.to_string())
                .version_stages("AWSCURRENT")
                .send()
                .await
                .expect("put secret value");
        }
    }

    /// Puts `org`'s secrets in the split shape, as a deployment holds them: each key of
    /// `kinds` (`hook`, `signing`, `okta`, `okta-read`, `okta-<family>`, `named`) becomes
    /// its own secret `okta-hooks/<org>/<kind>` holding that key's value, and no other
    /// secret is made, so a test says exactly which kinds the org has. Panics on a key
    /// that names no kind (a typo would otherwise leave a kind silently missing).
    pub async fn put_org_secrets(&self, org: &str, kinds: &serde_json::Value) {
        let org = OrgName::parse(org).expect("an org name");
        let kinds = kinds.as_object().expect("the kinds as a JSON object");
        for (key, value) in kinds {
            let kind = SecretKind::parse(key).unwrap_or_else(|| panic!("{key} is no kind"));
            self.put_secret(&kind.secret_id(SecretsConfig::DEFAULT_PREFIX, &org), value)
                .await;
        }
    }

    /// Puts `org`'s single secret of before the split, `okta-hooks/<org>`, with its
    /// sections (`hook`, `signing`, `okta`, `named`): what functions read with
    /// `OKTA_HOOKS_LEGACY_SINGLE_SECRET=true`.
    pub async fn put_legacy_org_secret(&self, org: &str, sections: &serde_json::Value) {
        let org = OrgName::parse(org).expect("an org name");
        self.put_secret(
            &legacy_secret_id(SecretsConfig::DEFAULT_PREFIX, &org),
            sections,
        )
        .await;
    }

    /// The names of every secret on the emulator, sorted.
    pub async fn secret_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .secrets
                .list_secrets()
                .set_next_token(next.take())
                .send()
                .await
                .expect("list secrets");
            names.extend(
                page.secret_list()
                    .iter()
                    .filter_map(|s| s.name().map(str::to_owned)),
            );
            match page.next_token() {
                Some(token) => next = Some(token.to_owned()),
                None => break,
            }
        }
        names.sort();
        names
    }

    /// Receives and deletes every message of a queue: (group id, dedup id, body); the
    /// ids are empty on a standard queue.
    pub async fn drain(&self, url: &str) -> Vec<(String, String, String)> {
        use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
        let mut out = Vec::new();
        let mut empty_rounds = 0;
        while empty_rounds < 2 {
            let received = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_system_attribute_names(Attr::All)
                .visibility_timeout(30)
                .send()
                .await
                .expect("receive");
            let messages = received.messages();
            if messages.is_empty() {
                empty_rounds += 1;
                continue;
            }
            empty_rounds = 0;
            for m in messages {
                let attrs = m.attributes();
                let get = |a: Attr| attrs.and_then(|x| x.get(&a)).cloned().unwrap_or_default();
                out.push((
                    get(Attr::MessageGroupId),
                    get(Attr::MessageDeduplicationId),
                    m.body().unwrap_or_default().to_owned(),
                ));
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
        out
    }

    /// Up to 10 visible messages of `url`, as Lambda's SQS event source hands them to a
    /// function (system attributes included), kept invisible for a minute.
    pub async fn receive_batch(&self, url: &str) -> Vec<SqsMessage> {
        use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
        let received = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(Attr::All)
            .visibility_timeout(60)
            .send()
            .await
            .expect("receive");
        received
            .messages()
            .iter()
            .map(|m| {
                let mut message = SqsMessage::default();
                message.message_id = m.message_id().map(str::to_owned);
                message.receipt_handle = m.receipt_handle().map(str::to_owned);
                message.body = m.body().map(str::to_owned);
                for (name, value) in m.attributes().into_iter().flatten() {
                    message
                        .attributes
                        .insert(name.as_str().to_owned(), value.clone());
                }
                message
            })
            .collect()
    }

    /// Deletes what the handler did not report failed, as the event source does.
    pub async fn settle(&self, url: &str, batch: &[SqsMessage], response: &SqsBatchResponse) {
        for message in batch {
            let id = message.message_id.clone().unwrap_or_default();
            if response
                .batch_item_failures
                .iter()
                .any(|f| f.item_identifier == id)
            {
                continue;
            }
            self.sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle.clone().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }

    /// One batch of `url` through `handler`, settled as the event source would:
    /// (messages in the batch, the handler's answer).
    pub async fn pump_once<F, Fut>(&self, url: &str, handler: F) -> (usize, SqsBatchResponse)
    where
        F: FnOnce(SqsEvent) -> Fut,
        Fut: std::future::Future<Output = SqsBatchResponse>,
    {
        let (batch, response) = self.pump_batch(url, handler).await;
        (batch.len(), response)
    }

    /// The same, returning the batch itself (its receipt handles are still valid for the
    /// items the handler reported failed).
    pub async fn pump_batch<F, Fut>(
        &self,
        url: &str,
        handler: F,
    ) -> (Vec<SqsMessage>, SqsBatchResponse)
    where
        F: FnOnce(SqsEvent) -> Fut,
        Fut: std::future::Future<Output = SqsBatchResponse>,
    {
        let batch = self.receive_batch(url).await;
        if batch.is_empty() {
            return (batch, SqsBatchResponse::default());
        }
        let mut event = SqsEvent::default();
        event.records = batch.clone();
        let response = handler(event).await;
        self.settle(url, &batch, &response).await;
        (batch, response)
    }

    /// A queue's depth: (visible messages, messages in flight or held back).
    pub async fn depth(&self, url: &str) -> (u64, u64) {
        use aws_sdk_sqs::types::QueueAttributeName;
        let output = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes");
        let get = |name: QueueAttributeName| {
            output
                .attributes()
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse().ok())
                .expect("a count")
        };
        (
            get(QueueAttributeName::ApproximateNumberOfMessages),
            get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    }
}

/// Calls `EventBridge`'s JSON API on the emulator (`AWSEvents.<operation>`).
pub fn events_request(
    endpoint: &str,
    operation: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    moto_request(
        endpoint,
        "events",
        "POST",
        "/",
        &[
            ("X-Amz-Target", &format!("AWSEvents.{operation}")),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        &body.to_string(),
    )
}

/// One unsigned request to the emulator for an API the tests have no SDK client of
/// (Lambda's REST API, `EventBridge`'s JSON API): `service` goes in the credential scope
/// of a dummy `Authorization` header, which is how a single-host `moto_server` tells the
/// services apart (it checks no signature). `Connection: close`, the body read to the end;
/// panics unless the answer is 200 with a JSON body.
pub fn moto_request(
    endpoint: &str,
    service: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> serde_json::Value {
    use std::io::{Read, Write};
    let authority = endpoint
        .strip_prefix("http://")
        .expect("an http:// emulator endpoint")
        .trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(authority).expect("the emulator answers");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("a read timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    let (head, payload) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response with a body");
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{method} {path}: {head}\n{payload}"
    );
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{method} {path}: a chunked answer"
    );
    serde_json::from_str(payload).unwrap_or_else(|e| panic!("{method} {path}: {e}: {payload}"))
}

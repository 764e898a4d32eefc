//! Every catalog action, through `Executor::execute`, against an in-test Okta: the exact
//! request(s) it sends (method, path, whole query, body) and the output later steps get.
//! The table must name every action of the catalog.

use crate::common;

use std::collections::BTreeSet;

use action_calls::{Executor, Outcome};
use common::cases::{Case, cases};
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `expected` is contained in `got`: every key of an object with a contained value,
/// every element of an array contained in the element at the same index.
fn contains(got: &Value, expected: &Value) -> bool {
    match (got, expected) {
        (Value::Object(g), Value::Object(e)) => e
            .iter()
            .all(|(k, ev)| g.get(k).is_some_and(|gv| contains(gv, ev))),
        (Value::Array(g), Value::Array(e)) => {
            e.len() <= g.len() && e.iter().zip(g).all(|(ev, gv)| contains(gv, ev))
        }
        _ => got == expected,
    }
}

async fn run(case: &Case) -> Outcome {
    let server = MockServer::builder().start().await;
    for (i, c) in case.calls.iter().enumerate() {
        let mut answer =
            ResponseTemplate::new(c.status).insert_header("x-okta-request-id", format!("req-{i}"));
        if let Some(body) = &c.answer {
            answer = answer.set_body_json(body);
        }
        let mock = Mock::given(method(c.method))
            .and(path(c.path.as_str()))
            .and(ExactQuery::of(&c.query));
        let mock = match &c.body {
            Some(body) => mock.and(body_json(body)),
            None => mock.and(NoBody),
        };
        mock.respond_with(answer)
            .up_to_n_times(1)
            .expect(1)
            .named(format!("{} call {i}: {} {}", case.action, c.method, c.path))
            .mount(&server)
            .await;
    }
    let okta = client(&server);
    let secrets = secrets(&server);
    let sender = sender();
    let exec = Executor::new(&okta)
        .with_secrets(ORG, &secrets)
        .with_webhook(&sender);
    let result = exec
        .execute(case.action, &params(case.params.clone()))
        .await;
    let got = received(&server).await;
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => panic!("{} failed: {e}\nrequests received: {got:#?}", case.action),
    };
    assert_eq!(
        got.len(),
        case.calls.len(),
        "{}: requests received {got:#?}",
        case.action
    );
    server.verify().await;
    outcome
}

#[tokio::test]
async fn every_catalog_action_sends_the_right_request_and_outputs_its_fields() {
    let cases = cases();
    for case in &cases {
        let outcome = run(case).await;
        let spec = actions::find(case.action).unwrap();
        assert!(!outcome.already_in_state, "{}", case.action);
        // Output: an object whose keys are the catalog's outputs, holding what we expect.
        let output = outcome.output.as_object().unwrap_or_else(|| {
            panic!(
                "{}: output is not an object: {}",
                case.action, outcome.output
            )
        });
        for key in output.keys() {
            assert!(
                spec.outputs.contains(&key.as_str()),
                "{}: output field `{key}` is not in the catalog's outputs {:?}",
                case.action,
                spec.outputs
            );
        }
        assert!(
            contains(&outcome.output, &case.output),
            "{}: output {} does not contain {}",
            case.action,
            outcome.output,
            case.output
        );
        if spec.outputs == ["items", "count"] {
            let items = output["items"].as_array().unwrap();
            assert_eq!(output["count"], json!(items.len()), "{}", case.action);
            assert!(
                items.iter().all(|i| i.get("_links").is_none()),
                "{}: list items keep no _links",
                case.action
            );
        }
        // Every Okta response's request id, in order; the webhook is not Okta.
        let okta_calls = case
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.path.starts_with("/api/"))
            .map(|(i, _)| format!("req-{i}"))
            .collect::<Vec<_>>();
        assert_eq!(outcome.request_ids, okta_calls, "{}", case.action);
    }

    let tested: BTreeSet<&str> = cases.iter().map(|c| c.action).collect();
    let catalog: BTreeSet<&str> = actions::catalog().iter().map(|a| a.name).collect();
    let untested: Vec<&&str> = catalog.difference(&tested).collect();
    assert!(
        untested.is_empty(),
        "actions without a test case: {untested:?}"
    );
    assert!(tested.is_subset(&catalog));
}

#[test]
fn every_catalog_action_has_a_handler_and_every_handler_an_action() {
    let implemented: Vec<&str> = action_calls::implemented_actions().collect();
    let unique: BTreeSet<&str> = implemented.iter().copied().collect();
    assert_eq!(
        unique.len(),
        implemented.len(),
        "an action has two handlers"
    );
    for spec in actions::catalog() {
        assert!(
            unique.contains(spec.name),
            "{} has no implementation",
            spec.name
        );
    }
    for name in &unique {
        assert!(
            actions::find(name).is_some(),
            "handler for `{name}`, which the catalog does not have"
        );
    }
    assert_eq!(unique.len(), actions::catalog().len());
}

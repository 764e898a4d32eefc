//! `infra/template.yaml` against the workspace and the project's rules for it: the Lambda
//! binaries of `functions/` are the functions of the template, IAM stays least-privilege,
//! every work queue has a DLQ, every table a TTL, every SQS source reports item failures,
//! and the functions' configuration loads with what the template sets.
//!
//! The template is read with saphyr; the short forms of its intrinsic functions (`!Ref`,
//! `!GetAtt`, `!Sub`, …) become their long forms (`{"Ref": …}`, `{"Fn::GetAtt": [r, a]}`, …).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use actions::Family;
use integration_tests::workspace_root;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value, json};

/// Actions AWS grants on no narrower resource than `*` (no resource-level permissions).
/// Any other statement with `Resource: "*"` fails the test.
const NO_RESOURCE_LEVEL: &[&str] = &[
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
];

// ---------------------------------------------------------------- reading the template

fn to_json(node: &Yaml) -> Value {
    match node {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => json!(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(tag, inner) => {
            let inner = to_json(inner);
            match tag.suffix.as_str() {
                "Ref" => json!({ "Ref": inner }),
                "Condition" => json!({ "Condition": inner }),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (resource, attribute) = s.split_once('.').expect("!GetAtt R.A");
                        json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    other => json!({ "Fn::GetAtt": other }),
                },
                other => json!({ format!("Fn::{other}"): inner }),
            }
        }
        Yaml::Alias(_) | Yaml::BadValue => panic!("unsupported YAML node {node:?}"),
    }
}

fn template() -> Value {
    let path = workspace_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(&path).expect("infra/template.yaml");
    let docs = Yaml::load_from_str(&text).expect("the template is YAML");
    assert_eq!(docs.len(), 1, "one YAML document");
    to_json(&docs[0])
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

fn of_type<'a>(t: &'a Value, kind: &str) -> BTreeMap<&'a str, &'a Value> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(name, r)| (name.as_str(), r))
        .collect()
}

fn functions(t: &Value) -> BTreeMap<&str, &Value> {
    of_type(t, "AWS::Serverless::Function")
}

/// A function property, from the function or else from `Globals.Function`.
fn property<'a>(t: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    let own = &function["Properties"][name];
    if own.is_null() {
        &t["Globals"]["Function"][name]
    } else {
        own
    }
}

/// A function's environment: `Globals` merged with its own (its own wins), as SAM does.
fn environment(t: &Value, function: &Value) -> BTreeMap<String, Value> {
    let mut env = BTreeMap::new();
    for source in [
        &t["Globals"]["Function"]["Environment"]["Variables"],
        &function["Properties"]["Environment"]["Variables"],
    ] {
        if let Some(vars) = source.as_object() {
            env.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    env
}

/// The resource a `Ref` or `Fn::GetAtt` names.
fn target(value: &Value) -> Option<&str> {
    value["Ref"]
        .as_str()
        .or_else(|| value["Fn::GetAtt"][0].as_str())
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

// ---------------------------------------------------------------- the workspace

/// Every binary target of the packages under `functions/` (cargo metadata).
fn workspace_lambda_binaries() -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
    let functions_dir = workspace_root()
        .join("functions")
        .canonicalize()
        .expect("functions/");
    let mut bins = BTreeSet::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let manifest = std::path::PathBuf::from(package["manifest_path"].as_str().unwrap_or(""));
        if !manifest.starts_with(&functions_dir) {
            continue;
        }
        for target in package["targets"].as_array().expect("targets") {
            if target["kind"]
                .as_array()
                .is_some_and(|k| k.contains(&json!("bin")))
            {
                bins.insert(target["name"].as_str().expect("bin name").to_owned());
            }
        }
    }
    bins
}

// ---------------------------------------------------------------- tests

#[test]
fn the_template_deploys_exactly_the_lambda_binaries_of_the_workspace() {
    let t = template();
    let in_template: BTreeSet<String> = functions(&t)
        .values()
        .map(|f| {
            f["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .expect("every function names its Binary")
                .to_owned()
        })
        .collect();
    let in_workspace = workspace_lambda_binaries();
    assert!(in_workspace.contains("hook-ingest"), "{in_workspace:?}");
    assert_eq!(
        in_template, in_workspace,
        "template Binary values (left) != binaries under functions/ (right)"
    );
}

#[test]
fn every_function_is_an_arm64_al2023_cargo_lambda_build_of_the_workspace() {
    let t = template();
    assert_eq!(t["Transform"], "AWS::Serverless-2016-10-31");
    let functions = functions(&t);
    assert!(functions.len() >= 3);
    for (name, f) in functions {
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        assert_eq!(property(&t, f, "Runtime"), "provided.al2023", "{name}");
        assert_eq!(
            property(&t, f, "Architectures"),
            &json!(["arm64"]),
            "{name}"
        );
        assert_eq!(property(&t, f, "Handler"), "bootstrap", "{name}");
        // The template lives in infra/: `..` is the workspace root with its Cargo.toml.
        assert_eq!(property(&t, f, "CodeUri"), "..", "{name}");
        assert!(property(&t, f, "Timeout").as_i64().is_some(), "{name}");
    }
}

#[test]
fn iam_statements_name_actions_and_resources() {
    let t = template();
    let mut statements = Vec::new();
    for (name, f) in functions(&t) {
        for policy in as_list(&f["Properties"]["Policies"]) {
            // Managed policy names and SAM policy templates cannot be checked here: only
            // inline statements are allowed.
            let list = policy["Statement"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: a policy that is not inline: {policy}"));
            statements.extend(list.iter().map(|s| (name.to_owned(), s)));
        }
    }
    for kind in [
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
    ] {
        for (name, r) in of_type(&t, kind) {
            let documents = match kind {
                "AWS::IAM::Role" => as_list(&r["Properties"]["Policies"])
                    .into_iter()
                    .map(|p| &p["PolicyDocument"])
                    .collect(),
                _ => vec![&r["Properties"]["PolicyDocument"]],
            };
            for document in documents {
                for s in as_list(&document["Statement"]) {
                    statements.push((name.to_owned(), s));
                }
            }
        }
    }
    assert!(
        statements.len() >= 10,
        "found {} statements",
        statements.len()
    );
    for (name, s) in statements {
        assert_eq!(s["Effect"], "Allow", "{name}: {s}");
        let actions: Vec<&str> = as_list(&s["Action"])
            .into_iter()
            .map(|a| a.as_str().expect("actions are strings"))
            .collect();
        assert!(!actions.is_empty(), "{name}: {s}");
        assert!(s.get("NotAction").is_none() && s.get("NotResource").is_none());
        for action in &actions {
            assert!(!action.contains('*'), "{name}: wildcard action {action}");
        }
        let resources = as_list(&s["Resource"]);
        assert!(
            !resources.is_empty(),
            "{name}: a statement without Resource: {s}"
        );
        for resource in resources {
            if resource == "*" {
                for action in &actions {
                    assert!(
                        NO_RESOURCE_LEVEL.contains(action),
                        "{name}: {action} on Resource \"*\" where a specific ARN exists"
                    );
                }
            }
            if let Some(text) = resource.as_str() {
                assert!(text != "*" || !actions.is_empty());
                assert!(
                    !text.ends_with(":*"),
                    "{name}: a whole-service resource {text}"
                );
            }
        }
    }
}

#[test]
fn every_work_queue_has_a_fifo_dlq_of_the_template_and_outlasts_its_consumer() {
    let t = template();
    let queues = of_type(&t, "AWS::SQS::Queue");
    let dlqs: BTreeSet<&str> = queues
        .values()
        .filter_map(|q| target(&q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
        .collect();
    // The rejects queue is a parking lot like a DLQ: nothing consumes it.
    let work: Vec<&str> = queues
        .keys()
        .copied()
        .filter(|q| !dlqs.contains(q) && *q != "RejectsQueue")
        .collect();
    assert!(queues.contains_key("RejectsQueue"));
    assert_eq!(queues["RejectsQueue"]["Properties"]["FifoQueue"], true);
    // The events queue and one queue per action family.
    assert_eq!(work.len(), 1 + Family::ALL.len(), "{work:?}");
    assert_eq!(dlqs.len(), work.len(), "one DLQ each: {dlqs:?}");
    for name in &work {
        let q = &queues[name]["Properties"];
        assert_eq!(q["FifoQueue"], true, "{name}");
        assert_eq!(
            q["ContentBasedDeduplication"], false,
            "{name}: the producers set dedup ids"
        );
        let redrive = &q["RedrivePolicy"];
        let dlq = target(&redrive["deadLetterTargetArn"]).expect("a DLQ");
        assert_eq!(
            redrive["deadLetterTargetArn"]["Fn::GetAtt"][1], "Arn",
            "{name}"
        );
        assert!(queues.contains_key(dlq) && dlq != *name, "{name} -> {dlq}");
        assert_eq!(
            queues[dlq]["Properties"]["FifoQueue"], true,
            "{dlq}: a FIFO DLQ"
        );
        assert!(!redrive["maxReceiveCount"].is_null(), "{name}");
    }
    // Visibility timeout >= 6 x the timeout of the function that consumes the queue.
    let mut consumed = BTreeSet::new();
    for (fname, f) in functions(&t) {
        for event in f["Properties"]["Events"].as_object().into_iter().flatten() {
            let event = event.1;
            if event["Type"] != "SQS" {
                continue;
            }
            let queue =
                target(&event["Properties"]["Queue"]).expect("an SQS source names its queue");
            let timeout = property(&t, f, "Timeout").as_i64().expect("a timeout");
            let visibility = queues[queue]["Properties"]["VisibilityTimeout"]
                .as_i64()
                .expect("an explicit VisibilityTimeout");
            assert!(
                visibility >= 6 * timeout,
                "{queue}: {visibility} s < 6 x {fname}'s {timeout} s"
            );
            assert!(consumed.insert(queue), "{queue} has two consumers");
        }
    }
    assert_eq!(
        consumed,
        work.iter().copied().collect(),
        "every work queue has a consumer"
    );
}

#[test]
fn every_table_is_on_demand_keyed_by_pk_with_ttl_on_expires_at() {
    let t = template();
    let tables = of_type(&t, "AWS::DynamoDB::Table");
    let names: BTreeSet<&str> = tables.keys().copied().collect();
    let expected: BTreeSet<&str> = [
        "LedgerTable",
        "CounterTable",
        "IdempotencyTable",
        "PollerCursorTable",
    ]
    .into();
    assert_eq!(names, expected);
    for (name, table) in tables {
        let p = &table["Properties"];
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{name}");
        assert_eq!(
            p["KeySchema"],
            json!([{"AttributeName": "pk", "KeyType": "HASH"}]),
            "{name}"
        );
        assert_eq!(
            p["AttributeDefinitions"],
            json!([{"AttributeName": "pk", "AttributeType": "S"}])
        );
        assert_eq!(
            p["TimeToLiveSpecification"],
            json!({"AttributeName": "expires_at", "Enabled": true}),
            "{name}"
        );
    }
}

#[test]
fn every_sqs_event_source_reports_batch_item_failures() {
    let t = template();
    let mut sources = 0;
    for (name, f) in functions(&t) {
        for (_, event) in f["Properties"]["Events"].as_object().into_iter().flatten() {
            if event["Type"] != "SQS" {
                continue;
            }
            sources += 1;
            let p = &event["Properties"];
            assert_eq!(
                p["FunctionResponseTypes"],
                json!(["ReportBatchItemFailures"]),
                "{name}"
            );
            let batch = p["BatchSize"].as_i64().expect("an explicit BatchSize");
            assert!(
                (1..=10).contains(&batch),
                "{name}: FIFO batches hold 1 to 10"
            );
            assert!(
                !p["ScalingConfig"]["MaximumConcurrency"].is_null(),
                "{name}"
            );
        }
    }
    assert_eq!(
        sources,
        1 + Family::ALL.len(),
        "the router and one executor per family"
    );
}

#[test]
fn one_executor_per_family_with_the_executor_contract() {
    let t = template();
    let queues = of_type(&t, "AWS::SQS::Queue");
    let mut families = BTreeSet::new();
    for (name, f) in functions(&t) {
        if f["Metadata"]["BuildProperties"]["Binary"] != "action-executor" {
            continue;
        }
        let env = environment(&t, f);
        let family = env["OKTA_HOOKS_FAMILY"]
            .as_str()
            .expect("OKTA_HOOKS_FAMILY")
            .to_owned();
        // Every family's queue: a plan's next step may be of any family.
        for other in Family::ALL {
            let var = other.queue_url_var();
            let queue = target(&env[var]).unwrap_or_else(|| panic!("{name}: {var}"));
            assert!(queues.contains_key(queue), "{name}: {var} -> {queue}");
        }
        // Its own DLQ, and the DLQ of the queue it consumes.
        let dlq = target(&env["OKTA_HOOKS_DLQ_URL"]).expect("OKTA_HOOKS_DLQ_URL");
        let own_queue = target(&env[family_of(&family).queue_url_var()]).expect("own queue");
        let source = f["Properties"]["Events"]
            .as_object()
            .and_then(|events| events.values().find(|e| e["Type"] == "SQS"))
            .expect("an SQS source");
        assert_eq!(
            target(&source["Properties"]["Queue"]),
            Some(own_queue),
            "{name}"
        );
        assert_eq!(
            target(&queues[own_queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]),
            Some(dlq),
            "{name}"
        );
        for var in [
            "OKTA_HOOKS_IDEMPOTENCY_TABLE",
            "OKTA_HOOKS_SECRET_PREFIX",
            "OKTA_HOOKS_DRY_RUN",
            "RUST_LOG",
        ] {
            assert!(env.contains_key(var), "{name}: {var}");
        }
        assert_eq!(
            target(&env["OKTA_HOOKS_IDEMPOTENCY_TABLE"]),
            Some("IdempotencyTable")
        );
        assert!(families.insert(family), "{name}: a family served twice");
    }
    let all: BTreeSet<String> = Family::ALL.iter().map(|f| f.as_str().to_owned()).collect();
    assert_eq!(families, all);
}

fn family_of(name: &str) -> Family {
    Family::ALL
        .into_iter()
        .find(|f| f.as_str() == name)
        .unwrap_or_else(|| panic!("unknown family {name}"))
}

/// A stand-in for what a deployment resolves a variable to.
/// The default of the template parameter a `!Ref` names, as text.
fn parameter_default(value: &Value) -> Option<String> {
    let name = value["Ref"].as_str()?;
    match &template()["Parameters"][name]["Default"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn deployed_value(name: &str, value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        // `!Ref <Parameter>`: the parameter's default.
        _ if parameter_default(value).is_some() => parameter_default(value).unwrap_or_default(),
        _ if name.contains("QUEUE_URL") || name.ends_with("DLQ_URL") => {
            format!(
                "https://sqs.us-east-1.amazonaws.com/123456789012/{}.fifo",
                target(value).unwrap_or("q")
            )
        }
        _ if name.ends_with("_TABLE") => target(value).unwrap_or("table").to_owned(),
        _ if name == "OKTA_HOOKS_SECRET_PREFIX" => "okta-hooks/".to_owned(),
        _ if name == "OKTA_HOOKS_DEFAULT_ORG" => "default".to_owned(),
        _ => "info".to_owned(),
    }
}

#[test]
fn the_functions_configuration_loads_from_what_the_template_sets() {
    let t = template();
    let functions = functions(&t);
    let by_binary = |binary: &str| {
        functions
            .values()
            .find(|f| f["Metadata"]["BuildProperties"]["Binary"] == binary)
            .map(|f| {
                environment(&t, f)
                    .into_iter()
                    .map(|(k, v)| {
                        let resolved = deployed_value(&k, &v);
                        (k, resolved)
                    })
                    .collect::<BTreeMap<String, String>>()
            })
            .unwrap_or_else(|| panic!("no {binary} function"))
    };
    let ingest = by_binary("hook-ingest");
    let config = hook_receiver::IngestConfig::from_lookup(|k| ingest.get(k).cloned())
        .expect("hook-ingest starts with the template's environment");
    assert!(config.events_queue_url.ends_with("EventsQueue.fifo"));
    assert!(
        config
            .rejects_queue_url
            .is_some_and(|url| url.ends_with("RejectsQueue.fifo")),
        "hook-ingest requires its rejects queue"
    );
    let verify = by_binary("hook-verify");
    hook_receiver::ReceiverConfig::from_lookup(|k| verify.get(k).cloned())
        .expect("hook-verify starts with the template's environment");
    let router_env = by_binary("event-router");
    let config = router::RouterConfig::from_lookup(|k| router_env.get(k).cloned())
        .expect("event-router starts with the template's environment");
    assert_eq!(config.ledger_table, "LedgerTable");
    assert_eq!(config.counter_table, "CounterTable");
    assert!(config.events_dlq_url.ends_with("EventsDlq.fifo"));
    let poller_env = by_binary("log-poller");
    let config = log_poller::PollerConfig::from_lookup(|k| poller_env.get(k).cloned())
        .expect("log-poller starts with the template's environment");
    assert_eq!(config.cursor_table, "PollerCursorTable");
    assert_eq!(config.ledger_table, "LedgerTable");
    assert!(config.events_queue_url.ends_with("EventsQueue.fifo"));

    let mut families = BTreeSet::new();
    for f in functions.values() {
        if f["Metadata"]["BuildProperties"]["Binary"] != "action-executor" {
            continue;
        }
        let env: BTreeMap<String, String> = environment(&t, f)
            .into_iter()
            .map(|(k, v)| {
                let resolved = deployed_value(&k, &v);
                (k, resolved)
            })
            .collect();
        let config = action_executor::ExecutorConfig::from_lookup(|k| match k {
            // A parameter (true/false) at deploy time.
            "OKTA_HOOKS_DRY_RUN" => Some("false".to_owned()),
            k => env.get(k).cloned(),
        })
        .expect("action-executor starts with the template's environment");
        assert_eq!(config.queue_urls.len(), Family::ALL.len());
        assert_eq!(config.idempotency_table, "IdempotencyTable");
        assert!(config.dlq_url.ends_with("Dlq.fifo"), "{}", config.dlq_url);
        families.insert(config.family);
    }
    assert_eq!(families, Family::ALL.into_iter().collect());
}

#[test]
fn the_hook_routes_alarms_and_outputs_are_there() {
    let t = template();
    // GET (verification) and POST (deliveries) on both paths, on the template's HTTP API.
    let mut routes = BTreeSet::new();
    for (_, f) in functions(&t) {
        for (_, event) in f["Properties"]["Events"].as_object().into_iter().flatten() {
            if event["Type"] == "HttpApi" {
                let p = &event["Properties"];
                assert_eq!(target(&p["ApiId"]), Some("HookApi"));
                let binary = f["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .unwrap_or("");
                routes.insert(format!(
                    "{} {} {binary}",
                    p["Method"].as_str().unwrap_or(""),
                    p["Path"].as_str().unwrap_or("")
                ));
            }
        }
    }
    let expected: BTreeSet<String> = [
        "GET /hooks/okta hook-verify",
        "GET /hooks/okta/{org} hook-verify",
        "POST /hooks/okta hook-ingest",
        "POST /hooks/okta/{org} hook-ingest",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(routes, expected);

    // An alarm on every DLQ's depth and on every function's errors.
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let watched = |metric: &str, dimension: &str| -> BTreeSet<String> {
        alarms
            .values()
            .filter(|a| a["Properties"]["MetricName"] == metric)
            .filter_map(|a| {
                let d = &a["Properties"]["Dimensions"][0];
                (d["Name"] == dimension).then(|| target(&d["Value"]).unwrap_or("").to_owned())
            })
            .collect()
    };
    let queues = of_type(&t, "AWS::SQS::Queue");
    let mut parked: BTreeSet<String> = queues
        .values()
        .filter_map(|q| target(&q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
        .map(String::from)
        .collect();
    parked.insert("RejectsQueue".to_owned());
    assert_eq!(
        watched("ApproximateNumberOfMessagesVisible", "QueueName"),
        parked,
        "an alarm on every DLQ and on the rejects queue"
    );
    let names: BTreeSet<String> = functions(&t).keys().map(ToString::to_string).collect();
    assert_eq!(watched("Errors", "FunctionName"), names);
    for (name, alarm) in alarms {
        let p = &alarm["Properties"];
        assert_eq!(p["Threshold"], 0, "{name}");
        assert_eq!(p["ComparisonOperator"], "GreaterThanThreshold", "{name}");
    }

    let outputs = t["Outputs"].as_object().expect("Outputs");
    for key in [
        "HookUrl",
        "HookUrlDefaultOrg",
        "OrgSecretArn",
        "EventsQueueUrl",
        "EventsDlqUrl",
        "RejectsQueueUrl",
    ] {
        assert!(outputs.contains_key(key), "output {key}");
    }
    for family in Family::ALL {
        let f = family.as_str();
        let cap = format!("{}{}", f[..1].to_uppercase(), &f[1..]);
        assert!(
            outputs.contains_key(&format!("{cap}QueueUrl")),
            "{cap}QueueUrl"
        );
        assert!(outputs.contains_key(&format!("{cap}DlqUrl")), "{cap}DlqUrl");
    }
    for table in of_type(&t, "AWS::DynamoDB::Table").keys() {
        assert!(outputs.contains_key(&format!("{table}Name")), "{table}Name");
    }
    let hook_url = outputs["HookUrl"]["Value"]["Fn::Sub"]
        .as_str()
        .expect("HookUrl is a !Sub");
    assert!(
        hook_url.starts_with("https://${HookApi}.execute-api."),
        "{hook_url}"
    );
    assert!(hook_url.ends_with("/hooks/okta/${OrgName}"), "{hook_url}");
}

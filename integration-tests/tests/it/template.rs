//! `infra/template.yaml` against the workspace and the project's rules for it: the Lambda
//! binaries of `functions/` are the functions of the template, IAM stays least-privilege,
//! every work queue has a DLQ, every table a TTL, every SQS source reports item failures,
//! and the functions' configuration loads with what the template sets.
//!
//! Who may read which secret, and the encryption wiring, are checked on the template as a
//! deployment would see it: [`Deployment`] evaluates the intrinsics under given parameter
//! values, and a concrete secret ARN (random suffix) is matched against each role's
//! statements as IAM matches wildcards.
//!
//! The template is read with saphyr; the short forms of its intrinsic functions (`!Ref`,
//! `!GetAtt`, `!Sub`, …) become their long forms (`{"Ref": …}`, `{"Fn::GetAtt": [r, a]}`, …).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use actions::Family;
use integration_tests::workspace_root;
use org_secrets::{ExecutorCredentials, SecretKind, SecretReads};
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

/// Evaluates every resource and output `d` creates: the evaluation asserts that what is
/// created refers only to what is created.
fn evaluate_created(t: &Value, d: &Deployment<'_>) {
    for (name, r) in resources(t) {
        if d.exists(r) {
            d.resource(name);
        }
    }
    for (name, output) in t["Outputs"].as_object().expect("Outputs") {
        if d.exists(output) {
            assert!(d.eval(&output["Value"]).is_some(), "{name}");
        }
    }
}

/// The template's functions `d` creates (`created`) or does not, by name, sorted.
fn functions_where<'t>(t: &'t Value, d: &Deployment<'_>, created: bool) -> Vec<&'t str> {
    functions(t)
        .into_iter()
        .filter(|(_, f)| d.exists(f) == created)
        .map(|(name, _)| name)
        .collect()
}

fn functions_created<'t>(t: &'t Value, d: &Deployment<'_>) -> Vec<&'t str> {
    functions_where(t, d, true)
}

fn functions_not_created<'t>(t: &'t Value, d: &Deployment<'_>) -> Vec<&'t str> {
    functions_where(t, d, false)
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

// ---------------------------------------------------------------- evaluating the template

/// The pseudo parameters of the imagined deployment.
const PARTITION: &str = "aws";
const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";
const STACK: &str = "okta-hooks";

/// The template as `CloudFormation` would see it for one set of parameter values: the
/// intrinsics the IAM, secret and encryption properties use (`Ref`, `Fn::Sub`, `Fn::Join`,
/// `Fn::Split`, `Fn::Select`, `Fn::If`, `Fn::GetAtt` and the `Conditions`) are evaluated.
/// What only a deployment knows, a resource's `Ref` or attribute, stays a placeholder:
/// `<Ref Name>` and `<Name.Attribute>`.
struct Deployment<'t> {
    template: &'t Value,
    parameters: BTreeMap<String, String>,
    /// `AWS::Partition` and `AWS::Region`: [`PARTITION`] and [`REGION`] unless
    /// [`Deployment::in_region`] says otherwise.
    partition: String,
    region: String,
    /// `AWS::StackName`: [`STACK`] unless [`Deployment::named`] says otherwise.
    stack_name: String,
}

impl<'t> Deployment<'t> {
    /// The template's parameter defaults, with `set` overriding some (an unknown name panics).
    fn new(template: &'t Value, set: &[(&str, &str)]) -> Self {
        let mut parameters: BTreeMap<String, String> = template["Parameters"]
            .as_object()
            .expect("Parameters")
            .iter()
            .map(|(name, p)| {
                let default = match &p["Default"] {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    other => panic!("{name}: no default ({other})"),
                };
                (name.clone(), default)
            })
            .collect();
        for (name, value) in set {
            let slot = parameters
                .get_mut(*name)
                .unwrap_or_else(|| panic!("no parameter {name}"));
            *slot = (*value).to_owned();
        }
        Deployment {
            template,
            parameters,
            partition: PARTITION.to_owned(),
            region: REGION.to_owned(),
            stack_name: STACK.to_owned(),
        }
    }

    /// The same deployment as a stack of another name.
    fn named(self, stack_name: &str) -> Self {
        Deployment {
            stack_name: stack_name.to_owned(),
            ..self
        }
    }

    /// The same deployment in another partition and region.
    fn in_region(self, partition: &str, region: &str) -> Self {
        Deployment {
            partition: partition.to_owned(),
            region: region.to_owned(),
            ..self
        }
    }

    /// Whether the template condition `name` holds.
    fn condition(&self, name: &str) -> bool {
        let definition = &self.template["Conditions"][name];
        assert!(!definition.is_null(), "no condition {name}");
        self.holds(definition)
    }

    fn holds(&self, expression: &Value) -> bool {
        let (function, args) = single_key(expression)
            .unwrap_or_else(|| panic!("not a condition expression: {expression}"));
        match function {
            "Condition" => self.condition(args.as_str().expect("a condition name")),
            "Fn::Equals" => {
                let [a, b] = args.as_array().map(Vec::as_slice).unwrap_or_default() else {
                    panic!("Fn::Equals takes two values: {args}")
                };
                self.eval(a).map(|v| text(&v)) == self.eval(b).map(|v| text(&v))
            }
            "Fn::Not" => !self.holds(&args[0]),
            "Fn::And" => args
                .as_array()
                .expect("Fn::And")
                .iter()
                .all(|c| self.holds(c)),
            "Fn::Or" => args
                .as_array()
                .expect("Fn::Or")
                .iter()
                .any(|c| self.holds(c)),
            other => panic!("unsupported condition function {other}"),
        }
    }

    /// Whether a resource (or output) exists in this deployment: its `Condition` holds.
    fn exists(&self, item: &Value) -> bool {
        item["Condition"]
            .as_str()
            .is_none_or(|condition| self.condition(condition))
    }

    /// `value` evaluated; `None` is `AWS::NoValue` (the key or list item disappears).
    fn eval(&self, value: &Value) -> Option<Value> {
        if let Some((function, args)) = single_key(value) {
            match function {
                "Ref" => return self.reference(args.as_str().expect("Ref names a string")),
                "Fn::GetAtt" => {
                    let resource = args[0].as_str().expect("Fn::GetAtt resource");
                    self.assert_resource(resource);
                    let attribute = args[1].as_str().expect("Fn::GetAtt attribute");
                    return Some(Value::String(format!("<{resource}.{attribute}>")));
                }
                "Fn::If" => {
                    let name = args[0].as_str().expect("Fn::If condition");
                    let chosen = if self.condition(name) {
                        &args[1]
                    } else {
                        &args[2]
                    };
                    return self.eval(chosen);
                }
                "Fn::Sub" => return Some(Value::String(self.sub(args))),
                "Fn::Join" => {
                    let delimiter = args[0].as_str().expect("a literal Fn::Join delimiter");
                    let parts = self.eval(&args[1]).expect("Fn::Join list");
                    let parts: Vec<String> = as_list(&parts).into_iter().map(text).collect();
                    return Some(Value::String(parts.join(delimiter)));
                }
                "Fn::Split" => {
                    let delimiter = args[0].as_str().expect("a literal Fn::Split delimiter");
                    let whole = text(&self.eval(&args[1]).expect("Fn::Split string"));
                    return Some(Value::Array(
                        whole.split(delimiter).map(|s| json!(s)).collect(),
                    ));
                }
                "Fn::Select" => {
                    let index: usize = text(&self.eval(&args[0]).expect("index"))
                        .parse()
                        .expect("Fn::Select index");
                    let list = self.eval(&args[1]).expect("Fn::Select list");
                    let item = list
                        .as_array()
                        .and_then(|items| items.get(index))
                        .unwrap_or_else(|| panic!("Fn::Select {index} out of {list}"));
                    return Some(item.clone());
                }
                f if f.starts_with("Fn::") => panic!("unsupported intrinsic {f}"),
                _ => {}
            }
        }
        Some(match value {
            Value::Array(items) => {
                Value::Array(items.iter().filter_map(|i| self.eval(i)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| self.eval(v).map(|v| (k.clone(), v)))
                    .collect(),
            ),
            other => other.clone(),
        })
    }

    fn reference(&self, name: &str) -> Option<Value> {
        let value = match name {
            "AWS::NoValue" => return None,
            "AWS::Partition" => self.partition.clone(),
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => ACCOUNT.to_owned(),
            "AWS::StackName" => self.stack_name.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            _ if self.parameters.contains_key(name) => self.parameters[name].clone(),
            _ => {
                self.assert_resource(name);
                format!("<Ref {name}>")
            }
        };
        Some(Value::String(value))
    }

    /// A resource this deployment refers to must exist in it (`CloudFormation` refuses a
    /// reference to a resource whose condition is false).
    fn assert_resource(&self, name: &str) {
        let resource = &self.template["Resources"][name];
        // SAM's generated roles (`<Function>Role`) are not in the template.
        if name.strip_suffix("Role").is_some_and(|function| {
            self.template["Resources"][function]["Type"] == "AWS::Serverless::Function"
        }) {
            return;
        }
        assert!(!resource.is_null(), "a reference to no resource: {name}");
        assert!(
            self.exists(resource),
            "a reference to {name}, which this deployment does not create"
        );
    }

    fn sub(&self, args: &Value) -> String {
        let (source, variables) = match args {
            Value::String(s) => (s.as_str(), None),
            Value::Array(pair) => (
                pair[0].as_str().expect("a literal Fn::Sub string"),
                Some(&pair[1]),
            ),
            other => panic!("Fn::Sub {other}"),
        };
        let mut out = String::new();
        let mut rest = source;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').expect("a closed ${…}");
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = variables.map(|v| &v[name]).filter(|v| !v.is_null()) {
                out.push_str(&text(&self.eval(value).expect("a Fn::Sub variable")));
            } else if let Some((resource, attribute)) = name.split_once('.') {
                self.assert_resource(resource);
                out.push_str(&format!("<{resource}.{attribute}>"));
            } else {
                out.push_str(&text(&self.reference(name).expect("a Fn::Sub name")));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn resource(&self, name: &str) -> Value {
        let resource = &self.template["Resources"][name];
        assert!(self.exists(resource), "{name} is not created");
        self.eval(resource).expect("a resource")
    }

    /// Every resource of `kind` this deployment creates, evaluated.
    fn resources_of(&self, kind: &str) -> BTreeMap<String, Value> {
        resources(self.template)
            .iter()
            .filter(|(_, r)| r["Type"] == kind && self.exists(r))
            .map(|(name, _)| (name.clone(), self.resource(name)))
            .collect()
    }

    /// The statements of the role SAM makes for `function`: its inline statements, the
    /// managed policies of the template it attaches, and any policy that names its role.
    fn role_statements(&self, function: &str) -> Vec<Value> {
        let f = self.resource(function);
        let mut statements = Vec::new();
        for policy in as_list(&f["Properties"]["Policies"]) {
            if let Some(list) = policy["Statement"].as_array() {
                statements.extend(list.iter().cloned());
                continue;
            }
            let reference = policy.as_str().unwrap_or_default();
            let name = reference
                .strip_prefix("<Ref ")
                .and_then(|n| n.strip_suffix('>'))
                .unwrap_or_else(|| panic!("{function}: a policy not of the template: {policy}"));
            let managed = self.resource(name);
            assert_eq!(managed["Type"], "AWS::IAM::ManagedPolicy", "{name}");
            statements.extend(
                as_list(&managed["Properties"]["PolicyDocument"]["Statement"])
                    .into_iter()
                    .cloned(),
            );
        }
        let role = format!("<Ref {function}Role>");
        for kind in ["AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"] {
            for (_, p) in self.resources_of(kind) {
                if as_list(&p["Properties"]["Roles"])
                    .iter()
                    .any(|r| **r == json!(role))
                {
                    statements.extend(
                        as_list(&p["Properties"]["PolicyDocument"]["Statement"])
                            .into_iter()
                            .cloned(),
                    );
                }
            }
        }
        statements
    }

    /// Whether `function`'s role may call `action` on `arn`.
    fn may(&self, function: &str, action: &str, arn: &str) -> bool {
        may(&self.role_statements(function), action, arn)
    }

    /// A function's environment variables as this deployment sets them.
    fn environment(&self, function: &str) -> BTreeMap<String, String> {
        let f = &self.template["Resources"][function];
        environment(self.template, f)
            .into_iter()
            .filter_map(|(k, v)| self.eval(&v).map(|v| (k, text(&v))))
            .collect()
    }
}

/// Whether `statements` allow `action` on `arn` (a statement's conditions count as met:
/// the answer errs towards "may").
fn may(statements: &[Value], action: &str, arn: &str) -> bool {
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && as_list(&s["Action"])
                .iter()
                .any(|a| wildcard_match(&text(a), action))
            && as_list(&s["Resource"])
                .iter()
                .any(|r| wildcard_match(&text(r), arn))
    })
}

/// `{"Fn::X": args}`: the function name and its arguments.
fn single_key(value: &Value) -> Option<(&str, &Value)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, args) = map.iter().next()?;
    (key == "Ref" || key == "Condition" || key.starts_with("Fn::")).then_some((key.as_str(), args))
}

/// A scalar as `CloudFormation` turns it into text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other}"),
    }
}

/// IAM's wildcard match of a policy's `Resource` or `Action`: `*` is any run of
/// characters (none included), `?` exactly one; everything else matches itself.
fn wildcard_match(pattern: &str, subject: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), subject.chars().collect());
    // matches[j]: pattern[..i] matches subject[..j], row by row over i.
    let mut matches = vec![false; s.len() + 1];
    matches[0] = true;
    for &pc in &p {
        let mut next = vec![false; s.len() + 1];
        if pc == '*' {
            let mut any = false;
            for j in 0..=s.len() {
                any |= matches[j];
                next[j] = any;
            }
        } else {
            for j in 1..=s.len() {
                next[j] = matches[j - 1] && (pc == '?' || pc == s[j - 1]);
            }
        }
        matches = next;
    }
    matches[s.len()]
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
    let key = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let everything = [
        ("ExecutorCredentials", "PerFamily"),
        ("LegacySingleSecret", "true"),
        ("OtherOrgs", "a,b"),
        ("KmsKeyArn", "create"),
    ];
    for set in [&[][..], &everything[..], &[("KmsKeyArn", key.as_str())][..]] {
        let d = Deployment::new(&t, set);
        let mut statements = Vec::new();
        // Managed policy names and SAM policy templates cannot be checked here: a
        // function's Policies are inline statements or managed policies of the template.
        for name in functions(&t).keys() {
            let own = d.role_statements(name);
            statements.extend(own.into_iter().map(|s| ((*name).to_owned(), s)));
        }
        for kind in [
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
        ] {
            for (name, r) in d.resources_of(kind) {
                let documents: Vec<&Value> = match kind {
                    "AWS::IAM::Role" => as_list(&r["Properties"]["Policies"])
                        .into_iter()
                        .map(|p| &p["PolicyDocument"])
                        .collect(),
                    _ => vec![&r["Properties"]["PolicyDocument"]],
                };
                for document in documents {
                    for s in as_list(&document["Statement"]) {
                        statements.push((name.clone(), s.clone()));
                    }
                }
            }
        }
        assert_statements_name_actions_and_resources(&statements);
    }
}

fn assert_statements_name_actions_and_resources(statements: &[(String, Value)]) {
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
fn every_work_queue_has_a_dlq_of_its_kind_of_the_template_and_outlasts_its_consumer() {
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
    // The events queue, the action-requests queue and one queue per action family.
    assert_eq!(work.len(), 2 + Family::ALL.len(), "{work:?}");
    assert_eq!(dlqs.len(), work.len(), "one DLQ each: {dlqs:?}");
    for name in &work {
        let q = &queues[name]["Properties"];
        // Action requests come from EventBridge, Step Functions and `aws sqs send-message`,
        // which need no group id on a standard queue; every other queue is FIFO.
        let fifo = *name != "ActionRequestsQueue";
        if fifo {
            assert_eq!(q["FifoQueue"], true, "{name}");
            assert_eq!(
                q["ContentBasedDeduplication"], false,
                "{name}: the producers set dedup ids"
            );
        } else {
            assert!(q.get("FifoQueue").is_none(), "{name}: a standard queue");
        }
        let redrive = &q["RedrivePolicy"];
        let dlq = target(&redrive["deadLetterTargetArn"]).expect("a DLQ");
        assert_eq!(
            redrive["deadLetterTargetArn"]["Fn::GetAtt"][1], "Arn",
            "{name}"
        );
        assert!(queues.contains_key(dlq) && dlq != *name, "{name} -> {dlq}");
        assert_eq!(
            queues[dlq]["Properties"]
                .get("FifoQueue")
                .is_some_and(|f| f == true),
            fifo,
            "{dlq}: a DLQ of the same kind as {name} (SQS redrives only so)"
        );
        assert!(!redrive["maxReceiveCount"].is_null(), "{name}");
    }
    // Visibility timeout >= 6 x the timeout of the function that consumes the queue, with
    // the parameters' defaults (the local stack's tests run it shorter).
    let defaults = Deployment::new(&t, &[]);
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
            let visibility: i64 =
                text(&defaults.resource(queue)["Properties"]["VisibilityTimeout"])
                    .parse()
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
        2 + Family::ALL.len(),
        "the router (events and action requests) and one executor per family"
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

/// What a deployment with the parameter defaults sets a variable to: parameters and
/// conditions evaluated, a queue's or table's reference a stand-in URL or name.
fn deployed_value(d: &Deployment, name: &str, value: &Value) -> String {
    let evaluated = d.eval(value).map(|v| text(&v)).unwrap_or_default();
    if !evaluated.contains('<') {
        return evaluated;
    }
    let resource = target(value).unwrap_or_else(|| panic!("{name}: {value}"));
    // Every queue is FIFO but the (standard) action-requests queue and its DLQ.
    let suffix = if resource.starts_with("ActionRequests") {
        ""
    } else {
        ".fifo"
    };
    if name.contains("QUEUE_URL") || name.ends_with("DLQ_URL") {
        format!("https://sqs.us-east-1.amazonaws.com/123456789012/{resource}{suffix}")
    } else if name.ends_with("QUEUE_ARN") {
        format!("arn:aws:sqs:us-east-1:123456789012:{resource}{suffix}")
    } else if name.ends_with("_TABLE") {
        resource.to_owned()
    } else {
        panic!("{name}: no stand-in for {value}")
    }
}

#[test]
fn the_functions_configuration_loads_from_what_the_template_sets() {
    let t = template();
    let d = Deployment::new(&t, &[]);
    let functions = functions(&t);
    let by_binary = |binary: &str| {
        functions
            .values()
            .find(|f| f["Metadata"]["BuildProperties"]["Binary"] == binary)
            .map(|f| {
                environment(&t, f)
                    .into_iter()
                    .map(|(k, v)| {
                        let resolved = deployed_value(&d, &k, &v);
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
                let resolved = deployed_value(&d, &k, &v);
                (k, resolved)
            })
            .collect();
        let config = action_executor::ExecutorConfig::from_lookup(|k| env.get(k).cloned())
            .expect("action-executor starts with the template's environment");
        assert_eq!(config.queue_urls.len(), Family::ALL.len());
        assert_eq!(config.idempotency_table, "IdempotencyTable");
        assert!(config.dlq_url.ends_with("Dlq.fifo"), "{}", config.dlq_url);
        families.insert(config.family);
    }
    assert_eq!(families, Family::ALL.into_iter().collect());
}

/// The ways in of a deployment: `METHOD path binary` of each HTTP API route (through its
/// integration to the function), and `ANY <Function URL> binary AuthType` of each Function URL.
fn entrances(t: &Value, d: &Deployment) -> BTreeSet<String> {
    let binary = |function: &str| -> String {
        let f = &t["Resources"][function];
        assert!(d.exists(f), "{function} invoked but not created");
        f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let unplaceholder = |s: &str| -> String {
        s.trim_start_matches("<Ref ")
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim_end_matches(".Arn")
            .to_owned()
    };
    let mut found = BTreeSet::new();
    assert!(
        of_type(t, "AWS::ApiGatewayV2::Route").is_empty(),
        "the routes are the API's OpenAPI body"
    );
    for (_, api) in d.resources_of("AWS::ApiGatewayV2::Api") {
        let paths = api["Properties"]["Body"]["paths"]
            .as_object()
            .expect("the API's OpenAPI paths");
        for (path, methods) in paths {
            for (method, operation) in methods.as_object().expect("methods") {
                let integration = &operation["x-amazon-apigateway-integration"];
                assert_eq!(integration["type"], "aws_proxy", "{method} {path}");
                assert_eq!(
                    integration["payloadFormatVersion"], "2.0",
                    "{method} {path}"
                );
                let uri = integration["uri"].as_str().expect("an integration uri");
                let function = uri
                    .split_once("functions/<")
                    .and_then(|(_, rest)| rest.split_once(".Arn>/invocations"))
                    .map(|(function, _)| function)
                    .unwrap_or_else(|| panic!("a Lambda integration: {uri}"));
                if path.contains("{org}") {
                    assert_eq!(
                        operation["parameters"],
                        json!([{"name": "org", "in": "path", "required": true}])
                    );
                }
                found.insert(format!(
                    "{} {path} {}",
                    method.to_uppercase(),
                    binary(function)
                ));
            }
        }
    }
    for (name, url) in d.resources_of("AWS::Lambda::Url") {
        let p = &url["Properties"];
        let function = unplaceholder(p["TargetFunctionArn"].as_str().unwrap_or(""));
        found.insert(format!(
            "ANY <{name}.FunctionUrl> {} {}",
            binary(&function),
            p["AuthType"].as_str().unwrap_or("")
        ));
    }
    found
}

fn strings(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn ingress_http_api_routes_get_to_hook_verify_and_post_to_hook_ingest_behind_a_throttle() {
    let t = template();
    assert_eq!(t_parameter("Ingress", "Default"), "HttpApi");
    assert_eq!(
        t["Parameters"]["Ingress"]["AllowedValues"],
        json!(["HttpApi", "FunctionUrl", "PollOnly"])
    );
    let d = Deployment::new(&t, &[("Ingress", "HttpApi")]);
    assert_eq!(
        entrances(&t, &d),
        strings(&[
            "GET /hooks/okta hook-verify",
            "GET /hooks/okta/{org} hook-verify",
            "POST /hooks/okta hook-ingest",
            "POST /hooks/okta/{org} hook-ingest",
        ])
    );
    // The stage SAM's HttpApi made, under its logical id (an upgraded stack keeps it).
    let stage = d.resource("HookApiApiGatewayDefaultStage");
    assert_eq!(stage["Properties"]["StageName"], "$default");
    assert_eq!(stage["Properties"]["AutoDeploy"], true);
    assert_eq!(
        stage["Properties"]["DefaultRouteSettings"],
        json!({"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100})
    );
    // API Gateway may invoke each function on its own method only.
    let permissions = d.resources_of("AWS::Lambda::Permission");
    for (function, method) in [
        ("HookVerifyFunction", "GET"),
        ("HookIngestFunction", "POST"),
    ] {
        let granted: Vec<&Value> = permissions
            .values()
            .map(|p| &p["Properties"])
            .filter(|p| p["FunctionName"] == format!("<Ref {function}>"))
            .collect();
        assert_eq!(granted.len(), 1, "{function}: {granted:?}");
        assert_eq!(granted[0]["Principal"], "apigateway.amazonaws.com");
        assert_eq!(granted[0]["Action"], "lambda:InvokeFunction");
        assert_eq!(
            granted[0]["SourceArn"],
            format!(
                "arn:{PARTITION}:execute-api:{REGION}:{ACCOUNT}:<Ref HookApi>/*/{method}/hooks/okta*"
            )
        );
    }
    assert!(d.resources_of("AWS::Lambda::Url").is_empty());
    let hook_url = d.eval(&t["Outputs"]["HookUrl"]["Value"]).expect("HookUrl");
    assert_eq!(
        hook_url,
        format!("https://<Ref HookApi>.execute-api.{REGION}.amazonaws.com/hooks/okta/default")
    );
}

#[test]
fn ingress_function_url_is_one_public_url_to_hook_ingest_and_no_api_gateway_or_hook_verify() {
    let t = template();
    let d = Deployment::new(&t, &[("Ingress", "FunctionUrl")]);
    assert_eq!(
        entrances(&t, &d),
        strings(&["ANY <HookIngestUrl.FunctionUrl> hook-ingest NONE"])
    );
    for (name, r) in resources(&t) {
        let kind = r["Type"].as_str().unwrap_or("");
        if kind.starts_with("AWS::ApiGatewayV2::") || name.starts_with("HookVerify") {
            assert!(!d.exists(r), "{name} ({kind}) is created under FunctionUrl");
        }
    }
    // Every resource and output that is created refers only to what is created (the
    // evaluation asserts it), and the functions are the template's less hook-verify.
    evaluate_created(&t, &d);
    assert_eq!(functions_not_created(&t, &d), ["HookVerifyFunction"]);
    // Public, but only through the URL: lambda:InvokeFunctionUrl for auth type NONE, and
    // lambda:InvokeFunction only as invoked via the Function URL (no one may call Invoke).
    let granted: BTreeSet<String> = d
        .resources_of("AWS::Lambda::Permission")
        .values()
        .map(|p| p["Properties"].clone())
        .inspect(|p| {
            assert_eq!(p["FunctionName"], "<Ref HookIngestFunction>", "{p}");
            assert_eq!(p["Principal"], "*", "{p}");
        })
        .map(|p| {
            format!(
                "{} {} {}",
                p["Action"].as_str().unwrap_or(""),
                p["FunctionUrlAuthType"].as_str().unwrap_or("-"),
                p["InvokedViaFunctionUrl"]
            )
        })
        .collect();
    assert_eq!(
        granted,
        strings(&[
            "lambda:InvokeFunction - true",
            "lambda:InvokeFunctionUrl NONE null",
        ])
    );
    // The hook URLs follow the Function URL, whose attribute already ends with "/".
    let output = |key: &str| d.eval(&t["Outputs"][key]["Value"]).expect(key);
    assert_eq!(
        output("HookUrl"),
        "<HookIngestUrl.FunctionUrl>hooks/okta/default"
    );
    assert_eq!(
        output("HookUrlDefaultOrg"),
        "<HookIngestUrl.FunctionUrl>hooks/okta"
    );
}

/// `Ingress` `PollOnly`: no way in at all (no API, no Function URL, no permission for anyone to
/// invoke anything, no hook-verify or hook-ingest, no hook URL outputs), and the log-poller,
/// on its schedule, is what still sends events to the events queue the router reads.
#[test]
fn ingress_poll_only_has_no_way_in_and_the_log_poller_alone_feeds_the_events_queue() {
    let t = template();
    let d = Deployment::new(&t, &[("Ingress", "PollOnly")]);
    assert!(entrances(&t, &d).is_empty(), "{:?}", entrances(&t, &d));
    assert!(d.resources_of("AWS::Lambda::Permission").is_empty());
    for (name, r) in resources(&t) {
        let kind = r["Type"].as_str().unwrap_or("");
        if kind.starts_with("AWS::ApiGatewayV2::")
            || kind == "AWS::Lambda::Url"
            || name.starts_with("HookVerify")
            || name.starts_with("HookIngest")
        {
            assert!(!d.exists(r), "{name} ({kind}) is created under PollOnly");
        }
    }
    // What is created refers only to what is created (the evaluation asserts it).
    evaluate_created(&t, &d);
    for gone in ["HookUrl", "HookUrlDefaultOrg"] {
        assert!(
            !d.exists(&t["Outputs"][gone]),
            "{gone} output under PollOnly"
        );
    }
    assert_eq!(
        functions_not_created(&t, &d),
        ["HookIngestFunction", "HookVerifyFunction"]
    );
    // The source left: the poller, scheduled, sending to the queue the router polls.
    let poller = &t["Resources"]["LogPollerFunction"]["Properties"];
    assert_eq!(poller["Events"]["Schedule"]["Type"], "Schedule");
    assert!(d.may("LogPollerFunction", "sqs:SendMessage", "<EventsQueue.Arn>"));
    assert_eq!(
        environment(&t, &t["Resources"]["LogPollerFunction"])["OKTA_HOOKS_EVENTS_QUEUE_URL"],
        json!({"Ref": "EventsQueue"})
    );
    let router = &t["Resources"]["EventRouterFunction"]["Properties"]["Events"]["Events"];
    assert_eq!(
        router["Properties"]["Queue"],
        json!({"Fn::GetAtt": ["EventsQueue", "Arn"]})
    );
    // Every function that is created still has its Errors alarm (QueuedFunctionErrorAlarms
    // defaults to "true"), and none is left on a function that is not.
    let alarmed: BTreeSet<String> = d
        .resources_of("AWS::CloudWatch::Alarm")
        .values()
        .filter(|a| a["Properties"]["MetricName"] == "Errors")
        .map(|a| text(&a["Properties"]["Dimensions"][0]["Value"]))
        .collect();
    let expected: BTreeSet<String> = functions_created(&t, &d)
        .iter()
        .map(|f| format!("<Ref {f}>"))
        .collect();
    assert_eq!(alarmed, expected);
}

/// `stack_deploy.py --transform-only` of the template at `path` (SAM's transform, `Fn::If`
/// folded for the parameters).
fn sam_transform(path: &std::path::Path, parameters: &[&str]) -> Value {
    let mut command = Command::new(integration_tests::venv_bin("python"));
    command
        .arg("scripts/stack_deploy.py")
        .arg("--template")
        .arg(path)
        .arg("--transform-only");
    for parameter in parameters {
        command.args(["--parameter", parameter]);
    }
    let out = command
        .current_dir(workspace_root())
        .output()
        .expect("stack_deploy.py runs");
    assert!(
        out.status.success(),
        "transform of {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The HTTP API is written out (SAM events cannot be conditional), yet it must stay the
/// API SAM's `HttpApi` events made before `Ingress` existed: a changed body or stage id
/// would replace or break the API of a deployed stack, and with it the URL Okta calls. So
/// the template is rewritten to that former shape (a SAM `HttpApi` and the four events,
/// no conditions) and both are transformed: the API and its stage come out the same.
#[test]
fn the_http_api_is_the_one_sam_events_made_so_an_upgraded_stack_keeps_its_hook_url() {
    let t = template();
    let mut former = t.clone();
    let r = former["Resources"].as_object_mut().expect("Resources");
    for gone in [
        "HookApiApiGatewayDefaultStage",
        "HookVerifyApiPermission",
        "HookIngestApiPermission",
    ] {
        assert!(r.remove(gone).is_some(), "{gone}");
    }
    r.insert(
        "HookApi".into(),
        json!({"Type": "AWS::Serverless::HttpApi", "Properties": {
            "Description": "Okta event hook endpoints (GET = verification, POST = deliveries)",
            "DefaultRouteSettings": {"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100}}}),
    );
    let event = |method: &str, path: &str| json!({"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "HookApi"}, "Method": method, "Path": path}});
    let verify = r["HookVerifyFunction"]
        .as_object_mut()
        .expect("hook-verify");
    verify.remove("Condition");
    verify["Properties"]["Events"] = json!({
        "Verify": event("GET", "/hooks/okta"),
        "VerifyOrg": event("GET", "/hooks/okta/{org}"),
    });
    r["HookIngestFunction"]["Properties"]["Events"] = json!({
        "Deliver": event("POST", "/hooks/okta"),
        "DeliverOrg": event("POST", "/hooks/okta/{org}"),
    });
    let file = std::env::temp_dir().join(format!(
        "okta-hooks-former-http-api-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, former.to_string()).unwrap();
    let before = sam_transform(&file, &[]);
    std::fs::remove_file(&file).ok();
    let now = sam_transform(&workspace_root().join("infra/template.yaml"), &[]);
    for id in ["HookApi", "HookApiApiGatewayDefaultStage"] {
        let mut written = now["Resources"][id].clone();
        assert_eq!(written["Condition"], "UseHttpApi", "{id}");
        written.as_object_mut().unwrap().remove("Condition");
        assert_eq!(written, before["Resources"][id], "{id}");
    }
}

/// Each `Ingress` value (`PollOnly` with `SystemLogs` `WarningsOnly`) through SAM's transform
/// (`stack_deploy.py --transform-only`: what `stack up` and `sam deploy` deploy, `Fn::If`
/// folded for the value) and `cfn-lint`, on the template with the value and on what the
/// transform made of it (errors only there: the folding leaves conditions and parameters
/// unused, which cfn-lint warns about).
#[test]
fn every_ingress_value_transforms_and_passes_cfn_lint() {
    let root = workspace_root();
    let scratch = std::env::temp_dir().join(format!("okta-hooks-ingress-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    for ingress in ["HttpApi", "FunctionUrl", "PollOnly"] {
        let lint = |args: &[&str]| {
            let out = Command::new(integration_tests::venv_bin("cfn-lint"))
                .args(args)
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .current_dir(&root)
                .output()
                .expect("cfn-lint runs");
            assert!(
                out.status.success(),
                "cfn-lint {args:?} ({ingress}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let parameter = format!("Ingress={ingress}");
        let mut parameters = vec![parameter.as_str()];
        if ingress == "PollOnly" {
            parameters.push("SystemLogs=WarningsOnly");
        }
        let mut args = vec!["infra/template.yaml", "--parameters"];
        args.extend(&parameters);
        lint(&args);
        let transformed = sam_transform(&root.join("infra/template.yaml"), &parameters);
        let file = scratch.join(format!("{ingress}.json"));
        std::fs::write(&file, transformed.to_string()).unwrap();
        lint(&[file.to_str().unwrap(), "--ignore-checks", "W"]);

        let d = Deployment::new(&transformed, &[("Ingress", ingress)]);
        let created = |kind: &str| -> BTreeSet<String> {
            resources(&transformed)
                .iter()
                .filter(|(_, r)| r["Type"] == kind && d.exists(r))
                .map(|(name, _)| name.clone())
                .collect()
        };
        let lambdas = created("AWS::Lambda::Function");
        let api = created("AWS::ApiGatewayV2::Api");
        let urls = created("AWS::Lambda::Url");
        assert!(lambdas.contains("LogPollerFunction"), "{ingress}");
        assert_eq!(
            lambdas.contains("HookIngestFunction"),
            ingress != "PollOnly",
            "{ingress}"
        );
        if ingress == "PollOnly" {
            assert!(!lambdas.contains("HookVerifyFunction"));
            assert!(api.is_empty() && urls.is_empty());
        } else if ingress == "FunctionUrl" {
            assert!(!lambdas.contains("HookVerifyFunction"));
            assert!(api.is_empty() && created("AWS::ApiGatewayV2::Stage").is_empty());
            assert_eq!(urls, strings(&["HookIngestUrl"]));
        } else {
            assert!(lambdas.contains("HookVerifyFunction"));
            assert_eq!(api, strings(&["HookApi"]));
            assert_eq!(
                created("AWS::ApiGatewayV2::Stage"),
                strings(&["HookApiApiGatewayDefaultStage"])
            );
            assert_eq!(
                transformed["Resources"]["HookApi"]["Properties"]["Body"]["paths"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect::<BTreeSet<_>>()),
                Some(strings(&["/hooks/okta", "/hooks/okta/{org}"]))
            );
            assert!(urls.is_empty());
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn the_hook_routes_alarms_and_outputs_are_there() {
    let t = template();
    // GET (verification) and POST (deliveries) on both paths: the HTTP API by default (the
    // ingress tests above check each Ingress value).
    assert_eq!(
        entrances(&t, &Deployment::new(&t, &[])),
        strings(&[
            "GET /hooks/okta hook-verify",
            "GET /hooks/okta/{org} hook-verify",
            "POST /hooks/okta hook-ingest",
            "POST /hooks/okta/{org} hook-ingest",
        ])
    );

    // An alarm on every DLQ's depth and on every function's errors (with the defaults).
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let defaults = Deployment::new(&t, &[]);
    let watched = |metric: &str, dimension: &str| -> BTreeSet<String> {
        alarms
            .values()
            .filter(|a| defaults.exists(a))
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
        "HookSecret",
        "SigningSecret",
        "PlanSigningSecret",
        "OktaSecret",
        "OktaReadSecret",
        "NamedSecret",
        "EventsQueueUrl",
        "EventsDlqUrl",
        "RejectsQueueUrl",
        "ActionRequestsQueueUrl",
        "ActionRequestsDlqUrl",
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
    let hook_url = outputs["HookUrl"]["Value"]["Fn::If"][2]["Fn::Sub"]
        .as_str()
        .expect("HookUrl is a !Sub on the HTTP API unless UseFunctionUrl");
    assert!(
        hook_url.starts_with("https://${HookApi}.execute-api."),
        "{hook_url}"
    );
    assert!(hook_url.ends_with("/hooks/okta/${OrgName}"), "{hook_url}");
}

// ---------------------------------------------------------------- action requests and results

#[test]
fn action_requests_may_be_sent_by_the_account_or_the_named_principals_and_event_rules_only() {
    let t = template();
    let statements = |set: &[(&str, &str)]| {
        let d = Deployment::new(&t, set);
        let policy = d.resource("ActionRequestsQueuePolicy");
        assert_eq!(
            policy["Properties"]["Queues"],
            json!(["<Ref ActionRequestsQueue>"])
        );
        let statements: Vec<Value> = as_list(&policy["Properties"]["PolicyDocument"]["Statement"])
            .into_iter()
            .cloned()
            .collect();
        for s in &statements {
            assert_eq!(s["Effect"], "Allow", "{s}");
            assert_eq!(s["Action"], json!(["sqs:SendMessage"]), "{s}");
            assert_eq!(s["Resource"], "<ActionRequestsQueue.Arn>", "{s}");
        }
        statements
    };
    let defaults = statements(&[]);
    assert_eq!(defaults.len(), 1, "no event rule by default: {defaults:?}");
    assert_eq!(
        defaults[0]["Principal"],
        json!({"AWS": format!("arn:{PARTITION}:iam::{ACCOUNT}:root")}),
        "by default, the account (its principals' own policies decide)"
    );
    let named = "arn:aws:iam::111122223333:role/siem,arn:aws:iam::123456789012:role/sfn";
    let rule = format!("arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/guardduty-to-okta");
    let both = statements(&[
        ("ActionRequestPrincipals", named),
        ("ActionRequestEventRules", &rule),
    ]);
    assert_eq!(both.len(), 2, "{both:?}");
    // CloudFormation passes a CommaDelimitedList's Ref as the list; this evaluator keeps
    // the parameter's text, which names the same principals.
    assert_eq!(both[0]["Principal"], json!({"AWS": named}));
    // EventBridge sends to an SQS target as its service principal, for the named rules only.
    assert_eq!(
        both[1]["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(
        both[1]["Condition"],
        json!({"ArnEquals": {"aws:SourceArn": rule}})
    );
}

#[test]
fn the_router_takes_action_requests_and_every_executor_publishes_results_on_the_default_bus_and_reply_queues()
 {
    let t = template();
    let d = Deployment::new(&t, &[]);
    let bus = format!("arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/default");
    let reply = format!("arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:okta-hooks-reply-4f2a");
    let foreign_reply = format!("arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:payroll-jobs");
    let other_bus = format!("arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/payroll");
    let mut publishers = BTreeSet::new();
    for f in template_functions(&t) {
        let binary = f.binary.clone();
        let publishes = d.may(&f.name, "events:PutEvents", &bus);
        assert_eq!(
            publishes,
            binary == "event-router" || binary == "action-executor",
            "{}: PutEvents on the default bus",
            f.name
        );
        assert_eq!(
            d.may(&f.name, "sqs:SendMessage", &reply),
            publishes,
            "{}",
            f.name
        );
        assert!(
            !d.may(&f.name, "events:PutEvents", &other_bus),
            "{}",
            f.name
        );
        assert!(
            !d.may(&f.name, "sqs:SendMessage", &foreign_reply),
            "{}",
            f.name
        );
        if publishes {
            let env = d.environment(&f.name);
            assert_eq!(env["OKTA_HOOKS_EVENT_BUS"], "default", "{}", f.name);
            assert_eq!(env["OKTA_HOOKS_REPLY_QUEUE_PATTERN"], "okta-hooks-reply-*");
            publishers.insert(binary);
        }
    }
    assert_eq!(publishers.len(), 2, "{publishers:?}");

    // Only the router consumes the requests queue and letters refused requests.
    for f in template_functions(&t) {
        let router = f.name == "EventRouterFunction";
        for action in [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ] {
            assert_eq!(
                d.may(&f.name, action, "<ActionRequestsQueue.Arn>"),
                router,
                "{}: {action}",
                f.name
            );
        }
        assert_eq!(
            d.may(&f.name, "sqs:SendMessage", "<ActionRequestsDlq.Arn>"),
            router,
            "{}",
            f.name
        );
    }
    let env = d.environment("EventRouterFunction");
    assert_eq!(
        env["OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN"],
        "<ActionRequestsQueue.Arn>"
    );
    assert_eq!(
        env["OKTA_HOOKS_ACTION_REQUESTS_DLQ_URL"],
        "<Ref ActionRequestsDlq>"
    );
    assert_eq!(env["OKTA_HOOKS_REQUEST_CAP_PER_HOUR"], "20");
    assert_eq!(env["OKTA_HOOKS_DEFAULT_ORG"], "default");

    // A reply pattern of another shape moves the grant with it.
    let d = Deployment::new(&t, &[("ReplyQueuePattern", "soar-replies-*")]);
    let soar = format!("arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:soar-replies-1");
    assert!(d.may("UsersExecutorFunction", "sqs:SendMessage", &soar));
    assert!(!d.may("UsersExecutorFunction", "sqs:SendMessage", &reply));
}

// ---------------------------------------------------------------- who may read which secret

/// The kinds of org secret (`<prefix><org>/<kind>`), and the former single secret.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Hook,
    Signing,
    /// `plan-signing`: the router's private Ed25519 plan keys.
    PlanSigning,
    Okta,
    OktaRead,
    /// `okta-<family>`, for every family (notify's too: nobody may read it).
    OktaOf(Family),
    Named,
    /// `<prefix><org>`, read only under `LegacySingleSecret`.
    Legacy,
}

impl Kind {
    fn all() -> Vec<Kind> {
        let mut all = vec![
            Kind::Hook,
            Kind::Signing,
            Kind::PlanSigning,
            Kind::Okta,
            Kind::OktaRead,
            Kind::Named,
        ];
        all.extend(Family::ALL.into_iter().map(Kind::OktaOf));
        all.push(Kind::Legacy);
        all
    }

    fn secret_name(self, prefix: &str, org: &str) -> String {
        match self {
            Kind::Hook => format!("{prefix}{org}/hook"),
            Kind::Signing => format!("{prefix}{org}/signing"),
            Kind::PlanSigning => format!("{prefix}{org}/plan-signing"),
            Kind::Okta => format!("{prefix}{org}/okta"),
            Kind::OktaRead => format!("{prefix}{org}/okta-read"),
            Kind::OktaOf(family) => format!("{prefix}{org}/okta-{family}"),
            Kind::Named => format!("{prefix}{org}/named"),
            Kind::Legacy => format!("{prefix}{org}"),
        }
    }

    /// Whether it holds an Okta credential or keys that sign what the executors run
    /// (the envelope HMAC keys, the router's plan keys).
    fn is_okta_credential_or_signing_key(self) -> bool {
        matches!(
            self,
            Kind::Signing | Kind::PlanSigning | Kind::Okta | Kind::OktaRead | Kind::OktaOf(_)
        )
    }

    /// The kind of `org_secrets` it is; `None` for the former single secret.
    fn secret_kind(self) -> Option<SecretKind> {
        let name = self.secret_name("", "org");
        let suffix = name.strip_prefix("org/")?;
        Some(SecretKind::parse(suffix).unwrap_or_else(|| panic!("org_secrets knows no {suffix}")))
    }
}

/// The ARN Secrets Manager gives secret `name`: its name, a dash and 6 random characters.
fn secret_arn(name: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut n = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let suffix: String = (0..6)
        .map(|_| {
            let c = ALPHABET[(n % 62) as usize];
            n /= 62;
            char::from(c)
        })
        .collect();
    format!("{}-{suffix}", bare_arn(name))
}

/// The ARN AWS authorizes a `GetSecretValue` of secret `name` against when there is no
/// such secret: the one derived from the name, without the suffix (ministackorg/ministack
/// #1737 measured it). Only a role allowed on it hears "not found"; any other hears
/// `AccessDenied`, which the functions must treat as a failed read and retry.
fn bare_arn(name: &str) -> String {
    format!("arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}")
}

/// A function of the template: its logical name, binary and (executors) family.
struct Function {
    name: String,
    binary: String,
    family: Option<Family>,
    internet_facing: bool,
}

fn template_functions(t: &Value) -> Vec<Function> {
    let facing = internet_facing(t);
    functions(t)
        .into_iter()
        .map(|(name, f)| Function {
            name: name.to_owned(),
            binary: f["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .expect("Binary")
                .to_owned(),
            family: f["Properties"]["Environment"]["Variables"]["OKTA_HOOKS_FAMILY"]
                .as_str()
                .map(family_of),
            internet_facing: facing.contains(name),
        })
        .collect()
}

/// The functions reached from the internet, whatever the parameters: an HTTP API route's
/// integration (or a SAM `HttpApi` event) or a Function URL invokes them.
fn internet_facing(t: &Value) -> BTreeSet<&str> {
    let mut facing: BTreeSet<&str> = BTreeSet::new();
    for api in of_type(t, "AWS::ApiGatewayV2::Api").values() {
        for methods in api["Properties"]["Body"]["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
        {
            for operation in methods.as_object().into_iter().flat_map(|m| m.values()) {
                let uri = &operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"];
                let function = uri
                    .as_str()
                    .and_then(|u| u.split("functions/${").nth(1))
                    .and_then(|rest| rest.split_once(".Arn}"))
                    .map(|(function, _)| function);
                facing.extend(function);
            }
        }
    }
    facing.extend(
        of_type(t, "AWS::Lambda::Url")
            .values()
            .filter_map(|u| target(&u["Properties"]["TargetFunctionArn"])),
    );
    for (name, f) in functions(t) {
        let events = f["Properties"]["Events"].as_object();
        if events.is_some_and(|events| events.values().any(|e| e["Type"] == "HttpApi")) {
            facing.insert(name);
        }
    }
    facing
}

/// Who reads what (issue 13): whether `f` needs `kind`, given the credential mode and the
/// legacy switch. The executors: signing keys; the shared Okta credential (not with
/// `PerFamilyOnly`), and with per-family credentials their own (first), unless their
/// family calls no Okta ([`Family::calls_okta`]); named values only where an action names
/// a secret ([`Family::reads_named_secrets`], from the catalog).
fn needs(f: &Function, kind: Kind, mode: ExecutorCredentials, legacy: bool) -> bool {
    let executor = f.binary == "action-executor";
    let calls_okta = f.family.is_some_and(Family::calls_okta);
    let own = mode != ExecutorCredentials::Shared;
    let shared = mode != ExecutorCredentials::PerFamilyOnly;
    match kind {
        Kind::Hook => matches!(f.binary.as_str(), "hook-verify" | "hook-ingest"),
        Kind::Signing => executor || f.binary == "event-router",
        Kind::PlanSigning => f.binary == "event-router",
        Kind::OktaRead => matches!(f.binary.as_str(), "event-router" | "log-poller"),
        Kind::Okta => shared && calls_okta,
        Kind::OktaOf(family) => own && calls_okta && f.family == Some(family),
        Kind::Named => f.family.is_some_and(Family::reads_named_secrets),
        Kind::Legacy => legacy,
    }
}

#[test]
fn the_catalog_says_notify_calls_no_okta_and_only_notify_and_admin_name_secrets() {
    // The table of issue 13 the template follows, pinned: a catalog change that moves it
    // shows here and, through `needs`, in the template tests.
    let okta_less: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|f| !f.calls_okta())
        .collect();
    assert_eq!(okta_less, [Family::Notify]);
    let named: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|f| f.reads_named_secrets())
        .collect();
    assert_eq!(named, [Family::Admin, Family::Notify]);
}

/// Every value of the template's `ExecutorCredentials`, as the executors take it.
const MODES: [ExecutorCredentials; 3] = [
    ExecutorCredentials::Shared,
    ExecutorCredentials::PerFamily,
    ExecutorCredentials::PerFamilyOnly,
];

/// The executors' mode a value of the template parameter `ExecutorCredentials` stands for.
fn credential_mode(parameter: &str) -> ExecutorCredentials {
    match parameter {
        "Shared" => ExecutorCredentials::Shared,
        "PerFamily" => ExecutorCredentials::PerFamily,
        "PerFamilyOnly" => ExecutorCredentials::PerFamilyOnly,
        other => panic!("ExecutorCredentials {other}"),
    }
}

/// The kinds the function's code reads (its composition root's [`SecretReads`]).
fn code_reads(f: &Function, mode: ExecutorCredentials) -> SecretReads {
    match (f.binary.as_str(), f.family) {
        ("hook-verify" | "hook-ingest", None) => SecretReads::hook_receiver(),
        ("event-router", None) => SecretReads::router(),
        ("log-poller", None) => SecretReads::poller(),
        ("action-executor", Some(family)) => SecretReads::executor(
            family.as_str(),
            mode,
            family.calls_okta(),
            family.reads_named_secrets(),
        ),
        (binary, family) => panic!("{}: no secret reads known for {binary} {family:?}", f.name),
    }
}

#[test]
fn the_who_reads_what_table_is_what_each_functions_code_reads() {
    // A kind the code starts reading (plan-signing for the router) and the template does
    // not grant is an AccessDenied in AWS on every event: the table the template is checked
    // against must be the code's.
    let t = template();
    let every_kind: Vec<SecretKind> = Kind::all()
        .into_iter()
        .filter_map(Kind::secret_kind)
        .collect();
    for mode in MODES {
        for f in template_functions(&t) {
            let reads = code_reads(&f, mode);
            for kind in reads.kinds() {
                assert!(
                    every_kind.contains(&kind),
                    "{} reads {}, a kind the template tests do not check",
                    f.name,
                    kind.suffix()
                );
            }
            for kind in Kind::all() {
                let Some(secret_kind) = kind.secret_kind() else {
                    continue;
                };
                assert_eq!(
                    needs(&f, kind, mode, false),
                    reads.reads(&secret_kind),
                    "{} ({mode:?}): {kind:?}",
                    f.name
                );
            }
        }
    }
    assert!(SecretReads::router().reads(&SecretKind::PlanSigning));
}

#[test]
fn only_the_router_may_read_the_private_plan_keys() {
    let t = template();
    for (set, served) in [
        (&[][..], &["default"][..]),
        (
            &[("ExecutorCredentials", "PerFamily"), ("OtherOrgs", "acme")][..],
            &["default", "acme"][..],
        ),
        (
            &[("LegacySingleSecret", "true"), ("KmsKeyArn", "create")][..],
            &["default"][..],
        ),
    ] {
        let d = Deployment::new(&t, set);
        for f in template_functions(&t) {
            for org in served {
                let arn = secret_arn(&format!("okta-hooks/{org}/plan-signing"));
                assert_eq!(
                    d.may(&f.name, "secretsmanager:GetSecretValue", &arn),
                    f.binary == "event-router",
                    "{set:?}: {} and {arn}",
                    f.name
                );
            }
        }
    }
}

/// For every function, kind and served org: the function's role may read the secret
/// (a concrete ARN with a random suffix) exactly when it needs it, and is allowed on the
/// bare ARN AWS checks when that secret does not exist exactly then too (so a missing
/// optional kind answers "not found", not `AccessDenied`); and no function may read any
/// kind of secret of an org the deployment does not serve, nor of another prefix, under
/// either ARN.
fn assert_who_reads_what(set: &[(&str, &str)], served: &[&str]) -> usize {
    let t = template();
    let d = Deployment::new(&t, set);
    let prefix = d.parameters["SecretPrefix"].clone();
    let mode = credential_mode(&d.parameters["ExecutorCredentials"]);
    let legacy = d.parameters["LegacySingleSecret"] == "true";
    let not_served = ["evil", "defaul", "default-x", "acme2", "globex", "Default"];
    let mut checked = 0;
    let functions = template_functions(&t);
    assert_eq!(functions.len(), 4 + Family::ALL.len());
    for f in &functions {
        let role = d.role_statements(&f.name);
        let may = |arn: &str| may(&role, "secretsmanager:GetSecretValue", arn);
        let granted: Vec<String> = Kind::all()
            .into_iter()
            .filter(|kind| needs(f, *kind, mode, legacy))
            .flat_map(|kind| {
                served
                    .iter()
                    .map(|org| kind.secret_name(&prefix, org))
                    .collect::<Vec<_>>()
            })
            .collect();
        for kind in Kind::all() {
            for org in served {
                let name = kind.secret_name(&prefix, org);
                let expected = needs(f, kind, mode, legacy);
                let arn = secret_arn(&name);
                assert_eq!(
                    may(&arn),
                    expected,
                    "{set:?}: {} {} read {arn}",
                    f.name,
                    if expected { "must" } else { "must not" },
                );
                let bare = bare_arn(&name);
                assert_eq!(
                    may(&bare),
                    expected || suffix_shaped(&name, &granted),
                    "{set:?}: {} {} hear whether {name} exists",
                    f.name,
                    if expected { "must" } else { "must not" },
                );
                checked += 2;
            }
            let not_served = not_served.iter().filter(|o| !served.contains(o));
            let elsewhere = kind.secret_name("other-stack/", served[0]);
            for name in not_served
                .map(|org| kind.secret_name(&prefix, org))
                .chain([elsewhere])
            {
                let arn = secret_arn(&name);
                assert!(!may(&arn), "{set:?}: {} may read {arn}", f.name);
                let bare = bare_arn(&name);
                assert_eq!(
                    may(&bare),
                    suffix_shaped(&name, &granted),
                    "{set:?}: {} may hear whether {name} exists",
                    f.name
                );
            }
        }
    }
    checked
}

/// Whether `name` is one of the `granted` names plus `-` and 6 characters, which the
/// `<granted>-??????` grant takes for the bare ARN of `name` too (`?` is any character):
/// `okta-groups` is `okta` + `-groups`, org `default-x`'s `hook` the single secret
/// `default` + `-x/hook`. Harmless: AWS checks the bare ARN only when `name` does not
/// exist (the role hears "not found"); an existing `name` is checked on its own suffixed
/// ARN, which is 7 characters longer than any such grant matches.
fn suffix_shaped(name: &str, granted: &[String]) -> bool {
    granted.iter().any(|g| {
        name.strip_prefix(g.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|rest| rest.chars().count() == 6)
    })
}

#[test]
fn with_the_defaults_each_function_reads_exactly_its_secret_kinds() {
    assert!(assert_who_reads_what(&[], &["default"]) > 100);
}

#[test]
fn with_per_family_credentials_each_okta_executor_also_reads_its_own_credential() {
    assert_who_reads_what(&[("ExecutorCredentials", "PerFamily")], &["default"]);
}

#[test]
fn with_per_family_only_credentials_no_function_may_read_the_shared_okta_credential() {
    let t = template();
    let allowed = as_list(&t["Parameters"]["ExecutorCredentials"]["AllowedValues"]);
    assert!(allowed.contains(&&json!("PerFamilyOnly")), "{allowed:?}");
    let served = ["default", "acme"];
    for set in [
        &[
            ("ExecutorCredentials", "PerFamilyOnly"),
            ("OtherOrgs", "acme"),
        ][..],
        &[
            ("ExecutorCredentials", "PerFamilyOnly"),
            ("OtherOrgs", "acme"),
            ("KmsKeyArn", "create"),
        ][..],
    ] {
        assert_who_reads_what(set, &served);
        let d = Deployment::new(&t, set);
        for f in template_functions(&t) {
            let may = |kind: Kind, org: &str| {
                let arn = secret_arn(&kind.secret_name("okta-hooks/", org));
                d.may(&f.name, "secretsmanager:GetSecretValue", &arn)
            };
            for org in served {
                assert!(!may(Kind::Okta, org), "{}: reads {org}/okta", f.name);
                for family in Family::ALL {
                    // Its own, and only if it calls Okta (notify reads none).
                    let own = f.family == Some(family) && family.calls_okta();
                    assert_eq!(
                        may(Kind::OktaOf(family), org),
                        own,
                        "{}: okta-{family} of {org}",
                        f.name
                    );
                }
                let read_only = matches!(f.binary.as_str(), "event-router" | "log-poller");
                assert_eq!(may(Kind::OktaRead, org), read_only, "{}", f.name);
            }
            if f.binary == "action-executor" {
                let env = d.environment(&f.name);
                let mode = &env["OKTA_HOOKS_EXECUTOR_CREDENTIALS"];
                assert_eq!(mode, "per-family-only", "{}", f.name);
                assert_eq!(
                    ExecutorCredentials::parse(mode),
                    Some(ExecutorCredentials::PerFamilyOnly)
                );
            }
        }
        // No shared-credential policy at all, and no per-family placeholders: the user
        // creates each okta-<family> (okta-hooks scopes says what each needs).
        assert!(!d.exists(&t["Resources"]["ReadOktaSecrets"]));
        let secrets = created_secrets(&d);
        assert!(
            secrets.keys().all(|name| !Family::ALL
                .iter()
                .any(|family| name.ends_with(&format!("/okta-{family}")))),
            "{secrets:?}"
        );
    }
}

#[test]
fn with_other_orgs_every_served_org_is_readable_and_no_other() {
    assert_who_reads_what(
        &[("OtherOrgs", "acme,globex-eu")],
        &["default", "acme", "globex-eu"],
    );
    // OrgName, a prefix of one's own, and the most orgs OtherOrgs takes.
    let nine = "o1,o2,o3,o4,o5,o6,o7,o8,o_9";
    assert_who_reads_what(
        &[
            ("OrgName", "acme"),
            ("SecretPrefix", "team/okta/"),
            ("OtherOrgs", nine),
        ],
        &[
            "acme", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o_9",
        ],
    );
    let pattern = t_parameter("OtherOrgs", "AllowedPattern");
    assert!(
        pattern.contains("{0,8}"),
        "OtherOrgs takes at most the 9 orgs the policies have slots for: {pattern}"
    );
}

#[test]
fn with_the_legacy_single_secret_every_function_may_also_read_it() {
    assert_who_reads_what(&[("LegacySingleSecret", "true")], &["default"]);
    assert_who_reads_what(
        &[
            ("LegacySingleSecret", "true"),
            ("ExecutorCredentials", "PerFamily"),
            ("OtherOrgs", "acme,globex-eu"),
        ],
        &["default", "acme", "globex-eu"],
    );
}

#[test]
fn no_internet_facing_function_can_read_an_okta_credential_or_a_signing_key() {
    let t = template();
    let facing: Vec<Function> = template_functions(&t)
        .into_iter()
        .filter(|f| f.internet_facing)
        .collect();
    let names: BTreeSet<&str> = facing.iter().map(|f| f.binary.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["hook-ingest", "hook-verify"]));
    // LegacySingleSecret stays at its default: the single secret holds everything.
    for set in [
        &[][..],
        &[("ExecutorCredentials", "PerFamily")][..],
        &[("ExecutorCredentials", "PerFamilyOnly")][..],
        &[("OtherOrgs", "acme,globex-eu")][..],
    ] {
        let d = Deployment::new(&t, set);
        for f in &facing {
            for kind in Kind::all() {
                for org in ["default", "acme", "globex-eu"] {
                    let arn = secret_arn(&kind.secret_name("okta-hooks/", org));
                    let may = d.may(&f.name, "secretsmanager:GetSecretValue", &arn);
                    if kind.is_okta_credential_or_signing_key() || kind == Kind::Named {
                        assert!(!may, "{set:?}: internet-facing {} may read {arn}", f.name);
                    }
                }
            }
            let arn = secret_arn("okta-hooks/default/hook");
            assert!(
                d.may(&f.name, "secretsmanager:GetSecretValue", &arn),
                "{}",
                f.name
            );
        }
    }
}

#[test]
fn secret_grants_name_exact_secrets_never_a_prefix() {
    let t = template();
    let everything = [
        ("ExecutorCredentials", "PerFamily"),
        ("LegacySingleSecret", "true"),
        ("OtherOrgs", "a,b,c,d,e,f,g,h,i"),
        ("KmsKeyArn", "create"),
    ];
    for set in [&[][..], &everything[..]] {
        let d = Deployment::new(&t, set);
        let mut grants = 0;
        for f in template_functions(&t) {
            for s in d.role_statements(&f.name) {
                let actions: Vec<String> = as_list(&s["Action"]).into_iter().map(text).collect();
                if !actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                    continue;
                }
                assert_eq!(actions, ["secretsmanager:GetSecretValue"], "{}", f.name);
                let resources: BTreeSet<String> =
                    as_list(&s["Resource"]).into_iter().map(text).collect();
                let prefix =
                    format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:okta-hooks/");
                let (suffixed, bare): (BTreeSet<&String>, BTreeSet<&String>) =
                    resources.iter().partition(|r| r.ends_with("-??????"));
                for r in &resources {
                    assert!(r.starts_with(&prefix), "{}: {r}", f.name);
                    assert!(!r.contains('*'), "{}: {r}", f.name);
                }
                for r in &suffixed {
                    assert_eq!(r.matches('?').count(), 6, "{}: {r}", f.name);
                    grants += 1;
                }
                // The bare ARNs (what AWS checks when the secret does not exist) are
                // literal and exactly those of the secrets the statement grants.
                for r in &bare {
                    assert!(!r.contains('?'), "{}: {r}", f.name);
                }
                let stripped: BTreeSet<&str> = suffixed
                    .iter()
                    .map(|r| r.strip_suffix("-??????").unwrap_or_default())
                    .collect();
                let bare: BTreeSet<&str> = bare.iter().map(|r| r.as_str()).collect();
                assert_eq!(
                    bare, stripped,
                    "{}: bare ARNs != the secrets granted",
                    f.name
                );
            }
        }
        assert!(grants >= 10, "{set:?}: {grants}");
    }
}

#[test]
fn the_functions_are_told_the_legacy_switch_and_the_executors_the_credential_mode() {
    let t = template();
    for (set, legacy, mode) in [
        (&[][..], "false", "shared"),
        (
            &[
                ("LegacySingleSecret", "true"),
                ("ExecutorCredentials", "PerFamily"),
            ][..],
            "true",
            "per-family",
        ),
        (
            &[("ExecutorCredentials", "PerFamilyOnly")][..],
            "false",
            "per-family-only",
        ),
    ] {
        let d = Deployment::new(&t, set);
        for f in template_functions(&t) {
            let env = d.environment(&f.name);
            assert_eq!(env["OKTA_HOOKS_LEGACY_SINGLE_SECRET"], legacy, "{}", f.name);
            if f.binary == "action-executor" {
                assert_eq!(env["OKTA_HOOKS_EXECUTOR_CREDENTIALS"], mode, "{}", f.name);
            } else {
                assert!(
                    !env.contains_key("OKTA_HOOKS_EXECUTOR_CREDENTIALS"),
                    "{}",
                    f.name
                );
            }
        }
    }
}

/// The secrets the deployment creates: name -> their evaluated properties.
fn created_secrets(d: &Deployment) -> BTreeMap<String, Value> {
    d.resources_of("AWS::SecretsManager::Secret")
        .into_values()
        .map(|s| (text(&s["Properties"]["Name"]), s["Properties"].clone()))
        .collect()
}

#[test]
fn the_stack_creates_placeholders_of_the_split_secrets_unless_told_not_to() {
    let t = template();
    let split = [
        "hook",
        "signing",
        "plan-signing",
        "okta",
        "okta-read",
        "named",
    ];
    let d = Deployment::new(&t, &[("OrgName", "acme")]);
    let secrets = created_secrets(&d);
    let names: BTreeSet<String> = secrets.keys().cloned().collect();
    let expected: BTreeSet<String> = split
        .iter()
        .map(|k| format!("okta-hooks/acme/{k}"))
        .collect();
    assert_eq!(names, expected);
    for (name, p) in &secrets {
        // Only "_readme": the functions treat the secret as not configured.
        let placeholder: Value = serde_json::from_str(&text(&p["SecretString"])).expect("JSON");
        let keys: Vec<&String> = placeholder.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["_readme"], "{name}");
        assert!(
            text(&placeholder["_readme"]).len() > 20,
            "{name} says what to put"
        );
        assert!(
            p.get("KmsKeyId").is_none(),
            "{name}: AWS-managed key by default"
        );
    }
    let plan = text(&secrets["okta-hooks/acme/plan-signing"]["SecretString"]);
    assert!(
        plan.contains("okta-hooks secrets plan-key --org acme"),
        "the plan-signing placeholder says how to make a key: {plan}"
    );
    // Outputs: the ARN of each created secret.
    let outputs = t["Outputs"].as_object().expect("Outputs");
    for (output, kind) in [
        ("HookSecret", "hook"),
        ("SigningSecret", "signing"),
        ("PlanSigningSecret", "plan-signing"),
        ("OktaSecret", "okta"),
        ("OktaReadSecret", "okta-read"),
        ("NamedSecret", "named"),
    ] {
        let created = d.eval(&outputs[output]["Value"]).expect("a value");
        assert_eq!(created, json!(format!("<Ref {output}>")), "{output}");
        let d = Deployment::new(&t, &[("OrgName", "acme"), ("CreateOrgSecrets", "false")]);
        assert_eq!(
            d.eval(&outputs[output]["Value"]),
            Some(json!(format!("okta-hooks/acme/{kind}")))
        );
    }
    // The legacy placeholder only under LegacySingleSecret; none when you make your own.
    let d = Deployment::new(&t, &[("LegacySingleSecret", "true")]);
    assert!(created_secrets(&d).contains_key("okta-hooks/default"));
    assert_eq!(created_secrets(&d).len(), split.len() + 1);
    assert!(d.exists(&outputs["LegacyOrgSecret"]));
    assert!(!Deployment::new(&t, &[]).exists(&outputs["LegacyOrgSecret"]));
    let d = Deployment::new(
        &t,
        &[
            ("CreateOrgSecrets", "false"),
            ("LegacySingleSecret", "true"),
        ],
    );
    assert!(created_secrets(&d).is_empty());
    assert_eq!(
        d.eval(&outputs["LegacyOrgSecret"]["Value"]),
        Some(json!("okta-hooks/default"))
    );
}

// ---------------------------------------------------------------- encryption keys

/// The KMS operations a role needs through each service, from what it does there:
/// `Decrypt` to read secrets, receive messages and read tables; `GenerateDataKey` (and
/// `Decrypt`, which SQS requires of senders too) to send messages and write tables.
fn kms_needs(d: &Deployment, function: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in d.role_statements(function) {
        for action in as_list(&s["Action"]).into_iter().map(text) {
            let (service, operation) = action.split_once(':').expect("service:Operation");
            let ops: &[&str] = match (service, operation) {
                ("secretsmanager", "GetSecretValue") => &["kms:Decrypt"],
                ("sqs", "SendMessage") => &["kms:Decrypt", "kms:GenerateDataKey"],
                ("sqs", "ReceiveMessage") => &["kms:Decrypt"],
                ("dynamodb", "GetItem" | "Query" | "Scan") => &["kms:Decrypt"],
                ("dynamodb", "PutItem" | "UpdateItem") => &["kms:Decrypt", "kms:GenerateDataKey"],
                _ => &[],
            };
            if !ops.is_empty() {
                let via = format!("{service}.{REGION}.amazonaws.com");
                needs
                    .entry(via)
                    .or_default()
                    .extend(ops.iter().map(|o| (*o).to_owned()));
            }
        }
    }
    needs
}

/// The KMS operations a role is granted on `key`, by `kms:ViaService`.
fn kms_grants(d: &Deployment, function: &str, key: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut grants: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in d.role_statements(function) {
        let actions: Vec<String> = as_list(&s["Action"]).into_iter().map(text).collect();
        if !actions.iter().any(|a| a.starts_with("kms:")) {
            continue;
        }
        assert_eq!(as_list(&s["Resource"]), [&json!(key)], "{function}: {s}");
        let via = s["Condition"]["StringEquals"]["kms:ViaService"]
            .as_str()
            .unwrap_or_else(|| panic!("{function}: a KMS grant not scoped to a service: {s}"));
        grants.entry(via.to_owned()).or_default().extend(actions);
    }
    grants
}

fn assert_encrypted_with(d: &Deployment, key: &str) {
    for (name, q) in d.resources_of("AWS::SQS::Queue") {
        let p = &q["Properties"];
        assert_eq!(p["KmsMasterKeyId"], key, "{name}");
        assert!(
            p.get("SqsManagedSseEnabled").is_none(),
            "{name}: one kind of SSE"
        );
    }
    for (name, table) in d.resources_of("AWS::DynamoDB::Table") {
        assert_eq!(
            table["Properties"]["SSESpecification"],
            json!({"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": key}),
            "{name}"
        );
    }
    let secrets = created_secrets(d);
    assert!(secrets.len() >= 5);
    for (name, s) in secrets {
        assert_eq!(s["KmsKeyId"], key, "{name}");
    }
    let t = d.template;
    for f in template_functions(t) {
        let needs = kms_needs(d, &f.name);
        assert!(
            needs.contains_key(&format!("secretsmanager.{REGION}.amazonaws.com")),
            "{}",
            f.name
        );
        assert_eq!(
            kms_grants(d, &f.name, key),
            needs,
            "{}: KMS grants != what it uses",
            f.name
        );
    }
}

#[test]
fn without_a_kms_key_aws_managed_keys_encrypt_everything_and_no_role_touches_kms() {
    let t = template();
    let d = Deployment::new(&t, &[("LegacySingleSecret", "true")]);
    assert!(d.resources_of("AWS::KMS::Key").is_empty());
    for (name, q) in d.resources_of("AWS::SQS::Queue") {
        assert_eq!(q["Properties"]["SqsManagedSseEnabled"], true, "{name}");
        assert!(q["Properties"].get("KmsMasterKeyId").is_none(), "{name}");
    }
    for (name, table) in d.resources_of("AWS::DynamoDB::Table") {
        assert_eq!(
            table["Properties"]["SSESpecification"],
            json!({"SSEEnabled": true}),
            "{name}"
        );
    }
    for (name, s) in created_secrets(&d) {
        assert!(s.get("KmsKeyId").is_none(), "{name}");
    }
    for f in template_functions(&t) {
        assert!(kms_grants(&d, &f.name, "none").is_empty(), "{}", f.name);
    }
    assert!(!d.exists(&t["Outputs"]["EncryptionKeyArn"]));
}

#[test]
fn with_kms_key_create_the_stacks_key_encrypts_everything_and_each_role_gets_only_its_operations() {
    let t = template();
    let d = Deployment::new(
        &t,
        &[
            ("KmsKeyArn", "create"),
            ("LegacySingleSecret", "true"),
            ("ExecutorCredentials", "PerFamily"),
        ],
    );
    let keys = d.resources_of("AWS::KMS::Key");
    assert_eq!(keys.keys().collect::<Vec<_>>(), ["KmsKey"]);
    let key = &keys["KmsKey"]["Properties"];
    assert_eq!(key["EnableKeyRotation"], true);
    // The account administers the key; nobody outside it is named.
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    for s in as_list(&key["KeyPolicy"]["Statement"]) {
        assert_eq!(s["Principal"]["AWS"], json!(root), "{s}");
    }
    assert_encrypted_with(&d, "<KmsKey.Arn>");
    assert_eq!(
        d.eval(&t["Outputs"]["EncryptionKeyArn"]["Value"]),
        Some(json!("<KmsKey.Arn>"))
    );
}

#[test]
fn with_an_existing_kms_key_arn_it_encrypts_everything_and_each_role_gets_only_its_operations() {
    let t = template();
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let d = Deployment::new(&t, &[("KmsKeyArn", &arn)]);
    assert!(
        d.resources_of("AWS::KMS::Key").is_empty(),
        "no key of the stack's own"
    );
    assert_encrypted_with(&d, &arn);
    let pattern = t_parameter("KmsKeyArn", "AllowedPattern");
    assert!(pattern.contains("create"), "{pattern}");
}

/// The condition value at `operator` / `key` of statement `s`, as a set of strings.
fn condition_values(s: &Value, operator: &str, key: &str) -> BTreeSet<String> {
    as_list(&s["Condition"][operator][key])
        .into_iter()
        .map(text)
        .collect()
}

/// Whether `statements` allow Secrets Manager to decrypt, with `key`, the secret `arn`:
/// `kms:Decrypt` through `secretsmanager` with the encryption context Secrets Manager
/// gives (`SecretARN`: the secret's ARN, random suffix included).
fn may_decrypt_secret(statements: &[Value], key: &str, arn: &str) -> bool {
    let via = format!("secretsmanager.{REGION}.amazonaws.com");
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && as_list(&s["Action"])
                .iter()
                .any(|a| text(a) == "kms:Decrypt")
            && as_list(&s["Resource"]).iter().any(|r| text(r) == key)
            && s["Condition"]["StringEquals"]["kms:ViaService"] == json!(via)
            && condition_values(s, "StringLike", SECRET_ARN_CONTEXT)
                .iter()
                .any(|pattern| wildcard_match(pattern, arn))
    })
}

/// The encryption context key Secrets Manager sets on its KMS calls: the secret's ARN.
const SECRET_ARN_CONTEXT: &str = "kms:EncryptionContext:SecretARN";

#[test]
fn each_secret_decrypt_grant_is_bound_to_the_secrets_its_policy_may_read() {
    let t = template();
    let arn_key =
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    for (key, extra) in [
        ("<KmsKey.Arn>", "create"),
        (arn_key.as_str(), arn_key.as_str()),
    ] {
        for mode in ["Shared", "PerFamily", "PerFamilyOnly"] {
            let set = [
                ("KmsKeyArn", extra),
                ("ExecutorCredentials", mode),
                ("LegacySingleSecret", "true"),
                ("OtherOrgs", "acme,globex-eu"),
            ];
            let d = Deployment::new(&t, &set);
            // Per policy: its decrypt statement names exactly the ARNs of the secrets it
            // may read (the -?????? ones; a bare ARN is no secret's, there is nothing to
            // decrypt).
            let mut policies = 0;
            for (name, p) in d.resources_of("AWS::IAM::ManagedPolicy") {
                let statements = as_list(&p["Properties"]["PolicyDocument"]["Statement"]);
                let (readable, bare): (BTreeSet<String>, BTreeSet<String>) = statements
                    .iter()
                    .filter(|s| {
                        as_list(&s["Action"]).contains(&&json!("secretsmanager:GetSecretValue"))
                    })
                    .flat_map(|s| as_list(&s["Resource"]).into_iter().map(text))
                    .partition(|r| r.ends_with("-??????"));
                if readable.is_empty() {
                    continue;
                }
                assert_eq!(bare.len(), 3, "{name}: one bare ARN per served org");
                policies += 1;
                let decrypts: Vec<&&Value> = statements
                    .iter()
                    .filter(|s| as_list(&s["Action"]).contains(&&json!("kms:Decrypt")))
                    .collect();
                assert_eq!(decrypts.len(), 1, "{set:?}: {name}");
                assert_eq!(
                    condition_values(decrypts[0], "StringLike", SECRET_ARN_CONTEXT),
                    readable,
                    "{set:?}: {name}'s decrypt is not bound to the secrets it may read"
                );
                assert_eq!(readable.len(), 3, "{name}: one ARN per served org");
            }
            assert!(policies >= 7, "{set:?}: {policies} secret policies");
            // Per role and secret: it may decrypt exactly what it may read.
            let prefix = "okta-hooks/";
            for f in template_functions(&t) {
                let role = d.role_statements(&f.name);
                for kind in Kind::all() {
                    for org in ["default", "acme", "globex-eu", "evil"] {
                        let arn = secret_arn(&kind.secret_name(prefix, org));
                        assert_eq!(
                            may_decrypt_secret(&role, key, &arn),
                            may(&role, "secretsmanager:GetSecretValue", &arn),
                            "{set:?}: {} and {arn}",
                            f.name
                        );
                    }
                }
                // Not even with the right key can it decrypt another secret of the key.
                let other = secret_arn("elsewhere/db-password");
                assert!(!may_decrypt_secret(&role, key, &other), "{}", f.name);
            }
        }
    }
}

// ---------------------------------------------------------------- policy size

/// IAM's limit on a managed policy document: 6,144 characters, whitespace not counted.
/// A larger one fails the deployment (`LimitExceeded`), and only with the parameters
/// that make it larger.
const MANAGED_POLICY_MAX_CHARS: usize = 6144;

/// The longest partition and region names AWS has (`us-isof-south-1` is of `aws-iso-f`,
/// a shorter partition): no real pair is longer, so what fits with these fits anywhere.
const LONGEST_PARTITION: &str = "aws-us-gov";
const LONGEST_REGION: &str = "us-isof-south-1";

/// The longest `SecretPrefix` and org name the template's `AllowedPattern`s take (the
/// code takes org names up to 64: the template's limit is narrower so that 10 orgs fit).
const PREFIX_MAX: usize = 64;
const ORG_MAX: usize = 32;

#[test]
fn every_managed_policy_fits_iams_size_limit_with_the_longest_parameters_allowed() {
    let t = template();
    // The patterns the worst case is built from: widening one fails here first.
    let org = format!("[A-Za-z0-9_-]{{1,{ORG_MAX}}}");
    assert_eq!(
        t_parameter("SecretPrefix", "AllowedPattern"),
        format!("^[A-Za-z0-9/_+=.@-]{{1,{PREFIX_MAX}}}$")
    );
    assert_eq!(t_parameter("OrgName", "AllowedPattern"), format!("^{org}$"));
    assert_eq!(
        t_parameter("OtherOrgs", "AllowedPattern"),
        format!("^({org}(,{org}){{0,8}})?$")
    );
    assert_eq!(
        t_parameter("KmsKeyArn", "AllowedPattern"),
        "^(|create|arn:aws[a-z-]{0,12}:kms:[a-z0-9-]{1,20}:[0-9]{12}:key/[A-Za-z0-9-]{1,40})$"
    );
    for name in ["OrgName", "OtherOrgs", "SecretPrefix"] {
        let says = t_parameter(name, "Description").to_lowercase();
        let limit = if name == "SecretPrefix" {
            PREFIX_MAX
        } else {
            ORG_MAX
        };
        assert!(
            says.contains(&format!("at most {limit} characters")),
            "{name}'s description states its limit: {says}"
        );
    }
    // The longest of each: prefix, OrgName and the 9 OtherOrgs, the KMS key ARN.
    let prefix = format!("{}/", "p".repeat(PREFIX_MAX - 1));
    let orgs: Vec<String> = (0..10)
        .map(|i| format!("{i}{}", "o".repeat(ORG_MAX - 1)))
        .collect();
    let other_orgs = orgs[1..].join(",");
    let longest_key = format!(
        "arn:aws{}:kms:{}:{ACCOUNT}:key/{}",
        "x".repeat(12),
        "r".repeat(20),
        "k".repeat(40)
    );
    // What `KmsKey.Arn` is once the stack made it (a key id is a UUID).
    let created_key = format!(
        "arn:{LONGEST_PARTITION}:kms:{LONGEST_REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    );
    let mut largest = (0, String::new());
    for mode in ["Shared", "PerFamily", "PerFamilyOnly"] {
        for legacy in ["false", "true"] {
            for kms in ["", "create", longest_key.as_str()] {
                let set = [
                    ("SecretPrefix", prefix.as_str()),
                    ("OrgName", orgs[0].as_str()),
                    ("OtherOrgs", other_orgs.as_str()),
                    ("ExecutorCredentials", mode),
                    ("LegacySingleSecret", legacy),
                    ("KmsKeyArn", kms),
                ];
                let d = Deployment::new(&t, &set).in_region(LONGEST_PARTITION, LONGEST_REGION);
                let policies = d.resources_of("AWS::IAM::ManagedPolicy");
                assert!(policies.len() >= 6, "{mode} {legacy} {kms}: {policies:?}");
                for (name, p) in policies {
                    let document = serde_json::to_string(&p["Properties"]["PolicyDocument"])
                        .expect("JSON")
                        .replace("<KmsKey.Arn>", &created_key);
                    assert!(!document.contains('<'), "{name}: unevaluated: {document}");
                    // The secret readers grow with the orgs; the others name none.
                    assert!(
                        !name.starts_with("Read")
                            || orgs.iter().all(|o| document.contains(o.as_str())),
                        "{name} names every served org: {document}"
                    );
                    let size = document.chars().filter(|c| !c.is_whitespace()).count();
                    assert!(
                        size <= MANAGED_POLICY_MAX_CHARS,
                        "{mode} legacy={legacy} KmsKeyArn={kms:?}: {name} is {size} characters, \
                         over IAM's {MANAGED_POLICY_MAX_CHARS}"
                    );
                    if size > largest.0 {
                        largest = (size, format!("{name}, {mode} legacy={legacy} kms={kms:?}"));
                    }
                }
            }
        }
    }
    eprintln!(
        "the largest managed policy: {} characters ({})",
        largest.0, largest.1
    );
}

fn t_parameter(name: &str, field: &str) -> String {
    text(&template()["Parameters"][name][field])
}

#[test]
fn the_wildcard_matcher_matches_as_iam_does() {
    assert!(wildcard_match("a*c", "abbbc"));
    assert!(wildcard_match("a*c", "ac"));
    assert!(wildcard_match("x/hook-??????", "x/hook-Ab3de9"));
    assert!(!wildcard_match("x/hook-??????", "x/hook-Ab3de"));
    assert!(!wildcard_match("x/hook-??????", "x/hook-Ab3de90"));
    assert!(wildcard_match("okta-hooks/*", "okta-hooks/a/okta-xYz123"));
    assert!(!wildcard_match(
        "okta-hooks/a/okta-??????",
        "okta-hooks/a/okta-read-xYz123"
    ));
    assert!(wildcard_match("*", ""));
    assert!(!wildcard_match("", "a"));
}

/// The longest stack name `CloudFormation` allows, and SQS's limit on a queue name.
const LONGEST_STACK_NAME: usize = 128;
const SQS_QUEUE_NAME_LIMIT: usize = 80;
/// The longest prefix `QueueNamePrefix` allows, and the longest stack name that works as
/// the prefix when `QueueNamePrefix` is empty (its description says so).
const LONGEST_QUEUE_PREFIX: usize = 59;

/// Every queue's evaluated `QueueName`, by logical id.
fn queue_names(d: &Deployment) -> BTreeMap<String, String> {
    d.resources_of("AWS::SQS::Queue")
        .into_iter()
        .map(|(id, q)| (id, text(&q["Properties"]["QueueName"])))
        .collect()
}

fn assert_queue_names_fit(d: &Deployment, prefix: &str) {
    let names = queue_names(d);
    assert_eq!(
        names.len(),
        21,
        "events, its DLQ, rejects, action requests, its DLQ, 8 families x 2"
    );
    let distinct: BTreeSet<&String> = names.values().collect();
    assert_eq!(distinct.len(), names.len(), "distinct names: {names:?}");
    for (id, name) in &names {
        // The standard action-requests queue and DLQ; SQS refuses .fifo on a standard queue.
        assert_eq!(
            name.ends_with(".fifo"),
            !id.starts_with("ActionRequests"),
            "{id}: {name} (moto and SQS need .fifo on a FIFO queue only)"
        );
        assert!(
            name.starts_with(&format!("{prefix}-")),
            "{id}: {name} starts with {prefix}-"
        );
        assert!(
            name.len() <= SQS_QUEUE_NAME_LIMIT,
            "{id}: {name} is {} characters, over SQS's {SQS_QUEUE_NAME_LIMIT}",
            name.len()
        );
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "{id}: {name} has characters SQS refuses"
        );
    }
}

#[test]
fn queues_are_named_after_the_stack_readably_and_fit_sqs_limit() {
    let t = template();
    let d = Deployment::new(&t, &[]);
    let names = queue_names(&d);
    assert_eq!(names["EventsQueue"], "okta-hooks-events.fifo");
    assert_eq!(names["EventsDlq"], "okta-hooks-events-dlq.fifo");
    assert_eq!(names["RejectsQueue"], "okta-hooks-rejects.fifo");
    assert_eq!(names["ActionRequestsQueue"], "okta-hooks-action-requests");
    assert_eq!(names["ActionRequestsDlq"], "okta-hooks-action-requests-dlq");
    for family in Family::ALL {
        let title = {
            let lower = family.as_str();
            let mut chars = lower.chars();
            let first = chars.next().expect("a family name").to_ascii_uppercase();
            format!("{first}{}", chars.as_str())
        };
        assert_eq!(
            names[&format!("{title}Queue")],
            format!("okta-hooks-{}.fifo", family.as_str())
        );
        assert_eq!(
            names[&format!("{title}Dlq")],
            format!("okta-hooks-{}-dlq.fifo", family.as_str())
        );
    }
    // The stack name as the prefix: fits up to the documented 59 characters.
    let stack = "s".repeat(LONGEST_QUEUE_PREFIX);
    assert_queue_names_fit(&Deployment::new(&t, &[]).named(&stack), &stack);
    assert!(
        t_parameter("QueueNamePrefix", "Description").contains("at most 59 characters"),
        "the limit on a stack name used as the prefix is documented"
    );
}

#[test]
fn with_the_longest_stack_name_a_queue_name_prefix_keeps_every_name_within_80_characters() {
    let t = template();
    let stack = "s".repeat(LONGEST_STACK_NAME);
    let prefix = "p".repeat(LONGEST_QUEUE_PREFIX);
    let d = Deployment::new(&t, &[("QueueNamePrefix", &prefix)]).named(&stack);
    assert_queue_names_fit(&d, &prefix);
    assert!(
        !queue_names(&d).values().any(|n| n.contains(&stack)),
        "the prefix replaces the stack name"
    );
    // The parameter admits exactly 1..=59 characters of the name alphabet (or nothing).
    assert_eq!(
        t_parameter("QueueNamePrefix", "AllowedPattern"),
        format!("^([A-Za-z0-9_-]{{1,{LONGEST_QUEUE_PREFIX}}})?$")
    );
    // And 59 is the most that fits: one more character overflows the longest name.
    let longest_suffix = queue_names(&d)
        .values()
        .map(|n| n.len() - prefix.len())
        .max()
        .expect("queues");
    assert_eq!(LONGEST_QUEUE_PREFIX + longest_suffix, SQS_QUEUE_NAME_LIMIT);
}

#[test]
fn the_slow_timings_are_parameters_whose_defaults_are_the_production_values() {
    let t = template();
    assert_eq!(t_parameter("VisibilityTimeout", "Default"), "180");
    assert_eq!(t_parameter("MaxReceiveCount", "Default"), "100");
    assert_eq!(t_parameter("PollSchedule", "Default"), "rate(1 minute)");
    for (set, visibility, receives, schedule) in [
        (vec![], "180", "100", "rate(1 minute)"),
        (
            vec![
                ("VisibilityTimeout", "5"),
                ("MaxReceiveCount", "3"),
                ("PollSchedule", "rate(2 minutes)"),
            ],
            "5",
            "3",
            "rate(2 minutes)",
        ),
    ] {
        let d = Deployment::new(&t, &set);
        let queues = d.resources_of("AWS::SQS::Queue");
        let mut consumed = 0;
        for (id, q) in &queues {
            let redrive = &q["Properties"]["RedrivePolicy"];
            if redrive.is_null() {
                continue; // a DLQ or the rejects queue: nothing consumes it
            }
            consumed += 1;
            assert_eq!(
                text(&q["Properties"]["VisibilityTimeout"]),
                visibility,
                "{id}"
            );
            assert_eq!(text(&redrive["maxReceiveCount"]), receives, "{id}");
        }
        assert_eq!(
            consumed,
            2 + Family::ALL.len(),
            "the events queue, the action-requests queue and the families'"
        );
        let poller = d.resource("LogPollerFunction");
        assert_eq!(
            text(&poller["Properties"]["Events"]["Schedule"]["Properties"]["Schedule"]),
            schedule
        );
        for (name, _) in functions(&t) {
            assert_eq!(
                d.environment(name)["OKTA_HOOKS_MAX_RECEIVE_COUNT"],
                receives,
                "{name} is told the receive count"
            );
        }
    }
}

#[test]
fn the_backoff_cap_is_a_parameter_the_executors_read_as_their_longest_retry_wait() {
    let t = template();
    assert_eq!(t_parameter("BackoffCapSeconds", "Default"), "900");
    assert_eq!(t_parameter("BackoffCapSeconds", "MaxValue"), "43200");
    for (set, cap) in [(vec![], 900), (vec![("BackoffCapSeconds", "2")], 2)] {
        let d = Deployment::new(&t, &set);
        let mut executors = 0;
        for (_, f) in functions(&t) {
            if f["Metadata"]["BuildProperties"]["Binary"] != "action-executor" {
                continue;
            }
            let env: BTreeMap<String, String> = environment(&t, f)
                .into_iter()
                .map(|(k, v)| {
                    let resolved = deployed_value(&d, &k, &v);
                    (k, resolved)
                })
                .collect();
            let config = action_executor::ExecutorConfig::from_lookup(|k| env.get(k).cloned())
                .expect("action-executor starts with the template's environment");
            assert_eq!(
                config.backoff,
                step_runner::Backoff::queue_capped(std::time::Duration::from_secs(cap))
            );
            executors += 1;
        }
        assert_eq!(executors, Family::ALL.len());
    }
}

/// The retention periods `AWS::Logs::LogGroup` accepts (`RetentionInDays`), as of 2026.
const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

#[test]
fn every_function_writes_to_its_own_log_group_kept_for_log_retention_days() {
    let t = template();
    assert_eq!(t_parameter("LogRetentionDays", "Default"), "30");
    let allowed: Vec<u32> = as_list(&t["Parameters"]["LogRetentionDays"]["AllowedValues"])
        .into_iter()
        .map(|v| text(v).parse().expect("a number of days"))
        .collect();
    assert_eq!(allowed, LOG_RETENTION_DAYS);
    let groups = of_type(&t, "AWS::Logs::LogGroup");
    for (set, days) in [(vec![], 30), (vec![("LogRetentionDays", "7")], 7)] {
        let d = Deployment::new(&t, &set).named("acme-hooks");
        let mut used = BTreeSet::new();
        for (name, f) in functions(&t) {
            let group = target(&f["Properties"]["LoggingConfig"]["LogGroup"])
                .unwrap_or_else(|| panic!("{name}: no LoggingConfig.LogGroup of the template"));
            assert!(
                groups.contains_key(group),
                "{name}: {group} is no log group"
            );
            assert!(used.insert(group), "{name}: {group} is shared");
            let deployed = d.resource(group);
            let p = &deployed["Properties"];
            assert_eq!(text(&p["RetentionInDays"]), days.to_string(), "{group}");
            let log_group_name = text(&p["LogGroupName"]);
            assert!(
                log_group_name.starts_with("/aws/lambda/acme-hooks/"),
                "{group}: {log_group_name}"
            );
        }
        assert_eq!(
            used.len(),
            groups.len(),
            "a log group no function writes to"
        );
    }
}

/// `SystemLogs`: `Full` keeps Lambda's plain-text START/END/REPORT lines (no change to a
/// stack deployed before it); `WarningsOnly` is Lambda's JSON log format at system log level
/// WARN (none of those lines) with the application log level at TRACE, so that Lambda
/// filters none of the functions' own lines: an EMF metric line has no "level", which
/// Lambda reads as INFO, so any level above INFO would drop the metrics (and the Alerts
/// alarm with them), and its default INFO would drop `LogLevel` debug and trace. After SAM's
/// merge of `Globals` every function keeps its own log group.
#[test]
fn system_logs_warnings_only_drops_lambdas_own_lines_and_filters_none_of_the_functions_lines() {
    let t = template();
    assert_eq!(t_parameter("SystemLogs", "Default"), "Full");
    assert_eq!(
        t["Parameters"]["SystemLogs"]["AllowedValues"],
        json!(["Full", "WarningsOnly"])
    );
    let metric_line = emf::line_at(
        emf::Level::Full,
        emf::NAMESPACE,
        &[("function", "event-router")],
        &[emf::count("EventsRouted", 1)],
        0,
    );
    assert!(metric_line.get("level").is_none(), "{metric_line}");
    let root = workspace_root();
    for (value, expected) in [
        ("Full", json!({"LogFormat": "Text"})),
        (
            "WarningsOnly",
            json!({"LogFormat": "JSON", "SystemLogLevel": "WARN", "ApplicationLogLevel": "TRACE"}),
        ),
    ] {
        let parameter = format!("SystemLogs={value}");
        let transformed = sam_transform(&root.join("infra/template.yaml"), &[&parameter]);
        let lambdas = of_type(&transformed, "AWS::Lambda::Function");
        assert_eq!(lambdas.len(), functions(&t).len(), "{value}");
        for (name, f) in lambdas {
            let mut config = f["Properties"]["LoggingConfig"].clone();
            let group = config
                .as_object_mut()
                .and_then(|c| c.remove("LogGroup"))
                .unwrap_or_else(|| panic!("{name}: no LogGroup ({value})"));
            assert_eq!(
                target(&group),
                target(&t["Resources"][name]["Properties"]["LoggingConfig"]["LogGroup"]),
                "{name} ({value})"
            );
            assert_eq!(config, expected, "{name} ({value})");
        }
    }
}

#[test]
fn the_saved_audit_queries_read_every_executors_log_group_and_only_audit_lines() {
    let t = template();
    // The executors print the audit lines (step-runner): each function with a family.
    let executor_groups: BTreeSet<String> = functions(&t)
        .values()
        .filter(|f| !f["Properties"]["Environment"]["Variables"]["OKTA_HOOKS_FAMILY"].is_null())
        .map(|f| f["Properties"]["LoggingConfig"]["LogGroup"].to_string())
        .collect();
    assert_eq!(
        executor_groups.len(),
        Family::ALL.len(),
        "{executor_groups:?}"
    );
    let queries = of_type(&t, "AWS::Logs::QueryDefinition");
    assert_eq!(
        queries.keys().copied().collect::<Vec<_>>(),
        ["AuditActionsOnUserQuery", "AuditFailedStepsQuery"]
    );
    for (name, query) in queries {
        let groups: BTreeSet<String> = query["Properties"]["LogGroupNames"]
            .as_array()
            .expect("LogGroupNames")
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(groups, executor_groups, "{name}");
        let text = query["Properties"]["QueryString"]
            .as_str()
            .expect("QueryString");
        assert!(
            text.contains("filter ispresent(fields.audit)"),
            "{name}: {text}"
        );
    }
    let on_user = &resources(&t)["AuditActionsOnUserQuery"]["Properties"]["QueryString"];
    assert!(
        on_user
            .as_str()
            .unwrap_or_default()
            .contains("fields.target like")
    );
    let failed = &resources(&t)["AuditFailedStepsQuery"]["Properties"]["QueryString"];
    assert!(
        failed
            .as_str()
            .unwrap_or_default()
            .contains(r#"fields.outcome = "failed""#)
    );
}

/// Every function's resolved environment variable `name` in the deployment `d`.
fn every_function_env(t: &Value, d: &Deployment, name: &str) -> BTreeMap<String, String> {
    functions(t)
        .into_iter()
        .filter(|(_, f)| d.exists(f))
        .map(|(id, f)| {
            let value = environment(t, f)
                .get(name)
                .map(|v| deployed_value(d, name, v))
                .unwrap_or_else(|| panic!("{id} has no {name}"));
            (id.to_owned(), value)
        })
        .collect()
}

#[test]
fn metrics_essential_leaves_only_what_an_alarm_reads_and_creates_no_dashboard() {
    let t = template();
    let dashboard = &resources(&t)["Dashboard"];
    let level = |d: &Deployment| {
        let levels: Vec<emf::Level> = every_function_env(&t, d, "OKTA_HOOKS_METRICS")
            .values()
            .map(|v| emf::Level::parse(Some(v)))
            .collect();
        assert!(
            levels.windows(2).all(|w| w[0] == w[1]),
            "every function prints at one level: {levels:?}"
        );
        levels[0]
    };
    let full = Deployment::new(&t, &[]);
    assert_eq!(level(&full), emf::Level::Full);
    assert!(
        full.exists(dashboard),
        "the default stack has its dashboard"
    );

    let essential = Deployment::new(&t, &[("Metrics", "Essential")]);
    assert_eq!(level(&essential), emf::Level::Essential);
    assert!(
        !essential.exists(dashboard),
        "no dashboard without its metrics"
    );
    // Each alarm on an okta-hooks metric reads one Essential still declares.
    let mut read = Vec::new();
    for (name, alarm) in of_type(&t, "AWS::CloudWatch::Alarm") {
        let props = &alarm["Properties"];
        if props["Namespace"] == "okta-hooks" {
            let metric = props["MetricName"].as_str().expect("MetricName");
            assert!(
                emf::ESSENTIAL.contains(&metric),
                "{name} reads {metric}, which Metrics Essential does not declare"
            );
            read.push(metric);
        }
    }
    assert!(!read.is_empty(), "an alarm reads an okta-hooks metric");

    let off = Deployment::new(&t, &[("DashboardEnabled", "false")]);
    assert!(!off.exists(dashboard));
    assert_eq!(level(&off), emf::Level::Full, "the metrics stay");
}

#[test]
fn secret_cache_seconds_is_every_functions_secret_ttl() {
    let t = template();
    for (set, want) in [(None, 300), (Some("3600"), 3600)] {
        let d = Deployment::new(
            &t,
            &set.map(|v| vec![("SecretCacheSeconds", v)])
                .unwrap_or_default(),
        );
        for (function, value) in every_function_env(&t, &d, "OKTA_HOOKS_SECRET_TTL_SECS") {
            let config = org_secrets::SecretsConfig::from_lookup(|k| {
                (k == "OKTA_HOOKS_SECRET_TTL_SECS").then(|| value.clone())
            })
            .unwrap_or_else(|e| panic!("{function}: {e}"));
            assert_eq!(
                config.ttl,
                std::time::Duration::from_secs(want),
                "{function}"
            );
        }
    }
}

#[test]
fn without_queued_error_alarms_every_queue_fed_function_still_alarms_through_its_dlqs() {
    let t = template();
    let all = Deployment::new(&t, &[]);
    let fewer = Deployment::new(&t, &[("QueuedFunctionErrorAlarms", "false")]);
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let watched = |alarm: &Value| {
        alarm["Properties"]["Dimensions"][0]["Value"]
            .as_object()
            .and_then(|o| o.get("Fn::GetAtt").or_else(|| o.get("Ref")))
            .map(|v| {
                v.as_array()
                    .map_or(v, |a| &a[0])
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let alarmed: BTreeSet<String> = alarms
        .values()
        .filter(|a| fewer.exists(a))
        .map(|a| watched(a))
        .collect();
    let mut dropped = Vec::new();
    for (name, alarm) in &alarms {
        if !all.exists(alarm) {
            continue; // the waiting alarms of paused queues
        }
        if fewer.exists(alarm) {
            continue;
        }
        assert_eq!(alarm["Properties"]["MetricName"], "Errors", "{name}");
        let function = watched(alarm);
        let sources: Vec<&Value> = resources(&t)[function.as_str()]["Properties"]["Events"]
            .as_object()
            .expect("Events")
            .values()
            .filter(|e| e["Type"] == "SQS")
            .collect();
        assert!(!sources.is_empty(), "{name}: {function} is fed by no queue");
        for source in sources {
            let queue = source["Properties"]["Queue"]["Fn::GetAtt"][0]
                .as_str()
                .expect("a queue of the template");
            let dlq = resources(&t)[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
                ["Fn::GetAtt"][0]
                .as_str()
                .unwrap_or_else(|| panic!("{queue} has no DLQ"));
            assert!(
                alarmed.contains(dlq),
                "{function}'s {queue} fails into {dlq}, which no alarm watches"
            );
        }
        dropped.push(function);
    }
    assert_eq!(
        dropped.len(),
        1 + Family::ALL.len(),
        "the router and every executor: {dropped:?}"
    );
}

/// Whether Lambda polls `queue` in the deployment: the SQS event on it is enabled.
fn polled(t: &Value, d: &Deployment, queue: &str) -> bool {
    let events: Vec<&Value> = functions(t)
        .into_values()
        .filter(|f| d.exists(f))
        .filter_map(|f| f["Properties"]["Events"].as_object())
        .flat_map(|e| e.values())
        .filter(|e| e["Type"] == "SQS" && e["Properties"]["Queue"]["Fn::GetAtt"][0] == queue)
        .collect();
    assert_eq!(events.len(), 1, "one event source on {queue}");
    let enabled = &events[0]["Properties"]["Enabled"];
    enabled.is_null() || d.eval(enabled) == Some(Value::Bool(true))
}

/// The queues (by `QueueName` dimension) the deployment's alarms watch.
fn alarmed_queues(t: &Value, d: &Deployment) -> Vec<String> {
    of_type(t, "AWS::CloudWatch::Alarm")
        .into_values()
        .filter(|a| d.exists(a) && a["Properties"]["Namespace"] == "AWS/SQS")
        .filter_map(|a| {
            a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn a_paused_family_or_request_queue_is_not_polled_and_a_waiting_message_alarms() {
    let t = template();
    let queue = |f: Family| integration_tests::stack::family_id(f, "Queue");
    let dlq = |f: Family| integration_tests::stack::family_id(f, "Dlq");

    let all = Deployment::new(&t, &[]);
    for f in Family::ALL {
        assert!(polled(&t, &all, &queue(f)), "{f} is polled by default");
    }
    assert!(polled(&t, &all, "ActionRequestsQueue"));
    assert!(polled(&t, &all, "EventsQueue"));

    let some = Deployment::new(
        &t,
        &[
            ("ExecutorFamilies", "users,notify"),
            ("ActionRequests", "false"),
        ],
    );
    let alarmed = alarmed_queues(&t, &some);
    let count = |q: &str| alarmed.iter().filter(|a| *a == q).count();
    for f in Family::ALL {
        let on = matches!(f, Family::Users | Family::Notify);
        assert_eq!(polled(&t, &some, &queue(f)), on, "{f}");
        // Listed: its DLQ alarms. Paused: nothing fails into its DLQ, a waiting step alarms.
        assert_eq!(
            (count(&dlq(f)), count(&queue(f))),
            if on { (1, 0) } else { (0, 1) },
            "{f}"
        );
        let errors = &resources(&t)[format!(
            "{}ErrorsAlarm",
            integration_tests::stack::family_id(f, "Executor")
        )
        .as_str()];
        assert_eq!(some.exists(errors), on, "{f}'s Errors alarm");
    }
    assert!(!polled(&t, &some, "ActionRequestsQueue"));
    assert_eq!(
        (count("ActionRequestsDlq"), count("ActionRequestsQueue")),
        (0, 1)
    );
    assert!(polled(&t, &some, "EventsQueue"), "events are always routed");
}

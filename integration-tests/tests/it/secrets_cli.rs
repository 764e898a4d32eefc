//! `okta-hooks secrets split` through the built binary against `moto_server`: the single
//! org secret of before the split (or a file) in, one secret per kind out. And
//! `okta-hooks secrets plan-key`: the router's plan key pair made, then rotated.

use envelope::{Cursor, Envelope, EventRef, OpenError, Phase, envelope_id};
use integration_tests::{Aws, MotoServer, aws::function_env, okta_hooks_with_env as run};
use org_secrets::{
    ExecutorCredentials, OrgName, OrgSecret, SecretKind, SecretReads, StoredSecrets,
};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "00TEST-admin-token-never-printed";
const HOOK_VALUE: &str = "hook-value-s3cr3t-never-printed";
const SIGNING_KEY: &str = "0123456789abcdef0123456789abcdef-signing-never-printed";
const WEBHOOK: &str = "https://hooks.example.com/services/T0/B0/never-printed";

fn single_secret() -> Value {
    json!({
        "hook": {"header": "X-Okta-Hooks-Auth", "current": HOOK_VALUE},
        "signing": {"active": "k1", "keys": {"k1": SIGNING_KEY}},
        "okta": {"org_url": "https://acme.okta.com", "api_token": ADMIN_TOKEN},
        "named": {"slack_webhook": WEBHOOK}
    })
}

/// The JSON of the secret `id`, and its current version id.
async fn secret(aws: &Aws, id: &str) -> (Value, String) {
    let got = aws
        .secrets
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{id}: {e:?}"));
    let value = serde_json::from_str(got.secret_string().expect("a string secret")).expect("JSON");
    (value, got.version_id().expect("a version id").to_owned())
}

fn assert_no_value(output: &str) {
    for value in [ADMIN_TOKEN, HOOK_VALUE, SIGNING_KEY, WEBHOOK] {
        assert!(
            !output.contains(value),
            "a secret value was printed:\n{output}"
        );
    }
}

fn names(list: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn split_writes_each_section_as_its_own_secret_and_copies_okta_to_okta_read_with_a_warning() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_legacy_org_secret("acme", &single_secret()).await;
    let env = function_env(&moto.endpoint());

    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(ok, "{out}");
    assert_no_value(&out);
    // Exactly the kinds of the single secret, and okta-read; the single one is left alone.
    assert_eq!(
        aws.secret_names().await,
        names(&[
            "okta-hooks/acme",
            "okta-hooks/acme/hook",
            "okta-hooks/acme/named",
            "okta-hooks/acme/okta",
            "okta-hooks/acme/okta-read",
            "okta-hooks/acme/signing",
        ])
    );
    let single = single_secret();
    for kind in ["hook", "signing", "okta", "named"] {
        let (value, _) = secret(&aws, &format!("okta-hooks/acme/{kind}")).await;
        assert_eq!(value, single[kind], "{kind}");
        assert!(
            out.contains(&format!("created    okta-hooks/acme/{kind}")),
            "{kind}: {out}"
        );
    }
    let (read, _) = secret(&aws, "okta-hooks/acme/okta-read").await;
    assert_eq!(read, single["okta"]);
    assert!(
        out.contains("okta-hooks/acme/okta-read  (a copy of okta)"),
        "{out}"
    );
    assert!(
        out.contains("warning: okta-hooks/acme/okta-read is a copy of the `okta` credential"),
        "{out}"
    );
    assert!(out.contains("okta-hooks scopes"), "{out}");
    assert!(out.contains("wrote 5 secret(s)"), "{out}");
    assert!(out.contains("LegacySingleSecret=false"), "{out}");
    assert!(
        out.contains("aws secretsmanager delete-secret --secret-id okta-hooks/acme)"),
        "{out}"
    );
}

#[tokio::test]
async fn split_run_again_writes_nothing_and_keeps_a_read_only_credential_put_there_since() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_legacy_org_secret("acme", &single_secret()).await;
    let env = function_env(&moto.endpoint());
    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(ok, "{out}");
    let kinds = ["hook", "signing", "okta", "okta-read", "named"];
    let mut versions = Vec::new();
    for kind in kinds {
        versions.push(secret(&aws, &format!("okta-hooks/acme/{kind}")).await.1);
    }

    // The same again: every secret already holds its section, no new version anywhere.
    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(ok, "{out}");
    assert!(
        out.contains("nothing to write: the split secrets already hold these sections"),
        "{out}"
    );
    assert_eq!(out.matches("unchanged").count(), 5, "{out}");
    for (kind, version) in kinds.iter().zip(&versions) {
        let (_, now) = secret(&aws, &format!("okta-hooks/acme/{kind}")).await;
        assert_eq!(&now, version, "{kind} got a new version");
    }

    // The read-only app the warning asks for replaces the copy; a later split keeps it.
    let read_only = json!({"org_url": "https://acme.okta.com", "client_id": "0oaREAD",
        "private_key": "-----BEGIN PRIVATE KEY-----", "scopes": ["okta.logs.read"]});
    aws.put_secret("okta-hooks/acme/okta-read", &read_only)
        .await;
    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(ok, "{out}");
    assert!(
        out.contains("kept       okta-hooks/acme/okta-read"),
        "{out}"
    );
    assert_eq!(secret(&aws, "okta-hooks/acme/okta-read").await.0, read_only);
    assert_no_value(&out);
}

const ROTATED_HOOK_VALUE: &str = "hook-value-rotated-since-never-printed";
const NEW_ADMIN_TOKEN: &str = "00TEST-new-admin-token-never-printed";

#[tokio::test]
async fn split_run_again_keeps_secrets_changed_since_and_overwrite_replaces_only_the_kind_named() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_legacy_org_secret("acme", &single_secret()).await;
    let env = function_env(&moto.endpoint());
    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(ok, "{out}");

    // Since: the hook value rotated (what `hook rotate-secret` writes: Okta now sends
    // the new value) and the admin token revoked and replaced; the single secret still
    // holds the old ones.
    let rotated = json!({"header": "X-Okta-Hooks-Auth", "current": ROTATED_HOOK_VALUE,
        "previous": HOOK_VALUE});
    aws.put_secret("okta-hooks/acme/hook", &rotated).await;
    let new_okta = json!({"org_url": "https://acme.okta.com", "api_token": NEW_ADMIN_TOKEN});
    aws.put_secret("okta-hooks/acme/okta", &new_okta).await;
    let (_, hook_version) = secret(&aws, "okta-hooks/acme/hook").await;
    let (_, okta_version) = secret(&aws, "okta-hooks/acme/okta").await;

    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(ok, "{out}");
    for kind in ["hook", "okta"] {
        assert!(
            out.contains(&format!(
                "okta-hooks/acme/{kind}: differs from the single secret, kept; \
                 --overwrite {kind} to replace it"
            )),
            "{kind}: {out}"
        );
    }
    assert_eq!(
        secret(&aws, "okta-hooks/acme/hook").await,
        (rotated.clone(), hook_version)
    );
    assert_eq!(
        secret(&aws, "okta-hooks/acme/okta").await,
        (new_okta.clone(), okta_version.clone())
    );
    assert!(out.contains("unchanged  okta-hooks/acme/signing"), "{out}");
    assert!(!out.contains("wrote"), "{out}");
    assert_no_value(&out);
    assert!(
        !out.contains(ROTATED_HOOK_VALUE) && !out.contains(NEW_ADMIN_TOKEN),
        "{out}"
    );

    // Asked for: the hook secret takes the single secret's value, the okta one is kept.
    let (ok, out) = run(
        &["secrets", "split", "--org", "acme", "--overwrite", "hook"],
        &env,
    );
    assert!(ok, "{out}");
    assert!(out.contains("updated    okta-hooks/acme/hook"), "{out}");
    assert!(out.contains("wrote 1 secret(s)"), "{out}");
    assert_eq!(
        secret(&aws, "okta-hooks/acme/hook").await.0,
        single_secret()["hook"]
    );
    assert_eq!(
        secret(&aws, "okta-hooks/acme/okta").await,
        (new_okta, okta_version)
    );
    assert!(
        !out.contains(ROTATED_HOOK_VALUE) && !out.contains(NEW_ADMIN_TOKEN),
        "{out}"
    );
    assert_no_value(&out);
}

#[tokio::test]
async fn split_after_plan_key_keeps_plan_keys_and_overwrite_signing_merges_them_in() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_legacy_org_secret("acme", &single_secret()).await;
    let env = function_env(&moto.endpoint());
    let split = ["secrets", "split", "--org", "acme"];
    let (ok, out) = run(&split, &env);
    assert!(ok, "{out}");
    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme"], &env);
    assert!(ok, "{out}");
    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme", "--require"], &env);
    assert!(ok, "{out}");
    let (signed, version) = secret(&aws, "okta-hooks/acme/signing").await;

    // The single secret's signing lacks only what plan-key added: nothing to write.
    let (ok, out) = run(&split, &env);
    assert!(ok, "{out}");
    assert!(out.contains("unchanged  okta-hooks/acme/signing"), "{out}");
    assert_eq!(
        secret(&aws, "okta-hooks/acme/signing").await,
        (signed.clone(), version.clone())
    );

    // A new HMAC key in the single secret: kept out until asked for.
    let mut single = single_secret();
    single["signing"] = json!({"active": "k2",
        "keys": {"k1": SIGNING_KEY, "k2": "fedcba9876543210fedcba9876543210-k2-never-printed"}});
    aws.put_legacy_org_secret("acme", &single).await;
    let (ok, out) = run(&split, &env);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "okta-hooks/acme/signing: differs from the single secret, kept; \
             --overwrite signing to replace it"
        ),
        "{out}"
    );
    assert_eq!(
        secret(&aws, "okta-hooks/acme/signing").await,
        (signed.clone(), version)
    );

    // --overwrite signing takes the new HMAC keys and still keeps the plan keys and the
    // requirement: plan signatures stay on.
    let (ok, out) = run(&[&split[..], &["--overwrite", "signing"]].concat(), &env);
    assert!(ok, "{out}");
    assert!(out.contains("updated    okta-hooks/acme/signing"), "{out}");
    assert!(
        out.contains("plan_keys, require_plan_signatures kept from the existing secret"),
        "{out}"
    );
    assert!(!out.contains("k2-never-printed"), "{out}");
    let mut expected = single["signing"].clone();
    expected["plan_keys"] = signed["plan_keys"].clone();
    expected["require_plan_signatures"] = json!(true);
    assert_eq!(secret(&aws, "okta-hooks/acme/signing").await.0, expected);
    let (router, executor) = plan_views(&aws, "acme").await;
    assert_eq!(
        router_signs_what_the_executor_verifies(&router, &executor, true),
        "p1"
    );
}

#[tokio::test]
async fn split_warns_naming_the_keys_that_name_no_kind_and_never_their_values() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let env = function_env(&moto.endpoint());
    let mut sections = single_secret();
    sections["okta_read"] = json!({"org_url": "https://acme.okta.com",
        "api_token": "00READ-typo-never-printed"});
    sections["Hook"] = json!({"current": "typo-hook-never-printed"});
    sections["_comment"] = json!("a comment, not a kind");
    let file = std::env::temp_dir().join(format!("okta-hooks-typo-{}.json", std::process::id()));
    std::fs::write(&file, sections.to_string()).unwrap();
    let file_arg = file.display().to_string();
    let (ok, out) = run(
        &[
            "secrets",
            "split",
            "--org",
            "acme",
            "--secret-file",
            &file_arg,
        ],
        &env,
    );
    let _ = std::fs::remove_file(&file);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "warning: {file_arg}: ignored key(s) that name no kind: Hook, okta_read"
        )),
        "{out}"
    );
    assert!(!out.contains("_comment"), "{out}");
    assert!(
        !out.contains("never-printed"),
        "a value of an ignored key was printed:\n{out}"
    );
    assert_eq!(
        aws.secret_names().await,
        names(&[
            "okta-hooks/acme/hook",
            "okta-hooks/acme/named",
            "okta-hooks/acme/okta",
            "okta-hooks/acme/okta-read",
            "okta-hooks/acme/signing",
        ])
    );
}

#[tokio::test]
async fn split_reads_a_secret_file_with_a_prefix_and_a_dry_run_writes_nothing() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let env = function_env(&moto.endpoint());
    // A file already in the split shape (its own okta-read and a family's credential):
    // nothing is copied, nothing to warn about.
    let mut sections = single_secret();
    sections["okta-read"] = json!({"org_url": "https://acme.okta.com", "api_token": "00READ"});
    sections["okta-groups"] = json!({"org_url": "https://acme.okta.com", "api_token": "00GROUPS"});
    let file = std::env::temp_dir().join(format!("okta-hooks-split-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_string_pretty(&sections).unwrap()).unwrap();
    let file_arg = file.display().to_string();
    let args = [
        "secrets",
        "split",
        "--org",
        "acme",
        "--secret-file",
        &file_arg,
        "--secret-prefix",
        "team-a/",
    ];

    let (ok, out) = run(&[&args[..], &["--dry-run"]].concat(), &env);
    assert!(ok, "{out}");
    assert!(
        out.contains("would create  team-a/acme/okta-groups"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing written"), "{out}");
    assert!(aws.secret_names().await.is_empty(), "a dry run wrote");

    let (ok, out) = run(&args, &env);
    let _ = std::fs::remove_file(&file);
    assert!(ok, "{out}");
    assert!(!out.contains("warning"), "{out}");
    assert_eq!(
        aws.secret_names().await,
        names(&[
            "team-a/acme/hook",
            "team-a/acme/named",
            "team-a/acme/okta",
            "team-a/acme/okta-groups",
            "team-a/acme/okta-read",
            "team-a/acme/signing",
        ])
    );
    for (kind, value) in sections.as_object().unwrap() {
        assert_eq!(&secret(&aws, &format!("team-a/acme/{kind}")).await.0, value);
    }
    assert_no_value(&out);
}

#[tokio::test]
async fn split_creates_its_secrets_with_the_kms_key_given() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_legacy_org_secret("acme", &single_secret()).await;
    let key = "arn:aws:kms:us-east-1:123456789012:key/0f9e8d7c-0000-4000-8000-000000000001";
    let (ok, out) = run(
        &["secrets", "split", "--org", "acme", "--kms-key-id", key],
        &function_env(&moto.endpoint()),
    );
    assert!(ok, "{out}");
    for kind in ["hook", "okta-read"] {
        let described = aws
            .secrets
            .describe_secret()
            .secret_id(format!("okta-hooks/acme/{kind}"))
            .send()
            .await
            .expect("describe");
        assert_eq!(described.kms_key_id(), Some(key), "{kind}");
    }
}

#[tokio::test]
async fn split_refuses_a_missing_secret_malformed_json_and_a_bad_org_writing_nothing() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let env = function_env(&moto.endpoint());

    let (ok, out) = run(&["secrets", "split", "--org", "nobody"], &env);
    assert!(!ok, "{out}");
    assert!(
        out.contains("error: there is no secret okta-hooks/nobody in Secrets Manager"),
        "{out}"
    );

    let file = std::env::temp_dir().join(format!("okta-hooks-bad-{}.json", std::process::id()));
    std::fs::write(&file, format!(r#"{{"hook": {{"current": "{HOOK_VALUE}""#)).unwrap();
    let file_arg = file.display().to_string();
    let (ok, out) = run(
        &[
            "secrets",
            "split",
            "--org",
            "acme",
            "--secret-file",
            &file_arg,
        ],
        &env,
    );
    let _ = std::fs::remove_file(&file);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("{file_arg} is not an org secret")),
        "{out}"
    );
    assert!(out.contains("line 1"), "{out}");
    assert_no_value(&out);

    aws.put_secret(
        "okta-hooks/acme",
        &json!({"_readme": "put the sections here"}),
    )
    .await;
    let (ok, out) = run(&["secrets", "split", "--org", "acme"], &env);
    assert!(!ok, "{out}");
    assert!(out.contains("holds no section to split"), "{out}");

    let (ok, out) = run(&["secrets", "split", "--org", "acme/evil"], &env);
    assert!(!ok, "{out}");
    assert!(out.contains("--org \"acme/evil\": an org name is"), "{out}");

    assert_eq!(
        aws.secret_names().await,
        ["okta-hooks/acme"],
        "nothing written"
    );
}

// `okta-hooks secrets plan-key`: the router's plan key pair, made then rotated.

/// The org's `signing` and `plan-signing` secrets on the emulator, as the router and an
/// executor read them.
async fn plan_views(aws: &Aws, org: &str) -> (OrgSecret, OrgSecret) {
    let mut stored = StoredSecrets::new();
    for kind in [SecretKind::Signing, SecretKind::PlanSigning] {
        let (value, _) = secret(aws, &format!("okta-hooks/{org}/{kind}")).await;
        stored.insert(kind, &value.to_string()).unwrap();
    }
    let router = SecretReads::router()
        .resolve(&stored)
        .expect("the router loads them");
    let executor = SecretReads::executor("users", ExecutorCredentials::Shared, false, false)
        .resolve(&stored)
        .expect("an executor loads them");
    (router, executor)
}

/// A plan's first step, as the router would send it.
fn first_step() -> Envelope<Value> {
    Envelope {
        id: envelope_id("ev-1", "rule-1", Phase::Steps, 0),
        org: OrgName::parse("acme").unwrap(),
        rule_id: "rule-1".to_owned(),
        cursor: Cursor {
            phase: Phase::Steps,
            index: 0,
        },
        group: "00u1".to_owned(),
        dry_run: false,
        event: EventRef {
            uuid: "ev-1".to_owned(),
            event_type: "user.session.start".to_owned(),
            published: None,
            delivery_id: None,
            request: None,
        },
        plan: json!({"steps": [{"action": "user.suspend", "params": {"user": "00u1"}}]}),
        outputs: serde_json::Map::new(),
        failure: None,
        done: Vec::new(),
    }
}

/// The router's view signs a plan that the executor's view opens (returns the plan key
/// id it was signed with); the same step HMAC-only opens too unless plan signatures are
/// `required`.
fn router_signs_what_the_executor_verifies(
    router: &OrgSecret,
    executor: &OrgSecret,
    required: bool,
) -> String {
    let signing = router.signing.as_ref().expect("signing keys");
    let plan_keys = router.plan_signing().expect("the router holds plan keys");
    let body = envelope::seal_plan(&first_step(), signing, plan_keys).expect("signed");
    let executor_keys = executor.signing.as_ref().expect("signing keys");
    let opened = envelope::open_step::<Value>(&body, executor_keys).expect("verified");
    assert_eq!(opened.envelope, first_step());
    let hmac_only = envelope::seal(&first_step(), signing).expect("sealed");
    let hmac_opened = envelope::open_step::<Value>(&hmac_only, executor_keys);
    if required {
        assert!(
            matches!(hmac_opened, Err(OpenError::PlanNotSigned)),
            "an HMAC-only step is refused once plan signatures are required: {hmac_opened:?}"
        );
    } else {
        assert!(hmac_opened.is_ok(), "HMAC-only still runs: {hmac_opened:?}");
    }
    opened.plan.expect("plan-signed").kid().to_owned()
}

/// The seeds of a `plan-signing` value, by key id.
fn seeds(plan_signing: &Value) -> Vec<(String, String)> {
    plan_signing["keys"]
        .as_object()
        .expect("keys")
        .iter()
        .map(|(kid, seed)| (kid.clone(), seed.as_str().expect("a seed").to_owned()))
        .collect()
}

fn assert_no_seed(output: &str, plan_signing: &Value) {
    for (kid, seed) in seeds(plan_signing) {
        assert!(
            !output.contains(&seed),
            "the seed of {kid} was printed:\n{output}"
        );
    }
    assert_no_value(output);
}

fn signing_only() -> Value {
    json!({"active": "k1", "keys": {"k1": SIGNING_KEY}, "comment": "kept as is"})
}

#[tokio::test]
async fn plan_key_turns_signatures_on_writing_plan_signing_before_plan_keys() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_org_secrets("acme", &json!({"signing": signing_only()}))
        .await;
    let env = function_env(&moto.endpoint());

    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme"], &env);
    assert!(ok, "{out}");
    assert!(out.contains("plan key p1 for org acme"), "{out}");
    assert!(out.contains("first enablement"), "{out}");
    // plan-signing is created first (the router holds the key, still sealing HMAC-only),
    // then the public key is listed in signing.
    let held = out
        .find("1. created    okta-hooks/acme/plan-signing  active p1; keys: p1")
        .unwrap_or_else(|| panic!("{out}"));
    let listed = out
        .find("2. updated    okta-hooks/acme/signing  plan_keys: p1")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(held < listed, "{out}");
    assert!(
        out.contains("run `okta-hooks secrets plan-key --org acme --require`"),
        "{out}"
    );

    let (signing, _) = secret(&aws, "okta-hooks/acme/signing").await;
    let (plan_signing, _) = secret(&aws, "okta-hooks/acme/plan-signing").await;
    assert_no_seed(&out, &plan_signing);
    let public = signing["plan_keys"]["p1"].as_str().expect("p1 listed");
    assert!(out.contains(&format!("public key p1: {public}")), "{out}");
    // Every other field of signing as it was.
    let mut rest = signing.clone();
    rest.as_object_mut().unwrap().remove("plan_keys");
    assert_eq!(rest, signing_only());
    assert_eq!(plan_signing["active"], "p1");

    // Executors verify the router's signature and still run HMAC-only envelopes (a
    // router holding its secrets from before sends those for up to a secret TTL).
    let (router, executor) = plan_views(&aws, "acme").await;
    assert!(executor.plan_signing().is_none(), "executors hold no seed");
    assert_eq!(
        router_signs_what_the_executor_verifies(&router, &executor, false),
        "p1"
    );
}

#[tokio::test]
async fn plan_key_require_makes_executors_refuse_hmac_only_envelopes_once_keys_are_listed() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_org_secrets("acme", &json!({"signing": signing_only()}))
        .await;
    let env = function_env(&moto.endpoint());
    let require = ["secrets", "plan-key", "--org", "acme", "--require"];

    // Before any plan key: refused, nothing written.
    let (ok, out) = run(&require, &env);
    assert!(!ok, "{out}");
    assert!(out.contains("signing lists no plan_keys yet"), "{out}");
    assert_eq!(
        secret(&aws, "okta-hooks/acme/signing").await.0,
        signing_only()
    );

    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme"], &env);
    assert!(ok, "{out}");
    let (listed, _) = secret(&aws, "okta-hooks/acme/signing").await;
    let (ok, out) = run(&require, &env);
    assert!(ok, "{out}");
    assert!(
        out.contains("1. updated    okta-hooks/acme/signing  require_plan_signatures: true"),
        "{out}"
    );
    assert!(!out.contains("public key"), "no key made: {out}");
    let (required, version) = secret(&aws, "okta-hooks/acme/signing").await;
    let mut expected = listed.clone();
    expected["require_plan_signatures"] = json!(true);
    assert_eq!(required, expected, "only the requirement added");
    let (router, executor) = plan_views(&aws, "acme").await;
    assert_eq!(
        router_signs_what_the_executor_verifies(&router, &executor, true),
        "p1"
    );

    // Again: nothing to write, no new version.
    let (ok, out) = run(&require, &env);
    assert!(ok, "{out}");
    assert!(out.contains("nothing to write"), "{out}");
    assert_eq!(secret(&aws, "okta-hooks/acme/signing").await.1, version);
}

#[tokio::test]
async fn plan_key_run_again_rotates_to_p2_listed_before_it_is_active_and_keeps_p1_in_both() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_org_secrets("acme", &json!({"signing": signing_only()}))
        .await;
    let env = function_env(&moto.endpoint());
    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme"], &env);
    assert!(ok, "{out}");
    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme", "--require"], &env);
    assert!(ok, "{out}");
    let (first_signing, _) = secret(&aws, "okta-hooks/acme/signing").await;
    let (first_plan_signing, _) = secret(&aws, "okta-hooks/acme/plan-signing").await;
    let (old_router, _) = plan_views(&aws, "acme").await;

    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme"], &env);
    assert!(ok, "{out}");
    assert!(out.contains("plan key p2 for org acme"), "{out}");
    assert!(out.contains("rotation"), "{out}");
    // The executors list p2 before the router signs with it.
    let listed = out
        .find("1. updated    okta-hooks/acme/signing  plan_keys: p1, p2")
        .unwrap_or_else(|| panic!("{out}"));
    let active = out
        .find("2. updated    okta-hooks/acme/plan-signing  active p2; keys: p1, p2")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(listed < active, "{out}");

    let (signing, _) = secret(&aws, "okta-hooks/acme/signing").await;
    let (plan_signing, _) = secret(&aws, "okta-hooks/acme/plan-signing").await;
    assert_no_seed(&out, &plan_signing);
    assert_eq!(signing["plan_keys"]["p1"], first_signing["plan_keys"]["p1"]);
    assert_eq!(plan_signing["keys"]["p1"], first_plan_signing["keys"]["p1"]);
    assert_eq!(plan_signing["active"], "p2");
    assert_eq!(signing["active"], "k1", "the HMAC keys are not touched");
    assert_eq!(signing["require_plan_signatures"], true, "still required");

    let (router, executor) = plan_views(&aws, "acme").await;
    assert_eq!(
        router_signs_what_the_executor_verifies(&router, &executor, true),
        "p2"
    );
    // A plan signed with p1 before the rotation (still queued) still opens.
    assert_eq!(
        router_signs_what_the_executor_verifies(&old_router, &executor, true),
        "p1"
    );
}

#[tokio::test]
async fn plan_key_edits_a_secret_file_of_either_shape_and_a_dry_run_leaves_it_as_it_was() {
    let dir = std::env::temp_dir();
    // The single shape: its sections kept, plan-signing added.
    let single = dir.join(format!(
        "okta-hooks-plan-single-{}.json",
        std::process::id()
    ));
    std::fs::write(&single, single_secret().to_string()).unwrap();
    let single_arg = single.display().to_string();
    let args = [
        "secrets",
        "plan-key",
        "--org",
        "acme",
        "--secret-file",
        &single_arg,
    ];

    let (ok, out) = run(&[&args[..], &["--dry-run"]].concat(), &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("would edit  plan-signing  active p1; keys: p1"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing written"), "{out}");
    let text = std::fs::read_to_string(&single).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        single_secret()
    );

    let (ok, out) = run(&args, &[]);
    let text = std::fs::read_to_string(&single).unwrap();
    let _ = std::fs::remove_file(&single);
    assert!(ok, "{out}");
    assert!(
        out.contains("edited     signing       plan_keys: p1"),
        "{out}"
    );
    let edited: Value = serde_json::from_str(&text).unwrap();
    assert_no_seed(&out, &edited["plan-signing"]);
    for kind in ["hook", "okta", "named"] {
        assert_eq!(edited[kind], single_secret()[kind], "{kind}");
    }
    let stored = StoredSecrets::from_json(&text).unwrap();
    assert!(stored.is_single_shape());
    let router = SecretReads::router().resolve(&stored).unwrap();
    let executor = SecretReads::executor("users", ExecutorCredentials::Shared, true, false)
        .resolve(&stored)
        .unwrap();
    assert_eq!(
        router_signs_what_the_executor_verifies(&router, &executor, false),
        "p1"
    );

    // The split shape, already plan-signed: rotated to p2 in place.
    let split = dir.join(format!("okta-hooks-plan-split-{}.json", std::process::id()));
    let mut sections = edited.clone();
    sections["okta-read"] = json!({"org_url": "https://acme.okta.com", "api_token": "00READ"});
    std::fs::write(&split, sections.to_string()).unwrap();
    let split_arg = split.display().to_string();
    let (ok, out) = run(
        &[
            "secrets",
            "plan-key",
            "--org",
            "acme",
            "--secret-file",
            &split_arg,
        ],
        &[],
    );
    let text = std::fs::read_to_string(&split).unwrap();
    let _ = std::fs::remove_file(&split);
    assert!(ok, "{out}");
    assert!(out.contains("plan key p2"), "{out}");
    let rotated: Value = serde_json::from_str(&text).unwrap();
    assert_no_seed(&out, &rotated["plan-signing"]);
    assert_eq!(rotated["okta-read"], sections["okta-read"]);
    assert_eq!(rotated["plan-signing"]["active"], "p2");
    assert_eq!(
        rotated["plan-signing"]["keys"]["p1"],
        edited["plan-signing"]["keys"]["p1"]
    );
    assert_eq!(
        rotated["signing"]["plan_keys"]["p1"],
        edited["signing"]["plan_keys"]["p1"]
    );
    let stored = StoredSecrets::from_json(&text).unwrap();
    assert!(!stored.is_single_shape());
    let router = SecretReads::router().resolve(&stored).unwrap();
    let executor = SecretReads::executor("users", ExecutorCredentials::Shared, true, false)
        .resolve(&stored)
        .unwrap();
    assert_eq!(
        router_signs_what_the_executor_verifies(&router, &executor, false),
        "p2"
    );
}

#[tokio::test]
async fn plan_key_refuses_an_org_without_signing_keys_or_with_bad_ones_writing_nothing() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let env = function_env(&moto.endpoint());

    let (ok, out) = run(&["secrets", "plan-key", "--org", "nobody"], &env);
    assert!(!ok, "{out}");
    assert!(
        out.contains("secret okta-hooks/nobody/signing: the org has no `signing` secret yet"),
        "{out}"
    );
    assert!(out.contains("okta-hooks secrets split"), "{out}");

    // The stack's placeholder is no signing key either.
    aws.put_org_secrets(
        "acme",
        &json!({"signing": {"_readme": "put the keys here"}}),
    )
    .await;
    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme"], &env);
    assert!(!ok, "{out}");
    assert!(out.contains("no `signing` secret yet"), "{out}");

    // Signing keys that no function could load: refused, naming no value.
    aws.put_org_secrets(
        "bad",
        &json!({"signing": {"active": "k1", "keys": {"k1": "short-never-printed"}}}),
    )
    .await;
    let (ok, out) = run(&["secrets", "plan-key", "--org", "bad"], &env);
    assert!(!ok, "{out}");
    assert!(out.contains("shorter than 32 bytes"), "{out}");
    assert!(!out.contains("short-never-printed"), "{out}");

    let (ok, out) = run(&["secrets", "plan-key", "--org", "acme/evil"], &env);
    assert!(!ok, "{out}");
    assert!(out.contains("--org \"acme/evil\": an org name is"), "{out}");

    assert_eq!(
        aws.secret_names().await,
        names(&["okta-hooks/acme/signing", "okta-hooks/bad/signing"]),
        "no plan-signing written"
    );

    // A file without signing keys: refused, left as it was.
    let file = std::env::temp_dir().join(format!(
        "okta-hooks-plan-nosign-{}.json",
        std::process::id()
    ));
    let hook_only = json!({"hook": {"current": HOOK_VALUE}});
    std::fs::write(&file, hook_only.to_string()).unwrap();
    let file_arg = file.display().to_string();
    let (ok, out) = run(
        &[
            "secrets",
            "plan-key",
            "--org",
            "acme",
            "--secret-file",
            &file_arg,
        ],
        &env,
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("{file_arg}: the org has no `signing` secret yet")),
        "{out}"
    );
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), hook_only);
    assert_no_value(&out);
}

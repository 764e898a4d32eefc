//! `okta-hooks secrets split` through the built binary against `moto_server`: the single
//! org secret of before the split (or a file) in, one secret per kind out.

use integration_tests::{Aws, MotoServer, aws::function_env, okta_hooks_with_env as run};
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

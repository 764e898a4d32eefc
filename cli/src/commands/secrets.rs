//! `okta-hooks secrets split`: the org's single secret of before the split becomes one
//! secret per kind, as the functions read them with `LegacySingleSecret=false`.
//!
//! ```sh
//! okta-hooks secrets split --org acme [--secret-file single.json] [--secret-prefix P] \
//!   [--kms-key-id KEY] [--dry-run]
//! ```
//!
//! The source is the single secret `<prefix><org>` in Secrets Manager, or `--secret-file`
//! (a JSON file of either shape). Each of its sections is written as the secret
//! `<prefix><org>/<kind>` (created when missing, with `--kms-key-id` when given; else a new
//! version), unless that secret already holds the same JSON: running it twice writes
//! nothing the second time. For the single shape, `okta` is also copied to `okta-read`
//! (the router and the poller read only that one), which then carries the admin
//! credential's rights until a read-only app replaces it: a warning says so, and an
//! `okta-read` that already differs from `okta` (a read-only credential put there since)
//! is kept as it is. Only ids are printed, never a value.

use std::path::PathBuf;

use aws_adapters::{SecretsManagerSource, Written};
use org_secrets::{OrgName, SecretError, SecretKind, SecretReads, SecretsConfig, StoredSecrets};
use secrecy::ExposeSecret;
use serde_json::Value;

#[derive(clap::Subcommand)]
pub enum SecretsCommand {
    /// Write each section of the org's single secret as its own secret
    /// (<prefix><org>/<kind>), for LegacySingleSecret=false.
    Split(SplitArgs),
}

#[derive(clap::Args)]
pub struct SplitArgs {
    /// The org whose single secret (<secret-prefix><org>) is split.
    #[arg(long)]
    org: String,
    /// Read the single secret from this JSON file instead of Secrets Manager (the split
    /// secrets are still written to Secrets Manager).
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Prefix of the org secrets' names in Secrets Manager.
    #[arg(long, env = "OKTA_HOOKS_SECRET_PREFIX", default_value = "okta-hooks/")]
    secret_prefix: String,
    /// The KMS key (id, alias or ARN: the stack's `KmsKeyArn`) the secrets created are
    /// encrypted with. Default: the AWS-managed key. Existing secrets keep their key.
    #[arg(long)]
    kms_key_id: Option<String>,
    /// Say what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsCliError {
    #[error("--org {org:?}: {source}")]
    Org {
        org: String,
        source: org_secrets::OrgNameError,
    },
    #[error(
        "there is no secret {id} in Secrets Manager (check --org, --secret-prefix and the \
         AWS region; or give --secret-file)"
    )]
    NoSource { id: String },
    #[error("cannot read {at}: {reason}")]
    Read { at: String, reason: String },
    #[error("{at} is not an org secret: {reason}")]
    Malformed { at: String, reason: String },
    #[error("{at} holds no section to split (hook, signing, okta, named): nothing written")]
    Empty { at: String },
    #[error("cannot write: {0}")]
    Write(#[source] SecretError),
}

pub async fn run(command: SecretsCommand) -> Result<(), SecretsCliError> {
    match command {
        SecretsCommand::Split(args) => split(args).await,
    }
}

/// What happens to one kind's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Create,
    Update,
    Unchanged,
    /// The copied `okta-read` exists and differs from `okta`: a read-only credential was
    /// put there since, and it is kept.
    KeptReadOnly,
}

async fn split(args: SplitArgs) -> Result<(), SecretsCliError> {
    let org = OrgName::parse(&args.org).map_err(|source| SecretsCliError::Org {
        org: args.org.clone(),
        source,
    })?;
    let aws = aws_adapters::load_config().await;
    let config = SecretsConfig {
        prefix: args.secret_prefix.clone(),
        ..SecretsConfig::default()
    };
    // Reads and writes go through ids (read_raw, put_or_create); the reads given here
    // are not used.
    let source = SecretsManagerSource::from_config(&aws, &config, SecretReads::hook_receiver());

    let (text, at) = match &args.secret_file {
        Some(file) => {
            let at = file.display().to_string();
            let text = std::fs::read_to_string(file).map_err(|e| SecretsCliError::Read {
                at: at.clone(),
                reason: e.to_string(),
            })?;
            (text, at)
        }
        None => {
            let id = source.legacy_secret_id(&org);
            let text = source.read_raw(&org, &id).await.map_err(|e| match e {
                SecretError::NotFound { .. } => SecretsCliError::NoSource { id: id.clone() },
                other => SecretsCliError::Read {
                    at: format!("secret {id}"),
                    reason: other.to_string(),
                },
            })?;
            (text, format!("secret {id}"))
        }
    };
    let stored = StoredSecrets::from_json(&text).map_err(|reason| SecretsCliError::Malformed {
        at: at.clone(),
        reason,
    })?;
    if stored.is_empty() {
        return Err(SecretsCliError::Empty { at });
    }
    let (split, copied) = stored.to_split();

    println!("splitting {at} for org {org}:");
    let mut writes = 0usize;
    for (kind, section) in split.iter() {
        let id = source.secret_id(&org, kind);
        let existing = match source.read_raw(&org, &id).await {
            Ok(existing) => Some(existing),
            Err(SecretError::NotFound { .. }) => None,
            Err(other) => {
                return Err(SecretsCliError::Read {
                    at: format!("secret {id}"),
                    reason: other.to_string(),
                });
            }
        };
        let step = plan(kind, section.expose_secret(), existing.as_deref(), copied);
        let verb = match (step, args.dry_run) {
            (Step::Unchanged, _) => "unchanged",
            (Step::KeptReadOnly, _) => "kept     ",
            (Step::Create, true) => "would create",
            (Step::Update, true) => "would update",
            (Step::Create | Step::Update, false) => {
                let written = source
                    .put_or_create(
                        &org,
                        &id,
                        section.expose_secret(),
                        args.kms_key_id.as_deref(),
                    )
                    .await
                    .map_err(SecretsCliError::Write)?;
                writes += 1;
                match written {
                    Written::Created => "created  ",
                    Written::NewVersion => "updated  ",
                }
            }
        };
        let note = match (kind, step) {
            (SecretKind::OktaRead, Step::KeptReadOnly) => {
                "  (it differs from okta: a read-only credential, left as it is)"
            }
            (SecretKind::OktaRead, _) if copied => "  (a copy of okta)",
            _ => "",
        };
        println!("  {verb}  {id}{note}");
    }

    if copied {
        eprintln!(
            "warning: {} is a copy of the `okta` credential, so the router (enrichment) and \
             the poller, which read it, carry the admin credential's rights until you put a \
             read-only credential there: an API Services app with the scopes `okta-hooks \
             scopes` lists for them (okta.users.read, okta.groups.read, okta.logs.read)",
            source.secret_id(&org, &SecretKind::OktaRead)
        );
    }
    if args.dry_run {
        println!("dry run: nothing written");
    } else if writes == 0 {
        println!("nothing to write: the split secrets already hold these sections");
    } else {
        println!("wrote {writes} secret(s)");
    }
    let old = source.legacy_secret_id(&org);
    println!(
        "next: deploy with LegacySingleSecret=false (each function then reads only its own \
         secrets), check that deliveries are still accepted, then delete the single secret \
         {old} (aws secretsmanager delete-secret --secret-id {old})"
    );
    Ok(())
}

/// What to do with `kind`'s secret, holding `existing`, to make it hold `section`.
/// JSON that means the same is the same (whitespace, key order); text that is not JSON
/// is replaced.
fn plan(kind: &SecretKind, section: &str, existing: Option<&str>, copied: bool) -> Step {
    let Some(existing) = existing else {
        return Step::Create;
    };
    let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
    let wanted = parse(section);
    let held = parse(existing);
    if wanted.is_some() && wanted == held {
        return Step::Unchanged;
    }
    let placeholder = held.as_ref().is_some_and(|v| {
        v.as_object()
            .is_some_and(|fields| fields.keys().all(|k| k.starts_with('_')))
    });
    if copied && *kind == SecretKind::OktaRead && !placeholder {
        return Step::KeptReadOnly;
    }
    Step::Update
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secret_is_created_and_the_same_json_is_left_alone() {
        let kind = SecretKind::Hook;
        assert_eq!(
            plan(&kind, r#"{"current": "a"}"#, None, false),
            Step::Create
        );
        assert_eq!(
            plan(
                &kind,
                r#"{"current": "a", "header": "X"}"#,
                Some(r#"{"header":"X","current":"a"}"#),
                false
            ),
            Step::Unchanged
        );
        assert_eq!(
            plan(
                &kind,
                r#"{"current": "b"}"#,
                Some(r#"{"current": "a"}"#),
                false
            ),
            Step::Update
        );
        assert_eq!(
            plan(&kind, r#"{"current": "b"}"#, Some("not json"), false),
            Step::Update
        );
    }

    #[test]
    fn a_copied_okta_read_never_replaces_a_credential_put_there_since() {
        let read = SecretKind::OktaRead;
        let admin = r#"{"org_url": "https://a", "api_token": "admin"}"#;
        let read_only = r#"{"org_url": "https://a", "client_id": "0oa", "private_key": "k"}"#;
        assert_eq!(
            plan(&read, admin, Some(read_only), true),
            Step::KeptReadOnly
        );
        assert_eq!(plan(&read, admin, Some(admin), true), Step::Unchanged);
        // The stack's placeholder is no credential: it is replaced.
        assert_eq!(
            plan(&read, admin, Some(r#"{"_readme": "put it here"}"#), true),
            Step::Update
        );
        // A source that has its own okta-read is written as any other kind.
        assert_eq!(plan(&read, admin, Some(read_only), false), Step::Update);
    }
}

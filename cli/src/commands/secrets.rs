//! `okta-hooks secrets split`: the org's single secret of before the split becomes one
//! secret per kind, as the functions read them with `LegacySingleSecret=false`.
//!
//! ```sh
//! okta-hooks secrets split --org acme [--secret-file single.json] [--secret-prefix P] \
//!   [--kms-key-id KEY] [--overwrite KIND]... [--dry-run]
//! ```
//!
//! The source is the single secret `<prefix><org>` in Secrets Manager, or `--secret-file`
//! (a JSON file of either shape). Each of its sections becomes the secret
//! `<prefix><org>/<kind>`: created when missing (with `--kms-key-id` when given), a new
//! version when it holds the stack's placeholder (only `_` keys). An existing secret
//! that holds other JSON is kept and reported, since the single secret stays until the
//! user deletes it and a split secret changed since (a rotated hook value, a revoked
//! token, plan keys added by `secrets plan-key`) is newer than it: writing the old value
//! back would make Okta's deliveries fail authentication, bring a revoked token back or
//! turn plan signatures off. `--overwrite KIND` (repeatable) replaces that kind's secret
//! anyway — and even then `signing` keeps the existing `plan_keys` and
//! `require_plan_signatures` (merged in, and said so). Running it twice writes nothing
//! the second time. For the single shape, `okta` is also copied to `okta-read` (the
//! router and the poller read only that one), which then carries the admin credential's
//! rights until a read-only app replaces it: a warning says so. Keys of the source that
//! name no kind (a typo such as `okta_read`) are named in a warning. Only ids and key
//! names are printed, never a value.
//!
//! `okta-hooks secrets plan-key`: a new Ed25519 plan key pair for the org, the private
//! half in `<prefix><org>/plan-signing` (the router's) and the public half in
//! `<prefix><org>/signing`'s `plan_keys` (the executors'), written in the order that
//! loses no envelope ([`FirstWrite`]). Turning signatures on takes two runs: the first
//! makes key `p1` (the router signs plans from its next secret read; executors verify
//! every plan signature but still run HMAC-only envelopes), and `--require`, a secret TTL
//! later, sets `signing.require_plan_signatures` so that executors refuse HMAC-only
//! envelopes. Each later run rotates to `p<N+1>`, older keys kept.
//!
//! ```sh
//! okta-hooks secrets plan-key --org acme [--require] [--secret-file secrets.json] \
//!   [--secret-prefix P] [--kms-key-id KEY] [--dry-run]
//! ```

use std::path::PathBuf;

use aws_adapters::{SecretsManagerSource, Written};
use org_secrets::{
    ExecutorCredentials, OrgName, PlanKeyPair, SecretError, SecretKind, SecretReads, StoredSecrets,
    generate_plan_key,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::secret_file::{
    SecretFileError, id_source, parse_stored, read_secret_file, read_secret_file_text,
};

#[derive(clap::Subcommand)]
pub enum SecretsCommand {
    /// Write each section of the org's single secret as its own secret
    /// (<prefix><org>/<kind>), for LegacySingleSecret=false.
    Split(SplitArgs),
    /// Make a new plan key pair: the router's private key in <prefix><org>/plan-signing,
    /// its public key in <prefix><org>/signing's `plan_keys` (first enablement: p1; then a
    /// rotation to p<N+1>, older keys kept), in the order that keeps envelopes running;
    /// with --require, make executors refuse HMAC-only envelopes (the last step).
    PlanKey(PlanKeyArgs),
}

#[derive(clap::Args)]
pub struct PlanKeyArgs {
    /// The org whose plan keys are made (its `signing` secret must exist).
    #[arg(long)]
    org: String,
    /// Edit this secret file (split or single shape: its `plan-signing` and `signing`
    /// sections) instead of Secrets Manager.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Prefix of the org secrets' names in Secrets Manager.
    #[arg(long, env = "OKTA_HOOKS_SECRET_PREFIX", default_value = "okta-hooks/")]
    secret_prefix: String,
    /// The KMS key (id, alias or ARN: the stack's `KmsKeyArn`) a created `plan-signing`
    /// secret is encrypted with. Default: the AWS-managed key.
    #[arg(long)]
    kms_key_id: Option<String>,
    /// Make no key: set `signing.require_plan_signatures` instead, so that executors
    /// refuse HMAC-only envelopes (the last step of turning plan signatures on, a secret
    /// TTL after the first run, once the queues hold no HMAC-only envelope).
    #[arg(long)]
    require: bool,
    /// Say what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
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
    /// Replace this kind's secret (hook, signing, plan-signing, okta, okta-read,
    /// okta-<family>, named) with the source's section even when it holds other values
    /// (changed since the first split); repeatable. Without it such a secret is kept.
    /// `signing` keeps its `plan_keys` and `require_plan_signatures` either way.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    overwrite: Vec<SecretKind>,
    /// Say what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// A `--overwrite` value: a kind's name as in the secret ids.
fn parse_kind(name: &str) -> Result<SecretKind, String> {
    SecretKind::parse(name).ok_or_else(|| {
        format!(
            "{name:?} is no secret kind (hook, signing, plan-signing, okta, okta-read, \
             okta-<family>, named)"
        )
    })
}

/// The warning for keys of a secret file or single secret (`at`) that name no kind and
/// were ignored ([`StoredSecrets::ignored_keys`]): a typo such as `okta_read` otherwise
/// leaves a credential silently unused. Names only, never a value; `None` when there is
/// none.
pub(crate) fn ignored_keys_warning(at: &str, stored: &StoredSecrets) -> Option<String> {
    let ignored = stored.ignored_keys();
    (!ignored.is_empty()).then(|| {
        format!(
            "warning: {at}: ignored key(s) that name no kind: {} (the kinds: hook, signing, \
             plan-signing, okta, okta-read, okta-<family>, named; a key starting with `_` \
             is a comment)",
            ignored.join(", ")
        )
    })
}

/// Prints [`ignored_keys_warning`] to stderr, if any.
pub(crate) fn warn_ignored_keys(at: &str, stored: &StoredSecrets) {
    if let Some(warning) = ignored_keys_warning(at, stored) {
        eprintln!("{warning}");
    }
}

/// A `--secret-file` that could not be used, as [`SecretsCliError::Read`] (the file) or
/// [`SecretsCliError::Malformed`] (its content), naming the file `at`.
fn secret_file_error(at: &str, error: SecretFileError) -> SecretsCliError {
    let at = at.to_owned();
    match error {
        SecretFileError::Read(e) => SecretsCliError::Read {
            at,
            reason: e.to_string(),
        },
        SecretFileError::Malformed(reason) => SecretsCliError::Malformed { at, reason },
    }
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
    #[error(
        "{at}: the org has no `signing` secret yet (the envelope keys the plan keys are \
         listed in): create it first (`okta-hooks secrets split`, or the stack's \
         CreateOrgSecrets with the keys put in), then make the plan key"
    )]
    NoSigning { at: String },
    #[error("{at}: {reason}")]
    Invalid { at: String, reason: String },
    #[error("cannot write {at}: {reason}")]
    WriteFile { at: String, reason: String },
}

pub async fn run(command: SecretsCommand) -> Result<(), SecretsCliError> {
    match command {
        SecretsCommand::Split(args) => split(args).await,
        SecretsCommand::PlanKey(args) => plan_key(args).await,
    }
}

/// What happens to one kind's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Missing: created.
    Create,
    /// The stack's placeholder (only `_` keys): replaced.
    Fill,
    /// Holds other values and `--overwrite` names the kind: replaced.
    Overwrite,
    Unchanged,
    /// Holds other values (changed since the first split): kept.
    Kept,
    /// The copied `okta-read` exists and differs from `okta`: a read-only credential was
    /// put there since, and it is kept.
    KeptReadOnly,
}

/// What to do with one kind's secret, and the JSON to write (secret material: never
/// printed).
#[derive(Debug)]
struct Decision {
    step: Step,
    /// The source's section, for `signing` with the existing secret's plan fields merged
    /// in.
    content: SecretString,
    /// The fields of an existing `signing` merged into the source's section
    /// (`plan_keys`, `require_plan_signatures`): kept, never dropped.
    kept_fields: Vec<&'static str>,
}

async fn split(args: SplitArgs) -> Result<(), SecretsCliError> {
    let org = OrgName::parse(&args.org).map_err(|source| SecretsCliError::Org {
        org: args.org.clone(),
        source,
    })?;
    // Reads and writes go through ids (read_raw, put_or_create).
    let source = id_source(&args.secret_prefix).await;

    let (stored, at) = match &args.secret_file {
        Some(file) => {
            let at = file.display().to_string();
            let stored = read_secret_file(file).map_err(|e| secret_file_error(&at, e))?;
            (stored, at)
        }
        None => {
            let id = source.legacy_secret_id(&org);
            let at = format!("secret {id}");
            let text = source.read_raw(&org, &id).await.map_err(|e| match e {
                SecretError::NotFound { .. } => SecretsCliError::NoSource { id: id.clone() },
                other => SecretsCliError::Read {
                    at: at.clone(),
                    reason: other.to_string(),
                },
            })?;
            let stored = parse_stored(&text, &at).map_err(|reason| SecretsCliError::Malformed {
                at: at.clone(),
                reason,
            })?;
            (stored, at)
        }
    };
    if stored.is_empty() {
        return Err(SecretsCliError::Empty { at });
    }
    let (split, copied) = stored.to_split();
    let source_name = if args.secret_file.is_some() {
        "secret file"
    } else {
        "single secret"
    };

    println!("splitting {at} for org {org}:");
    for kind in &args.overwrite {
        if split.get(kind).is_none() {
            eprintln!("warning: --overwrite {kind}: {at} has no {kind} section to write");
        }
    }
    let mut writes = 0usize;
    let mut kept = 0usize;
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
        let overwrite = args.overwrite.contains(kind);
        let decision = plan(
            kind,
            section.expose_secret(),
            existing.as_deref(),
            copied,
            overwrite,
        );
        let verb = match (decision.step, args.dry_run) {
            (Step::Unchanged, _) => "unchanged",
            (Step::Kept | Step::KeptReadOnly, _) => {
                kept += 1;
                "kept     "
            }
            (Step::Create, true) => "would create",
            (Step::Fill | Step::Overwrite, true) => "would update",
            (Step::Create | Step::Fill | Step::Overwrite, false) => {
                let written = source
                    .put_or_create(
                        &org,
                        &id,
                        decision.content.expose_secret(),
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
        let note = match (kind, decision.step) {
            (SecretKind::OktaRead, Step::KeptReadOnly) => {
                "  (it differs from okta: a read-only credential, left as it is)".to_owned()
            }
            (_, Step::Kept) => {
                format!(": differs from the {source_name}, kept; --overwrite {kind} to replace it")
            }
            (SecretKind::OktaRead, _) if copied => "  (a copy of okta)".to_owned(),
            (_, Step::Overwrite) => format!("  (--overwrite {kind}: the {source_name}'s values)"),
            _ => String::new(),
        };
        let merged = if decision.kept_fields.is_empty() || decision.step == Step::Kept {
            String::new()
        } else {
            format!(
                "  ({} kept from the existing secret)",
                decision.kept_fields.join(", ")
            )
        };
        println!("  {verb}  {id}{note}{merged}");
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
    if kept > 0 {
        println!(
            "kept {kept} secret(s) holding other values than the {source_name} (changed since \
             the first split: newer than it); check them, and give --overwrite KIND only for \
             a kind the {source_name} should replace"
        );
    }
    if args.dry_run {
        println!("dry run: nothing written");
    } else if writes == 0 && kept == 0 {
        println!("nothing to write: the split secrets already hold these sections");
    } else if writes == 0 {
        println!("nothing written");
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

/// What to do with `kind`'s secret, holding `existing` (`None`: missing), given the
/// source's `section`: create it when missing, fill a placeholder (only `_` keys), and
/// otherwise keep it unless `overwrite` (then replace it; a copied `okta-read` that
/// differs, a read-only credential put there since, is kept either way unless
/// `overwrite`). JSON that means the same is the same (whitespace, key order); an
/// existing secret that is not JSON counts as different. For `signing`, the existing
/// secret's `plan_keys` and `require_plan_signatures` are merged into the section first
/// ([`keep_plan_fields`]): a source without them is not a difference, and they are never
/// dropped.
fn plan(
    kind: &SecretKind,
    section: &str,
    existing: Option<&str>,
    copied: bool,
    overwrite: bool,
) -> Decision {
    let as_is = |step| Decision {
        step,
        content: SecretString::from(section.to_owned()),
        kept_fields: Vec::new(),
    };
    let Some(existing) = existing else {
        return as_is(Step::Create);
    };
    let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
    let held = parse(existing);
    if held.as_ref().is_some_and(|v| {
        v.as_object()
            .is_some_and(|fields| fields.keys().all(|k| k.starts_with('_')))
    }) {
        return as_is(Step::Fill);
    }
    let mut wanted = parse(section);
    let mut kept_fields = Vec::new();
    if *kind == SecretKind::Signing
        && let (Some(Value::Object(wanted)), Some(Value::Object(held))) = (&mut wanted, &held)
    {
        kept_fields = keep_plan_fields(wanted, held);
    }
    let content = match (&wanted, kept_fields.is_empty()) {
        (Some(merged), false) => SecretString::from(merged.to_string()),
        _ => SecretString::from(section.to_owned()),
    };
    let step = if wanted.is_some() && wanted == held {
        Step::Unchanged
    } else if overwrite {
        Step::Overwrite
    } else if copied && *kind == SecretKind::OktaRead {
        Step::KeptReadOnly
    } else {
        Step::Kept
    };
    Decision {
        step,
        content,
        kept_fields,
    }
}

/// Merges into the source's `signing` section what `secrets plan-key` put in the
/// existing `signing` secret, so that no split turns plan signatures off: every plan key
/// id the existing `plan_keys` lists (its public key winning over the source's for the
/// same id: the `plan-signing` secret in use matches it) and `require_plan_signatures:
/// true`. Returns the fields that changed the section, for the message.
fn keep_plan_fields(
    wanted: &mut Map<String, Value>,
    held: &Map<String, Value>,
) -> Vec<&'static str> {
    let mut kept = Vec::new();
    if let Some(Value::Object(held_keys)) = held.get("plan_keys")
        && !held_keys.is_empty()
    {
        let listed = wanted
            .entry("plan_keys")
            .and_modify(|v| {
                if !v.is_object() {
                    *v = json!({});
                }
            })
            .or_insert_with(|| json!({}));
        if let Value::Object(listed) = listed {
            let mut changed = false;
            for (kid, key) in held_keys {
                if listed.get(kid) != Some(key) {
                    listed.insert(kid.clone(), key.clone());
                    changed = true;
                }
            }
            if changed {
                kept.push("plan_keys");
            }
        }
    }
    let required = Some(&Value::Bool(true));
    if held.get("require_plan_signatures") == required
        && wanted.get("require_plan_signatures") != required
    {
        wanted.insert("require_plan_signatures".to_owned(), Value::Bool(true));
        kept.push("require_plan_signatures");
    }
    kept
}

/// Which of the two secrets is written first: the order in which every envelope keeps
/// running (README, "Org secrets").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstWrite {
    /// First enablement (`signing` lists no plan keys yet): `plan-signing` first — the
    /// router then holds the key but still seals HMAC-only, which the executors accept —
    /// then `signing.plan_keys`, from when on they run only plans the router signed.
    PlanSigning,
    /// Rotation (`signing` lists plan keys): the new public key in `signing.plan_keys`
    /// first, so the executors accept the old key and the new one, then `plan-signing`
    /// with the new key active (a router whose active key is not listed signs nothing).
    Signing,
}

/// A new plan key for an org: both secrets' new JSON and the order to write them in.
/// `plan_signing` holds the seed: it is written, never printed.
struct PlanKeyChange {
    /// The new key's id, `p<N+1>`.
    kid: String,
    /// `signing` with the new public key added to `plan_keys`, every other field as is.
    signing: Value,
    /// `plan-signing` with the new seed added and made active, older keys kept.
    plan_signing: Value,
    first: FirstWrite,
}

/// Ids only: `plan_signing` holds a seed.
impl std::fmt::Debug for PlanKeyChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanKeyChange")
            .field("kid", &self.kid)
            .field("first", &self.first)
            .finish_non_exhaustive()
    }
}

impl PlanKeyChange {
    /// The plan key ids a section lists (`plan_keys` of signing, `keys` of plan-signing).
    fn ids(section: &Value, field: &str) -> String {
        section[field]
            .as_object()
            .map(|keys| keys.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    fn signing_note(&self) -> String {
        format!("plan_keys: {}", Self::ids(&self.signing, "plan_keys"))
    }

    fn plan_signing_note(&self) -> String {
        format!(
            "active {}; keys: {}",
            self.kid,
            Self::ids(&self.plan_signing, "keys")
        )
    }
}

/// Whether a section is configured: an object with a key not starting with `_` (the
/// stack's `{"_readme": …}` placeholders are not).
fn configured(section: &Value) -> bool {
    section
        .as_object()
        .is_some_and(|fields| fields.keys().any(|k| !k.starts_with('_')))
}

/// `p<N+1>` for the largest `p<N>` among `ids` (`p1` when there is none), skipping an id
/// already taken.
fn next_kid(ids: &[&str]) -> String {
    let largest = ids
        .iter()
        .filter_map(|id| id.strip_prefix('p')?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    let mut n = largest.saturating_add(1);
    loop {
        let kid = format!("p{n}");
        if !ids.contains(&kid.as_str()) {
            return kid;
        }
        n = n.saturating_add(1);
    }
}

/// Whether the router and an executor can load `signing` with `plan_signing` (absent: not
/// written yet). The error names a kind and a position, never a value.
fn loads(signing: &Value, plan_signing: Option<&Value>) -> Result<(), String> {
    let mut stored = StoredSecrets::new();
    stored.insert(SecretKind::Signing, &signing.to_string())?;
    if let Some(plan_signing) = plan_signing {
        stored.insert(SecretKind::PlanSigning, &plan_signing.to_string())?;
    }
    SecretReads::router().resolve(&stored)?;
    SecretReads::executor("users", ExecutorCredentials::Shared, false, false).resolve(&stored)?;
    Ok(())
}

/// `signing` (configured) and `plan-signing` (`None`: absent or a placeholder) with the
/// key `pair` added under the next free id. Both the result and the state after the first
/// write must load as the router and the executors read them.
fn plan_key_change(
    signing: &Value,
    plan_signing: Option<&Value>,
    pair: &PlanKeyPair,
) -> Result<PlanKeyChange, String> {
    let keys_of = |section: &Value, field: &str, what: &str| match section.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(keys)) => Ok(Some(keys.clone())),
        Some(_) => Err(format!("{what}: must be a JSON object of key ids")),
    };
    let listed = keys_of(signing, "plan_keys", "signing.plan_keys")?;
    let held = match plan_signing {
        Some(section) => keys_of(section, "keys", "plan-signing.keys")?.unwrap_or_default(),
        None => Map::new(),
    };
    let taken: Vec<&str> = listed
        .iter()
        .flat_map(|l| l.keys())
        .chain(held.keys())
        .map(String::as_str)
        .collect();
    let kid = next_kid(&taken);

    let mut new_signing = signing.clone();
    let mut new_listed = listed.clone().unwrap_or_default();
    new_listed.insert(kid.clone(), Value::String(pair.public_key.clone()));
    new_signing
        .as_object_mut()
        .ok_or("signing: must be a JSON object")?
        .insert("plan_keys".to_owned(), Value::Object(new_listed));

    let mut new_plan_signing = plan_signing.cloned().unwrap_or_else(|| json!({}));
    let mut new_held = held;
    new_held.insert(
        kid.clone(),
        Value::String(pair.seed.expose_secret().to_owned()),
    );
    let fields = new_plan_signing
        .as_object_mut()
        .ok_or("plan-signing: must be a JSON object")?;
    fields.insert("active".to_owned(), Value::String(kid.clone()));
    fields.insert("keys".to_owned(), Value::Object(new_held));

    let first = if listed.is_some() {
        FirstWrite::Signing
    } else {
        FirstWrite::PlanSigning
    };
    match first {
        FirstWrite::PlanSigning => loads(signing, Some(&new_plan_signing))?,
        FirstWrite::Signing => loads(&new_signing, plan_signing)?,
    }
    loads(&new_signing, Some(&new_plan_signing))?;
    Ok(PlanKeyChange {
        kid,
        signing: new_signing,
        plan_signing: new_plan_signing,
        first,
    })
}

/// JSON text as a value; the error names the position only, never the content.
fn json_at(text: &str, at: &str) -> Result<Value, SecretsCliError> {
    serde_json::from_str(text).map_err(|e| SecretsCliError::Malformed {
        at: at.to_owned(),
        reason: format!(
            "not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    })
}

/// Sets `signing.require_plan_signatures` (the last step of turning plan signatures on):
/// the new `signing`, or `None` when it already requires them. Needs `plan_keys` listed
/// and a `plan-signing` key the router holds, or every envelope would be refused.
fn require_change(signing: &Value, plan_signing: Option<&Value>) -> Result<Option<Value>, String> {
    if signing.get("plan_keys").is_none_or(Value::is_null) {
        return Err(
            "signing lists no plan_keys yet: run `okta-hooks secrets plan-key` \
                    without --require first, then --require a secret TTL later"
                .to_owned(),
        );
    }
    if plan_signing.is_none() {
        return Err(
            "there is no plan-signing key for the router: executors that require \
                    plan signatures would refuse every envelope"
                .to_owned(),
        );
    }
    if signing.get("require_plan_signatures") == Some(&Value::Bool(true)) {
        return Ok(None);
    }
    let mut required = signing.clone();
    required
        .as_object_mut()
        .ok_or("signing: must be a JSON object")?
        .insert("require_plan_signatures".to_owned(), Value::Bool(true));
    loads(&required, plan_signing)?;
    Ok(Some(required))
}

/// What `secrets plan-key` does to the org's two sections.
enum Outcome {
    /// A new key pair (first enablement or rotation).
    NewKey(PlanKeyChange, String),
    /// `--require`: the new `signing` (`None`: it already requires plan signatures).
    Require(Option<Value>),
}

impl Outcome {
    /// The sections to write, in order: (kind, new JSON, what it says, ids only).
    fn writes(&self) -> Vec<(SecretKind, &Value, String)> {
        match self {
            Outcome::NewKey(change, _) => {
                let signing = (SecretKind::Signing, &change.signing, change.signing_note());
                let plan = (
                    SecretKind::PlanSigning,
                    &change.plan_signing,
                    change.plan_signing_note(),
                );
                match change.first {
                    FirstWrite::PlanSigning => vec![plan, signing],
                    FirstWrite::Signing => vec![signing, plan],
                }
            }
            Outcome::Require(Some(signing)) => vec![(
                SecretKind::Signing,
                signing,
                "require_plan_signatures: true".to_owned(),
            )],
            Outcome::Require(None) => Vec::new(),
        }
    }
}

/// The sections' new state: a new key pair, or with `require` the requirement set.
fn decide(require: bool, signing: &Value, plan_signing: Option<&Value>) -> Result<Outcome, String> {
    if require {
        return require_change(signing, plan_signing).map(Outcome::Require);
    }
    let pair = generate_plan_key().map_err(|e| e.to_string())?;
    let change = plan_key_change(signing, plan_signing, &pair)?;
    Ok(Outcome::NewKey(change, pair.public_key))
}

/// Where the sections live.
enum Target {
    /// A secret file (either shape), edited in place.
    File { path: PathBuf, doc: Value },
    /// The org's secrets `<prefix><org>/signing` and `/plan-signing`.
    Secrets(Box<SecretsManagerSource>),
}

async fn plan_key(args: PlanKeyArgs) -> Result<(), SecretsCliError> {
    let org = OrgName::parse(&args.org).map_err(|source| SecretsCliError::Org {
        org: args.org.clone(),
        source,
    })?;
    let (mut target, at, signing, plan_signing) = match &args.secret_file {
        Some(file) => {
            let at = file.display().to_string();
            // Checked as an org secret file first: the error names a position only.
            let (text, _) = read_secret_file_text(file).map_err(|e| secret_file_error(&at, e))?;
            let doc = json_at(&text, &at)?;
            let section = |kind: &str| doc.get(kind).filter(|s| configured(s)).cloned();
            let signing =
                section("signing").ok_or_else(|| SecretsCliError::NoSigning { at: at.clone() })?;
            let plan_signing = section("plan-signing");
            let target = Target::File {
                path: file.clone(),
                doc,
            };
            (target, at, signing, plan_signing)
        }
        None => {
            // Reads and writes go through ids.
            let source = id_source(&args.secret_prefix).await;
            let signing_id = source.secret_id(&org, &SecretKind::Signing);
            let signing = read_section(&source, &org, &signing_id)
                .await?
                .ok_or_else(|| SecretsCliError::NoSigning {
                    at: format!("secret {signing_id}"),
                })?;
            let plan_id = source.secret_id(&org, &SecretKind::PlanSigning);
            let plan_signing = read_section(&source, &org, &plan_id).await?;
            let at = format!("secrets {signing_id} and {plan_id}");
            (Target::Secrets(Box::new(source)), at, signing, plan_signing)
        }
    };
    let outcome = decide(args.require, &signing, plan_signing.as_ref()).map_err(|reason| {
        SecretsCliError::Invalid {
            at: at.clone(),
            reason,
        }
    })?;

    let place = match &target {
        Target::File { path, .. } => path.display().to_string(),
        Target::Secrets(_) => "Secrets Manager".to_owned(),
    };
    match &outcome {
        Outcome::NewKey(change, _) => {
            let what = match change.first {
                FirstWrite::PlanSigning => {
                    "first enablement: plan-signing first (the router holds the key), then \
                     signing.plan_keys"
                }
                FirstWrite::Signing => {
                    "rotation: signing.plan_keys first (the executors accept the older keys \
                     and the new one), then plan-signing with the new key active"
                }
            };
            println!("plan key {} for org {org} in {place} ({what}):", change.kid);
        }
        Outcome::Require(_) => {
            println!("plan signatures required for org {org} in {place}:");
        }
    }
    let writes = outcome.writes();
    for (n, (kind, value, note)) in writes.iter().enumerate() {
        let (verb, name) = match &mut target {
            Target::File { doc, .. } => {
                if let Some(sections) = doc.as_object_mut() {
                    sections.insert(kind.to_string(), (*value).clone());
                }
                let verb = if args.dry_run {
                    "would edit"
                } else {
                    "edited   "
                };
                (verb, format!("{:<12}", kind.to_string()))
            }
            Target::Secrets(source) => {
                let id = source.secret_id(&org, kind);
                let verb = if args.dry_run {
                    "would write"
                } else {
                    let kms = args.kms_key_id.as_deref();
                    match source
                        .put_or_create(&org, &id, &value.to_string(), kms)
                        .await
                        .map_err(SecretsCliError::Write)?
                    {
                        Written::Created => "created  ",
                        Written::NewVersion => "updated  ",
                    }
                };
                (verb, id)
            }
        };
        println!("  {}. {verb}  {name}  {note}", n + 1);
    }
    if let (Target::File { path, doc }, false, false) = (&target, args.dry_run, writes.is_empty()) {
        let at = path.display().to_string();
        let mut out =
            serde_json::to_string_pretty(doc).map_err(|e| SecretsCliError::WriteFile {
                at: at.clone(),
                reason: e.to_string(),
            })?;
        out.push('\n');
        // Written in place: the file keeps its permissions.
        std::fs::write(path, out).map_err(|e| SecretsCliError::WriteFile {
            at,
            reason: e.to_string(),
        })?;
    }

    if let Outcome::NewKey(change, public_key) = &outcome {
        println!("public key {}: {public_key}", change.kid);
    }
    if args.dry_run {
        println!("dry run: nothing written");
    }
    match &outcome {
        Outcome::NewKey(change, _) if change.first == FirstWrite::PlanSigning => println!(
            "next: the router signs each plan from its next secret read; executors verify \
             every plan signature and still run HMAC-only envelopes (a router holding its \
             secrets from before sends them for up to a secret TTL). Once a TTL has passed \
             and the queues hold no HMAC-only envelope, run `okta-hooks secrets plan-key \
             --org {org} --require`: executors then refuse HMAC-only envelopes"
        ),
        Outcome::NewKey(..) => println!(
            "next: keep the older plan keys listed in both secrets until the queues have \
             drained of plans signed with them, then drop them"
        ),
        Outcome::Require(Some(_)) => println!(
            "executors refuse HMAC-only envelopes from their next secret read on (one still \
             queued goes to its DLQ)"
        ),
        Outcome::Require(None) => {
            println!("nothing to write: signing already requires plan signatures");
        }
    }
    Ok(())
}

/// The JSON of the secret `id` if it exists and is configured (not a placeholder).
async fn read_section(
    source: &SecretsManagerSource,
    org: &OrgName,
    id: &str,
) -> Result<Option<Value>, SecretsCliError> {
    match source.read_raw(org, id).await {
        Ok(text) => Ok(Some(json_at(&text, &format!("secret {id}"))?).filter(configured)),
        Err(SecretError::NotFound { .. }) => Ok(None),
        Err(other) => Err(SecretsCliError::Read {
            at: format!("secret {id}"),
            reason: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HMAC: &str = "0123456789abcdef0123456789abcdef";

    fn signing() -> Value {
        json!({"active": "k1", "keys": {"k1": HMAC}, "note": "kept"})
    }

    #[test]
    fn a_first_plan_key_is_p1_written_to_plan_signing_before_plan_keys() {
        let pair = generate_plan_key().unwrap();
        let change = plan_key_change(&signing(), None, &pair).unwrap();
        assert_eq!(change.kid, "p1");
        assert_eq!(change.first, FirstWrite::PlanSigning);
        assert_eq!(
            change.signing,
            json!({"active": "k1", "keys": {"k1": HMAC}, "note": "kept",
                "plan_keys": {"p1": pair.public_key}})
        );
        assert_eq!(
            change.plan_signing,
            json!({"active": "p1", "keys": {"p1": pair.seed.expose_secret()}})
        );
        assert_eq!(change.signing_note(), "plan_keys: p1");
        assert_eq!(change.plan_signing_note(), "active p1; keys: p1");
    }

    #[test]
    fn a_second_plan_key_rotates_to_p2_listing_it_before_making_it_active_and_keeps_p1() {
        let first = generate_plan_key().unwrap();
        let once = plan_key_change(&signing(), None, &first).unwrap();
        let second = generate_plan_key().unwrap();
        let change = plan_key_change(&once.signing, Some(&once.plan_signing), &second).unwrap();
        assert_eq!(change.kid, "p2");
        assert_eq!(change.first, FirstWrite::Signing);
        assert_eq!(change.signing["plan_keys"]["p1"], json!(first.public_key));
        assert_eq!(change.signing["plan_keys"]["p2"], json!(second.public_key));
        assert_eq!(change.plan_signing["active"], "p2");
        assert_eq!(
            change.plan_signing["keys"]["p1"],
            json!(first.seed.expose_secret())
        );
        assert_eq!(change.plan_signing_note(), "active p2; keys: p1, p2");
    }

    #[test]
    fn plan_keys_listed_without_a_plan_signing_key_are_kept_and_listed_first() {
        // The router routes nothing here (NoPlanKey): the new key is listed, then held.
        let other = generate_plan_key().unwrap();
        let mut listed = signing();
        listed["plan_keys"] = json!({"p3": other.public_key});
        let change = plan_key_change(&listed, None, &generate_plan_key().unwrap()).unwrap();
        assert_eq!(change.kid, "p4");
        assert_eq!(change.first, FirstWrite::Signing);
        assert_eq!(change.signing_note(), "plan_keys: p3, p4");
        assert_eq!(change.plan_signing_note(), "active p4; keys: p4");
    }

    #[test]
    fn a_plan_key_change_refuses_signing_keys_that_do_not_load_naming_no_value() {
        let short = json!({"active": "k1", "keys": {"k1": "short-key-value"}});
        let err = plan_key_change(&short, None, &generate_plan_key().unwrap()).unwrap_err();
        assert!(err.contains("shorter"), "{err}");
        assert!(!err.contains("short-key-value"), "{err}");
        let bad = json!({"active": "k1", "keys": {"k1": HMAC}, "plan_keys": ["p1"]});
        let err = plan_key_change(&bad, None, &generate_plan_key().unwrap()).unwrap_err();
        assert!(err.contains("signing.plan_keys"), "{err}");
    }

    #[test]
    fn require_sets_the_flag_only_with_listed_plan_keys_and_a_router_key() {
        let pair = generate_plan_key().unwrap();
        let once = plan_key_change(&signing(), None, &pair).unwrap();
        let required = require_change(&once.signing, Some(&once.plan_signing))
            .unwrap()
            .expect("a change");
        let mut expected = once.signing.clone();
        expected["require_plan_signatures"] = json!(true);
        assert_eq!(required, expected);
        assert!(
            require_change(&required, Some(&once.plan_signing))
                .unwrap()
                .is_none(),
            "already required: nothing to write"
        );
        let err = require_change(&signing(), None).unwrap_err();
        assert!(err.contains("no plan_keys"), "{err}");
        let err = require_change(&once.signing, None).unwrap_err();
        assert!(err.contains("no plan-signing key"), "{err}");
    }

    #[test]
    fn the_next_key_id_follows_the_largest_p_number_and_skips_taken_ids() {
        assert_eq!(next_kid(&[]), "p1");
        assert_eq!(next_kid(&["p1", "p7", "local"]), "p8");
        assert_eq!(next_kid(&["local", "p"]), "p1");
    }

    fn step(kind: &SecretKind, section: &str, existing: Option<&str>, copied: bool) -> Step {
        plan(kind, section, existing, copied, false).step
    }

    #[test]
    fn a_missing_secret_is_created_a_placeholder_filled_and_the_same_json_left_alone() {
        let kind = SecretKind::Hook;
        assert_eq!(
            step(&kind, r#"{"current": "a"}"#, None, false),
            Step::Create
        );
        assert_eq!(
            step(
                &kind,
                r#"{"current": "a", "header": "X"}"#,
                Some(r#"{"header":"X","current":"a"}"#),
                false
            ),
            Step::Unchanged
        );
        assert_eq!(
            step(
                &kind,
                r#"{"current": "a"}"#,
                Some(r#"{"_readme": "put it here"}"#),
                false
            ),
            Step::Fill
        );
    }

    #[test]
    fn a_secret_changed_since_the_first_split_is_kept_unless_its_kind_is_overwritten() {
        // A hook value rotated since: writing the single secret's back would fail Okta's
        // deliveries.
        let kind = SecretKind::Hook;
        let single = r#"{"current": "old"}"#;
        let rotated = r#"{"current": "new", "previous": "old"}"#;
        assert_eq!(step(&kind, single, Some(rotated), false), Step::Kept);
        assert_eq!(step(&kind, single, Some("not json"), false), Step::Kept);
        let overwritten = plan(&kind, single, Some(rotated), false, true);
        assert_eq!(overwritten.step, Step::Overwrite);
        assert_eq!(overwritten.content.expose_secret(), single);
        assert!(overwritten.kept_fields.is_empty());
    }

    #[test]
    fn signing_keeps_the_plan_keys_and_the_requirement_of_the_existing_secret_even_overwritten() {
        let kind = SecretKind::Signing;
        let single = json!({"active": "k1", "keys": {"k1": HMAC}}).to_string();
        let mut planned = json!({"active": "k1", "keys": {"k1": HMAC},
            "plan_keys": {"p1": "pub1"}, "require_plan_signatures": true});
        // Only plan-key's fields added since: nothing to write.
        let same = plan(&kind, &single, Some(&planned.to_string()), false, false);
        assert_eq!(same.step, Step::Unchanged);
        assert_eq!(same.kept_fields, ["plan_keys", "require_plan_signatures"]);

        // A new HMAC key in the source: kept, or with --overwrite written with the plan
        // fields merged in (the source's own plan key ids kept, the existing one's
        // public key winning for the same id).
        let rotated = json!({"active": "k2", "keys": {"k1": HMAC, "k2": HMAC},
            "plan_keys": {"p1": "other", "p0": "pub0"}});
        let text = rotated.to_string();
        assert_eq!(
            step(&kind, &text, Some(&planned.to_string()), false),
            Step::Kept
        );
        let overwritten = plan(&kind, &text, Some(&planned.to_string()), false, true);
        assert_eq!(overwritten.step, Step::Overwrite);
        assert_eq!(
            serde_json::from_str::<Value>(overwritten.content.expose_secret()).unwrap(),
            json!({"active": "k2", "keys": {"k1": HMAC, "k2": HMAC},
                "plan_keys": {"p0": "pub0", "p1": "pub1"}, "require_plan_signatures": true})
        );
        assert_eq!(
            overwritten.kept_fields,
            ["plan_keys", "require_plan_signatures"]
        );

        // Without plan keys in the existing secret, the source is written as it is.
        planned = json!({"active": "k1", "keys": {"k1": HMAC}});
        let overwritten = plan(&kind, &text, Some(&planned.to_string()), false, true);
        assert_eq!(overwritten.content.expose_secret(), text);
        assert!(overwritten.kept_fields.is_empty());
    }

    #[test]
    fn a_copied_okta_read_never_replaces_a_credential_put_there_since() {
        let read = SecretKind::OktaRead;
        let admin = r#"{"org_url": "https://a", "api_token": "admin"}"#;
        let read_only = r#"{"org_url": "https://a", "client_id": "0oa", "private_key": "k"}"#;
        assert_eq!(
            step(&read, admin, Some(read_only), true),
            Step::KeptReadOnly
        );
        assert_eq!(step(&read, admin, Some(admin), true), Step::Unchanged);
        // The stack's placeholder is no credential: it is filled.
        assert_eq!(
            step(&read, admin, Some(r#"{"_readme": "put it here"}"#), true),
            Step::Fill
        );
        // A source that has its own okta-read is treated as any other kind.
        assert_eq!(step(&read, admin, Some(read_only), false), Step::Kept);
    }

    #[test]
    fn the_ignored_keys_warning_names_the_keys_and_never_a_value() {
        let stored = StoredSecrets::from_json(
            r#"{"okta_read": {"api_token": "hunter2"}, "hook": {"current": "h"}}"#,
        )
        .unwrap();
        let warning = ignored_keys_warning("s.json", &stored).expect("a warning");
        assert!(
            warning.starts_with("warning: s.json: ignored key(s) that name no kind: okta_read ("),
            "{warning}"
        );
        assert!(!warning.contains("hunter2"), "{warning}");
        let clean = StoredSecrets::from_json(r#"{"hook": {"current": "h"}}"#).unwrap();
        assert!(ignored_keys_warning("s.json", &clean).is_none());
    }
}

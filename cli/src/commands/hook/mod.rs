//! `okta-hooks hook …`: the org's event hook in Okta, driven through the project's Okta
//! client.
//!
//! - `setup --url URL --org ORG`: creates the event hook pointing at URL (or updates the one
//!   already there: channel and events), activates it, asks Okta to verify it, prints the
//!   outcome. The auth header comes from the org secret's `hook` section; the event types
//!   are the hook-eligible types the rules handle. `--stack NAME` instead of `--url` reads
//!   the URL from the stack's `HookUrl` output (`DescribeStacks`, on the local stack of
//!   `okta-hooks stack up` when its state file exists, else on AWS: see
//!   [`crate::stack_outputs`]); for an org other than the stack's `OrgName`, its own path.
//! - `status`, `list`, `deactivate`, `delete`: what they say.
//! - `rotate-secret`: a new random header value becomes `current` in the secret and the
//!   old one `previous` (the receivers accept both), the hook in Okta gets the new value,
//!   and Okta verifies it again.
//!
//! The hook values are the org's `hook` secret (`<prefix><org>/hook`), the single secret
//! of before the split (`<prefix><org>`) with `--legacy-single-secret`, or the `hook`
//! section of `--secret-file` (either shape). The Okta credential is an admin's from
//! `OKTA_*` variables when `OKTA_ORG_URL` is set (as `okta-hooks okta get-user` reads
//! them; scopes default to `okta.eventHooks.read okta.eventHooks.manage`), or the login
//! `okta-hooks login` saved for `OKTA_ORG_URL`, else the org's `okta` secret (`<prefix><org>/okta`, or the `okta` section of the single secret or
//! file). No secret value is ever printed.

mod store;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use okta_adapters::CredentialError;
use okta_client::models::EventHook;
use okta_client::{ExposeSecret, OktaClient, OktaError};
use org_secrets::{HookAuth, OrgName, OrgSecret};
use rules::RuleSet;
use serde_json::{Value, json};

use store::SecretStore;

use super::credentials::{self, CredentialsError, OktaSource};

use crate::stack_outputs::{StackOutputError, StackOutputs};

#[derive(clap::Subcommand)]
pub enum HookCommand {
    /// Create or update the org's event hook for URL, activate it and have Okta verify it.
    Setup(SetupArgs),
    /// Show one event hook (by --url or --id).
    Status(SelectArgs),
    /// List the org's event hooks.
    List(OrgArgs),
    /// Deactivate an event hook (Okta stops delivering to it).
    Deactivate(SelectArgs),
    /// Deactivate and delete an event hook.
    Delete(SelectArgs),
    /// New hook header value: secret current/previous, Okta updated, verified again.
    RotateSecret(SelectArgs),
}

#[derive(clap::Args)]
pub struct OrgArgs {
    /// The org (its hook values are the secret <secret-prefix><org>/hook).
    #[arg(long, default_value = "default")]
    org: String,
    /// Read (and, to rotate, write) the org's secrets in this JSON file instead of
    /// Secrets Manager: either shape, `{"hook": …, "okta": …, …}`.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Prefix of the org secrets' names in Secrets Manager.
    #[arg(long, env = "OKTA_HOOKS_SECRET_PREFIX", default_value = "okta-hooks/")]
    secret_prefix: String,
    /// Use the org's single secret of before the split, <secret-prefix><org>, as the
    /// functions do with LegacySingleSecret=true.
    #[arg(long, env = "OKTA_HOOKS_LEGACY_SINGLE_SECRET")]
    legacy_single_secret: bool,
}

#[derive(clap::Args)]
pub struct SelectArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// The hook whose channel URL is this (e.g. the stack's `HookUrl` output).
    #[arg(long, required_unless_present = "id", conflicts_with = "id")]
    url: Option<String>,
    /// The hook with this id (`who…`).
    #[arg(long)]
    id: Option<String>,
}

#[derive(clap::Args)]
pub struct SetupArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// The hook URL: the stack's `HookUrl` output, `https://…/hooks/okta/<org>`.
    #[arg(long, required_unless_present = "stack", conflicts_with = "stack")]
    url: Option<String>,
    /// Read the hook URL from this `CloudFormation` stack's outputs (`HookUrl`; another
    /// org than the stack's `OrgName` gets `…/hooks/okta/<org>`): the local stack of
    /// `okta-hooks stack up` when its state file exists, else the stack in AWS (default
    /// credential chain and region).
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// The local stack's state file (default: target/okta-hooks-stack/<NAME>.json under
    /// the workspace, as `okta-hooks stack up` writes it).
    #[arg(long, value_name = "FILE", requires = "stack")]
    stack_state: Option<PathBuf>,
    /// The rules whose event types the hook subscribes to.
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// The hook's name in Okta (default: `okta-hooks <org>`; an existing hook keeps its own).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HookCliError {
    #[error("{0}")]
    Usage(String),
    #[error("org secret ({at}): {reason}")]
    Secret { at: String, reason: String },
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("{0} error(s) in the rules")]
    Rules(usize),
    #[error("Okta: {0}")]
    Okta(#[from] OktaError),
    #[error("no event hook with URL {0} in this org (see `okta-hooks hook list`)")]
    NotFound(String),
    #[error("Okta could not verify the hook: {0}")]
    Verification(OktaError),
    /// Boxed: the stack errors name the stack and where it was looked for.
    #[error(transparent)]
    Stack(Box<StackOutputError>),
}

impl From<StackOutputError> for HookCliError {
    fn from(error: StackOutputError) -> Self {
        HookCliError::Stack(Box::new(error))
    }
}

pub async fn run(command: HookCommand) -> Result<(), HookCliError> {
    match command {
        HookCommand::Setup(args) => setup(args).await,
        HookCommand::Status(args) => {
            let (client, _) = connect(&args.org, false).await?;
            let hook = select(&client, &args).await?;
            print_hook(&hook);
            Ok(())
        }
        HookCommand::List(args) => {
            let (client, _) = connect(&args, false).await?;
            let hooks = client.list_event_hooks().await?.value;
            if hooks.is_empty() {
                println!("no event hooks");
            }
            for hook in &hooks {
                println!(
                    "{}  {}  {}  {}  {}",
                    text(&hook.id),
                    text(&hook.status),
                    text(&hook.verification_status),
                    uri_of(hook).unwrap_or("-"),
                    text(&hook.name)
                );
            }
            Ok(())
        }
        HookCommand::Deactivate(args) => {
            let (client, _) = connect(&args.org, false).await?;
            let id = required_id(&select(&client, &args).await?)?;
            let hook = client.deactivate_event_hook(&id).await?.value;
            println!("deactivated event hook {id}: status {}", text(&hook.status));
            Ok(())
        }
        HookCommand::Delete(args) => {
            let (client, _) = connect(&args.org, false).await?;
            let hook = select(&client, &args).await?;
            let id = required_id(&hook)?;
            if hook.status.as_deref() != Some("INACTIVE") {
                client.deactivate_event_hook(&id).await?;
            }
            client.delete_event_hook(&id).await?;
            println!("deleted event hook {id}");
            Ok(())
        }
        HookCommand::RotateSecret(args) => rotate(args).await,
    }
}

/// The Okta client and, when it had to be read, the store and secret of the org. The
/// credential: `OKTA_*` or the login of `OKTA_ORG_URL` ([`super::credentials`]), else the
/// org secret's `okta`.
async fn connect(
    args: &OrgArgs,
    need_secret: bool,
) -> Result<(OktaClient, Option<(SecretStore, OrgSecret)>), HookCliError> {
    let org = OrgName::parse(&args.org).map_err(|e| HookCliError::Usage(e.to_string()))?;
    let scopes = super::login::scopes::HOOK;
    let from_env = credentials::from_environment(scopes).await?;
    let loaded = if need_secret || from_env.is_none() {
        let store = SecretStore::open(
            args.secret_file.clone(),
            &org,
            &args.secret_prefix,
            args.legacy_single_secret,
        )
        .await?;
        let secret = store.read(from_env.is_none()).await?;
        Some((store, secret))
    } else {
        None
    };
    let source = match (from_env, &loaded) {
        (Some(source), _) => source,
        (None, Some((store, secret))) => {
            OktaSource::Credential(secret.okta.clone().ok_or_else(|| {
                HookCliError::Config(format!(
                    "no Okta credential: set OKTA_ORG_URL and OKTA_API_TOKEN (an admin's, or an \
                     app with okta.eventHooks.manage), or run `okta-hooks login` and set \
                     OKTA_ORG_URL, or put {}",
                    store.describe_credential()
                ))
            })?)
        }
        (None, None) => {
            return Err(HookCliError::Config(
                "no Okta credential: set OKTA_ORG_URL and OKTA_API_TOKEN, or run `okta-hooks login`"
                    .to_owned(),
            ));
        }
    };
    let config = credentials::okta_config(&source, "cli-hook", scopes)?;
    let client = OktaClient::new(config)?;
    Ok((client, loaded))
}

async fn setup(args: SetupArgs) -> Result<(), HookCliError> {
    let given = match (&args.url, &args.stack) {
        (Some(url), _) => url.clone(),
        (None, Some(stack)) => {
            let outputs = StackOutputs::read(stack, args.stack_state.as_deref()).await?;
            let url = outputs.hook_url(&args.org.org)?;
            println!("stack {stack}: hook URL for org {}: {url}", args.org.org);
            println!("  from {}", outputs.location());
            url
        }
        (None, None) => return Err(HookCliError::Usage("give --url or --stack".to_owned())),
    };
    let url = checked_url(&given)?;
    let (subscribed, skipped) = hook_event_types(&args.rules)?;
    let (client, loaded) = connect(&args.org, true).await?;
    let Some((store, secret)) = loaded else {
        return Err(HookCliError::Config(
            "the org secret was not read".to_owned(),
        ));
    };
    let auth = hook_auth(&store, &secret)?;

    let existing = find_by_url(&client, url).await?;
    let name = args
        .name
        .clone()
        .or_else(|| existing.as_ref().and_then(|h| h.name.clone()))
        .unwrap_or_else(|| format!("okta-hooks {}", args.org.org));
    let body = EventHook {
        name: Some(name),
        description: Some(
            "Managed by okta-hooks (`okta-hooks hook setup`): events of the rules".to_owned(),
        ),
        events: Some(json!({"type": "EVENT_TYPE", "items": subscribed})),
        channel: Some(channel(url, auth)),
        ..EventHook::default()
    };
    let (verb, mut hook) = match &existing {
        Some(found) => {
            let id = required_id(found)?;
            (
                "updated",
                client.replace_event_hook(&id, &body).await?.value,
            )
        }
        None => ("created", client.create_event_hook(&body).await?.value),
    };
    let id = required_id(&hook)?;
    if hook.status.as_deref() != Some("ACTIVE") {
        hook = client.activate_event_hook(&id).await?.value;
    }
    println!("{verb} event hook {id} \"{}\" -> {url}", text(&hook.name));
    println!(
        "  events: {} hook-eligible type(s) from {}: {}",
        subscribed.len(),
        args.rules.display(),
        subscribed.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    if !skipped.is_empty() {
        println!(
            "  not subscribed (not hook-eligible; the System Log poller covers them): {}",
            skipped.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    println!(
        "  auth header: {} (value from {})",
        auth.header,
        store.describe()
    );
    verify(&client, &id).await
}

async fn rotate(args: SelectArgs) -> Result<(), HookCliError> {
    let (client, loaded) = connect(&args.org, true).await?;
    let Some((store, _)) = loaded else {
        return Err(HookCliError::Config(
            "the org secret was not read".to_owned(),
        ));
    };
    // Find the hook before touching the secret: a typo in --url changes nothing.
    let hook = select(&client, &args).await?;
    let id = required_id(&hook)?;
    let uri = uri_of(&hook)
        .ok_or_else(|| HookCliError::Config(format!("event hook {id} has no channel URI")))?
        .to_owned();

    // The receivers accept current and previous: storing first leaves no gap.
    let secret = store.rotate_hook_value(&new_hook_value()).await?;
    let auth = hook_auth(&store, &secret)?;
    println!(
        "rotated the hook value in {}: the old value stays valid as `previous`",
        store.describe()
    );

    let mut body = hook.clone();
    body.id = None;
    body.status = None;
    body.verification_status = None;
    body.created = None;
    body.created_by = None;
    body.last_updated = None;
    body.links = None;
    body.channel = Some(channel(&uri, auth));
    client.replace_event_hook(&id, &body).await?;
    println!("updated event hook {id} with the new value");
    verify(&client, &id).await?;
    println!(
        "once Okta's deliveries use the new value, drop `hook.previous` from the secret to \
         retire the old one"
    );
    Ok(())
}

/// Asks Okta to verify the hook (it sends the one-time GET challenge) and prints the result.
async fn verify(client: &OktaClient, id: &str) -> Result<(), HookCliError> {
    match client.verify_event_hook(id).await {
        Ok(reply) => {
            let hook = reply.value;
            println!(
                "  status: {}, verification: {}",
                text(&hook.status),
                text(&hook.verification_status)
            );
            if hook.verification_status.as_deref() == Some("VERIFIED") {
                Ok(())
            } else {
                Err(HookCliError::Config(format!(
                    "event hook {id} is {} after verification",
                    text(&hook.verification_status)
                )))
            }
        }
        Err(error) => Err(HookCliError::Verification(error)),
    }
}

/// The hook's `channel`: the URL and the auth header with the current secret value.
fn channel(url: &str, auth: &HookAuth) -> Value {
    json!({
        "type": "HTTP",
        "version": "1.0.0",
        "config": {
            "uri": url,
            "authScheme": {
                "type": "HEADER",
                "key": auth.header,
                "value": auth.current.expose_secret(),
            }
        }
    })
}

fn hook_auth<'a>(store: &SecretStore, secret: &'a OrgSecret) -> Result<&'a HookAuth, HookCliError> {
    secret.hook.as_ref().ok_or_else(|| HookCliError::Secret {
        at: store.describe(),
        reason: "no `hook` section (header and current value): put one first, see the \
                 README section \"Deploy to AWS\""
            .to_owned(),
    })
}

/// (subscribed, skipped): the rules' event types an event hook can deliver, and the rest.
pub fn hook_event_types(dir: &Path) -> Result<(BTreeSet<String>, BTreeSet<String>), HookCliError> {
    let set = RuleSet::load_dir(dir).map_err(|diagnostics| {
        for diagnostic in &diagnostics {
            eprintln!("{diagnostic}");
        }
        HookCliError::Rules(diagnostics.iter().filter(|d| d.is_error()).count())
    })?;
    let (subscribed, skipped): (BTreeSet<String>, BTreeSet<String>) = set
        .event_types()
        .into_iter()
        .partition(|t| rules::event_types::lookup(t) == Some(true));
    if subscribed.is_empty() {
        return Err(HookCliError::Usage(format!(
            "the rules of {} handle no hook-eligible event type: nothing to subscribe to",
            dir.display()
        )));
    }
    Ok((subscribed, skipped))
}

fn checked_url(url: &str) -> Result<&str, HookCliError> {
    let url = url.trim_end_matches('/');
    let scheme_ok = url.starts_with("https://")
        || url.starts_with("http://127.0.0.1")
        || url.starts_with("http://localhost");
    if !scheme_ok || url.contains(char::is_whitespace) {
        return Err(HookCliError::Usage(format!(
            "the hook URL must be an https URL (Okta refuses others), not {url}"
        )));
    }
    Ok(url)
}

fn uri_of(hook: &EventHook) -> Option<&str> {
    hook.channel
        .as_ref()
        .and_then(|c| c.pointer("/config/uri"))
        .and_then(Value::as_str)
}

async fn find_by_url(client: &OktaClient, url: &str) -> Result<Option<EventHook>, HookCliError> {
    let hooks = client.list_event_hooks().await?.value;
    Ok(hooks
        .into_iter()
        .find(|h| uri_of(h).is_some_and(|u| u.trim_end_matches('/') == url)))
}

async fn select(client: &OktaClient, args: &SelectArgs) -> Result<EventHook, HookCliError> {
    match (&args.id, &args.url) {
        (Some(id), _) => Ok(client.get_event_hook(id).await?.value),
        (None, Some(url)) => {
            let url = url.trim_end_matches('/');
            find_by_url(client, url)
                .await?
                .ok_or_else(|| HookCliError::NotFound(url.to_owned()))
        }
        (None, None) => Err(HookCliError::Usage("give --url or --id".to_owned())),
    }
}

fn required_id(hook: &EventHook) -> Result<String, HookCliError> {
    hook.id
        .clone()
        .ok_or_else(|| HookCliError::Config("Okta returned an event hook without an id".into()))
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

fn print_hook(hook: &EventHook) {
    println!("event hook {} \"{}\"", text(&hook.id), text(&hook.name));
    println!("  url: {}", uri_of(hook).unwrap_or("-"));
    println!(
        "  status: {}, verification: {}",
        text(&hook.status),
        text(&hook.verification_status)
    );
    let header = hook
        .channel
        .as_ref()
        .and_then(|c| c.pointer("/config/authScheme/key"))
        .and_then(Value::as_str)
        .unwrap_or("-");
    println!("  auth header: {header}");
    let events: Vec<&str> = hook
        .events
        .as_ref()
        .and_then(|e| e.get("items"))
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    println!("  events ({}): {}", events.len(), events.join(", "));
    println!("  last updated: {}", text(&hook.last_updated));
}

/// A new header value: 64 hex characters from two random (v4) UUIDs, 244 random bits.
fn new_hook_value() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_or_loopback() {
        assert_eq!(
            checked_url("https://x.example/hooks/okta/acme/").unwrap(),
            "https://x.example/hooks/okta/acme"
        );
        assert!(checked_url("http://example.com/hooks/okta").is_err());
        assert!(checked_url("ftp://x").is_err());
    }

    #[test]
    fn new_values_are_long_and_distinct() {
        let (a, b) = (new_hook_value(), new_hook_value());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn the_shipped_rules_subscribe_only_hook_eligible_types() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
        let (subscribed, skipped) = hook_event_types(&dir).unwrap();
        assert!(!subscribed.is_empty());
        for t in &subscribed {
            assert_eq!(rules::event_types::lookup(t), Some(true), "{t}");
        }
        for t in &skipped {
            assert_ne!(rules::event_types::lookup(t), Some(true), "{t}");
        }
    }
}

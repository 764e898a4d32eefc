//! `okta-hooks replay`: a bounded System Log window fed through the events queue.
//!
//! ```sh
//! okta-hooks replay --org acme --since 2026-11-20T00:00:00Z --until 2026-11-21T00:00:00Z \
//!   --type user.lifecycle.create --queue-url "$EVENTS_QUEUE_URL" [--dry-run]
//! ```
//!
//! The window is a *bounded* query (`since` and `until`), so its pages end: every `next`
//! link is followed until a page comes without one (or empty). Each event becomes the same
//! FIFO message the hook's ingest sends (`okta_events::queue_entry`) — dedup id = the event's `uuid`, group = its
//! subject — with `source: "replay"`. Events the hook (or the poller) already delivered
//! are absorbed by the router's ledger, so replaying a window runs no action twice;
//! replaying it again within 5 minutes is even dropped by the queue.
//!
//! The router's ledger forgets an event after `OKTA_HOOKS_LEDGER_TTL_DAYS` (14 unless the
//! stack sets it), so a window that starts before that horizon could run old actions again
//! (re-suspend a user reinstated since): such a window is refused unless `--allow-rerun`
//! is given (`--ledger-ttl-days` names the stack's value; a `--dry-run` only warns).
//!
//! The event types are `--type` (repeatable), else every type the rules of `--rules`
//! handle. The Okta credential is an admin's from `OKTA_*` variables when `OKTA_ORG_URL`
//! is set (scope `okta.logs.read`), else the poller's: the org's `okta-read` secret
//! (Secrets Manager `<prefix><org>/okta-read`), the `okta` section of the single secret of
//! before the split (`<prefix><org>`, with `--legacy-single-secret`), or `--secret-file`
//! (either shape). The window, the credential and the paced page reader are
//! [`super::log_window`]'s, which `rules backtest` shares.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aws_adapters::SqsFifoQueue;
use fifo_queue::{FifoMessage, MAX_BATCH_BYTES, ResendPolicy, send_all};
use okta_events::{EventKey, queue_entry};
use org_secrets::OrgName;
use rules::RuleSet;
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::log_window::{
    LogPages, LogWindowArgs, LogWindowError, Window, okta_client, retention_warning, type_filter,
    window,
};
/// How long the deployed router's ledger remembers a routed event: the router's default for
/// `OKTA_HOOKS_LEDGER_TTL_DAYS` (`router::RouterConfig`), which `infra/template.yaml`
/// leaves unset (a test checks both).
pub const DEFAULT_LEDGER_TTL_DAYS: u16 = 14;

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The org (its name goes on every message), the window and the credential.
    #[command(flatten)]
    window: LogWindowArgs,
    /// An event type to replay (repeat, or separate with commas). Default: every event
    /// type the rules of --rules handle.
    #[arg(long = "type", value_name = "EVENT_TYPE", value_delimiter = ',')]
    types: Vec<String>,
    /// The rules whose event types are replayed when no --type is given.
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// The events queue: the stack's `EventsQueueUrl` output.
    #[arg(
        long,
        env = "OKTA_HOOKS_EVENTS_QUEUE_URL",
        required_unless_present = "dry_run"
    )]
    queue_url: Option<String>,
    /// List the events of the window; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Days the router's ledger remembers a routed event: the stack's
    /// `OKTA_HOOKS_LEDGER_TTL_DAYS`. A window starting before now minus this many days is
    /// refused unless --allow-rerun is given.
    #[arg(
        long,
        env = "OKTA_HOOKS_LEDGER_TTL_DAYS",
        default_value_t = DEFAULT_LEDGER_TTL_DAYS,
        value_parser = clap::value_parser!(u16).range(1..=365)
    )]
    ledger_ttl_days: u16,
    /// Replay a window that starts before the ledger horizon anyway: the router has
    /// forgotten its older events, so their actions run again.
    #[arg(long)]
    allow_rerun: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Window(#[from] LogWindowError),
    #[error("{0}")]
    Event(String),
    #[error("{sent} event(s) sent, then the queue failed: {error}")]
    Queue { sent: usize, error: String },
    #[error(
        "refusing to replay: the window starts at {since}, before the router's ledger horizon \
         {horizon} (now minus --ledger-ttl-days {ttl_days}). The router has forgotten the \
         events before the horizon, so replaying them runs their actions again (a user \
         reinstated since would be suspended again). Start the window at {horizon} or later, \
         give --ledger-ttl-days if the stack's OKTA_HOOKS_LEDGER_TTL_DAYS is not {ttl_days}, \
         or give --allow-rerun to run those actions again knowingly"
    )]
    BeforeLedgerHorizon {
        since: String,
        horizon: String,
        ttl_days: u16,
    },
}

/// Where the router's memory of routed events ends: `now` minus the ledger's TTL, to the
/// second. An event published before it may be forgotten, and so be routed again.
pub fn ledger_horizon(now: OffsetDateTime, ttl_days: u16) -> OffsetDateTime {
    (now - Duration::days(ttl_days.into()))
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(now)
}

/// Whether the window may be replayed given the ledger horizon: `Ok(None)` when it starts
/// at or after the horizon; otherwise the refusal, or with `allow_rerun` (or a dry run,
/// which sends nothing) the same text as a warning to print.
pub fn check_horizon(
    window: &Window,
    now: OffsetDateTime,
    ttl_days: u16,
    allow_rerun: bool,
) -> Result<Option<String>, ReplayError> {
    let horizon = ledger_horizon(now, ttl_days);
    if window.start >= horizon {
        return Ok(None);
    }
    let horizon = horizon
        .format(&Rfc3339)
        .unwrap_or_else(|_| horizon.to_string());
    if allow_rerun {
        Ok(Some(format!(
            "the window starts at {}, before the router's ledger horizon {horizon} (now \
             minus --ledger-ttl-days {ttl_days}): the actions of the events before {horizon} \
             may run again",
            window.since
        )))
    } else {
        Err(ReplayError::BeforeLedgerHorizon {
            since: window.since.clone(),
            horizon,
            ttl_days,
        })
    }
}

/// The FIFO message of one replayed event: the same entry every producer builds
/// ([`okta_events::queue_entry`]: dedup id = `uuid`, group = the subject), with
/// `source: "replay"`. Returns the message and the event type.
pub fn replay_message(
    org: &OrgName,
    entry: usize,
    raw: &RawValue,
) -> Result<(FifoMessage, String), String> {
    let queued = queue_entry(org.as_str(), "replay", None, raw).map_err(|e| {
        let uuid = EventKey::parse(raw)
            .ok()
            .and_then(|k| k.uuid.map(std::borrow::Cow::into_owned))
            .unwrap_or_else(|| "without a uuid".to_owned());
        format!("System Log event {uuid} {e}")
    })?;
    if queued.body.len() > MAX_BATCH_BYTES {
        return Err(format!(
            "event {} is {} bytes on the queue, over SQS's {MAX_BATCH_BYTES}",
            queued.dedup_id,
            queued.body.len()
        ));
    }
    Ok((
        FifoMessage {
            entry_id: format!("r{entry}"),
            dedup_id: queued.dedup_id,
            group_id: queued.group_id,
            body: queued.body,
        },
        queued.event_type,
    ))
}

pub async fn run(args: ReplayArgs) -> Result<(), ReplayError> {
    let org = OrgName::parse(&args.window.credential.org)
        .map_err(|e| ReplayError::Usage(e.to_string()))?;
    let now = OffsetDateTime::now_utc();
    let window = window(&args.window.since, &args.window.until, now)?;
    // Before any credential or queue is touched: a refused window sends nothing.
    if let Some(warning) = check_horizon(
        &window,
        now,
        args.ledger_ttl_days,
        args.allow_rerun || args.dry_run,
    )? {
        let why = if args.allow_rerun {
            "--allow-rerun given"
        } else {
            "a dry run sends nothing"
        };
        eprintln!("warning ({why}): {warning}");
    }
    if let Some(warning) = retention_warning(&window) {
        eprintln!("{warning}");
    }
    let types = event_types(&args)?;
    let filter = type_filter(&types)?;
    let queue = match (&args.queue_url, args.dry_run) {
        (_, true) => None,
        (Some(url), false) => {
            let config = aws_adapters::load_config().await;
            Some(SqsFifoQueue::from_config(&config, url.clone()))
        }
        (None, false) => {
            return Err(ReplayError::Usage(
                "give --queue-url (the stack's EventsQueueUrl output), or --dry-run".to_owned(),
            ));
        }
    };
    let client = okta_client(
        &args.window.credential,
        &org,
        "cli-replay",
        super::login::scopes::LOGS,
    )
    .await?;
    let mut pages = LogPages::log_window(client, &window, filter)?;

    println!(
        "replaying {} .. {} of org {org}: {}",
        window.since,
        window.until,
        types.join(", ")
    );
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0usize;
    while let Some(items) = pages
        .next_page(|wait| {
            eprintln!(
                "waiting {}s: the log API's rate limit is nearly used up",
                wait.as_secs()
            );
        })
        .await?
    {
        let mut messages = Vec::with_capacity(items.len());
        for raw in &items {
            let (message, event_type) =
                replay_message(&org, total + messages.len(), raw).map_err(ReplayError::Event)?;
            if args.dry_run {
                println!(
                    "  {}  {event_type}  group={}",
                    message.dedup_id, message.group_id
                );
            }
            *counts.entry(event_type).or_default() += 1;
            messages.push(message);
        }
        if let Some(queue) = &queue
            && let Err(error) = send_all(queue, &messages, &ResendPolicy::default()).await
        {
            return Err(ReplayError::Queue {
                sent: total + messages.len() - error.failed.len(),
                error: error.to_string(),
            });
        }
        total += messages.len();
    }
    let pages = pages.pages();

    for (event_type, count) in &counts {
        println!("  {count:>6}  {event_type}");
    }
    match (&args.queue_url, args.dry_run) {
        (Some(queue_url), false) => println!(
            "replayed {total} event(s) from {pages} page(s) to {queue_url} (the router's dedup \
             skips those already handled)"
        ),
        _ => println!("dry run: {total} event(s) from {pages} page(s), nothing sent"),
    }
    Ok(())
}

/// `--type`, else every event type of the rules.
fn event_types(args: &ReplayArgs) -> Result<Vec<String>, ReplayError> {
    let types: Vec<String> = if args.types.is_empty() {
        let set = RuleSet::load_dir(&args.rules).map_err(|diagnostics| {
            for diagnostic in &diagnostics {
                eprintln!("{diagnostic}");
            }
            ReplayError::Config(format!(
                "the rules of {} do not load: fix them, or name the event types with --type",
                args.rules.display()
            ))
        })?;
        set.event_types().into_iter().collect()
    } else {
        let mut types = args.types.clone();
        types.sort();
        types.dedup();
        types
    };
    for t in &types {
        if rules::event_types::lookup(t).is_none() {
            eprintln!("warning: {t} is not in Okta's event type catalog");
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_events::NO_SUBJECT_GROUP;

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-11-25T12:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn a_window_before_the_ledger_horizon_is_refused_naming_horizon_start_and_flag() {
        // now() is 2026-11-25T12:00:00Z: 14 days back is 2026-11-11T12:00:00Z.
        let old = window("2026-11-05T00:00:00Z", "2026-11-06T00:00:00Z", now()).unwrap();
        let err = check_horizon(&old, now(), DEFAULT_LEDGER_TTL_DAYS, false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("2026-11-11T12:00:00Z"), "{text}");
        assert!(text.contains("2026-11-05T00:00:00Z"), "{text}");
        assert!(text.contains("--allow-rerun"), "{text}");
        assert!(text.contains("--ledger-ttl-days 14"), "{text}");

        // Allowed, it is a warning with the same dates.
        let warning = check_horizon(&old, now(), DEFAULT_LEDGER_TTL_DAYS, true)
            .unwrap()
            .unwrap();
        assert!(warning.contains("2026-11-11T12:00:00Z"), "{warning}");
        assert!(warning.contains("2026-11-05T00:00:00Z"), "{warning}");
    }

    #[test]
    fn the_horizon_is_inclusive_and_moves_with_the_ledger_ttl() {
        let at = window("2026-11-11T12:00:00Z", "2026-11-12T00:00:00Z", now()).unwrap();
        assert_eq!(check_horizon(&at, now(), 14, false).unwrap(), None);
        let before = window("2026-11-11T11:59:59Z", "2026-11-12T00:00:00Z", now()).unwrap();
        assert!(check_horizon(&before, now(), 14, false).is_err());

        let old = window("2026-11-05T00:00:00Z", "2026-11-06T00:00:00Z", now()).unwrap();
        assert_eq!(check_horizon(&old, now(), 30, false).unwrap(), None);
        let err = check_horizon(&at, now(), 7, false).unwrap_err();
        assert!(err.to_string().contains("2026-11-18T12:00:00Z"), "{err}");
    }

    #[test]
    fn the_default_horizon_is_the_deployed_routers_ledger_ttl() {
        // The router's own default, when the variable is not set (every other variable
        // gets a plausible value, so this does not depend on which ones are required) ...
        let router = router::RouterConfig::from_lookup(|name| match name {
            "OKTA_HOOKS_LEDGER_TTL_DAYS" => None,
            "OKTA_HOOKS_LEGACY_SINGLE_SECRET" => Some("false".to_owned()),
            // Optional ones whose plausible value is not a number: left unset.
            "OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN"
            | "OKTA_HOOKS_REPLY_QUEUE_PATTERN"
            | "OKTA_HOOKS_EVENT_BUS"
            | "OKTA_HOOKS_ORGS"
            | "OKTA_HOOKS_DEFAULT_ORG" => None,
            n if n.contains("URL") => {
                Some(format!("https://sqs.us-east-1.amazonaws.com/1/{n}.fifo"))
            }
            _ => Some("12".to_owned()),
        })
        .unwrap();
        assert_eq!(
            router.ledger_ttl,
            std::time::Duration::from_secs(u64::from(DEFAULT_LEDGER_TTL_DAYS) * 86_400)
        );
        // ... and the template does not set it (were it to, this default must follow).
        let template = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../infra/template.yaml"
        ));
        assert!(
            !template.contains("OKTA_HOOKS_LEDGER_TTL_DAYS"),
            "the template sets OKTA_HOOKS_LEDGER_TTL_DAYS: make DEFAULT_LEDGER_TTL_DAYS its value"
        );
    }

    #[test]
    fn messages_match_ingest_with_source_replay() {
        let org = OrgName::parse("acme").unwrap();
        let raw = RawValue::from_string(
            r#"{"uuid":"u-1","eventType":"user.account.lock","actor":{"id":"a1","type":"User"},
                "target":[{"id":"00u1","type":"User"}],"extra":{"kept":true}}"#
                .to_owned(),
        )
        .unwrap();
        let (message, event_type) = replay_message(&org, 3, &raw).unwrap();
        assert_eq!(event_type, "user.account.lock");
        assert_eq!(message.dedup_id, "u-1");
        assert_eq!(message.group_id, "00u1");
        assert_eq!(message.entry_id, "r3");
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        assert_eq!(body["org"], "acme");
        assert_eq!(body["source"], "replay");
        assert!(body.get("deliveryId").is_none());
        assert_eq!(body["event"]["extra"]["kept"], true);

        let no_subject = RawValue::from_string(r#"{"uuid":"u-2","eventType":"x"}"#.into()).unwrap();
        assert_eq!(
            replay_message(&org, 0, &no_subject).unwrap().0.group_id,
            NO_SUBJECT_GROUP
        );
        let no_uuid = RawValue::from_string(r#"{"eventType":"x"}"#.into()).unwrap();
        assert!(replay_message(&org, 0, &no_uuid).is_err());
    }
}

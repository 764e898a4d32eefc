//! What `okta-hooks replay` and `okta-hooks rules backtest` share: a bounded System Log
//! window (`--since`/`--until`), the Okta credential that reads it, and the reader that
//! pages through it.
//!
//! - The window is RFC 3339, `until` exclusive, at most 90 days (the System Log's
//!   retention): [`window`].
//! - The credential is an admin's from `OKTA_*` variables when `OKTA_ORG_URL` is set
//!   (scope `okta.logs.read`), else the poller's: the org's `okta-read` secret (Secrets
//!   Manager `<prefix><org>/okta-read`), the `okta` section of the single secret of before
//!   the split (`<prefix><org>`, with `--legacy-single-secret`), or `--secret-file` (either
//!   shape): [`okta_client`].
//! - [`LogPages`] (a [`Paced`] list) reads the window oldest first, following every `next` link until a page
//!   comes without one, and holds each call back while Okta's last answer left no more
//!   than a tenth of the log API's rate-limit bucket, so the poller (which reads the same
//!   bucket with the same credential) keeps its share; a `429` is waited out by the
//!   client's [`RetryPolicy::interactive`].

use std::io::IsTerminal;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::Duration;

use aws_adapters::SecretsManagerSource;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use okta_adapters::{CredentialError, okta_config};
use okta_client::endpoints::logs::{LogQuery, LogSortOrder};
use okta_client::{OktaClient, Page, RetryPolicy};
use org_secrets::{
    OktaCredential, OrgName, OrgSecret, SecretError, SecretKind, SecretReads, SecretSource,
};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDuration, OffsetDateTime, UtcOffset};

/// How far back the System Log goes: a longer window cannot be read whole.
pub const RETENTION_DAYS: i64 = 90;
/// Events per System Log page (Okta's maximum).
pub const PAGE_LIMIT: i32 = 1000;
/// The share of the log API's rate-limit bucket left to others (the poller): a call is
/// held back while Okta's last answer left no more than `limit / RESERVE_DIVISOR` calls.
const RESERVE_DIVISOR: u64 = 10;

/// The org and where its credential is read: what `replay`, `rules backtest` and
/// `report` take.
#[derive(clap::Args, Debug, Clone)]
pub struct CredentialArgs {
    /// The org (its credential is the secret <secret-prefix><org>/okta-read).
    #[arg(long, default_value = "default")]
    pub org: String,
    /// Read the Okta credential from this JSON file instead of Secrets Manager: either
    /// shape (its `okta-read`, else its `okta`).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Prefix of the org secrets' names in Secrets Manager.
    #[arg(long, env = "OKTA_HOOKS_SECRET_PREFIX", default_value = "okta-hooks/")]
    pub secret_prefix: String,
    /// Use the org's single secret of before the split, <secret-prefix><org>, as the
    /// functions do with LegacySingleSecret=true.
    #[arg(long, env = "OKTA_HOOKS_LEGACY_SINGLE_SECRET")]
    pub legacy_single_secret: bool,
}

/// The window and the credential that reads it: the arguments `replay` and `rules
/// backtest` both take.
#[derive(clap::Args, Debug, Clone)]
pub struct LogWindowArgs {
    /// The org and its credential.
    #[command(flatten)]
    pub credential: CredentialArgs,
    /// Start of the window, RFC 3339 (e.g. 2026-11-20T00:00:00Z), inclusive.
    #[arg(long)]
    pub since: String,
    /// End of the window, RFC 3339, exclusive. At most 90 days after --since.
    #[arg(long)]
    pub until: String,
}

/// Why a window cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LogWindowError {
    /// The arguments are wrong.
    #[error("{0}")]
    Usage(String),
    /// The credential cannot be found or read.
    #[error("{0}")]
    Config(String),
    /// The credential does not make a client.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// Okta refused or failed.
    #[error("Okta: {0}")]
    Okta(#[from] okta_client::OktaError),
}

/// The validated window, formatted for Okta (UTC, RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub since: String,
    pub until: String,
    /// `since` as a time.
    pub start: OffsetDateTime,
    /// The window starts before the System Log's retention: its oldest events are gone.
    pub beyond_retention: bool,
}

/// Parses and checks `since`/`until`: RFC 3339, `until` after `since`, at most 90 days.
pub fn window(since: &str, until: &str, now: OffsetDateTime) -> Result<Window, LogWindowError> {
    let parse = |flag: &str, value: &str| {
        OffsetDateTime::parse(value.trim(), &Rfc3339).map_err(|e| {
            LogWindowError::Usage(format!(
                "--{flag} {value:?} is not an RFC 3339 time such as 2026-11-20T00:00:00Z ({e})"
            ))
        })
    };
    let start = parse("since", since)?.to_offset(UtcOffset::UTC);
    let end = parse("until", until)?.to_offset(UtcOffset::UTC);
    if end <= start {
        return Err(LogWindowError::Usage(format!(
            "--until ({until}) must be after --since ({since})"
        )));
    }
    if end - start > TimeDuration::days(RETENTION_DAYS) {
        return Err(LogWindowError::Usage(format!(
            "the window {since} .. {until} is longer than {RETENTION_DAYS} days, the System \
             Log's retention: read it in shorter windows"
        )));
    }
    let format = |t: OffsetDateTime| {
        t.format(&Rfc3339)
            .map_err(|e| LogWindowError::Usage(format!("cannot format {t}: {e}")))
    };
    Ok(Window {
        since: format(start)?,
        until: format(end)?,
        start,
        beyond_retention: start < now - TimeDuration::days(RETENTION_DAYS),
    })
}

/// The warning for a window that starts before the System Log's retention, if it does.
pub fn retention_warning(window: &Window) -> Option<String> {
    window.beyond_retention.then(|| {
        format!(
            "warning: --since is more than {RETENTION_DAYS} days ago: the System Log no \
             longer holds the start of the window"
        )
    })
}

/// The System Log filter for these event types: `eventType eq "a" or eventType eq "b"`.
pub fn type_filter(types: &[String]) -> Result<String, LogWindowError> {
    if types.is_empty() {
        return Err(LogWindowError::Usage("no event type to read".to_owned()));
    }
    for t in types {
        let valid = !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid {
            return Err(LogWindowError::Usage(format!(
                "--type {t:?} is not an event type (letters, digits, `.`, `_`, `-`)"
            )));
        }
    }
    Ok(types
        .iter()
        .map(|t| format!("eventType eq \"{t}\""))
        .collect::<Vec<_>>()
        .join(" or "))
}

/// A list read one page at a time, following each `next` link verbatim, each call held
/// back while Okta's last answer left no more than a tenth of the bucket ([`pace`]).
///
/// The cursor (the next page's URL) only moves once a page has been read: a call that
/// fails, or a future dropped mid-call (Ctrl-C), leaves it on the page not yet read, so
/// a caller that stores [`Paced::cursor`] after handling each page resumes without
/// reading a page twice or skipping one.
pub struct Paced<T> {
    client: OktaClient,
    next: Option<Url>,
    pages: usize,
    _item: PhantomData<fn() -> T>,
}

/// The pages of a bounded System Log window, oldest first, as raw events.
pub type LogPages = Paced<Box<RawValue>>;

impl Paced<Box<RawValue>> {
    /// The window's events of the types `filter` names, ascending by `published`. Makes
    /// no call yet.
    pub fn log_window(
        client: OktaClient,
        window: &Window,
        filter: String,
    ) -> Result<Self, LogWindowError> {
        let query = LogQuery {
            since: Some(window.since.clone()),
            until: Some(window.until.clone()),
            filter: Some(filter),
            limit: Some(PAGE_LIMIT),
            sort_order: Some(LogSortOrder::Ascending),
            ..LogQuery::default()
        };
        let first = client.query_logs(&query)?.url().clone();
        Ok(Paced::new(client, first))
    }
}

impl<T: DeserializeOwned> Paced<T> {
    /// The list whose first page is `first` (e.g. a `Paged::url()`). Makes no call yet.
    pub fn new(client: OktaClient, first: Url) -> Self {
        Paced::resume(client, Some(first), 0)
    }

    /// A list read before up to `next` (`None`: it had ended), `pages` pages in.
    pub fn resume(client: OktaClient, next: Option<Url>, pages: usize) -> Self {
        Paced {
            client,
            next,
            pages,
            _item: PhantomData,
        }
    }

    /// Pages read so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// The URL of the next page to read; `None` once the list has ended.
    pub fn cursor(&self) -> Option<&Url> {
        self.next.as_ref()
    }

    /// The next page's items, `None` after the last page. Before the call, waits while
    /// Okta's last answer left no more than a tenth of the bucket (`on_wait` is told how
    /// long, for a progress line).
    pub async fn next_page(
        &mut self,
        on_wait: impl FnMut(Duration),
    ) -> Result<Option<Vec<T>>, LogWindowError> {
        let Some(url) = self.next.clone() else {
            return Ok(None);
        };
        pace(&self.client, on_wait).await;
        let page: Page<T> = self.client.page(url.clone()).await?;
        self.pages += 1;
        // A bounded list ends: no `next`, or (defensively) an empty page or a link that
        // points back at the page just read.
        self.next = match page.next {
            Some(next) if !page.items.is_empty() && next != url => Some(next),
            _ => None,
        };
        Ok(Some(page.items))
    }
}

/// Waits, before a call, while Okta's last answer (of whatever bucket) left no more
/// than a tenth of its limit, so others reading with the same credential keep their
/// share; `on_wait` is told how long first. Right only when one bucket is read at a
/// time (`last_rate_limit` is the last response's).
pub async fn pace(client: &OktaClient, mut on_wait: impl FnMut(Duration)) {
    let reserve = client
        .last_rate_limit()
        .limit
        .map_or(0, |limit| limit / RESERVE_DIVISOR);
    if let Some(wait) = client.headroom_wait(reserve) {
        on_wait(wait);
        tokio::time::sleep(wait).await;
    }
}

/// A spinner with a message, on stderr while a long read runs — drawn only when stderr
/// is a terminal, so a redirected run prints nothing of it.
pub fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The client: `OKTA_*` variables when `OKTA_ORG_URL` is set (an OAuth credential asks
/// for `scopes` unless `OKTA_SCOPES` says otherwise), else the poller's credential
/// (`okta-read`). `user_agent` names the command (`cli-replay`).
pub async fn okta_client(
    args: &CredentialArgs,
    org: &OrgName,
    user_agent: &str,
    scopes: &[&str],
) -> Result<OktaClient, LogWindowError> {
    // `OKTA_*`, else the login saved for `OKTA_ORG_URL` (credentials.rs); without
    // `OKTA_ORG_URL`, the org secret.
    if let Some(config) = super::credentials::config_from_environment(scopes, user_agent)
        .await
        .map_err(|e| LogWindowError::Config(e.to_string()))?
    {
        return Ok(OktaClient::new(config)?);
    }
    let (secret, at) = org_secret(args, org).await?;
    let credential: OktaCredential = secret.okta.ok_or_else(|| {
        LogWindowError::Config(format!(
            "no Okta credential in {at}: set OKTA_ORG_URL and OKTA_API_TOKEN, run `okta-hooks \
             login`, or put the org's read-only credential there (`okta-read`, with okta.logs.read)"
        ))
    })?;
    let mut config = okta_config(&credential, user_agent)?;
    config.retry = RetryPolicy::interactive();
    Ok(OktaClient::new(config)?)
}

/// The Okta credential the poller would use, and where it was read (for messages; never
/// its content): the `okta-read` secret (`<prefix><org>/okta-read`), the single secret of
/// before the split (`<prefix><org>`, whose `okta` serves) with `--legacy-single-secret`,
/// or `--secret-file` (either shape).
async fn org_secret(
    args: &CredentialArgs,
    org: &OrgName,
) -> Result<(OrgSecret, String), LogWindowError> {
    if let Some(file) = &args.secret_file {
        let at = file.display().to_string();
        let secret = crate::secret_file::read_secret_file(file)
            .map_err(|e| e.to_string())
            .and_then(|stored| SecretReads::poller().resolve(&stored))
            .map_err(|reason| LogWindowError::Config(format!("org secret ({at}): {reason}")))?;
        return Ok((secret, at));
    }
    let config = aws_adapters::load_config().await;
    let secrets = org_secrets::SecretsConfig {
        prefix: args.secret_prefix.clone(),
        legacy_single_secret: args.legacy_single_secret,
        ..org_secrets::SecretsConfig::default()
    };
    let source = SecretsManagerSource::from_config(&config, &secrets, SecretReads::poller());
    let at = if args.legacy_single_secret {
        format!("secret {}", source.legacy_secret_id(org))
    } else {
        format!("secret {}", source.secret_id(org, &SecretKind::OktaRead))
    };
    let secret = source.fetch(org).await.map_err(|e| {
        let hint = match (&e, args.legacy_single_secret) {
            (SecretError::NotFound { .. }, false) => {
                " (`okta-hooks secrets split` makes it from the single secret of before the \
                 split; or give --legacy-single-secret to use that one)"
            }
            _ => "",
        };
        LogWindowError::Config(format!("org secret ({at}): {e}{hint}"))
    })?;
    Ok((secret, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-11-25T12:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn windows_are_rfc3339_ordered_and_at_most_90_days() {
        let w = window("2026-11-20T00:00:00Z", "2026-11-21T01:30:00+01:00", now()).unwrap();
        assert_eq!(w.since, "2026-11-20T00:00:00Z");
        assert_eq!(w.until, "2026-11-21T00:30:00Z");
        assert!(!w.beyond_retention);
        assert_eq!(retention_warning(&w), None);

        let err = window("2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z", now()).unwrap_err();
        assert!(err.to_string().contains("must be after"), "{err}");
        let err = window("2026-11-20T00:00:00Z", "2026-11-20T00:00:00Z", now()).unwrap_err();
        assert!(err.to_string().contains("must be after"), "{err}");
        let err = window("2026-08-01T00:00:00Z", "2026-11-01T00:00:00Z", now()).unwrap_err();
        assert!(err.to_string().contains("90 days"), "{err}");
        assert!(window("2026-08-03T00:00:00Z", "2026-11-01T00:00:00Z", now()).is_ok());
        let err = window("2026-11-20", "2026-11-21T00:00:00Z", now()).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");

        let old = window("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", now()).unwrap();
        assert!(old.beyond_retention);
        assert!(retention_warning(&old).is_some());
    }

    #[test]
    fn filters_name_each_type_and_refuse_quotes() {
        assert_eq!(
            type_filter(&["user.lifecycle.create".into(), "user.account.lock".into()]).unwrap(),
            r#"eventType eq "user.lifecycle.create" or eventType eq "user.account.lock""#
        );
        assert!(type_filter(&[r#"x" or eventType ne "y"#.into()]).is_err());
        assert!(type_filter(&[]).is_err());
    }
}

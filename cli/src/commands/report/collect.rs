//! The reads, phase after phase, each a [`Paced`] list (or one call per user for
//! factors) so one rate-limit bucket is read at a time and a tenth of it is left to
//! others; the tally and the cursor go to the checkpoint after each page (at most
//! every two seconds, and at each phase's end), and on any error before it is returned.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use okta_client::endpoints::apps::{ListAppUsersQuery, ListAppsQuery};
use okta_client::endpoints::logs::LogQuery;
use okta_client::endpoints::users::ListUsersQuery;
use okta_client::models::{AppUser, Application, User};
use okta_client::{OktaClient, OktaError};
use reqwest::Url;
use serde_json::Value;
use serde_json::value::RawValue;

use super::ReportError;
use super::aggregate::EVENT_TYPES;
use super::checkpoint::{self, Checkpoint, Phase};
use super::model::FactorsMode;
use crate::commands::log_window::{LogPages, LogWindowError, Paced, Window, pace, type_filter};

/// Users per page (Okta's maximum for the list).
const USERS_LIMIT: i32 = 200;
/// Apps per page.
const APPS_LIMIT: i32 = 200;
/// App users per page (Okta's maximum).
const APP_USERS_LIMIT: i32 = 500;
/// Checkpoints are written at most this often while a phase runs.
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// A run in progress: its client, its state, where that is saved, its progress line.
pub struct Collect {
    pub client: OktaClient,
    pub state: Checkpoint,
    pub path: PathBuf,
    pub window: Window,
    pub mode: FactorsMode,
    pub bar: ProgressBar,
    last_save: Instant,
}

/// What a refusal means for this phase: the scope and what to do.
fn refused(phase: &str, scope: &str, org: &str, error: OktaError) -> ReportError {
    match error.status() {
        Some(401 | 403) => ReportError::Access(format!(
            "the credential cannot read {phase} of {org} ({}{}): grant {scope} and an admin \
             role that reads it, or use an admin's token",
            error.status().unwrap_or_default(),
            error
                .error_code()
                .map(|c| format!(" {c}"))
                .unwrap_or_default()
        )),
        _ => ReportError::Window(LogWindowError::Okta(error)),
    }
}

/// The scope a phase needs, for messages.
fn scope_of(phase: Phase) -> (&'static str, &'static str) {
    match phase {
        Phase::Users | Phase::Deprovisioned => ("the users", "okta.users.read"),
        Phase::Factors => ("the users' factors", "okta.users.read"),
        Phase::Apps | Phase::AppUsers => ("the apps", "okta.apps.read"),
        Phase::Logs => ("the System Log", "okta.logs.read"),
    }
}

fn url(text: &str) -> Result<Url, ReportError> {
    Url::parse(text).map_err(|e| ReportError::Checkpoint(format!("cursor {text:?}: {e}")))
}

impl Collect {
    pub fn new(
        client: OktaClient,
        state: Checkpoint,
        path: PathBuf,
        window: Window,
        mode: FactorsMode,
        bar: ProgressBar,
    ) -> Collect {
        Collect {
            client,
            state,
            path,
            window,
            mode,
            bar,
            last_save: Instant::now(),
        }
    }

    /// Writes the checkpoint now.
    pub fn save(&mut self) -> Result<(), ReportError> {
        self.last_save = Instant::now();
        checkpoint::save(&self.path, &self.state).map_err(|e| {
            ReportError::Checkpoint(format!("cannot write {}: {e}", self.path.display()))
        })
    }

    fn save_soon(&mut self) -> Result<(), ReportError> {
        if self.last_save.elapsed() >= SAVE_EVERY {
            self.save()?;
        }
        Ok(())
    }

    /// Counts a page of the current phase and moves the cursor past it.
    fn page_done(&mut self, cursor: Option<&Url>) -> Result<(), ReportError> {
        *self
            .state
            .pages
            .entry(self.state.phase.name().to_owned())
            .or_default() += 1;
        self.state.cursor = cursor.map(Url::to_string);
        self.save_soon()
    }

    /// Moves to `phase`'s first list and saves.
    fn advance(&mut self, phase: Phase) -> Result<(), ReportError> {
        self.state.phase = phase;
        self.state.index = 0;
        self.state.cursor = None;
        self.save()
    }

    fn message(&self, what: &str) {
        let phase = self.state.phase;
        self.bar.set_message(format!(
            "phase {}/6 {}: {what}",
            phase.number(),
            phase.name()
        ));
    }

    /// Fails fast when the System Log cannot be read, before the long phases.
    pub async fn probe(&self) -> Result<(), ReportError> {
        let query = LogQuery {
            since: Some(self.window.since.clone()),
            until: Some(self.window.until.clone()),
            limit: Some(1),
            ..LogQuery::default()
        };
        let org = self.client.org_url().to_string();
        let first = self.client.query_logs(&query)?.url().clone();
        match self.client.page::<Box<RawValue>>(first).await {
            Ok(_) => Ok(()),
            Err(e) => Err(refused("the System Log", "okta.logs.read", &org, e)),
        }
    }

    /// The paced list of the current phase from its cursor (else `first`).
    fn list<T: serde::de::DeserializeOwned>(&self, first: Url) -> Result<Paced<T>, ReportError> {
        let next = match &self.state.cursor {
            Some(text) => url(text)?,
            None => first,
        };
        Ok(Paced::resume(self.client.clone(), Some(next), 0))
    }

    async fn next<T: serde::de::DeserializeOwned>(
        &mut self,
        pages: &mut Paced<T>,
    ) -> Result<Option<Vec<T>>, ReportError> {
        let bar = self.bar.clone();
        let mut waited = Duration::ZERO;
        let page = pages
            .next_page(|wait| {
                waited = wait;
                bar.set_message(format!(
                    "waiting {} s: the rate limit is nearly used up",
                    wait.as_secs()
                ));
            })
            .await;
        self.state.waited_s += waited.as_secs();
        match page {
            Ok(page) => Ok(page),
            Err(LogWindowError::Okta(e)) => {
                let (what, scope) = scope_of(self.state.phase);
                let org = self.client.org_url().to_string();
                Err(refused(what, scope, &org, e))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every phase from where the state is, to the end.
    pub async fn run(&mut self) -> Result<(), ReportError> {
        if self.state.phase == Phase::Users {
            let first = self
                .client
                .list_users(&ListUsersQuery {
                    limit: Some(USERS_LIMIT),
                    ..ListUsersQuery::default()
                })?
                .url()
                .clone();
            let mut pages = self.list::<User>(first)?;
            while let Some(users) = self.next(&mut pages).await? {
                for user in &users {
                    self.state.tally.user(user);
                }
                self.page_done(pages.cursor())?;
                let seen = self.state.pages.get("users").copied().unwrap_or(0);
                self.message(&format!("{seen} page(s) of users"));
            }
            self.advance(Phase::Deprovisioned)?;
        }
        if self.state.phase == Phase::Deprovisioned {
            let first = self
                .client
                .list_users(&ListUsersQuery {
                    search: Some("status eq \"DEPROVISIONED\"".to_owned()),
                    limit: Some(USERS_LIMIT),
                    ..ListUsersQuery::default()
                })?
                .url()
                .clone();
            let mut pages = self.list::<User>(first)?;
            self.message("searching");
            while let Some(users) = self.next(&mut pages).await? {
                for user in &users {
                    self.state.tally.deprovisioned(user);
                }
                self.page_done(pages.cursor())?;
            }
            self.advance(Phase::Apps)?;
        }
        if self.state.phase == Phase::Apps {
            let first = self
                .client
                .list_apps(&ListAppsQuery {
                    limit: Some(APPS_LIMIT),
                    ..ListAppsQuery::default()
                })?
                .url()
                .clone();
            let mut pages = self.list::<Application>(first)?;
            while let Some(apps) = self.next(&mut pages).await? {
                for app in &apps {
                    self.state.tally.app(app);
                }
                self.page_done(pages.cursor())?;
                self.message(&format!("{} app(s)", self.state.tally.apps.len()));
            }
            self.advance(Phase::AppUsers)?;
        }
        if self.state.phase == Phase::AppUsers {
            let apps = self.state.tally.apps.len();
            while self.state.index < apps {
                let index = self.state.index;
                let id = self.state.tally.apps[index].row.id.clone();
                let first = self
                    .client
                    .list_app_users(
                        &id,
                        &ListAppUsersQuery {
                            limit: Some(APP_USERS_LIMIT),
                            ..ListAppUsersQuery::default()
                        },
                    )?
                    .url()
                    .clone();
                let mut pages = self.list::<AppUser>(first)?;
                while let Some(users) = self.next(&mut pages).await? {
                    for user in &users {
                        self.state.tally.app_user(index, user);
                    }
                    self.page_done(pages.cursor())?;
                    let assigned: usize =
                        self.state.tally.apps.iter().map(|a| a.assigned.len()).sum();
                    self.message(&format!(
                        "{} of {apps} apps, {assigned} assignment(s)",
                        index + 1
                    ));
                }
                self.state.index += 1;
                self.state.cursor = None;
                self.save_soon()?;
            }
            self.advance(Phase::Factors)?;
        }
        if self.state.phase == Phase::Factors {
            let users = self.state.tally.factor_users(self.mode);
            while let Some(id) = users.get(self.state.index) {
                let bar = self.bar.clone();
                let mut waited = Duration::ZERO;
                pace(&self.client, |wait| {
                    waited = wait;
                    bar.set_message(format!(
                        "waiting {} s: the rate limit is nearly used up",
                        wait.as_secs()
                    ));
                })
                .await;
                self.state.waited_s += waited.as_secs();
                match self.client.list_factors(id).await {
                    Ok(reply) => self.state.tally.factors(&reply.value),
                    // Deleted since it was listed: not in the sample any more.
                    Err(e) if e.status() == Some(404) => {}
                    Err(e) => {
                        let org = self.client.org_url().to_string();
                        return Err(refused("the users' factors", "okta.users.read", &org, e));
                    }
                }
                self.state.index += 1;
                self.page_done(None)?;
                self.message(&format!("{} of {} user(s)", self.state.index, users.len()));
            }
            self.advance(Phase::Logs)?;
        }
        if self.state.phase == Phase::Logs {
            let types: Vec<String> = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
            let first =
                LogPages::log_window(self.client.clone(), &self.window, type_filter(&types)?)?
                    .cursor()
                    .cloned()
                    .ok_or_else(|| ReportError::Checkpoint("no first log page".to_owned()))?;
            let mut pages = self.list::<Box<RawValue>>(first)?;
            while let Some(events) = self.next(&mut pages).await? {
                for raw in &events {
                    let event: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                    self.state.tally.event(&event);
                }
                self.page_done(pages.cursor())?;
                let read = self.state.pages.get("logs").copied().unwrap_or(0);
                self.message(&format!("{read} page(s) of events"));
            }
        }
        Ok(())
    }
}

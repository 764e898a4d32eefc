//! A stateful test double of an Okta org, served on loopback.
//!
//! It keeps users (with Okta's lifecycle rules and their risk level), groups,
//! memberships, apps and their users, factors, event hooks and a System Log
//! (`GET /api/v1/logs`, polling and bounded queries); serves the org authorization
//! server's device flow, refresh and revocation (`/oauth2/v1/…`) and accepts the access
//! tokens it issued within their scopes; answers the
//! Management API calls the executors make as Okta does (`403 E0000038` from a wrong
//! status, `E0000016` on activating an active user, `404 E0000007`, `401 E0000011`);
//! keeps rate-limit buckets with `X-Rate-Limit-*` and `Date` headers; and injects
//! scripted faults (`429`, `5xx`, slow answers, a `500` *after* the change was applied).
//! Tests assert outcomes: the org's final state and how many times each change was
//! applied ([`OktaDouble::applied`]), not the shape of the calls.
//!
//! ```no_run
//! # async fn example() {
//! use okta_double::{Fault, OktaDouble, User};
//! let okta = OktaDouble::start().await;
//! okta.add_user(User::active("00u1", "a@example.com"));
//! okta.fault(Fault::after_apply_500("POST", "/api/v1/users/00u1/lifecycle/suspend"));
//! // … point the code under test at okta.org_url() with token okta.token() …
//! assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
//! assert_eq!(okta.applied("suspend", "00u1"), 1);
//! # }
//! ```
//!
//! The same state is controllable over HTTP under `/__double/…` (see the README), and
//! the `okta-double` binary serves it for tests in another process.

mod apps;
mod faults;
mod filter;
pub mod lifecycle;
mod model;
mod oauth;
mod okta_api;
mod org;
mod rate_limit;
mod server;
mod system_log;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use faults::{Fault, FaultKind};
pub use model::{
    App, AppUser, EventHook, Factor, Group, GroupType, Membership, RiskLevel, Seed, Status, User,
    UserRisk,
};
pub use oauth::{DeviceGrantView, DeviceStatus, OAuthClient};
pub use org::{Change, LoggedRequest};
pub use rate_limit::{BucketName, DEFAULT_LIMIT, DEFAULT_WINDOW};
pub use system_log::LogEventError;

use org::Org;

/// The org's content at one moment: what `GET /__double/state` answers. Its seedable
/// lists have the seed's shape, so a snapshot's JSON seeds an equal org.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Users, by id.
    pub users: Vec<User>,
    /// Groups, by id.
    pub groups: Vec<Group>,
    /// Memberships, by group then user.
    pub memberships: Vec<Membership>,
    /// Risk levels set through `PUT …/risk`, by user (users never set: none here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<UserRisk>,
    /// Apps, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<App>,
    /// Assignments, by app then user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_users: Vec<AppUser>,
    /// Factors, by id (ids made up for those seeded without one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<Factor>,
    /// Event hooks, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_hooks: Vec<EventHook>,
    /// OAuth clients, by client id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oauth_clients: Vec<OAuthClient>,
}

struct Shared {
    org: Mutex<Org>,
    token: String,
    base_url: OnceLock<String>,
}

/// The org: state behind a mutex, cheap to clone (clones share the state).
///
/// The methods here are the *control* API: seeding and reading state do not go through
/// the Okta surface, are not rate-limited, logged or faulted, and are never counted as
/// applied changes.
#[derive(Clone)]
pub struct OktaDouble {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for OktaDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaDouble")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Default for OktaDouble {
    fn default() -> Self {
        OktaDouble::new()
    }
}

impl OktaDouble {
    /// The API token an org accepts unless told otherwise (`Authorization: SSWS <token>`).
    pub const DEFAULT_TOKEN: &'static str = "00okta-double-test-token";

    /// An empty org accepting [`OktaDouble::DEFAULT_TOKEN`], not yet served.
    pub fn new() -> OktaDouble {
        OktaDouble::with_token(OktaDouble::DEFAULT_TOKEN)
    }

    /// An empty org accepting this token, not yet served.
    pub fn with_token(token: impl Into<String>) -> OktaDouble {
        OktaDouble {
            shared: Arc::new(Shared {
                org: Mutex::new(Org::default()),
                token: token.into(),
                base_url: OnceLock::new(),
            }),
        }
    }

    /// An empty org with the default token, served on `127.0.0.1` on a port the OS
    /// picks. Stops when the returned handle is dropped.
    ///
    /// # Panics
    /// When no loopback port can be bound — a test cannot go on without one. Use
    /// [`OktaDouble::serve`] to handle the error.
    pub async fn start() -> Running {
        match OktaDouble::new().serve().await {
            Ok(running) => running,
            Err(e) => panic!("okta-double: cannot bind 127.0.0.1:0: {e}"),
        }
    }

    /// Serves this org on `127.0.0.1:0`, on a tokio task.
    pub async fn serve(self) -> std::io::Result<Running> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        self.serve_on(listener)
    }

    /// Serves this org on a bound listener, on a tokio task. The listener's address
    /// becomes the org URL (used in `Link` headers and `_links`).
    pub fn serve_on(self, listener: TcpListener) -> std::io::Result<Running> {
        let addr = listener.local_addr()?;
        let _ = self.shared.base_url.set(format!("http://{addr}"));
        let (tx, rx) = oneshot::channel::<()>();
        let app = self.router();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                eprintln!("okta-double: server stopped: {e}");
            }
        });
        Ok(Running {
            double: self,
            addr,
            shutdown: Some(tx),
        })
    }

    /// The HTTP application (Okta surface and `/__double/…`), for serving it yourself.
    /// Call [`OktaDouble::set_base_url`] first so that links point at your address.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .fallback(server::dispatch)
            .with_state(self.clone())
    }

    /// Sets the org URL used in links, when serving [`OktaDouble::router`] yourself.
    /// Only the first call has an effect.
    pub fn set_base_url(&self, url: impl Into<String>) {
        let _ = self.shared.base_url.set(url.into());
    }

    /// `http://127.0.0.1:PORT` once served.
    pub fn base_url(&self) -> Option<String> {
        self.shared.base_url.get().cloned()
    }

    /// The API token this org accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    pub(crate) fn with_org<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        // A test that panicked while holding the lock must not hide the state from
        // the others: the state is plain data, still consistent between calls.
        let mut org = self
            .shared
            .org
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut org)
    }

    // ------------------------------------------------------------ seeding

    /// Adds (or replaces, by id) a user. Not an applied change.
    pub fn add_user(&self, user: User) -> &Self {
        self.with_org(|org| org.put_user(user));
        self
    }

    /// Adds (or replaces, by id) a group. Not an applied change.
    pub fn add_group(&self, group: Group) -> &Self {
        self.with_org(|org| org.put_group(group));
        self
    }

    /// Makes `user` a member of `group`. Not an applied change.
    pub fn add_member(&self, group: &str, user: &str) -> &Self {
        self.with_org(|org| {
            org.memberships.insert((group.to_owned(), user.to_owned()));
        });
        self
    }

    /// Adds (or replaces, by id) an app.
    pub fn add_app(&self, app: App) -> &Self {
        self.seed(Seed {
            apps: vec![app],
            ..Seed::default()
        })
    }

    /// Assigns a user to an app (or changes the assignment's scope).
    pub fn assign(&self, assignment: AppUser) -> &Self {
        self.seed(Seed {
            app_users: vec![assignment],
            ..Seed::default()
        })
    }

    /// Enrols a factor for its user.
    pub fn add_factor(&self, factor: Factor) -> &Self {
        self.seed(Seed {
            factors: vec![factor],
            ..Seed::default()
        })
    }

    /// Adds (or replaces, by id) an event hook.
    pub fn add_event_hook(&self, hook: EventHook) -> &Self {
        self.seed(Seed {
            event_hooks: vec![hook],
            ..Seed::default()
        })
    }

    /// Adds (or replaces, by client id) an OAuth client of the org authorization server.
    pub fn add_oauth_client(&self, client: OAuthClient) -> &Self {
        self.seed(Seed {
            oauth_clients: vec![client],
            ..Seed::default()
        })
    }

    /// Adds everything a seed holds at once (users, groups, memberships, apps,
    /// assignments, factors, event hooks, OAuth clients).
    pub fn seed(&self, seed: Seed) -> &Self {
        self.with_org(|org| org.seed(seed));
        self
    }

    /// Back to an empty org: no users, groups, System Log, history or faults, default
    /// buckets.
    pub fn reset(&self) {
        self.with_org(Org::reset);
    }

    // ------------------------------------------------------------ System Log

    /// Appends an event to the System Log, which `GET /api/v1/logs` serves. Give the
    /// whole `LogEvent` with its own `uuid` and `published` (RFC 3339); a missing `uuid`
    /// gets a fresh one and a missing `published` the double's current time. The event
    /// is "persisted" now on the double's clock: polling queries return events in the
    /// order they were logged, bounded ones by `published`. Not a change, not a request.
    ///
    /// # Panics
    /// When the event is not a JSON object or its `published` is not RFC 3339 — a test's
    /// own mistake. [`OktaDouble::try_log_event`] returns the error instead.
    pub fn log_event(&self, event: serde_json::Value) -> &Self {
        if let Err(e) = self.try_log_event(event) {
            panic!("okta-double: {e}");
        }
        self
    }

    /// [`OktaDouble::log_event`], returning why an event cannot be logged.
    pub fn try_log_event(&self, event: serde_json::Value) -> Result<(), LogEventError> {
        self.with_org(|org| org.append_log(event))
    }

    /// Every System Log event, in the order logged.
    pub fn log_events(&self) -> Vec<serde_json::Value> {
        self.with_org(|org| org.logs.iter().map(|r| r.event.clone()).collect())
    }

    // ------------------------------------------------------------ reading state

    /// A user by id, as the double keeps it.
    pub fn user(&self, id: &str) -> Option<User> {
        self.with_org(|org| org.users.get(id).map(|r| r.user.clone()))
    }

    /// A user's status (`"SUSPENDED"`), `None` when there is no such user.
    pub fn status(&self, id: &str) -> Option<&'static str> {
        self.with_org(|org| org.users.get(id).map(|r| r.user.status.as_str()))
    }

    /// Whether the user exists (a deleted user does not).
    pub fn exists(&self, id: &str) -> bool {
        self.with_org(|org| org.users.contains_key(id))
    }

    /// A user's risk level as last set through `PUT /api/v1/users/{userId}/risk`, with
    /// its reason; `None` when never set (Okta reads `NONE`) or no such user.
    pub fn risk(&self, id: &str) -> Option<UserRisk> {
        self.with_org(|org| org.users.get(id).and_then(|r| r.risk.clone()))
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Option<Group> {
        self.with_org(|org| org.groups.get(id).map(|g| g.group.clone()))
    }

    /// The user ids in a group, sorted.
    pub fn members(&self, group: &str) -> Vec<String> {
        self.with_org(|org| {
            org.memberships
                .iter()
                .filter(|(g, _)| g == group)
                .map(|(_, u)| u.clone())
                .collect()
        })
    }

    /// The group ids a user is in, sorted.
    pub fn groups_of(&self, user: &str) -> Vec<String> {
        self.with_org(|org| {
            org.memberships
                .iter()
                .filter(|(_, u)| u == user)
                .map(|(g, _)| g.clone())
                .collect()
        })
    }

    /// Whether `user` is in `group`.
    pub fn is_member(&self, group: &str, user: &str) -> bool {
        self.with_org(|org| {
            org.memberships
                .contains(&(group.to_owned(), user.to_owned()))
        })
    }

    /// Everything at once.
    pub fn snapshot(&self) -> Snapshot {
        self.with_org(|org| Snapshot {
            users: org.users.values().map(|r| r.user.clone()).collect(),
            groups: org.groups.values().map(|g| g.group.clone()).collect(),
            memberships: org
                .memberships
                .iter()
                .map(|(g, u)| Membership {
                    group: g.clone(),
                    user: u.clone(),
                })
                .collect(),
            risks: org.users.values().filter_map(|r| r.risk.clone()).collect(),
            apps: org.apps.values().map(|a| a.app.clone()).collect(),
            app_users: org
                .app_users
                .iter()
                .map(|((app, user), a)| AppUser {
                    app: app.clone(),
                    user: user.clone(),
                    scope: a.scope.clone(),
                })
                .collect(),
            factors: org.factors.values().map(|f| f.factor.clone()).collect(),
            event_hooks: org.event_hooks.values().map(|h| h.hook.clone()).collect(),
            oauth_clients: org.oauth.clients.values().cloned().collect(),
        })
    }

    // ------------------------------------------------------------ what happened

    /// How many times `op` (`"suspend"`, `"clear_sessions"`, `"add_to_group"`, … see
    /// [`Change::op`]) was applied to `user`.
    pub fn applied(&self, op: &str, user: &str) -> usize {
        self.with_org(|org| {
            org.changes
                .iter()
                .filter(|c| c.op == op && c.user.as_deref() == Some(user))
                .count()
        })
    }

    /// How many times a membership change (`"add_to_group"`, `"remove_from_group"`)
    /// was applied for `user` in `group`.
    pub fn applied_membership(&self, op: &str, group: &str, user: &str) -> usize {
        self.with_org(|org| {
            org.changes
                .iter()
                .filter(|c| {
                    c.op == op
                        && c.group.as_deref() == Some(group)
                        && c.user.as_deref() == Some(user)
                })
                .count()
        })
    }

    /// How many times `op` was applied, to anyone.
    pub fn applied_total(&self, op: &str) -> usize {
        self.with_org(|org| org.changes.iter().filter(|c| c.op == op).count())
    }

    /// Every applied change, in order.
    pub fn changes(&self) -> Vec<Change> {
        self.with_org(|org| org.changes.clone())
    }

    /// Every call to the Okta surface, in order, with the status it got.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.with_org(|org| org.requests.clone())
    }

    /// How many calls with this method went to a path starting with `path_prefix`.
    pub fn request_count(&self, method: &str, path_prefix: &str) -> usize {
        self.with_org(|org| {
            org.requests
                .iter()
                .filter(|r| {
                    r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix)
                })
                .count()
        })
    }

    // ------------------------------------------------------------ OAuth

    /// Approves the pending device grant with this user code, as the user would at
    /// `/activate`; `false` when no pending grant has it.
    pub fn approve_device(&self, user_code: &str) -> bool {
        self.with_org(|org| org.oauth.decide(user_code, true))
    }

    /// Denies the pending device grant with this user code; `false` when no pending
    /// grant has it.
    pub fn deny_device(&self, user_code: &str) -> bool {
        self.with_org(|org| org.oauth.decide(user_code, false))
    }

    /// Every device grant so far, with its user code, scopes, status and poll count.
    pub fn device_grants(&self) -> Vec<DeviceGrantView> {
        self.with_org(|org| org.oauth.device_grants())
    }

    // ------------------------------------------------------------ faults, limits, clock

    /// Scripts a fault; faults are used in the order they were added.
    pub fn fault(&self, fault: Fault) -> &Self {
        self.with_org(|org| org.faults.push(fault));
        self
    }

    /// Faults not used up yet.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.with_org(|org| org.faults.clone())
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.with_org(|org| org.faults.clear());
    }

    /// Sets a bucket's ceiling and window; its window starts afresh with the next call.
    pub fn set_rate_limit(&self, bucket: BucketName, limit: u64, window: Duration) -> &Self {
        self.with_org(|org| org.buckets.configure(bucket, limit, window));
        self
    }

    /// Moves the double's clock forward (the `Date` header, rate-limit windows and
    /// resets, timestamps): a test waits for a reset without sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.with_org(|org| org.clock_offset += by);
    }
}

/// A served double. Derefs to the [`OktaDouble`]; stops serving when dropped.
#[derive(Debug)]
pub struct Running {
    double: OktaDouble,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The org URL to give an Okta client: the same as [`Running::base_url`].
    pub fn org_url(&self) -> String {
        self.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle on the org that outlives this server handle.
    pub fn double(&self) -> OktaDouble {
        self.double.clone()
    }
}

impl Deref for Running {
    type Target = OktaDouble;

    fn deref(&self) -> &OktaDouble {
        &self.double
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

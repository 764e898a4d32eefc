//! In-memory twins of this crate's adapters, for the local runner and tests (feature
//! `memory`): [`StaticDirectory`] for [`OktaDirectory`](crate::OktaDirectory), and
//! [`FixedOkta`] for [`OktaClients`](crate::OktaClients).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use okta_client::OktaClient;
use org_secrets::OrgName;
use ports::{AccessError, Directory, DirectoryError, OktaAccess};
use serde_json::Value;

/// Users known in advance, by id; any other id is a user that does not exist.
///
/// `down` makes every lookup fail transiently with that reason (Okta unreachable), and
/// [`StaticDirectory::lookups`] counts the lookups asked, so tests can tell that none
/// was made.
#[derive(Default)]
pub struct StaticDirectory {
    /// The users by id, each as Okta's user object (with a `groups` list for lookups
    /// that ask for groups).
    pub users: HashMap<String, Value>,
    /// When set, every lookup fails transiently with this reason.
    pub down: Option<String>,
    lookups: AtomicUsize,
}

impl StaticDirectory {
    /// How many lookups were asked (answered or not).
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Directory for StaticDirectory {
    async fn user(
        &self,
        _org: &OrgName,
        user_id: &str,
        with_groups: bool,
    ) -> Result<Option<Value>, DirectoryError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        if let Some(reason) = &self.down {
            return Err(DirectoryError::transient(reason.clone()));
        }
        let Some(mut user) = self.users.get(user_id).cloned() else {
            return Ok(None);
        };
        if !with_groups && let Some(map) = user.as_object_mut() {
            map.remove("groups");
        }
        Ok(Some(user))
    }
}

/// One client for every org (tests, the local runner): `live` for real runs, `dry` for
/// dry runs.
pub struct FixedOkta {
    /// The client of real runs; `None` refuses them.
    pub live: Option<OktaClient>,
    /// The client of dry runs; `None` refuses them.
    pub dry: Option<OktaClient>,
}

impl OktaAccess for FixedOkta {
    async fn client(&self, org: &OrgName, dry_run: bool) -> Result<OktaClient, AccessError> {
        let client = if dry_run { &self.dry } else { &self.live };
        client.clone().ok_or_else(|| {
            let run = if dry_run { "dry" } else { "live" };
            AccessError::new(format!("no Okta client for org {org} ({run} run)"), false)
        })
    }

    async fn renew(&self, _org: &OrgName) -> bool {
        false
    }
}

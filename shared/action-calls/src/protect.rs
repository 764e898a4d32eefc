//! The executors' re-check of protected users and groups, on rendered parameters.
//!
//! The router refuses plans that touch a protected user or group, but it cannot see
//! values rendered at execution (`steps.<name>.id` of an earlier step), and rules may
//! name protected users by login while steps carry ids. So the executor checks again,
//! with the rendered parameters and, when a touched id is unknown, the login or name
//! Okta gives for it.

use std::collections::BTreeMap;

use okta_client::OktaClient;
use rules::Protection;
use serde_json::{Map, Value};

use crate::error::ExecError;

/// Refuses `action` with these rendered parameters when they touch a protected user or
/// group known by these `aliases` (id → login/name). Pure: no Okta call.
pub fn refuse_protected(
    protection: &Protection,
    action: &str,
    params: &Map<String, Value>,
    aliases: &BTreeMap<String, String>,
) -> Result<(), ExecError> {
    match protection.refuses_action(action, params, aliases) {
        Some(reason) => Err(ExecError::Protected(reason)),
        None => Ok(()),
    }
}

/// [`refuse_protected`], after learning the login (users) or name (groups) of every
/// touched id the aliases do not know yet, with one `GET` each — made only when
/// something of that kind is protected. Returns the request ids of those lookups.
pub async fn recheck_protected(
    client: &OktaClient,
    protection: &Protection,
    action: &str,
    params: &Map<String, Value>,
    aliases: &BTreeMap<String, String>,
) -> Result<Vec<String>, ExecError> {
    // Whatever the lookups say, an already-known protected target is refused first.
    refuse_protected(protection, action, params, aliases)?;
    let touched = rules::touched_by(action, params);
    let known = |v: &str| aliases.contains_key(v) || aliases.values().any(|a| a == v);
    let mut learnt = aliases.clone();
    let mut request_ids = Vec::new();
    if !protection.users().is_empty() {
        for user in touched.users.iter().filter(|u| !known(u)) {
            let r = client.get_user(user).await?;
            request_ids.extend(r.meta.request_id.clone());
            if let (Some(id), Some(login)) = (r.value.id.clone(), r.value.login()) {
                // Either spelling now matches: the id as a key, the login as its alias.
                learnt.insert(id, login.to_owned());
            }
        }
    }
    if !protection.groups().is_empty() {
        for group in touched.groups.iter().filter(|g| !known(g)) {
            let r = client.get_group(group).await?;
            request_ids.extend(r.meta.request_id.clone());
            let name = r
                .value
                .profile
                .as_ref()
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str);
            if let (Some(id), Some(name)) = (r.value.id.clone(), name) {
                learnt.insert(id, name.to_owned());
            }
        }
    }
    refuse_protected(protection, action, params, &learnt)?;
    Ok(request_ids)
}

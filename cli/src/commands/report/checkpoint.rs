//! Where an interrupted report resumes: the tally so far, the phase, and the next page's
//! URL, in one file per (org, `--since` as typed, factor options), written whole
//! (temporary file, then rename) with mode 0600 (it holds user ids and logins).
//!
//! A checkpoint is written only after a page has been counted, so the cursor it holds
//! is always the first page not yet counted: a resumed run reads no page twice and
//! skips none. One older than a day, or made for other options, is not used.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::aggregate::Tally;

/// The checkpoint format; another is not read.
pub const VERSION: u32 = 1;
/// A checkpoint older than this (seconds) is not resumed: the org has moved on.
pub const MAX_AGE_S: i64 = 24 * 3600;

/// The phases, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The user list (every status but DEPROVISIONED).
    Users,
    /// The DEPROVISIONED users (a search).
    Deprovisioned,
    /// The app list.
    Apps,
    /// Each app's users (`index` is the app).
    AppUsers,
    /// Each sampled user's factors (`index` is the user).
    Factors,
    /// The System Log window.
    Logs,
}

impl Phase {
    /// Its name in progress lines and `source.pages_by_phase`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Users => "users",
            Phase::Deprovisioned => "deprovisioned",
            Phase::Apps => "apps",
            Phase::AppUsers => "app_users",
            Phase::Factors => "factors",
            Phase::Logs => "logs",
        }
    }

    /// Its number, 1 to 6.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }
}

/// One run's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    /// [`key`] of the options.
    pub key: String,
    pub org_url: String,
    /// The window, fixed when the run started.
    pub since: String,
    pub until: String,
    /// When the run started (Unix seconds).
    pub started: i64,
    pub phase: Phase,
    /// The app (`AppUsers`) or user (`Factors`) the phase is at.
    pub index: usize,
    /// The next page of the phase (of its `index`-th list); `None`: its first.
    pub cursor: Option<String>,
    /// Pages (or calls) counted per phase.
    pub pages: BTreeMap<String, u64>,
    /// Seconds waited for rate limits.
    pub waited_s: u64,
    pub tally: Tally,
}

/// The options a checkpoint is for, as a short stable hex name (FNV-1a, 64 bits: a
/// file name, not a secret).
pub fn key(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// `OKTA_HOOKS_STATE_DIR`, else `$XDG_STATE_HOME`, else `~/.local/state`, else the
/// temporary directory; then `okta-hooks/report-<host>-<key>.json`.
pub fn default_path(org_url: &str, key: &str) -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = var("OKTA_HOOKS_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_STATE_HOME").map(PathBuf::from))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local").join("state")))
        .unwrap_or_else(std::env::temp_dir);
    let host: String = reqwest::Url::parse(org_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    base.join("okta-hooks")
        .join(format!("report-{host}-{}.json", &key[..8.min(key.len())]))
}

/// The checkpoint at `path` if it is for `key` and younger than a day at `now` (Unix
/// seconds); `Ok(None)` when there is none to resume (missing, other options, too old,
/// or unreadable: the reason is returned beside it for a message).
pub fn load(path: &Path, key: &str, now: i64) -> (Option<Checkpoint>, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (None, None),
        Err(e) => return (None, Some(format!("cannot read {}: {e}", path.display()))),
    };
    let checkpoint: Checkpoint = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            return (
                None,
                Some(format!(
                    "{} does not read ({e}): starting over",
                    path.display()
                )),
            );
        }
    };
    if checkpoint.version != VERSION || checkpoint.key != key {
        return (
            None,
            Some(format!(
                "{} is for other options: starting over",
                path.display()
            )),
        );
    }
    if now - checkpoint.started > MAX_AGE_S {
        return (
            None,
            Some(format!(
                "{} is more than a day old: starting over",
                path.display()
            )),
        );
    }
    (Some(checkpoint), None)
}

/// Writes `checkpoint` to `path` whole: a temporary file beside it (mode 0600), then a
/// rename, so a crash leaves the old checkpoint or the new one, never half of one.
pub fn save(path: &Path, checkpoint: &Checkpoint) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let text = serde_json::to_vec(checkpoint).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(&text)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Removes the checkpoint once the report is out; a missing one is fine.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    fn checkpoint(key: &str, started: i64) -> Checkpoint {
        let at = |t| OffsetDateTime::parse(t, &Rfc3339).unwrap();
        Checkpoint {
            version: VERSION,
            key: key.to_owned(),
            org_url: "https://acme.okta.com".into(),
            since: "2026-11-01T00:00:00Z".into(),
            until: "2026-12-01T00:00:00Z".into(),
            started,
            phase: Phase::AppUsers,
            index: 3,
            cursor: Some("https://acme.okta.com/api/v1/apps/0oa3/users?after=x".into()),
            pages: [("users".to_owned(), 2)].into_iter().collect(),
            waited_s: 0,
            tally: Tally::new(
                at("2026-11-01T00:00:00Z"),
                at("2026-12-01T00:00:00Z"),
                10,
                1,
            ),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("okta-hooks-cp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_saved_checkpoint_loads_back_for_the_same_options_only() {
        let dir = temp_dir("same");
        let path = dir.join("okta-hooks").join("report.json");
        let cp = checkpoint("k1", 1_000);
        save(&path, &cp).unwrap();
        assert_eq!(load(&path, "k1", 2_000), (Some(cp), None));
        let (other, why) = load(&path, "k2", 2_000);
        assert!(other.is_none() && why.unwrap().contains("other options"));
        let (old, why) = load(&path, "k1", 1_000 + MAX_AGE_S + 1);
        assert!(old.is_none() && why.unwrap().contains("a day old"));
        assert_eq!(load(&dir.join("none.json"), "k1", 0), (None, None));
        remove(&path).unwrap();
        remove(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn the_checkpoint_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_dir("mode");
        let path = dir.join("okta-hooks").join("report.json");
        save(&path, &checkpoint("k", 0)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o077, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn keys_differ_by_any_option_and_paths_name_the_host() {
        let a = key(&["https://acme.okta.com", "30d", "sample", "200", "0"]);
        assert_eq!(a.len(), 16);
        assert_ne!(
            a,
            key(&["https://acme.okta.com", "30d", "sample", "200", "1"])
        );
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        let path = default_path("https://acme.okta.com", &a);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(name, format!("report-acme.okta.com-{}.json", &a[..8]));
    }
}

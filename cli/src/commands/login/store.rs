//! Where `okta-hooks login` keeps a login: one record per org origin, in the OS keyring
//! when one is usable, else in a file only the user can read.
//!
//! - [`KeyringStore`]: the `keyring` crate (Keychain, Credential Manager, or the Secret
//!   Service over D-Bus), entry `okta-hooks` / `<origin>`, value the record's JSON. Its
//!   calls block (D-Bus round trips): async callers go through `spawn_blocking`.
//! - [`FileStore`]: `logins.json` (origin → record) in `$OKTA_HOOKS_CONFIG_DIR`, else
//!   `<config dir>/okta-hooks` (`$XDG_CONFIG_HOME` or `~/.config` on Linux). The
//!   directory is made 0700, the file written whole (temporary file, then rename) with
//!   mode 0600; a file that group or others can read is refused, as ssh refuses a key.
//! - [`TokenStore`]: the choice, `OKTA_HOOKS_TOKEN_STORE=auto|keyring|file` (default
//!   `auto`: the keyring when a write there reads back, else the file). Reads look in the
//!   keyring, then the file.
//!
//! Tokens are [`SecretString`]s in memory; the JSON text exists only while it is read
//! or written. No message here carries a token.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use okta_client::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The keyring service name of every entry.
const SERVICE: &str = "okta-hooks";
/// The record format.
const VERSION: u32 = 1;

/// One login: whose, which app, what Okta granted, and the tokens.
#[derive(Debug, Clone)]
pub struct StoredLogin {
    /// The org's origin, `https://acme.okta.com` (the key).
    pub org_url: String,
    /// The native app's client id.
    pub client_id: String,
    /// The scopes Okta granted.
    pub scopes: Vec<String>,
    /// The last access token, while it lasts.
    pub access_token: Option<SecretString>,
    /// When it expires.
    pub access_expires_at: Option<SystemTime>,
    /// The refresh token (rotated ones replace it).
    pub refresh_token: SecretString,
    /// When this record was written.
    pub saved_at: SystemTime,
}

/// The record on disk or in the keyring. Plain strings only for the moment of
/// (de)serialising; [`StoredLogin`] holds the tokens.
#[derive(Serialize, Deserialize)]
struct Record {
    version: u32,
    org_url: String,
    client_id: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    access_token: Option<String>,
    /// Seconds since the epoch.
    #[serde(default)]
    access_expires_at: Option<u64>,
    refresh_token: String,
    #[serde(default)]
    saved_at: u64,
}

fn epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn from_epoch(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

impl From<&StoredLogin> for Record {
    fn from(l: &StoredLogin) -> Self {
        Record {
            version: VERSION,
            org_url: l.org_url.clone(),
            client_id: l.client_id.clone(),
            scopes: l.scopes.clone(),
            access_token: l
                .access_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            access_expires_at: l.access_expires_at.map(epoch),
            refresh_token: l.refresh_token.expose_secret().to_owned(),
            saved_at: epoch(l.saved_at),
        }
    }
}

impl From<Record> for StoredLogin {
    fn from(r: Record) -> Self {
        StoredLogin {
            org_url: r.org_url,
            client_id: r.client_id,
            scopes: r.scopes,
            access_token: r.access_token.map(SecretString::from),
            access_expires_at: r.access_expires_at.map(from_epoch),
            refresh_token: SecretString::from(r.refresh_token),
            saved_at: from_epoch(r.saved_at),
        }
    }
}

/// Why the store could not be read or written. Never carries a token.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error(
        "{path} can be read by others (mode {mode:o}): run `chmod 600 {path}` (it holds refresh tokens)"
    )]
    Permissions { path: String, mode: u32 },
    #[error("OS keyring: {0}")]
    Keyring(String),
    #[error("{0}")]
    Config(String),
}

/// A place that keeps logins by org origin.
pub trait LoginStore: Send + Sync {
    /// The login for `origin`, if any.
    fn get(&self, origin: &str) -> Result<Option<StoredLogin>, StoreError>;
    /// Saves (replaces) the login of `login.org_url`.
    fn put(&self, login: &StoredLogin) -> Result<(), StoreError>;
    /// Forgets the login for `origin`; true when there was one.
    fn delete(&self, origin: &str) -> Result<bool, StoreError>;
    /// Where it is, for messages.
    fn describe(&self) -> String;
}

/// The OS keyring (see the module doc).
pub struct KeyringStore;

impl KeyringStore {
    /// The keyring, when this host has a usable one (a session bus and a Secret Service
    /// on Linux); the reason otherwise.
    pub fn open() -> Result<Self, StoreError> {
        match keyring::Entry::store_status() {
            Ok(()) => Ok(KeyringStore),
            Err(e) => Err(StoreError::Keyring(e.to_string())),
        }
    }

    fn entry(origin: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(SERVICE, origin).map_err(|e| StoreError::Keyring(e.to_string()))
    }
}

impl LoginStore for KeyringStore {
    fn get(&self, origin: &str) -> Result<Option<StoredLogin>, StoreError> {
        match Self::entry(origin)?.get_password() {
            Ok(json) => serde_json::from_str::<Record>(&json)
                .map(|r| Some(r.into()))
                .map_err(|e| {
                    StoreError::Keyring(format!("entry {SERVICE}/{origin} is not a login: {e}"))
                }),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(StoreError::Keyring(e.to_string())),
        }
    }

    fn put(&self, login: &StoredLogin) -> Result<(), StoreError> {
        let json = serde_json::to_string(&Record::from(login))
            .map_err(|e| StoreError::Keyring(e.to_string()))?;
        Self::entry(&login.org_url)?
            .set_password(&json)
            .map_err(|e| StoreError::Keyring(e.to_string()))
    }

    fn delete(&self, origin: &str) -> Result<bool, StoreError> {
        match Self::entry(origin)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(StoreError::Keyring(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        format!("the OS keyring (service {SERVICE})")
    }
}

/// `logins.json`, mode 0600 (see the module doc).
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The file in `dir` (made on the first write).
    pub fn in_dir(dir: &Path) -> Self {
        FileStore {
            path: dir.join("logins.json"),
        }
    }

    /// `$OKTA_HOOKS_CONFIG_DIR/logins.json`, else `<config dir>/okta-hooks/logins.json`.
    pub fn default_location() -> Result<Self, StoreError> {
        if let Some(dir) = std::env::var_os("OKTA_HOOKS_CONFIG_DIR").filter(|d| !d.is_empty()) {
            return Ok(Self::in_dir(Path::new(&dir)));
        }
        let base = dirs::config_dir().ok_or_else(|| {
            StoreError::Config(
                "no config directory (set XDG_CONFIG_HOME or HOME, or OKTA_HOOKS_CONFIG_DIR)"
                    .into(),
            )
        })?;
        Ok(Self::in_dir(&base.join("okta-hooks")))
    }

    /// The file's path.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl std::fmt::Display) -> StoreError {
        StoreError::File {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    fn read_all(&self) -> Result<BTreeMap<String, Record>, StoreError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.error(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file
                .metadata()
                .map_err(|e| self.error(e))?
                .permissions()
                .mode()
                & 0o777;
            if mode & 0o077 != 0 {
                return Err(StoreError::Permissions {
                    path: self.path.display().to_string(),
                    mode,
                });
            }
        }
        serde_json::from_reader(std::io::BufReader::new(file))
            .map_err(|e| self.error(format!("not a logins file: {e}")))
    }

    fn write_all(&self, all: &BTreeMap<String, Record>) -> Result<(), StoreError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| self.error("no parent directory"))?;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(|e| self.error(e))?;
        let json = serde_json::to_vec_pretty(all).map_err(|e| self.error(e))?;
        let tmp = dir.join(format!(".logins.json.{}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options.open(&tmp).and_then(|mut f| {
            f.write_all(&json)?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &self.path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.error(e));
        }
        Ok(())
    }
}

impl LoginStore for FileStore {
    fn get(&self, origin: &str) -> Result<Option<StoredLogin>, StoreError> {
        Ok(self.read_all()?.remove(origin).map(StoredLogin::from))
    }

    fn put(&self, login: &StoredLogin) -> Result<(), StoreError> {
        let mut all = self.read_all()?;
        all.insert(login.org_url.clone(), Record::from(login));
        self.write_all(&all)
    }

    fn delete(&self, origin: &str) -> Result<bool, StoreError> {
        let mut all = self.read_all()?;
        let had = all.remove(origin).is_some();
        if had {
            self.write_all(&all)?;
        }
        Ok(had)
    }

    fn describe(&self) -> String {
        format!("{} (mode 0600)", self.path.display())
    }
}

/// Which store `OKTA_HOOKS_TOKEN_STORE` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The keyring when usable, else the file.
    Auto,
    /// The keyring only (an error when there is none).
    Keyring,
    /// The file only.
    File,
}

impl Mode {
    /// From `OKTA_HOOKS_TOKEN_STORE` (unset or empty: `auto`).
    pub fn from_env() -> Result<Self, StoreError> {
        match std::env::var("OKTA_HOOKS_TOKEN_STORE")
            .unwrap_or_default()
            .trim()
        {
            "" | "auto" => Ok(Mode::Auto),
            "keyring" => Ok(Mode::Keyring),
            "file" => Ok(Mode::File),
            other => Err(StoreError::Config(format!(
                "OKTA_HOOKS_TOKEN_STORE={other}: use auto, keyring or file"
            ))),
        }
    }
}

/// The logins, wherever `OKTA_HOOKS_TOKEN_STORE` says they are (see the module doc).
pub struct TokenStore {
    mode: Mode,
    keyring: Option<Box<dyn LoginStore>>,
    file: Box<dyn LoginStore>,
}

impl TokenStore {
    /// From the environment. Blocks (it may open the keyring): call it from
    /// `spawn_blocking` in async code.
    pub fn open() -> Result<Self, StoreError> {
        let mode = Mode::from_env()?;
        let file: Box<dyn LoginStore> = Box::new(FileStore::default_location()?);
        let keyring: Option<Box<dyn LoginStore>> = match mode {
            Mode::File => None,
            Mode::Keyring => Some(Box::new(KeyringStore::open()?)),
            Mode::Auto => match KeyringStore::open() {
                Ok(k) => Some(Box::new(k)),
                Err(e) => {
                    tracing::debug!(reason = %e, "no usable OS keyring: logins are kept in a file");
                    None
                }
            },
        };
        Ok(Self::with(mode, keyring, file))
    }

    /// From given stores (tests).
    pub fn with(
        mode: Mode,
        keyring: Option<Box<dyn LoginStore>>,
        file: Box<dyn LoginStore>,
    ) -> Self {
        TokenStore {
            mode,
            keyring,
            file,
        }
    }

    /// The login for `origin`: the keyring's, else the file's.
    pub fn get(&self, origin: &str) -> Result<Option<StoredLogin>, StoreError> {
        if let Some(k) = &self.keyring {
            match k.get(origin) {
                Ok(Some(l)) => return Ok(Some(l)),
                Ok(None) => {}
                Err(e) if self.mode == Mode::Auto => {
                    tracing::debug!(reason = %e, "the OS keyring could not be read");
                }
                Err(e) => return Err(e),
            }
        }
        if self.mode == Mode::Keyring {
            return Ok(None);
        }
        self.file.get(origin)
    }

    /// Saves `login` and says where: in `auto`, the keyring when the write reads back
    /// (the file's copy of that org, if any, is then removed), else the file.
    pub fn put(&self, login: &StoredLogin) -> Result<String, StoreError> {
        if let Some(k) = &self.keyring {
            let stored = k.put(login).and_then(|()| k.get(&login.org_url));
            match stored {
                Ok(Some(back))
                    if back.refresh_token.expose_secret()
                        == login.refresh_token.expose_secret() =>
                {
                    if self.mode == Mode::Auto
                        && let Err(e) = self.file.delete(&login.org_url)
                    {
                        tracing::debug!(reason = %e, "could not remove the file's older copy");
                    }
                    return Ok(k.describe());
                }
                Ok(_) if self.mode == Mode::Keyring => {
                    return Err(StoreError::Keyring(
                        "the login did not read back from the keyring".into(),
                    ));
                }
                Err(e) if self.mode == Mode::Keyring => return Err(e),
                Ok(_) => tracing::debug!("the keyring did not read back; using the file"),
                Err(e) => tracing::debug!(reason = %e, "the keyring refused; using the file"),
            }
        }
        if self.mode == Mode::Keyring {
            return Err(StoreError::Keyring("no usable OS keyring".into()));
        }
        self.file.put(login)?;
        Ok(self.file.describe())
    }

    /// Forgets the login for `origin` everywhere; the places it was in.
    pub fn delete(&self, origin: &str) -> Result<Vec<String>, StoreError> {
        let mut from = Vec::new();
        if let Some(k) = &self.keyring
            && k.delete(origin)?
        {
            from.push(k.describe());
        }
        if self.mode != Mode::Keyring && self.file.delete(origin)? {
            from.push(self.file.describe());
        }
        Ok(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!(
            "okta-hooks-store-{}",
            uuid::Uuid::new_v4().simple()
        ))
    }

    fn login(origin: &str, refresh: &str) -> StoredLogin {
        StoredLogin {
            org_url: origin.into(),
            client_id: "0oa-cli".into(),
            scopes: vec!["okta.eventHooks.read".into()],
            access_token: Some(SecretString::from("at-1")),
            access_expires_at: Some(from_epoch(2_000_000_000)),
            refresh_token: SecretString::from(refresh.to_owned()),
            saved_at: from_epoch(1_900_000_000),
        }
    }

    #[test]
    fn the_file_store_round_trips_logins_per_origin_in_a_0600_file_in_a_0700_dir() {
        let dir = temp_dir().join("nested");
        let store = FileStore::in_dir(&dir);
        assert!(store.get("https://a.okta.com").unwrap().is_none());
        store.put(&login("https://a.okta.com", "rt-a")).unwrap();
        store.put(&login("https://b.okta.com", "rt-b")).unwrap();
        let a = store.get("https://a.okta.com").unwrap().unwrap();
        assert_eq!(a.refresh_token.expose_secret(), "rt-a");
        assert_eq!(a.access_expires_at, Some(from_epoch(2_000_000_000)));
        assert_eq!(a.scopes, ["okta.eventHooks.read"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.path()), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        assert!(store.delete("https://a.okta.com").unwrap());
        assert!(!store.delete("https://a.okta.com").unwrap());
        assert!(store.get("https://b.okta.com").unwrap().is_some());
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_logins_file_others_can_read_is_refused_with_the_chmod_to_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let store = FileStore::in_dir(&dir);
        store.put(&login("https://a.okta.com", "rt-a")).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.get("https://a.okta.com").unwrap_err();
        assert!(
            matches!(err, StoreError::Permissions { mode: 0o644, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_stored_login_debug_prints_no_token() {
        let text = format!("{:?}", login("https://a.okta.com", "rt-SECRET"));
        assert!(
            !text.contains("rt-SECRET") && !text.contains("at-1"),
            "{text}"
        );
    }

    /// A keyring in memory; `broken` refuses every call.
    #[derive(Default)]
    struct FakeKeyring {
        entries: Mutex<BTreeMap<String, StoredLogin>>,
        broken: bool,
    }

    impl LoginStore for FakeKeyring {
        fn get(&self, origin: &str) -> Result<Option<StoredLogin>, StoreError> {
            if self.broken {
                return Err(StoreError::Keyring("locked".into()));
            }
            Ok(self.entries.lock().unwrap().get(origin).cloned())
        }
        fn put(&self, login: &StoredLogin) -> Result<(), StoreError> {
            if self.broken {
                return Err(StoreError::Keyring("locked".into()));
            }
            self.entries
                .lock()
                .unwrap()
                .insert(login.org_url.clone(), login.clone());
            Ok(())
        }
        fn delete(&self, origin: &str) -> Result<bool, StoreError> {
            Ok(self.entries.lock().unwrap().remove(origin).is_some())
        }
        fn describe(&self) -> String {
            "fake keyring".into()
        }
    }

    #[test]
    fn auto_saves_in_a_working_keyring_and_reads_it_back_from_there() {
        let dir = temp_dir();
        let store = TokenStore::with(
            Mode::Auto,
            Some(Box::new(FakeKeyring::default())),
            Box::new(FileStore::in_dir(&dir)),
        );
        assert_eq!(
            store.put(&login("https://a.okta.com", "rt-a")).unwrap(),
            "fake keyring"
        );
        assert!(!dir.join("logins.json").exists(), "nothing in the file");
        let back = store.get("https://a.okta.com").unwrap().unwrap();
        assert_eq!(back.refresh_token.expose_secret(), "rt-a");
        assert_eq!(
            store.delete("https://a.okta.com").unwrap(),
            ["fake keyring"]
        );
    }

    #[test]
    fn auto_falls_back_to_the_file_when_the_keyring_refuses() {
        let dir = temp_dir();
        let store = TokenStore::with(
            Mode::Auto,
            Some(Box::new(FakeKeyring {
                broken: true,
                ..FakeKeyring::default()
            })),
            Box::new(FileStore::in_dir(&dir)),
        );
        let at = store.put(&login("https://a.okta.com", "rt-a")).unwrap();
        assert!(at.contains("logins.json"), "{at}");
        let back = store.get("https://a.okta.com").unwrap().unwrap();
        assert_eq!(back.refresh_token.expose_secret(), "rt-a");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn keyring_mode_fails_instead_of_writing_a_file() {
        let dir = temp_dir();
        let store = TokenStore::with(
            Mode::Keyring,
            Some(Box::new(FakeKeyring {
                broken: true,
                ..FakeKeyring::default()
            })),
            Box::new(FileStore::in_dir(&dir)),
        );
        assert!(store.put(&login("https://a.okta.com", "rt-a")).is_err());
        assert!(!dir.join("logins.json").exists());
    }
}

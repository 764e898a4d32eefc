//! Where the commands read an org's secrets outside a function:
//!
//! - `--secret-file`: a local JSON file of the org's secrets, in either shape
//!   ([`StoredSecrets::from_json`]), read the same way by every command that takes one
//!   (`secrets split`, `secrets plan-key`, `dev`, `hook`, `replay`), so each warns of the
//!   same ignored keys and fails with the same reasons;
//! - Secrets Manager by id ([`id_source`]), for the commands that read and write whole
//!   secrets themselves (`secrets split`, `secrets plan-key`, `hook`).

use std::path::Path;

use aws_adapters::SecretsManagerSource;
use org_secrets::{SecretReads, SecretsConfig, StoredSecrets};

/// A Secrets Manager source for the split secrets under `prefix` (`<prefix><org>/<kind>`,
/// the single `<prefix><org>`), with a client from the SDK's standard configuration
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, …). For a command that reads and
/// writes secrets by id (`secret_id`, `legacy_secret_id`, `read_raw`, `write_raw`,
/// `put_or_create`): its own fetch is never used, so it is given the narrowest reads
/// (the hook receiver's) and no legacy mode, whose cold-start warning would not apply.
pub(crate) async fn id_source(prefix: &str) -> SecretsManagerSource {
    id_source_with(&aws_adapters::load_config().await, prefix)
}

/// [`id_source`] with the AWS configuration given.
fn id_source_with(aws: &aws_config::SdkConfig, prefix: &str) -> SecretsManagerSource {
    let config = SecretsConfig {
        prefix: prefix.to_owned(),
        ..SecretsConfig::default()
    };
    SecretsManagerSource::from_config(aws, &config, SecretReads::hook_receiver())
}

/// Why a secret file could not be used. The reasons name a position, never a value;
/// callers add the file's name.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretFileError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{0}")]
    Read(#[source] std::io::Error),
    /// The file is not an org secret file ([`StoredSecrets::from_json`]'s reason).
    #[error("{0}")]
    Malformed(String),
}

/// `text` as stored secrets of either shape, after printing to stderr the warning for
/// keys that name no kind, naming `at` (a file, or `secret <id>`): a typo such as
/// `okta_read` otherwise leaves a credential silently unused. The error is
/// [`StoredSecrets::from_json`]'s reason.
pub(crate) fn parse_stored(text: &str, at: &str) -> Result<StoredSecrets, String> {
    let stored = StoredSecrets::from_json(text)?;
    crate::commands::secrets::warn_ignored_keys(at, &stored);
    Ok(stored)
}

/// The secret file at `path`, as stored secrets of either shape ([`parse_stored`]: the
/// ignored-keys warning names the path as given).
pub(crate) fn read_secret_file(path: &Path) -> Result<StoredSecrets, SecretFileError> {
    read_secret_file_text(path).map(|(_, stored)| stored)
}

/// [`read_secret_file`], with the file's text as read, for a command that edits the
/// file in place and must keep what [`StoredSecrets`] drops (comments, unknown fields).
pub(crate) fn read_secret_file_text(
    path: &Path,
) -> Result<(String, StoredSecrets), SecretFileError> {
    let text = std::fs::read_to_string(path).map_err(SecretFileError::Read)?;
    let stored =
        parse_stored(&text, &path.display().to_string()).map_err(SecretFileError::Malformed)?;
    Ok((text, stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use org_secrets::SecretKind;

    /// A directory of its own under the system's temporary directory, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!(
                "okta-hooks-secret-file-{}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir(&dir).unwrap();
            TempDir(dir)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn an_id_source_names_secrets_under_its_prefix_and_reads_only_hook() {
        let aws = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let org = org_secrets::OrgName::parse("acme").unwrap();
        let source = id_source_with(&aws, "team/");
        assert_eq!(source.secret_id(&org, &SecretKind::Hook), "team/acme/hook");
        assert_eq!(
            source.secret_id(&org, &SecretKind::OktaRead),
            "team/acme/okta-read"
        );
        assert_eq!(source.legacy_secret_id(&org), "team/acme");
        assert_eq!(source.reads(), &SecretReads::hook_receiver());
    }

    #[test]
    fn a_file_of_either_shape_reads_as_stored_secrets_with_its_text() {
        let dir = TempDir::new();
        let path = dir.path().join("secrets.json");
        let text = r#"{"_comment": "kept", "hook": {"current": "hook-value"},
                       "okta": {"org_url": "https://acme.okta.com", "api_token": "t"}}"#;
        std::fs::write(&path, text).unwrap();
        let (read, stored) = read_secret_file_text(&path).unwrap();
        assert_eq!(read, text);
        assert!(stored.get(&SecretKind::Hook).is_some());
        assert!(stored.is_single_shape());
        let again = read_secret_file(&path).unwrap();
        assert!(again.get(&SecretKind::Okta).is_some());
        assert!(again.get(&SecretKind::OktaRead).is_none());
    }

    #[test]
    fn a_missing_file_is_a_read_error_and_bad_json_a_malformed_one_naming_no_value() {
        let dir = TempDir::new();
        let missing = dir.path().join("absent.json");
        let err = read_secret_file(&missing).unwrap_err();
        assert!(
            matches!(&err, SecretFileError::Read(e) if e.kind() == std::io::ErrorKind::NotFound),
            "{err:?}"
        );
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"hook": {"current": "sekrit-value""#).unwrap();
        let err = read_secret_file(&bad).unwrap_err();
        assert!(matches!(err, SecretFileError::Malformed(_)), "{err:?}");
        assert!(!err.to_string().contains("sekrit"), "{err}");
        assert_eq!(
            err.to_string(),
            StoredSecrets::from_json(r#"{"hook": {"current": "sekrit-value""#).unwrap_err()
        );
    }
}

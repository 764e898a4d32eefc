//! Function configuration comes from environment variables set by the SAM template and is
//! checked once, at cold start. Every reader takes a `lookup` function so tests need not
//! touch the process environment, and every error names the variable.

use std::ops::RangeInclusive;
use std::time::Duration;

/// A variable is missing or set to something unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {var}: {reason}")]
pub struct ConfigError {
    /// The variable's name, as the SAM template spells it.
    pub var: &'static str,
    /// What is wrong with it, phrased to follow the name (`is required (…)`).
    pub reason: String,
}

/// `OKTA_HOOKS_MAX_RECEIVE_COUNT`, required: the redrive `maxReceiveCount` of the queue
/// the function reads (1 to 1000, SQS's bounds), so that its last delivery can be given
/// up with a letter that says why instead of being moved to the DLQ unexplained.
pub fn max_receive_count(lookup: &impl Fn(&str) -> Option<String>) -> Result<u32, ConfigError> {
    const VAR: &str = "OKTA_HOOKS_MAX_RECEIVE_COUNT";
    let count = number(lookup, VAR, 1..=1000)?.ok_or_else(|| ConfigError {
        var: VAR,
        reason: "is required (the queue's redrive maxReceiveCount)".to_owned(),
    })?;
    Ok(u32::try_from(count).unwrap_or(1000))
}

/// `OKTA_HOOKS_BACKOFF_CAP_SECS` (the template's `BackoffCapSeconds`; default 900, a
/// quarter hour): the longest wait between queue-driven retries of a failing message,
/// 1 s to 12 h (SQS's longest visibility timeout, which holds the message back). Short
/// caps are for the local stack's tests.
pub fn backoff_cap(lookup: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    let secs = number(lookup, "OKTA_HOOKS_BACKOFF_CAP_SECS", 1..=43_200)?.unwrap_or(900);
    Ok(Duration::from_secs(secs))
}

/// The process environment as a lookup.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A variable that must be set; `what` says what it is for.
pub fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    what: &str,
) -> Result<String, ConfigError> {
    lookup(var).ok_or_else(|| ConfigError {
        var,
        reason: format!("is required ({what})"),
    })
}

/// A whole number within `range`, or `None` when unset.
pub fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    range: RangeInclusive<u64>,
) -> Result<Option<u64>, ConfigError> {
    let Some(text) = lookup(var) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(ConfigError {
            var,
            reason: format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// A number of seconds up to a day, or `None` when unset.
pub fn seconds(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    Ok(number(lookup, var, 0..=86_400)?.map(Duration::from_secs))
}

/// The required URL of an SQS FIFO queue.
pub fn fifo_queue_url(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<String, ConfigError> {
    let url = required(lookup, var, "the URL of a FIFO queue")?;
    if !(url.starts_with("https://") || url.starts_with("http://")) || !url.ends_with(".fifo") {
        return Err(ConfigError {
            var,
            reason: "must be the http(s) URL of a FIFO queue (ending in .fifo)".to_owned(),
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn numbers_are_checked_against_their_range() {
        assert_eq!(number(&env(&[("N", "5")]), "N", 1..=10), Ok(Some(5)));
        assert_eq!(number(&env(&[]), "N", 1..=10), Ok(None));
        let err = number(&env(&[("N", "50")]), "N", 1..=10).unwrap_err();
        assert_eq!(err.var, "N");
        assert!(err.to_string().contains("from 1 to 10"));
    }

    #[test]
    fn fifo_urls_must_be_fifo() {
        assert!(fifo_queue_url(&env(&[("Q", "https://sqs/1/q.fifo")]), "Q").is_ok());
        assert!(fifo_queue_url(&env(&[("Q", "https://sqs/1/q")]), "Q").is_err());
        assert!(
            fifo_queue_url(&env(&[]), "Q")
                .unwrap_err()
                .reason
                .contains("required")
        );
    }
}

/// An optional yes/no variable: `true`/`false`, `1`/`0`, `yes`/`no` (any case); unset is
/// `default`.
pub fn flag(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    let Some(value) = lookup(var) else {
        return Ok(default);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError {
            var,
            reason: format!("must be true or false, not {value:?}"),
        }),
    }
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn flags_read_yes_and_no_and_refuse_the_rest() {
        let env = |v: &'static str| move |_: &str| Some(v.to_owned());
        assert_eq!(flag(&env("TRUE"), "X", false).ok(), Some(true));
        assert_eq!(flag(&env("0"), "X", true).ok(), Some(false));
        assert_eq!(flag(&|_: &str| None, "X", true).ok(), Some(true));
        let err = flag(&env("maybe"), "X", false).unwrap_err();
        assert_eq!(err.var, "X");
        assert!(err.reason.contains("maybe"));
    }
}

#[cfg(test)]
mod backoff_cap_tests {
    use super::*;

    fn with(value: Option<&'static str>) -> Result<Duration, ConfigError> {
        backoff_cap(&|name: &str| {
            (name == "OKTA_HOOKS_BACKOFF_CAP_SECS")
                .then_some(value)
                .flatten()
                .map(str::to_owned)
        })
    }

    #[test]
    fn the_backoff_cap_defaults_to_a_quarter_hour_and_reads_one_second_to_twelve_hours() {
        assert_eq!(with(None), Ok(Duration::from_secs(900)));
        assert_eq!(with(Some("1")), Ok(Duration::from_secs(1)));
        assert_eq!(with(Some("43200")), Ok(Duration::from_secs(43_200)));
    }

    #[test]
    fn a_backoff_cap_out_of_range_or_not_a_number_names_the_variable() {
        for bad in ["0", "43201", "15m", "-5"] {
            let err = with(Some(bad)).unwrap_err();
            assert_eq!(err.var, "OKTA_HOOKS_BACKOFF_CAP_SECS", "{bad}");
            assert!(err.reason.contains("1 to 43200"), "{bad}: {}", err.reason);
        }
    }
}

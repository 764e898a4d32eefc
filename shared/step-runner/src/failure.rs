//! Failures: the ones the queue retries ([`Retry`]) and the permanent ones (a
//! [`FailureReport`] for the DLQ and the `on_failure` steps).

use std::time::Duration;

use executor::{FailureClass, FailureReport};

/// First retry delay of a retryable failure; doubles per receive.
const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// Longest retry delay (SQS allows 12 h; a quarter hour keeps plans moving).
const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// Wait after a 429 that did not say how long.
const THROTTLE_DEFAULT: Duration = Duration::from_secs(30);

/// Try again later: keep the message invisible for `after` and report it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (retry in {}s)", .after.as_secs())]
pub struct Retry {
    pub after: Duration,
    pub reason: String,
}

impl Retry {
    /// A store or queue call failed: retry with the backoff of this receive.
    pub(crate) fn soon(receive_count: u32, reason: impl std::fmt::Display) -> Retry {
        Retry {
            after: backoff(receive_count),
            reason: reason.to_string(),
        }
    }
}

/// The delay before the next try of a message received `receive_count` times (1 on the
/// first receive): 5 s, 10 s, 20 s, … up to 15 min.
pub fn backoff(receive_count: u32) -> Duration {
    let doublings = receive_count.saturating_sub(1).min(16);
    BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_MAX)
}

/// Up to one second, derived from the envelope id: messages throttled together come
/// back spread out, the same message always with the same offset.
pub(crate) fn jitter(envelope_id: &str) -> Duration {
    let seed = envelope_id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    Duration::from_millis(u64::from(seed % 1000))
}

/// What to do about a failed step: retry (how long to wait) or give up.
pub(crate) fn decide(
    report: &FailureReport,
    receive_count: u32,
    envelope_id: &str,
) -> Option<Retry> {
    let after = match report.class {
        FailureClass::Throttled { retry_after } => retry_after.unwrap_or(THROTTLE_DEFAULT),
        FailureClass::Retryable => backoff(receive_count),
        FailureClass::Permanent => return None,
    };
    Some(Retry {
        after: after + jitter(envelope_id),
        reason: report.message.clone(),
    })
}

/// A report for a failure that is not an action's own.
pub(crate) fn report(class: FailureClass, message: impl Into<String>) -> FailureReport {
    FailureReport {
        class,
        message: message.into(),
        status: None,
        error_code: None,
        error_summary: None,
        request_id: None,
        user_status: None,
    }
}

pub(crate) fn permanent(message: impl Into<String>) -> FailureReport {
    report(FailureClass::Permanent, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(5));
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }

    #[test]
    fn throttled_waits_for_the_reset_plus_jitter_and_permanent_gives_up() {
        let throttled = report(
            FailureClass::Throttled {
                retry_after: Some(Duration::from_secs(7)),
            },
            "429",
        );
        let retry = decide(&throttled, 1, "abc").expect("retried");
        assert!(retry.after >= Duration::from_secs(7));
        assert!(retry.after < Duration::from_secs(8));
        assert_eq!(
            retry.after,
            decide(&throttled, 1, "abc").expect("retried").after
        );
        assert!(decide(&permanent("404"), 1, "abc").is_none());
        let retryable = report(FailureClass::Retryable, "503");
        assert!(decide(&retryable, 3, "abc").expect("retried").after >= Duration::from_secs(20));
    }

    #[test]
    fn jitter_differs_between_envelopes() {
        let spread: std::collections::BTreeSet<_> =
            (0..20).map(|i| jitter(&format!("envelope-{i}"))).collect();
        assert!(spread.len() > 10, "{spread:?}");
        assert!(spread.iter().all(|d| *d < Duration::from_secs(1)));
    }
}

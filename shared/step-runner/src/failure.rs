//! Failures: the ones the queue retries ([`Retry`]) and the permanent ones (a
//! [`FailureReport`] for the DLQ and the `on_failure` steps).

use std::time::Duration;

use action_calls::{FailureClass, FailureReport};
pub(crate) use retry::jitter;
pub use retry::{Attempts, Backoff};
use retry::{GiveUp, Policy, Tries};

/// Try again later: keep the message invisible for `after` and report it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (retry in {}s)", .after.as_secs())]
pub struct Retry {
    /// How long the message stays invisible before SQS delivers it again (the
    /// executor's visibility timeout for it).
    pub after: Duration,
    /// Why the step could not run now: logged, and the DLQ letter's reason if this was
    /// the last delivery.
    pub reason: String,
}

impl Retry {
    /// A store or queue call failed: retry after `backoff`'s wait for this receive (1 on
    /// the first receive; the runner's [`Settings::backoff`](crate::Settings::backoff)).
    pub(crate) fn soon(
        backoff: Backoff,
        receive_count: u32,
        reason: impl std::fmt::Display,
    ) -> Retry {
        Retry {
            after: backoff.delay(receive_count),
            reason: reason.to_string(),
        }
    }
}

/// What to do about a failed step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    /// Try again after `retry.after`; `failed` counts against the failures budget.
    Retry { retry: Retry, failed: bool },
    /// Give up: the letter, the audit line and `on_failure`, with this report.
    GiveUp(FailureReport),
}

/// Retry or give up, for a step whose earlier runs failed `failures` times (retryably)
/// and whose message is on its `receive_count`th receive: [`retry::Policy::decide`] with
/// the runner's budgets and backoff curve, plus the envelope's jitter so that steps
/// throttled together come back spread out.
pub(crate) fn decide(
    report: FailureReport,
    failures: u32,
    receive_count: u32,
    policy: Policy,
    envelope_id: &str,
) -> Decision {
    let tries = Tries {
        failures,
        receive_count,
    };
    match policy.decide(report.class.failure(), tries) {
        retry::Decision::RetryAfter { wait, counted } => Decision::Retry {
            retry: Retry {
                after: wait + jitter(envelope_id),
                reason: report.message,
            },
            failed: counted,
        },
        retry::Decision::GiveUp(GiveUp::Permanent) => Decision::GiveUp(report),
        retry::Decision::GiveUp(GiveUp::Exhausted(why)) => {
            Decision::GiveUp(exhausted(report, &why))
        }
    }
}

/// `report` given up: class [`FailureClass::Exhausted`], `why` before the last error,
/// Okta's details kept.
pub(crate) fn exhausted(report: FailureReport, why: &str) -> FailureReport {
    FailureReport {
        class: FailureClass::Exhausted,
        message: format!("{why}; last error: {}", report.message),
        ..report
    }
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
    fn a_store_failure_retries_along_the_given_backoff_up_to_its_cap() {
        let soon = |backoff, receive_count| Retry::soon(backoff, receive_count, "down").after;
        assert_eq!(soon(Backoff::QUEUE, 1), Duration::from_secs(5));
        assert_eq!(soon(Backoff::QUEUE, 4), Duration::from_secs(40));
        assert_eq!(soon(Backoff::QUEUE, 30), Duration::from_secs(15 * 60));
        let capped = Backoff::queue_capped(Duration::from_secs(12));
        assert_eq!(soon(capped, 2), Duration::from_secs(10));
        assert_eq!(soon(capped, 3), Duration::from_secs(12));
        let below_first = Backoff::queue_capped(Duration::from_secs(1));
        assert_eq!(soon(below_first, 1), Duration::from_secs(1));
    }

    #[test]
    fn a_retryable_step_waits_the_cap_once_doubling_would_pass_it() {
        let policy = Policy {
            attempts: Attempts::default(),
            backoff: Backoff::queue_capped(Duration::from_secs(30)),
        };
        let retryable = report(FailureClass::Retryable, "503");
        // The fifth failure would wait 80 s on the uncapped curve.
        let after = retry_after(decide(retryable.clone(), 4, 5, policy, "abc")).expect("retried");
        assert!(after >= Duration::from_secs(30), "{after:?}");
        assert!(after < Duration::from_secs(31), "{after:?}");
        let policy = Policy {
            backoff: Backoff::queue_capped(Duration::from_secs(2)),
            ..policy
        };
        let after = retry_after(decide(retryable, 0, 1, policy, "abc")).expect("retried");
        assert!(after >= Duration::from_secs(2), "{after:?}");
        assert!(after < Duration::from_secs(3), "{after:?}");
    }

    fn retry_after(decision: Decision) -> Option<Duration> {
        match decision {
            Decision::Retry { retry, .. } => Some(retry.after),
            Decision::GiveUp(_) => None,
        }
    }

    #[test]
    fn throttled_waits_for_the_reset_plus_jitter_and_permanent_gives_up() {
        let attempts = Attempts::default();
        let throttled = report(
            FailureClass::Throttled {
                retry_after: Some(Duration::from_secs(7)),
            },
            "429",
        );
        let after = retry_after(decide(
            throttled.clone(),
            0,
            1,
            Policy::queue(attempts),
            "abc",
        ))
        .expect("retried");
        assert!(after >= Duration::from_secs(7));
        assert!(after < Duration::from_secs(8));
        assert_eq!(
            Some(after),
            retry_after(decide(throttled, 0, 1, Policy::queue(attempts), "abc"))
        );
        assert!(matches!(
            decide(permanent("404"), 0, 1, Policy::queue(attempts), "abc"),
            Decision::GiveUp(r) if r.class == FailureClass::Permanent
        ));
        let retryable = report(FailureClass::Retryable, "503");
        let after =
            retry_after(decide(retryable, 2, 3, Policy::queue(attempts), "abc")).expect("retried");
        assert!(after >= Duration::from_secs(20));
    }

    #[test]
    fn a_throttled_step_that_named_no_wait_waits_the_one_default_plus_jitter() {
        let throttled = report(FailureClass::Throttled { retry_after: None }, "429");
        let after = retry_after(decide(
            throttled,
            0,
            1,
            Policy::queue(Attempts::default()),
            "abc",
        ))
        .expect("retried");
        assert!(after >= retry::THROTTLE_DEFAULT, "{after:?}");
        assert!(
            after < retry::THROTTLE_DEFAULT + Duration::from_secs(1),
            "{after:?}"
        );
    }

    #[test]
    fn an_exhausted_report_is_given_up_as_it_is() {
        let given_up = report(FailureClass::Exhausted, "gave up earlier");
        assert_eq!(
            decide(
                given_up.clone(),
                0,
                1,
                Policy::queue(Attempts::default()),
                "abc"
            ),
            Decision::GiveUp(given_up)
        );
    }

    #[test]
    fn the_last_failed_attempt_gives_up_as_exhausted_with_the_last_error() {
        let attempts = Attempts {
            max_failures: 3,
            max_receives: 50,
        };
        let mut failed = report(FailureClass::Retryable, "Okta answered 503");
        failed.error_code = Some("E0000009".into());
        assert!(matches!(
            decide(failed.clone(), 1, 9, Policy::queue(attempts), "abc"),
            Decision::Retry { failed: true, .. }
        ));
        let Decision::GiveUp(given_up) = decide(failed, 2, 10, Policy::queue(attempts), "abc")
        else {
            panic!("the third failure must give up");
        };
        assert_eq!(given_up.class, FailureClass::Exhausted);
        assert_eq!(
            given_up.message,
            "gave up after 3 failed attempts; last error: Okta answered 503"
        );
        assert_eq!(given_up.error_code.as_deref(), Some("E0000009"));
        assert_eq!(
            serde_json::to_value(&given_up).unwrap()["class"],
            "exhausted"
        );
    }

    #[test]
    fn throttling_never_spends_the_failures_budget_but_the_last_receive_gives_up() {
        let attempts = Attempts {
            max_failures: 3,
            max_receives: 50,
        };
        let throttled = report(FailureClass::Throttled { retry_after: None }, "429");
        // Forty throttled receives in a row: still waiting, nothing counted.
        assert!(matches!(
            decide(throttled.clone(), 2, 49, Policy::queue(attempts), "abc"),
            Decision::Retry { failed: false, .. }
        ));
        // The queue's last delivery: a letter instead of a silent redrive.
        let Decision::GiveUp(given_up) = decide(throttled, 2, 50, Policy::queue(attempts), "abc")
        else {
            panic!("the last receive must give up");
        };
        assert_eq!(given_up.class, FailureClass::Exhausted);
        assert!(
            given_up.message.contains("receive 50 of 50"),
            "{}",
            given_up.message
        );
    }

    #[test]
    fn jitter_differs_between_envelopes() {
        let spread: std::collections::BTreeSet<_> =
            (0..20).map(|i| jitter(&format!("envelope-{i}"))).collect();
        assert!(spread.len() > 10, "{spread:?}");
        assert!(spread.iter().all(|d| *d < Duration::from_secs(1)));
    }
}

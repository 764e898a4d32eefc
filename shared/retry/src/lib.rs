//! Retry or give up, and how long to wait: decided here, once, for the whole pipeline.
//!
//! Every component that can fail a message (the event router, the step runner, the
//! System Log poller) or an entry (the queue batch sender) describes its failure as a
//! [`Failure`] and asks a [`Policy`] what to do about it. The answer is a [`Decision`]:
//! try again after a wait, or give up — permanently (retrying cannot help) or exhausted
//! (retrying might have helped, but the budget is spent). Classifying an error (which
//! Okta answers are transient, which router errors are) stays with the error's own
//! crate; what follows from the class — the wait, the budgets, the one throttle default
//! and the backoff curve — lives only here.
//!
//! Nothing here sleeps: a decision is a value. Lambda functions turn the wait into a
//! message's visibility timeout (or a stored "not before"); only in-process helpers such
//! as the queue batch sender sleep on it.
//!
//! This crate depends on nothing, ours or third-party, so every crate may use it.

use std::time::Duration;

/// The wait after a `429` (or any throttling answer) that did not say how long.
///
/// Okta counts requests per bucket in windows of (usually) one minute that are not
/// aligned to the clock (the Okta notes beside the checkout, `../shared/okta/NOTES.md`
/// §3.4): whenever the answer was sent, its window ends within a minute. Waiting a whole window is the shortest wait
/// that cannot land in the same window again and spend another `429`.
pub const THROTTLE_DEFAULT: Duration = Duration::from_secs(60);

/// What kind of failure happened, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Trying again may succeed: `5xx`, timeouts, connection failures, a store or a
    /// queue that could not be reached. Each one spends the failures budget.
    Retryable,
    /// Rate-limited: try again after `wait` when the answer said how long (Okta's
    /// `X-Rate-Limit-Reset` − `Date` + 1 s, a webhook's `Retry-After`), else after
    /// [`THROTTLE_DEFAULT`]. A throttle says nothing about whether the work can
    /// succeed, so it does not spend the failures budget.
    Throttled {
        /// How long the answer asked to wait, if it said.
        wait: Option<Duration>,
    },
    /// Trying again cannot help: `4xx`, invalid input, a refused request.
    Permanent,
}

impl Failure {
    /// The wait a throttled failure calls for: the one its answer named, else
    /// [`THROTTLE_DEFAULT`]. `None` for a failure that is not a throttle.
    pub fn throttled_wait(self) -> Option<Duration> {
        match self {
            Failure::Throttled { wait } => Some(wait.unwrap_or(THROTTLE_DEFAULT)),
            Failure::Retryable | Failure::Permanent => None,
        }
    }
}

/// An exponential backoff: `first`, then twice as long per retry, never above `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Backoff {
    /// Retries through a queue (a message left invisible, then received again): 5 s,
    /// 10 s, 20 s, … up to a quarter hour (SQS allows 12 h; a quarter hour keeps plans
    /// moving).
    pub const QUEUE: Backoff = Backoff {
        first: Duration::from_secs(5),
        max: Duration::from_secs(15 * 60),
    };

    /// The [`Backoff::QUEUE`] curve with its longest wait set to `cap` (the template's
    /// `BackoffCapSeconds`, so the local stack's tests can retry within seconds). A cap
    /// below the first wait (5 s) becomes the first wait too: every wait is then `cap`.
    pub fn queue_capped(cap: Duration) -> Backoff {
        Backoff {
            first: Backoff::QUEUE.first.min(cap),
            max: cap,
        }
    }

    /// The wait before retry number `retry` (1 for the first retry; 0 reads as 1).
    pub fn delay(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// How many tries a piece of work gets before it is given up as exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// Retryable failures after which the work gives up. Throttled waits do not count.
    pub max_failures: u32,
    /// The queue's `maxReceiveCount`: on this receive the message is delivered for the
    /// last time before SQS's redrive would move it to the DLQ with no explanation, so
    /// any retry, throttled ones included, is given up here with a letter instead.
    pub max_receives: u32,
}

impl Default for Attempts {
    /// The template's defaults: 8 failures (5 s … 10 min of backoff, ≈ 21 min in all)
    /// and 100 receives (throttled waits of up to a minute each cannot reach it before
    /// the failures budget ends work that really fails).
    fn default() -> Self {
        Attempts {
            max_failures: 8,
            max_receives: 100,
        }
    }
}

impl Attempts {
    /// Only the queue's receive count bounds the retries (every receive is one try).
    pub const fn receives_only(max_receives: u32) -> Self {
        Attempts {
            max_failures: u32::MAX,
            max_receives,
        }
    }

    /// Why nothing more can be retried, when `receive_count` is the queue's last
    /// delivery.
    pub fn last_delivery(&self, receive_count: u32) -> Option<String> {
        (receive_count >= self.max_receives).then(|| {
            format!(
                "gave up on the queue's last delivery (receive {receive_count} of {})",
                self.max_receives
            )
        })
    }
}

/// How often a piece of work was tried before this failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tries {
    /// Retryable failures of earlier tries (throttles not counted).
    pub failures: u32,
    /// The message's receive count, 1 on the first receive; 0 when there is no queue.
    pub receive_count: u32,
}

/// Why the work is given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveUp {
    /// The failure was permanent: retrying cannot help.
    Permanent,
    /// The failure was retryable, but the budget is spent; the text says which budget.
    Exhausted(String),
}

/// What to do about one failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try again after `wait`.
    RetryAfter {
        /// How long to wait (for a message: how long it stays invisible).
        wait: Duration,
        /// Whether this failure spends the failures budget (a retryable failure does,
        /// a throttle does not): the caller records it for the next try's
        /// [`Tries::failures`].
        counted: bool,
    },
    /// Give up: a letter, the audit line and `on_failure` are the caller's business.
    GiveUp(GiveUp),
}

/// The budgets and the backoff curve: everything [`Policy::decide`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// When retrying stops.
    pub attempts: Attempts,
    /// The waits between retryable failures.
    pub backoff: Backoff,
}

impl Policy {
    /// Retries through a queue: `attempts`, and the [`Backoff::QUEUE`] curve.
    pub const fn queue(attempts: Attempts) -> Self {
        Policy {
            attempts,
            backoff: Backoff::QUEUE,
        }
    }

    /// Retry or give up, and the wait, for `failure` after `tries`.
    ///
    /// A permanent failure gives up at once. A retryable one waits along the backoff
    /// curve and gives up as exhausted once it is the `max_failures`th. A throttle waits
    /// as long as it asked (or [`THROTTLE_DEFAULT`]) and spends nothing. Any retry on the
    /// queue's last delivery gives up as exhausted instead.
    pub fn decide(&self, failure: Failure, tries: Tries) -> Decision {
        let (wait, counted) = match failure {
            Failure::Permanent => return Decision::GiveUp(GiveUp::Permanent),
            Failure::Throttled { wait } => (wait.unwrap_or(THROTTLE_DEFAULT), false),
            Failure::Retryable => (self.backoff.delay(tries.failures.saturating_add(1)), true),
        };
        let failures = tries.failures.saturating_add(u32::from(counted));
        if counted && failures >= self.attempts.max_failures {
            let why = format!("gave up after {failures} failed attempts");
            return Decision::GiveUp(GiveUp::Exhausted(why));
        }
        if let Some(why) = self.attempts.last_delivery(tries.receive_count) {
            return Decision::GiveUp(GiveUp::Exhausted(why));
        }
        Decision::RetryAfter { wait, counted }
    }
}

/// Up to one second, derived from `key` (an envelope id): work throttled together comes
/// back spread out, the same work always with the same offset.
pub fn jitter(key: &str) -> Duration {
    let seed = key
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    Duration::from_millis(u64::from(seed % 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn tries(failures: u32, receive_count: u32) -> Tries {
        Tries {
            failures,
            receive_count,
        }
    }

    fn wait_of(decision: &Decision) -> Option<Duration> {
        match decision {
            Decision::RetryAfter { wait, .. } => Some(*wait),
            Decision::GiveUp(_) => None,
        }
    }

    #[test]
    fn the_queue_backoff_doubles_from_five_seconds_and_stops_at_a_quarter_hour() {
        let b = Backoff::QUEUE;
        assert_eq!(b.delay(0), secs(5));
        assert_eq!(b.delay(1), secs(5));
        assert_eq!(b.delay(2), secs(10));
        assert_eq!(b.delay(4), secs(40));
        assert_eq!(b.delay(8), secs(640));
        assert_eq!(b.delay(9), secs(900));
        assert_eq!(b.delay(u32::MAX), secs(900));
    }

    #[test]
    fn a_capped_queue_backoff_waits_exactly_the_cap_once_doubling_would_pass_it() {
        let b = Backoff::queue_capped(secs(30));
        assert_eq!(b.delay(1), secs(5));
        assert_eq!(b.delay(3), secs(20));
        // 5 s doubled three times is 40 s: above the cap, so the cap.
        assert_eq!(b.delay(4), secs(30));
        assert_eq!(b.delay(u32::MAX), secs(30));
        assert_eq!(Backoff::queue_capped(secs(900)), Backoff::QUEUE);
    }

    #[test]
    fn a_queue_backoff_capped_below_five_seconds_waits_the_cap_from_the_first_retry() {
        let b = Backoff::queue_capped(secs(2));
        assert_eq!(b.first, secs(2));
        assert_eq!(b.delay(1), secs(2));
        assert_eq!(b.delay(5), secs(2));
    }

    #[test]
    fn a_policy_waits_along_its_own_backoff_curve() {
        let policy = Policy {
            attempts: Attempts::default(),
            backoff: Backoff::queue_capped(secs(8)),
        };
        assert_eq!(
            wait_of(&policy.decide(Failure::Retryable, tries(0, 1))),
            Some(secs(5))
        );
        assert_eq!(
            wait_of(&policy.decide(Failure::Retryable, tries(1, 2))),
            Some(secs(8))
        );
    }

    #[test]
    fn a_throttle_without_a_named_wait_waits_one_whole_rate_limit_window() {
        let policy = Policy::queue(Attempts::default());
        let decision = policy.decide(Failure::Throttled { wait: None }, tries(0, 1));
        assert_eq!(
            decision,
            Decision::RetryAfter {
                wait: secs(60),
                counted: false
            }
        );
        assert_eq!(
            Failure::Throttled { wait: None }.throttled_wait(),
            Some(THROTTLE_DEFAULT)
        );
    }

    #[test]
    fn a_throttle_waits_as_long_as_it_asked_whatever_the_failures_so_far() {
        let policy = Policy::queue(Attempts::default());
        let throttled = Failure::Throttled {
            wait: Some(secs(7)),
        };
        assert_eq!(
            wait_of(&policy.decide(throttled, tries(5, 40))),
            Some(secs(7))
        );
        assert_eq!(throttled.throttled_wait(), Some(secs(7)));
        assert_eq!(Failure::Retryable.throttled_wait(), None);
        assert_eq!(Failure::Permanent.throttled_wait(), None);
    }

    #[test]
    fn a_retryable_failure_waits_along_the_curve_and_is_counted() {
        let policy = Policy::queue(Attempts::default());
        assert_eq!(
            policy.decide(Failure::Retryable, tries(0, 1)),
            Decision::RetryAfter {
                wait: secs(5),
                counted: true
            }
        );
        assert_eq!(
            wait_of(&policy.decide(Failure::Retryable, tries(2, 3))),
            Some(secs(20))
        );
    }

    #[test]
    fn a_permanent_failure_gives_up_at_once() {
        let policy = Policy::queue(Attempts::default());
        assert_eq!(
            policy.decide(Failure::Permanent, tries(0, 1)),
            Decision::GiveUp(GiveUp::Permanent)
        );
    }

    #[test]
    fn the_last_allowed_failure_gives_up_as_exhausted() {
        let policy = Policy::queue(Attempts {
            max_failures: 3,
            max_receives: 50,
        });
        assert!(matches!(
            policy.decide(Failure::Retryable, tries(1, 9)),
            Decision::RetryAfter { counted: true, .. }
        ));
        assert_eq!(
            policy.decide(Failure::Retryable, tries(2, 10)),
            Decision::GiveUp(GiveUp::Exhausted("gave up after 3 failed attempts".into()))
        );
    }

    #[test]
    fn throttles_never_exhaust_the_failures_budget_but_the_last_receive_does() {
        let policy = Policy::queue(Attempts {
            max_failures: 3,
            max_receives: 50,
        });
        let throttled = Failure::Throttled { wait: None };
        assert!(matches!(
            policy.decide(throttled, tries(2, 49)),
            Decision::RetryAfter { counted: false, .. }
        ));
        assert_eq!(
            policy.decide(throttled, tries(2, 50)),
            Decision::GiveUp(GiveUp::Exhausted(
                "gave up on the queue's last delivery (receive 50 of 50)".into()
            ))
        );
    }

    #[test]
    fn a_receives_only_budget_retries_until_the_last_receive() {
        let policy = Policy::queue(Attempts::receives_only(4));
        assert!(matches!(
            policy.decide(Failure::Retryable, tries(0, 3)),
            Decision::RetryAfter { .. }
        ));
        assert!(matches!(
            policy.decide(Failure::Retryable, tries(0, 4)),
            Decision::GiveUp(GiveUp::Exhausted(_))
        ));
        assert_eq!(
            policy.decide(Failure::Permanent, tries(0, 1)),
            Decision::GiveUp(GiveUp::Permanent)
        );
    }

    #[test]
    fn jitter_is_below_a_second_stable_per_key_and_spread_between_keys() {
        assert_eq!(jitter("envelope-1"), jitter("envelope-1"));
        let spread: std::collections::BTreeSet<_> =
            (0..20).map(|i| jitter(&format!("envelope-{i}"))).collect();
        assert!(spread.len() > 10, "{spread:?}");
        assert!(spread.iter().all(|d| *d < Duration::from_secs(1)));
    }
}

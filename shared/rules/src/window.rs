//! Thresholds and suppression: whether a matching rule's plan acts now.
//!
//! A rule with `threshold: {count, within, by}` acts once `count` matching events with
//! the same key (`by`) fall within `within` of each other, by their `published` time,
//! and then starts over; a rule with `suppress: {for, by}` stays quiet for a key within
//! `for` of its last firing. The state is small and serialisable: the router keeps it in
//! DynamoDB (one item per rule and key, written with optimistic concurrency), the local
//! runner, `rules test`, the tests in rule files and `rules backtest` in a [`Windows`].
//!
//! # Counting
//!
//! - Each event uuid counts once: a hook retry, the poller or a replay delivering the
//!   same event again is [`Admission::AlreadyCounted`].
//! - Events may arrive out of order by up to one window: the count is over `published`,
//!   not over arrival. An event older than the newest seen minus `within` is
//!   [`Admission::Late`] and does not count.
//! - When a window holds `count` events the rule fires; every event published at or
//!   before the latest of that window never counts again (late arrivals included), so
//!   five events fire once however often and in whatever order they come.
//! - The event that fired fires again if it is delivered again (a crash between the
//!   state write and the sending of the plan must not lose the plan); the plan's
//!   deterministic envelope id absorbs the repeat downstream.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// What a matching rule's threshold and suppression say about one event, computed at
/// evaluation. Travels with the [`Plan`](crate::Plan) inside the router only (it is not
/// part of an envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// The event's uuid: each counts once.
    pub uuid: String,
    /// The event's `published` time, in milliseconds since the epoch.
    pub published_ms: i64,
    /// The rule's threshold, with this event's key.
    pub threshold: Option<ThresholdGate>,
    /// The rule's suppression, with this event's key.
    pub suppress: Option<SuppressGate>,
}

/// A threshold for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdGate {
    /// `<rule id>#<key>`: the state it counts in.
    pub key: String,
    /// How many events fire the rule.
    pub count: u32,
    /// The window, in milliseconds.
    pub within_ms: i64,
}

/// A suppression for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressGate {
    /// `<rule id>#<key>`: the state it reads.
    pub key: String,
    /// How long the rule stays quiet after firing, in milliseconds.
    pub for_ms: i64,
}

/// Whether a matching rule's plan acts on this event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "admission", rename_all = "snake_case")]
pub enum Admission {
    /// The plan acts (a rule without threshold or suppression always fires).
    Fire,
    /// Counted: `seen` of the `of` events the threshold needs are within the window.
    Counting {
        /// Events of this key within `within` of this one, this one included.
        seen: u32,
        /// The threshold's `count`.
        of: u32,
    },
    /// The threshold fired, or the rule matched, within `for` of the last firing for
    /// this key.
    Suppressed,
    /// This event was already counted (a redelivery): nothing changes.
    AlreadyCounted,
    /// Published at or before the last firing, or more than one window before the
    /// newest event of its key: it does not count.
    Late,
}

impl Admission {
    /// Whether the plan acts.
    pub fn fires(self) -> bool {
        self == Admission::Fire
    }
}

/// What a person reads: `threshold: 3 of 5 so far`.
impl std::fmt::Display for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Admission::Fire => f.write_str("fires"),
            Admission::Counting { seen, of } => write!(f, "threshold: {seen} of {of} so far"),
            Admission::Suppressed => f.write_str("suppressed after its last firing"),
            Admission::AlreadyCounted => f.write_str("this event was already counted"),
            Admission::Late => f.write_str(
                "does not count: at or before the last firing, or a window older than the newest event",
            ),
        }
    }
}

/// How many firing events a threshold state remembers, so a redelivered one fires again.
const REMEMBERED_FIRINGS: usize = 16;

/// The counting state of one threshold key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdState {
    /// Counted events not yet part of a firing: `(published ms, uuid)`, by time.
    #[serde(default)]
    pending: Vec<(i64, String)>,
    /// Events published at or before this never count again (the latest event of the
    /// last window that fired).
    #[serde(default)]
    reset_at: Option<i64>,
    /// The newest `published` seen: the reference for lateness and pruning.
    #[serde(default)]
    newest: Option<i64>,
    /// Recent firing events, `(published ms, uuid)`: a redelivered one fires again.
    #[serde(default)]
    fired_by: Vec<(i64, String)>,
}

impl ThresholdState {
    /// Counts one event; [`Admission::Fire`] when it completes a window.
    pub fn observe(&mut self, gate: &ThresholdGate, uuid: &str, published_ms: i64) -> Admission {
        if self.fired_by.iter().any(|(_, u)| u == uuid) {
            return Admission::Fire;
        }
        if self.pending.iter().any(|(_, u)| u == uuid) {
            return Admission::AlreadyCounted;
        }
        let within = gate.within_ms.max(0);
        let newest = self.newest.map_or(published_ms, |n| n.max(published_ms));
        if self.reset_at.is_some_and(|r| published_ms <= r) || published_ms < newest - within {
            return Admission::Late;
        }
        self.newest = Some(newest);
        // Two windows back: what an event up to one window late can still pair with.
        let horizon = newest - 2 * within;
        self.pending.retain(|(t, _)| *t >= horizon);
        self.fired_by.retain(|(t, _)| *t >= horizon);
        let at = self.pending.partition_point(|(t, _)| *t <= published_ms);
        self.pending.insert(at, (published_ms, uuid.to_owned()));
        let count = gate.count.max(1) as usize;
        // No window held `count` events before this one, so any window that does now
        // contains it: the first such window, by time, fires.
        let mut start = 0;
        for end in 0..self.pending.len() {
            while self.pending[end].0 - self.pending[start].0 > within {
                start += 1;
            }
            if end + 1 - start >= count {
                let last = self.pending[end].0;
                self.reset_at = Some(self.reset_at.map_or(last, |r| r.max(last)));
                self.pending.retain(|(t, _)| *t > last);
                self.fired_by.push((published_ms, uuid.to_owned()));
                if self.fired_by.len() > REMEMBERED_FIRINGS {
                    self.fired_by.remove(0);
                }
                return Admission::Fire;
            }
        }
        let seen = self
            .pending
            .iter()
            .filter(|(t, _)| (t - published_ms).abs() <= within)
            .count();
        Admission::Counting {
            seen: u32::try_from(seen).unwrap_or(u32::MAX),
            of: gate.count,
        }
    }

    /// Whether counting this event would change nothing (so a store need not write).
    pub fn is_empty(&self) -> bool {
        self == &ThresholdState::default()
    }
}

/// The suppression state of one key: its last firing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressState {
    /// The last firing's `published` (ms) and event uuid.
    #[serde(default)]
    last: Option<(i64, String)>,
}

impl SuppressState {
    /// [`Admission::Suppressed`] within `for` of the last firing (either side: events
    /// arrive out of order), else [`Admission::Fire`], which becomes the last firing.
    /// The event that fired fires again when it is delivered again.
    pub fn admit(&mut self, gate: &SuppressGate, uuid: &str, published_ms: i64) -> Admission {
        match &self.last {
            Some((_, fired)) if fired == uuid => Admission::Fire,
            Some((at, _)) if (published_ms - at).abs() < gate.for_ms => Admission::Suppressed,
            Some((at, _)) if *at > published_ms => Admission::Fire,
            _ => {
                self.last = Some((published_ms, uuid.to_owned()));
                Admission::Fire
            }
        }
    }
}

impl Gate {
    /// Runs the event through the threshold, then (when it fired) the suppression.
    /// `threshold` and `suppress` give the state of this gate's keys.
    pub fn admit(
        &self,
        threshold: Option<&mut ThresholdState>,
        suppress: Option<&mut SuppressState>,
    ) -> Admission {
        if let (Some(gate), Some(state)) = (&self.threshold, threshold) {
            let admission = state.observe(gate, &self.uuid, self.published_ms);
            if !admission.fires() {
                return admission;
            }
        }
        match (&self.suppress, suppress) {
            (Some(gate), Some(state)) => state.admit(gate, &self.uuid, self.published_ms),
            _ => Admission::Fire,
        }
    }
}

/// Threshold and suppression state in memory: the local runner, `rules test`, the tests
/// in rule files and `rules backtest`.
#[derive(Debug, Clone, Default)]
pub struct Windows {
    thresholds: HashMap<String, ThresholdState>,
    quiet: HashMap<String, SuppressState>,
}

impl Windows {
    /// Whether a plan with this gate acts; `None` (no threshold, no suppression) fires.
    pub fn admit(&mut self, gate: Option<&Gate>) -> Admission {
        let Some(gate) = gate else {
            return Admission::Fire;
        };
        let threshold = gate
            .threshold
            .as_ref()
            .map(|t| self.thresholds.entry(t.key.clone()).or_default());
        let quiet = gate
            .suppress
            .as_ref()
            .map(|s| self.quiet.entry(s.key.clone()).or_default());
        gate.admit(threshold, quiet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn threshold(count: u32, within_min: i64) -> ThresholdGate {
        ThresholdGate {
            key: "r#k".into(),
            count,
            within_ms: within_min * MIN,
        }
    }

    fn run(
        state: &mut ThresholdState,
        gate: &ThresholdGate,
        events: &[(&str, i64)],
    ) -> Vec<Admission> {
        events
            .iter()
            .map(|(u, minute)| state.observe(gate, u, minute * MIN))
            .collect()
    }

    #[test]
    fn five_events_in_the_window_fire_once_then_counting_starts_over() {
        let gate = threshold(5, 10);
        let mut s = ThresholdState::default();
        let got = run(
            &mut s,
            &gate,
            &[("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4), ("f", 5)],
        );
        assert_eq!(got[3], Admission::Counting { seen: 4, of: 5 });
        assert_eq!(got[4], Admission::Fire);
        assert_eq!(got[5], Admission::Counting { seen: 1, of: 5 });
    }

    #[test]
    fn events_spread_wider_than_the_window_never_fire() {
        let gate = threshold(3, 10);
        let mut s = ThresholdState::default();
        let got = run(
            &mut s,
            &gate,
            &[("a", 0), ("b", 6), ("c", 12), ("d", 18), ("e", 24)],
        );
        assert!(got.iter().all(|a| !a.fires()), "{got:?}");
    }

    #[test]
    fn redelivered_events_count_once_and_the_firing_one_fires_again() {
        let gate = threshold(3, 10);
        let mut s = ThresholdState::default();
        let got = run(
            &mut s,
            &gate,
            &[("a", 0), ("a", 0), ("b", 1), ("b", 1), ("a", 0)],
        );
        assert_eq!(got[1], Admission::AlreadyCounted);
        assert!(got.iter().all(|a| !a.fires()), "{got:?}");
        assert_eq!(s.observe(&gate, "c", 2 * MIN), Admission::Fire);
        // The firing event again (the router crashed before sending): it fires again;
        // the events it consumed are late now.
        assert_eq!(s.observe(&gate, "c", 2 * MIN), Admission::Fire);
        assert_eq!(s.observe(&gate, "b", MIN), Admission::Late);
    }

    #[test]
    fn out_of_order_events_within_a_window_count_by_published_time() {
        let gate = threshold(3, 10);
        let mut s = ThresholdState::default();
        // 20, 12, 15: all within 10 minutes of each other, arriving backwards.
        let got = run(&mut s, &gate, &[("a", 20), ("b", 12), ("c", 15)]);
        assert_eq!(
            got,
            [
                Admission::Counting { seen: 1, of: 3 },
                Admission::Counting { seen: 2, of: 3 },
                Admission::Fire
            ]
        );
        // An event older than a window before the newest does not count.
        let mut s = ThresholdState::default();
        let got = run(&mut s, &gate, &[("a", 30), ("b", 5)]);
        assert_eq!(got[1], Admission::Late);
    }

    #[test]
    fn a_late_event_before_the_firing_never_counts_again() {
        let gate = threshold(2, 10);
        let mut s = ThresholdState::default();
        let got = run(
            &mut s,
            &gate,
            &[("a", 10), ("b", 12), ("c", 11), ("d", 13), ("e", 14)],
        );
        assert_eq!(
            got,
            [
                Admission::Counting { seen: 1, of: 2 },
                Admission::Fire,
                Admission::Late,
                Admission::Counting { seen: 1, of: 2 },
                Admission::Fire
            ]
        );
    }

    #[test]
    fn suppression_keeps_a_key_quiet_for_its_duration_either_side() {
        let gate = SuppressGate {
            key: "r#k".into(),
            for_ms: 60 * MIN,
        };
        let mut s = SuppressState::default();
        assert_eq!(s.admit(&gate, "a", 0), Admission::Fire);
        assert_eq!(
            s.admit(&gate, "a", 0),
            Admission::Fire,
            "the firing event again"
        );
        assert_eq!(s.admit(&gate, "b", 59 * MIN), Admission::Suppressed);
        assert_eq!(s.admit(&gate, "c", -30 * MIN), Admission::Suppressed);
        assert_eq!(s.admit(&gate, "d", 60 * MIN), Admission::Fire);
        assert_eq!(s.admit(&gate, "e", 100 * MIN), Admission::Suppressed);
    }

    #[test]
    fn windows_apply_suppression_only_after_the_threshold_fires() {
        let gate = |uuid: &str, minute: i64| Gate {
            uuid: uuid.into(),
            published_ms: minute * MIN,
            threshold: Some(threshold(2, 10)),
            suppress: Some(SuppressGate {
                key: "r#k".into(),
                for_ms: 60 * MIN,
            }),
        };
        let mut w = Windows::default();
        let got: Vec<Admission> = [("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 70), ("f", 71)]
            .iter()
            .map(|(u, m)| w.admit(Some(&gate(u, *m))))
            .collect();
        assert_eq!(
            got,
            [
                Admission::Counting { seen: 1, of: 2 },
                Admission::Fire,
                Admission::Counting { seen: 1, of: 2 },
                Admission::Suppressed,
                Admission::Counting { seen: 1, of: 2 },
                Admission::Fire,
            ]
        );
        assert_eq!(w.admit(None), Admission::Fire);
    }
}

//! Deterministic envelope ids.

use sha2::{Digest, Sha256};

use crate::Phase;

/// `sha256(event uuid, rule id, phase, step index)` in hex: the same event, rule and step
/// always give the same id, which is both the FIFO dedup id and the executor's
/// idempotency key, so a replayed event can never run a step twice.
pub fn envelope_id(event_uuid: &str, rule_id: &str, phase: Phase, step: usize) -> String {
    let mut hash = Sha256::new();
    for part in [event_uuid, rule_id, phase.as_str(), &step.to_string()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct_per_part() {
        let a = envelope_id("uuid-1", "rule", Phase::Steps, 0);
        assert_eq!(a, envelope_id("uuid-1", "rule", Phase::Steps, 0));
        assert_eq!(a.len(), 64);
        assert_ne!(a, envelope_id("uuid-1", "rule", Phase::Steps, 1));
        assert_ne!(a, envelope_id("uuid-1", "rule", Phase::OnFailure, 0));
        assert_ne!(a, envelope_id("uuid-2", "rule", Phase::Steps, 0));
        // Length-prefixed parts: moving a character across a boundary changes the id.
        assert_ne!(
            envelope_id("ab", "c", Phase::Steps, 0),
            envelope_id("a", "bc", Phase::Steps, 0)
        );
    }
}

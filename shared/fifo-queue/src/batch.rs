//! Packing messages into `SendMessageBatch` calls.

use std::ops::Range;

use crate::FifoMessage;

/// At most 10 entries per `SendMessageBatch`.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// At most 256 KiB of message bodies per `SendMessageBatch` (and per message).
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Splits `messages` into consecutive runs that each fit one `SendMessageBatch` call.
///
/// Order is kept, so each group's messages reach the queue in the order given. A message
/// larger than [`MAX_BATCH_BYTES`] gets a batch of its own (the queue will refuse it and
/// the caller sees that entry fail).
pub fn plan_batches(messages: &[FifoMessage]) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, message) in messages.iter().enumerate() {
        let size = message.body.len();
        let full = i - start == MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES;
        if full && i > start {
            batches.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < messages.len() {
        batches.push(start..messages.len());
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(i: usize, size: usize) -> FifoMessage {
        FifoMessage {
            entry_id: format!("e{i}"),
            body: "x".repeat(size),
            group_id: "g".into(),
            dedup_id: format!("d{i}"),
        }
    }

    #[test]
    fn hundred_small_messages_make_ten_full_batches() {
        let messages: Vec<_> = (0..100).map(|i| message(i, 2_000)).collect();
        let batches = plan_batches(&messages);
        assert_eq!(batches.len(), 10);
        assert!(batches.iter().all(|b| b.len() == 10));
        assert_eq!(batches[9], 90..100);
    }

    #[test]
    fn batches_never_exceed_the_byte_limit_and_keep_order() {
        let messages: Vec<_> = (0..7).map(|i| message(i, 100_000)).collect();
        let batches = plan_batches(&messages);
        assert_eq!(batches, vec![0..2, 2..4, 4..6, 6..7]);
        for batch in &batches {
            let bytes: usize = messages[batch.clone()].iter().map(|m| m.body.len()).sum();
            assert!(bytes <= MAX_BATCH_BYTES);
        }
    }

    #[test]
    fn oversized_message_stands_alone_and_empty_input_sends_nothing() {
        let messages = vec![
            message(0, 10),
            message(1, MAX_BATCH_BYTES + 1),
            message(2, 10),
        ];
        assert_eq!(plan_batches(&messages), vec![0..1, 1..2, 2..3]);
        assert!(plan_batches(&[]).is_empty());
    }
}

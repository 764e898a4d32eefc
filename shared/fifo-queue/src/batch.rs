//! Packing messages into `SendMessageBatch` calls without breaking any group's order.

use std::collections::{HashMap, VecDeque};

use crate::FifoMessage;

/// At most 10 entries per `SendMessageBatch`.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// At most 1 MiB of message bodies per `SendMessageBatch`, and per message: SQS raised
/// both limits from 256 KiB to 1 MiB (1,048,576 bytes) in August 2025.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// The largest message SQS takes: the same 1 MiB as a whole batch.
pub const MAX_MESSAGE_BYTES: usize = MAX_BATCH_BYTES;

/// A message group, numbered in the order its first message was given.
pub(crate) type Group = usize;

/// Hands out batches so that each group's messages go out in order, one call at a time.
///
/// A batch holds up to [`MAX_BATCH_ENTRIES`] entries and [`MAX_BATCH_BYTES`] of bodies,
/// taken from the groups that have nothing in flight, each group contributing its next
/// messages in order. A group is busy from the batch that takes its messages until
/// [`BatchPlanner::release`]; a message larger than [`MAX_BATCH_BYTES`] gets a batch of
/// its own (the queue refuses it and the caller sees that entry fail).
pub(crate) struct BatchPlanner {
    sizes: Vec<usize>,
    group_of: Vec<Group>,
    groups: Vec<GroupState>,
}

#[derive(Default)]
struct GroupState {
    pending: VecDeque<usize>,
    busy: bool,
}

impl BatchPlanner {
    pub(crate) fn new(messages: &[FifoMessage]) -> Self {
        let mut index: HashMap<&str, Group> = HashMap::new();
        let mut groups: Vec<GroupState> = Vec::new();
        let mut group_of = Vec::with_capacity(messages.len());
        for (position, message) in messages.iter().enumerate() {
            let group = *index.entry(message.group_id.as_str()).or_insert_with(|| {
                groups.push(GroupState::default());
                groups.len() - 1
            });
            groups[group].pending.push_back(position);
            group_of.push(group);
        }
        BatchPlanner {
            sizes: messages.iter().map(|m| m.body.len()).collect(),
            group_of,
            groups,
        }
    }

    /// The positions of the next batch, or `None` while every group with messages left is
    /// busy (or none has any).
    pub(crate) fn next_batch(&mut self) -> Option<Vec<usize>> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        for group in &mut self.groups {
            if batch.len() == MAX_BATCH_ENTRIES {
                break;
            }
            if group.busy {
                continue;
            }
            let before = batch.len();
            while let Some(&position) = group.pending.front() {
                let size = self.sizes[position];
                let fits = batch.is_empty() || bytes + size <= MAX_BATCH_BYTES;
                if batch.len() == MAX_BATCH_ENTRIES || !fits {
                    break;
                }
                group.pending.pop_front();
                batch.push(position);
                bytes += size;
            }
            group.busy = batch.len() > before;
            if bytes >= MAX_BATCH_BYTES {
                break;
            }
        }
        (!batch.is_empty()).then_some(batch)
    }

    pub(crate) fn group_of(&self, position: usize) -> Group {
        self.group_of[position]
    }

    /// The group's batch is settled: its next messages may go.
    pub(crate) fn release(&mut self, group: Group) {
        self.groups[group].busy = false;
    }

    /// The group cannot keep its order: none of its remaining messages will be sent.
    /// Returns their positions.
    pub(crate) fn abandon(&mut self, group: Group) -> Vec<usize> {
        self.groups[group].pending.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(i: usize, group: &str, size: usize) -> FifoMessage {
        FifoMessage {
            entry_id: format!("e{i}"),
            body: "x".repeat(size),
            group_id: group.into(),
            dedup_id: format!("d{i}"),
        }
    }

    /// Every batch the planner hands out when each is settled before the next is asked for.
    fn settled_batches(messages: &[FifoMessage]) -> Vec<Vec<usize>> {
        let mut planner = BatchPlanner::new(messages);
        let mut batches = Vec::new();
        while let Some(batch) = planner.next_batch() {
            for &position in &batch {
                planner.release(planner.group_of(position));
            }
            batches.push(batch);
        }
        batches
    }

    #[test]
    fn hundred_messages_of_hundred_groups_make_ten_full_batches_at_once() {
        let messages: Vec<_> = (0..100)
            .map(|i| message(i, &format!("g{i}"), 2_000))
            .collect();
        let mut planner = BatchPlanner::new(&messages);
        let batches: Vec<_> = std::iter::from_fn(|| planner.next_batch()).collect();
        assert_eq!(batches.len(), 10);
        assert!(batches.iter().all(|b| b.len() == MAX_BATCH_ENTRIES));
        assert_eq!(batches[9], (90..100).collect::<Vec<_>>());
    }

    #[test]
    fn a_busy_group_gets_no_further_batch_until_released() {
        let messages: Vec<_> = (0..25).map(|i| message(i, "g", 10)).collect();
        let mut planner = BatchPlanner::new(&messages);
        assert_eq!(planner.next_batch(), Some((0..10).collect()));
        assert_eq!(planner.next_batch(), None);
        planner.release(0);
        assert_eq!(planner.next_batch(), Some((10..20).collect()));
        assert_eq!(planner.abandon(0), (20..25).collect::<Vec<_>>());
        planner.release(0);
        assert_eq!(planner.next_batch(), None);
    }

    #[test]
    fn a_batch_mixes_groups_but_takes_each_in_order() {
        let groups = ["a", "b", "a", "c", "b", "a"];
        let messages: Vec<_> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| message(i, g, 10))
            .collect();
        assert_eq!(settled_batches(&messages), vec![vec![0, 2, 5, 1, 4, 3]]);
    }

    #[test]
    fn batches_never_exceed_the_byte_limit_and_keep_order() {
        let messages: Vec<_> = (0..7).map(|i| message(i, "g", 400_000)).collect();
        let batches = settled_batches(&messages);
        assert_eq!(batches, vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6]]);
        for batch in &batches {
            let bytes: usize = batch.iter().map(|&i| messages[i].body.len()).sum();
            assert!(bytes <= MAX_BATCH_BYTES);
        }
    }

    #[test]
    fn oversized_message_stands_alone_and_empty_input_sends_nothing() {
        let messages = vec![
            message(0, "g", 10),
            message(1, "g", MAX_BATCH_BYTES + 1),
            message(2, "g", 10),
        ];
        assert_eq!(settled_batches(&messages), vec![vec![0], vec![1], vec![2]]);
        assert!(BatchPlanner::new(&[]).next_batch().is_none());
    }
}

//! FIFO queues: the port, the batching SQS requires, and the embedded in-process queue.
//!
//! Domain code builds [`FifoMessage`]s and calls [`send_all`], which packs them into
//! `SendMessageBatch`-sized batches and sends them so that each group's messages reach the
//! queue in order: a group's batches one after the other, different groups concurrently,
//! failed entries retried before anything later of their group. Adapters only implement
//! [`FifoQueue::send_batch`].

mod batch;
#[cfg(any(test, feature = "memory"))]
mod memory;
mod port;
mod send;

pub use batch::{MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES};
#[cfg(any(test, feature = "memory"))]
pub use memory::{MemoryQueue, StoredMessage};
pub use port::{FailedEntry, FifoMessage, FifoQueue, QueueError};
pub use send::{MAX_CALLS_IN_FLIGHT, ResendPolicy, SendError, send_all};

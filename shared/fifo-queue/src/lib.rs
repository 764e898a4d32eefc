//! FIFO queues: the port, the batching SQS requires, and the embedded in-process queue.
//!
//! Domain code builds [`FifoMessage`]s and calls [`send_all`], which packs them into
//! `SendMessageBatch`-sized batches, sends the batches concurrently and retries the
//! entries that failed. Adapters only implement [`FifoQueue::send_batch`].

mod batch;
mod memory;
mod port;
mod send;

pub use batch::{MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, plan_batches};
pub use memory::{MemoryQueue, StoredMessage};
pub use port::{FailedEntry, FifoMessage, FifoQueue, QueueError};
pub use send::{RetryPolicy, SendError, send_all};

//! In-memory twins of this crate's adapters (feature `memory`): the local runner's stores
//! and the tests' fakes. The Lambda builds leave the feature off.

mod cursor;
mod ledger;
mod results;
mod step_records;

pub use cursor::{CrashBeforeStore, MemoryCursorStore};
pub use ledger::{MemoryCounter, MemoryLedger};
pub use results::{MemoryResults, Published};
pub use step_records::MemoryRecords;

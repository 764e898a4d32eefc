//! The ports: the traits through which the domain crates (`router`, `step-runner`,
//! `log-polling`) reach the outside world, and the errors those calls return.
//!
//! This crate holds contracts only. Production adapters implement them in
//! `aws-adapters` (DynamoDB) and `okta-adapters` (Okta); the in-memory twins the local
//! runner and the tests use live beside them, behind those crates' `memory` feature.
//! It depends on no domain or adapter crate, only on the value types the ports speak in
//! ([`okta_client::OktaClient`], [`org_secrets::OrgName`]), so that no import climbs
//! back up the layers.
//!
//! | port | used by | adapter |
//! | --- | --- | --- |
//! | [`EventLedger`], [`ActionCounter`], [`WindowStore`] | router | `aws_adapters::{DynamoLedger, DynamoCounter}` |
//! | [`Directory`] | router | `okta_adapters::OktaDirectory` |
//! | [`StepRecords`] | step-runner | `aws_adapters::DynamoStepRecords` |
//! | [`OktaAccess`] | step-runner | `okta_adapters::OktaClients` |
//! | [`CursorStore`] | log-polling | `aws_adapters::DynamoCursorStore` |
//! | [`ResultSink`] | router, step-runner | `aws_adapters::EventBridgeResults` |

mod cursor;
mod directory;
mod ledger;
mod okta_access;
mod results;
mod step_records;
mod store;

pub use cursor::{CursorStore, CursorUpdate, StoredCursor};
pub use directory::{Directory, DirectoryError};
pub use ledger::{ActionCounter, EventLedger, VersionedState, WindowStore};
pub use okta_access::{AccessError, OktaAccess};
pub use results::{
    ActionResult, DynResultSink, NoResults, RESULT_DETAIL_TYPE, RESULT_SOURCE, ResultSink,
    ResultStatus, StepOutcome, StepStatus,
};
pub use step_records::{Claim, StepRecords};
pub use store::StoreError;

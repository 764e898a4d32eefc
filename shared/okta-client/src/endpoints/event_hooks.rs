//! Event hooks (`/api/v1/eventHooks`): what `okta-hooks hook setup` drives.

use http::Method;

use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::EventHook;

impl OktaClient {
    /// `GET /api/v1/eventHooks`.
    pub async fn list_event_hooks(&self) -> Result<Reply<Vec<EventHook>>> {
        let url = self.url(&["api", "v1", "eventHooks"])?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `POST /api/v1/eventHooks`: created ACTIVE but UNVERIFIED.
    pub async fn create_event_hook(&self, hook: &EventHook) -> Result<Reply<EventHook>> {
        let url = self.url(&["api", "v1", "eventHooks"])?;
        self.call_json(Call::new(Method::POST, url).json(hook)?)
            .await
    }

    /// `GET /api/v1/eventHooks/{eventHookId}`.
    pub async fn get_event_hook(&self, id: &str) -> Result<Reply<EventHook>> {
        let url = self.url(&["api", "v1", "eventHooks", id])?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `PUT /api/v1/eventHooks/{eventHookId}`: full replace; a new channel needs re-verifying.
    pub async fn replace_event_hook(&self, id: &str, hook: &EventHook) -> Result<Reply<EventHook>> {
        let url = self.url(&["api", "v1", "eventHooks", id])?;
        self.call_json(Call::new(Method::PUT, url).json(hook)?)
            .await
    }

    /// `POST …/lifecycle/activate`.
    pub async fn activate_event_hook(&self, id: &str) -> Result<Reply<EventHook>> {
        self.event_hook_lifecycle(id, "activate").await
    }

    /// `POST …/lifecycle/deactivate`.
    pub async fn deactivate_event_hook(&self, id: &str) -> Result<Reply<EventHook>> {
        self.event_hook_lifecycle(id, "deactivate").await
    }

    /// `POST …/lifecycle/verify`: Okta sends the one-time GET challenge to the hook's URL.
    pub async fn verify_event_hook(&self, id: &str) -> Result<Reply<EventHook>> {
        self.event_hook_lifecycle(id, "verify").await
    }

    /// `DELETE /api/v1/eventHooks/{eventHookId}` (INACTIVE hooks only).
    pub async fn delete_event_hook(&self, id: &str) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "eventHooks", id])?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }

    async fn event_hook_lifecycle(&self, id: &str, op: &str) -> Result<Reply<EventHook>> {
        let url = self.url(&["api", "v1", "eventHooks", id, "lifecycle", op])?;
        self.call_json(Call::new(Method::POST, url)).await
    }
}

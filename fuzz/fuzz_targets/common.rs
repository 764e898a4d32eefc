//! What the rules targets share: a real System Log event to evaluate against.

use std::sync::LazyLock;

use serde_json::Value;

/// The first event of the repo's sample delivery (`events/`), as the router sees it.
pub static EVENT: LazyLock<Value> = LazyLock::new(|| {
    let delivery: Value = serde_json::from_str(include_str!(
        "../../events/okta-delivery.user.session.start.json"
    ))
    .expect("the sample delivery is JSON");
    delivery["data"]["events"][0].clone()
});

/// The subject user an enriched rule sees.
pub fn subject() -> rules::SubjectUser {
    serde_json::from_value(serde_json::json!({
        "id": "00u1fuzz", "status": "ACTIVE",
        "profile": {"login": "fuzz@example.com", "department": "Engineering"},
        "groups": [{"id": "00g1fuzz", "name": "Everyone", "type": "BUILT_IN"}]
    }))
    .expect("a subject user")
}

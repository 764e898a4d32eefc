//! The stack deployed with `Ingress=PollOnly` (`make cost`'s cheapest option at high
//! volume): no hook endpoint at all, and the log-poller the only source of events. What
//! the poller reads from the System Log is routed and acted on like a delivery, each
//! change once, and a second poll acts on nothing.

use integration_tests::mixed_org::event_about;
use integration_tests::slack::Slack;
use okta_double::OktaDouble;
use serde_json::json;

use crate::stack_faults::{
    SETTLES_WITHIN, SUSPICIOUS, active, all_granted, lock_down_text, locked_down_once,
    missed_by_hook, stack_on, told,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_only_stack_acts_once_on_what_the_poller_reads_and_has_no_hook() {
    let okta = OktaDouble::start().await;
    let users: Vec<_> = (0..4)
        .map(|i| active(&okta, &format!("00upollonly{i:02}")))
        .collect();
    let slack = Slack::start().await;
    // The poller runs when the test says so, not on its own schedule.
    let stack = stack_on(
        "it-poll-only",
        &okta,
        &slack,
        &[("Ingress", "PollOnly"), ("PollSchedule", "rate(1 day)")],
    )
    .await;
    // No way in: no hook URL, no hook function.
    assert_eq!(stack.hook_url(), "", "a poll-only stack has a hook URL");
    assert_eq!(stack.log("HookIngestFunction"), "");

    // Every event is only in the System Log (published now, within the look-back).
    for user in &users {
        let mut event = event_about(SUSPICIOUS, &format!("polled-{}", user.id), user);
        if let Some(object) = event.as_object_mut() {
            object.remove("published");
        }
        okta.log_event(event);
    }
    let run_poller = || async {
        let (status, body) = stack
            .control_post("/schedules/LogPollerFunction/run", &json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
    };
    run_poller().await;
    stack
        .wait_until("every lock-down told", SETTLES_WITHIN, || async {
            slack.texts().await.len() >= users.len()
        })
        .await;
    stack.settled(SETTLES_WITHIN).await;
    // A second run finds nothing new.
    run_poller().await;
    stack.settled(SETTLES_WITHIN).await;

    for user in &users {
        locked_down_once(&okta, user);
        assert_eq!(told(&slack, &lock_down_text(user)).await, 1, "{}", user.id);
    }
    assert_eq!(okta.applied_total("suspend"), users.len());
    let texts = slack.texts().await;
    assert_eq!(texts.len(), users.len(), "{texts:?}");
    // With no hook, every event the poller reads is one the hook did not deliver.
    assert_eq!(
        missed_by_hook(&stack),
        [u64::try_from(users.len()).unwrap_or(u64::MAX), 0],
        "EventsMissedByHook per run: {}",
        stack.log("LogPollerFunction")
    );
    stack.no_letters().await;
    all_granted(&stack).await;
}

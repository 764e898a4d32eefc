//! `tests:` of a rule: each case's events, subject, org and expectation, checked at load
//! (the events named by path are read when the tests run).

use serde_json::{Map, Value};

use crate::testing::{EventSource, Expect, ExpectedStep, RuleTest};
use crate::text::{closest, did_you_mean};
use crate::yaml::{Kind, Node};

use super::{Cx, Fields};

const CASE_KEYS: &[&str] = &["name", "event", "events", "user", "org", "expect", "fires"];

impl Cx<'_> {
    /// The cases of a rule's `tests:`, each checked; a case with an error is left out.
    pub(super) fn tests(&mut self, node: &Node, rule_id: &str) -> Vec<RuleTest> {
        let mut cases: Vec<RuleTest> = Vec::new();
        for case in self.seq(node, "`tests`") {
            if let Some(test) = self.case(case, rule_id) {
                if let Some(first) = cases.iter().find(|c| c.name == test.name) {
                    let line = first.pos.line;
                    self.error(
                        test.pos,
                        format!(
                            "test \"{}\" is named twice in this rule (first at line {line})",
                            test.name
                        ),
                    );
                    continue;
                }
                cases.push(test);
            }
        }
        cases
    }

    fn case(&mut self, node: &Node, rule_id: &str) -> Option<RuleTest> {
        let fields = self.map(node, "a test", CASE_KEYS)?;
        let errors_before = self.diags.list.len();
        let name = match fields.get("name") {
            Some(n) => self.string(n, "a test's `name`"),
            None => {
                self.error(node.pos, "a test needs a `name`");
                None
            }
        };
        let events = self.case_events(node, &fields);
        let user = fields.get("user").and_then(|n| {
            serde_json::from_value(n.to_json())
                .map_err(|e| {
                    self.error(
                        n.pos,
                        format!("`user` is not a user ({{id, status, profile, groups}}): {e}"),
                    );
                })
                .ok()
        });
        let org = fields
            .get("org")
            .and_then(|n| self.string(n, "`org`"))
            .unwrap_or_else(|| "default".to_owned());
        let (expect, expect_pos) = match fields.get("expect") {
            Some(n) => (self.expect(n, &fields), fields.key_pos("expect")),
            None => {
                self.error(
                    node.pos,
                    "a test needs `expect`: `none`, or the steps of the plan it must produce",
                );
                (None, node.pos)
            }
        };
        let has_errors = self.diags.list[errors_before..]
            .iter()
            .any(crate::Diagnostic::is_error);
        if has_errors {
            return None;
        }
        Some(RuleTest {
            rule: rule_id.to_owned(),
            file: self.file.to_owned(),
            pos: node.pos,
            name: name?,
            events,
            user,
            org,
            expect: expect?,
            expect_pos,
        })
    }

    fn case_events(&mut self, node: &Node, fields: &Fields<'_>) -> Vec<EventSource> {
        match (fields.get("event"), fields.get("events")) {
            (Some(one), None) => self.event_source(one).into_iter().collect(),
            (None, Some(list)) => {
                let items = self.seq(list, "`events`");
                if items.is_empty() && matches!(list.kind, Kind::Seq(_)) {
                    self.error(list.pos, "`events` lists no event");
                }
                items.iter().filter_map(|n| self.event_source(n)).collect()
            }
            (Some(_), Some(list)) => {
                self.error(list.pos, "a test has `event` or `events`, not both");
                Vec::new()
            }
            (None, None) => {
                self.error(
                    node.pos,
                    "a test needs `event` (one) or `events` (a sequence): inline, or a path to a System Log event file",
                );
                Vec::new()
            }
        }
    }

    /// An inline event, a path, or `{file: path, <field>: <value>…}`.
    fn event_source(&mut self, node: &Node) -> Option<EventSource> {
        match &node.kind {
            Kind::Str(path) if !path.trim().is_empty() => Some(EventSource::File {
                path: path.trim().to_owned(),
                fields: Map::new(),
                pos: node.pos,
            }),
            Kind::Map(entries) => {
                let Value::Object(mut object) = node.to_json() else {
                    return None;
                };
                match object.remove("file") {
                    Some(Value::String(path)) => Some(EventSource::File {
                        path,
                        fields: object,
                        pos: node.pos,
                    }),
                    Some(_) => {
                        let pos = entries
                            .iter()
                            .find(|(k, _, _)| k == "file")
                            .map_or(node.pos, |(_, _, v)| v.pos);
                        self.error(pos, "`file` must be a path");
                        None
                    }
                    None => Some(EventSource::Inline(Value::Object(object))),
                }
            }
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "an event must be a mapping (the event, or `file:` and fields to set) or a path, not {}",
                        node.kind_name()
                    ),
                );
                None
            }
        }
    }

    fn expect(&mut self, node: &Node, fields: &Fields<'_>) -> Option<Expect> {
        let fires = fields.get("fires").and_then(|n| match n.kind {
            Kind::Int(i) if i >= 1 => usize::try_from(i).ok(),
            _ => {
                self.error(n.pos, "`fires` must be a whole number ≥ 1");
                None
            }
        });
        match &node.kind {
            Kind::Str(s) if s == "none" => {
                if let Some(n) = fields.get("fires") {
                    self.error(
                        n.pos,
                        "`fires` goes with a list of steps, not `expect: none`",
                    );
                }
                Some(Expect::Nothing)
            }
            Kind::Seq(items) if !items.is_empty() => {
                let steps: Vec<ExpectedStep> =
                    items.iter().filter_map(|i| self.expected_step(i)).collect();
                (steps.len() == items.len()).then_some(Expect::Plans {
                    count: fires.unwrap_or(1),
                    steps,
                })
            }
            _ => {
                self.error(
                    node.pos,
                    "`expect` must be `none` or a list of the plan's steps (`- action: …` and the parameters that matter)",
                );
                None
            }
        }
    }

    fn expected_step(&mut self, node: &Node) -> Option<ExpectedStep> {
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.pos,
                format!(
                    "an expected step must be a mapping (`action:` and parameters), not {}",
                    node.kind_name()
                ),
            );
            return None;
        };
        let fields = Fields(entries);
        let Some(action_node) = fields.get("action") else {
            self.error(node.pos, "an expected step needs an `action`");
            return None;
        };
        let action = self.string(action_node, "`action`")?;
        let Some(spec) = actions::find(&action) else {
            let hint = did_you_mean(closest(&action, actions::catalog().iter().map(|a| a.name)));
            self.error(action_node.pos, format!("unknown action `{action}`{hint}"));
            return None;
        };
        let mut params = Map::new();
        let mut ok = true;
        for (key, pos, value) in entries {
            if key == "action" {
                continue;
            }
            if spec.param(key).is_none() {
                let hint = did_you_mean(closest(key, spec.params.iter().map(|p| p.name)));
                self.error(
                    *pos,
                    format!(
                        "unknown parameter `{key}` of {action}{hint} (it takes: {})",
                        spec.param_names()
                    ),
                );
                ok = false;
                continue;
            }
            params.insert(key.clone(), value.to_json());
        }
        ok.then_some(ExpectedStep { action, params })
    }
}

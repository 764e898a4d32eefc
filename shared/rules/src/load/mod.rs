//! Rule files to checked rules, with a diagnostic (file, line, column) for every problem.
//!
//! This module walks the YAML shape (files, rules, steps, parameters) and reports what
//! is missing, unknown or of the wrong kind; it asks [`scope`] which names an expression
//! may use where, [`positions`] where inside a string a `${…}` is written, and
//! [`literals`] whether a value known at load fits its parameter.

mod cases;
mod gates;

pub(crate) use gates::parse_duration_ms;
mod literals;
mod positions;
mod scope;

use std::collections::HashMap;

use serde_json::Value;

use crate::diagnostic::{Diagnostics, Pos};
use crate::event_types;
use crate::expr::Expr;
use crate::model::{Enrichment, Rule, StepDef, TValue};
use crate::protect::Protection;
use crate::template::Template;
use crate::text::{closest, did_you_mean};
use crate::yaml::{self, Kind, Node};

use scope::{Place, StepScope};

const TOP_KEYS: &[&str] = &["rules", "protected"];
const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "on",
    "if",
    "org",
    "enrich",
    "dry_run",
    "max_destructive_per_hour",
    "do",
    "on_failure",
    "threshold",
    "suppress",
    "tests",
];
const STEP_KEYS: &[&str] = &["action", "name", "for_each"];
const PROTECTED_KEYS: &[&str] = &["users", "groups"];

/// What loading a set of files produced.
pub(crate) struct Loaded {
    pub rules: Vec<Rule>,
    pub protection: Protection,
    pub diags: Diagnostics,
}

/// Loads and checks `(file name, text)` pairs as one rule set.
pub(crate) fn load(sources: &[(String, String)]) -> Loaded {
    let mut diags = Diagnostics::default();
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: Vec<(String, String, Pos)> = Vec::new();
    let mut protection = Protection::default();
    for (file, text) in sources {
        let root = match yaml::parse(text) {
            Ok(root) => root,
            Err(e) => {
                diags.error(file, e.pos, e.message);
                continue;
            }
        };
        let mut cx = Cx {
            file,
            text,
            diags: &mut diags,
            ids: &mut ids,
        };
        if matches!(root.kind, Kind::Null) {
            cx.warning(root.pos, "empty rule file");
            continue;
        }
        let Some(top) = cx.map(&root, "a rule file", TOP_KEYS) else {
            continue;
        };
        if let Some(list) = top.get("rules") {
            for node in cx.seq(list, "`rules`") {
                if let Some(rule) = cx.rule(node) {
                    rules.push(rule);
                }
            }
        }
        if let Some(node) = top.get("protected") {
            cx.protected(node, &mut protection);
        }
    }
    check_duplicate_ids(&ids, &mut diags);
    Loaded {
        rules,
        protection,
        diags,
    }
}

fn check_duplicate_ids(ids: &[(String, String, Pos)], diags: &mut Diagnostics) {
    let mut seen: HashMap<&str, (&str, Pos)> = HashMap::new();
    for (id, file, pos) in ids {
        if let Some((first_file, first)) = seen.get(id.as_str()) {
            diags.error(
                file,
                *pos,
                format!(
                    "duplicate rule id `{id}` (first at {first_file}:{}:{})",
                    first.line, first.column
                ),
            );
        } else {
            seen.insert(id, (file, *pos));
        }
    }
}

/// A mapping's entries, looked up by key.
struct Fields<'a>(&'a [(String, Pos, Node)]);

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Node> {
        self.0.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v)
    }

    /// Where `key` is written (the default position when it is not).
    fn key_pos(&self, key: &str) -> Pos {
        self.0
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, pos, _)| *pos)
            .unwrap_or_default()
    }
}

struct Cx<'a> {
    file: &'a str,
    /// The file's text, to place errors on the `${` of the expression they concern.
    text: &'a str,
    diags: &'a mut Diagnostics,
    /// Every rule id with its file and place, including rules that have errors.
    ids: &'a mut Vec<(String, String, Pos)>,
}

impl Cx<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.error(self.file, pos, message);
    }

    fn warning(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.warning(self.file, pos, message);
    }

    /// A mapping whose keys must be among `known`.
    fn map<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.pos,
                format!("{what} must be a mapping, not {}", node.kind_name()),
            );
            return None;
        };
        for (key, pos, _) in entries {
            if !known.contains(&key.as_str()) {
                let hint = did_you_mean(closest(key, known.iter().copied()));
                self.error(
                    *pos,
                    format!(
                        "unknown key `{key}` in {what}{hint} (known: {})",
                        known.join(", ")
                    ),
                );
            }
        }
        Some(Fields(entries))
    }

    fn seq<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            _ => {
                self.error(
                    node.pos,
                    format!("{what} must be a list, not {}", node.kind_name()),
                );
                &[]
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) if !s.trim().is_empty() => Some(s.to_owned()),
            Some(_) => {
                self.error(node.pos, format!("{what} must not be empty"));
                None
            }
            None => {
                self.error(
                    node.pos,
                    format!("{what} must be a string, not {}", node.kind_name()),
                );
                None
            }
        }
    }

    /// A string or a list of strings, with each item's position.
    fn strings(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        match &node.kind {
            Kind::Str(_) => self
                .string(node, what)
                .map(|s| vec![(s, node.pos)])
                .unwrap_or_default(),
            Kind::Seq(items) => items
                .iter()
                .filter_map(|n| self.string(n, what).map(|s| (s, n.pos)))
                .collect(),
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "{what} must be a string or a list of strings, not {}",
                        node.kind_name()
                    ),
                );
                Vec::new()
            }
        }
    }

    fn bool(&mut self, node: &Node, what: &str) -> bool {
        match node.kind {
            Kind::Bool(b) => b,
            _ => {
                self.error(
                    node.pos,
                    format!("{what} must be true or false, not {}", node.kind_name()),
                );
                false
            }
        }
    }

    fn rule(&mut self, node: &Node) -> Option<Rule> {
        let fields = self.map(node, "a rule", RULE_KEYS)?;
        let errors_before = self.diags.list.len();
        let id = match fields.get("id") {
            Some(n) => self.string(n, "`id`"),
            None => {
                self.error(node.pos, "a rule needs an `id`");
                None
            }
        };
        if let Some(id) = &id {
            self.ids.push((id.clone(), self.file.to_owned(), node.pos));
        }
        if let Some(id) = &id
            && !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            self.error(
                fields.get("id").map_or(node.pos, |n| n.pos),
                format!("rule id `{id}`: use letters, digits, `-`, `_` and `.` only"),
            );
        }
        let on = match fields.get("on") {
            Some(n) => self.event_types(n),
            None => {
                self.error(node.pos, "a rule needs `on`: the event types it handles");
                Vec::new()
            }
        };
        let enrich = fields
            .get("enrich")
            .map(|n| self.enrich(n))
            .unwrap_or_default();
        let condition = fields
            .get("if")
            .and_then(|n| self.expr(n, Place::Condition, enrich));
        let orgs = fields.get("org").map(|n| {
            self.strings(n, "`org`")
                .into_iter()
                .map(|(s, _)| s)
                .collect()
        });
        let dry_run = fields
            .get("dry_run")
            .is_some_and(|n| self.bool(n, "`dry_run`"));
        let max_destructive_per_hour = fields.get("max_destructive_per_hour").and_then(|n| match n
            .kind
        {
            Kind::Int(i) if i >= 0 => u32::try_from(i).ok(),
            _ => {
                self.error(
                    n.pos,
                    "`max_destructive_per_hour` must be a whole number ≥ 0",
                );
                None
            }
        });
        let threshold = fields
            .get("threshold")
            .and_then(|n| self.threshold(n, enrich));
        let suppress = fields
            .get("suppress")
            .and_then(|n| self.suppress(n, enrich));
        let mut scope = StepScope::first_do();
        let steps = match fields.get("do") {
            Some(n) => self.steps(n, enrich, &mut scope),
            None => {
                self.error(node.pos, "a rule needs `do`: the steps it runs");
                Vec::new()
            }
        };
        if let Some(n) = fields.get("do")
            && matches!(&n.kind, Kind::Seq(items) if items.is_empty())
        {
            self.error(n.pos, "`do` has no steps");
        }
        // on_failure steps see only each other's outputs: which `do` steps ran is unknown.
        let on_failure = fields
            .get("on_failure")
            .map(|n| self.steps(n, enrich, &mut scope.into_on_failure()))
            .unwrap_or_default();
        let tests = match (fields.get("tests"), &id) {
            (Some(n), Some(id)) => self.tests(n, id),
            _ => Vec::new(),
        };
        let has_errors = self.diags.list[errors_before..]
            .iter()
            .any(crate::Diagnostic::is_error);
        if has_errors {
            return None;
        }
        Some(Rule {
            id: id?,
            on,
            condition,
            orgs,
            enrich,
            dry_run,
            max_destructive_per_hour,
            steps,
            on_failure,
            threshold,
            suppress,
            tests,
        })
    }

    fn event_types(&mut self, node: &Node) -> Vec<String> {
        let types = self.strings(node, "`on`");
        if types.is_empty() && matches!(node.kind, Kind::Seq(_)) {
            self.error(node.pos, "`on` lists no event type");
        }
        for (t, pos) in &types {
            match event_types::lookup(t) {
                Some(true) => {}
                Some(false) => self.warning(
                    *pos,
                    format!(
                        "event type `{t}` is not event-hook eligible: only the System Log \
                         poller will deliver it"
                    ),
                ),
                None => {
                    let hint = did_you_mean(event_types::suggest(t));
                    self.error(
                        *pos,
                        format!(
                            "unknown event type `{t}`{hint} (not in Okta's event-type catalog)"
                        ),
                    );
                }
            }
        }
        types.into_iter().map(|(t, _)| t).collect()
    }

    fn enrich(&mut self, node: &Node) -> Enrichment {
        let mut enrich = Enrichment::default();
        for (what, pos) in self.strings(node, "`enrich`") {
            match what.as_str() {
                "user" => enrich.user = true,
                "groups" => enrich.groups = true,
                other => self.error(
                    pos,
                    format!("unknown enrichment `{other}` (known: user, groups)"),
                ),
            }
        }
        enrich
    }

    /// Compiles a CEL expression written as a YAML string, checking its variables.
    fn expr(&mut self, node: &Node, place: Place<'_>, enrich: Enrichment) -> Option<Expr> {
        let source = self.string(node, "an expression")?;
        // Accept `if: ${ … }` too: the braces are redundant there but natural to write.
        let trimmed = source.trim();
        let source = trimmed
            .strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(trimmed);
        match Expr::compile(source) {
            Ok(expr) => {
                self.check_names(node.pos, &expr, place, enrich);
                Some(expr)
            }
            Err(e) => {
                self.error(node.pos, format!("in `{source}`: {e}"));
                None
            }
        }
    }

    /// Reports at `pos` every name `expr` uses that is not in scope at `place`.
    fn check_names(&mut self, pos: Pos, expr: &Expr, place: Place<'_>, enrich: Enrichment) {
        for problem in scope::problems(expr, place, enrich) {
            self.error(pos, problem);
        }
    }

    /// The steps of one section (`do` or `on_failure`); each named one joins `scope`
    /// for the steps after it.
    fn steps(&mut self, node: &Node, enrich: Enrichment, scope: &mut StepScope) -> Vec<StepDef> {
        let list = match &node.kind {
            Kind::Seq(items) => items.as_slice(),
            _ => {
                self.error(
                    node.pos,
                    format!("steps must be a list, not {}", node.kind_name()),
                );
                return Vec::new();
            }
        };
        let mut steps = Vec::new();
        for step in list {
            if let Some(def) = self.step(step, enrich, scope) {
                if let Some(name) = &def.name {
                    scope.add(name.clone(), def.action);
                }
                steps.push(def);
            }
        }
        steps
    }

    fn step(&mut self, node: &Node, enrich: Enrichment, scope: &StepScope) -> Option<StepDef> {
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.pos,
                format!("a step must be a mapping, not {}", node.kind_name()),
            );
            return None;
        };
        let fields = Fields(entries);
        let Some(action_node) = fields.get("action") else {
            self.error(node.pos, "a step needs an `action`");
            return None;
        };
        let action_name = self.string(action_node, "`action`")?;
        let Some(spec) = actions::find(&action_name) else {
            let hint = did_you_mean(closest(
                &action_name,
                actions::catalog().iter().map(|a| a.name),
            ));
            self.error(
                action_node.pos,
                format!(
                    "unknown action `{action_name}`{hint} (`okta-hooks actions list` shows them)"
                ),
            );
            return None;
        };
        let name = fields.get("name").and_then(|n| {
            let name = self.string(n, "`name`")?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || name.starts_with(|c: char| c.is_ascii_digit())
            {
                self.error(n.pos, format!("step name `{name}`: use letters, digits and `_` (it is read as `steps.{name}`)"));
                return None;
            }
            if scope.is_taken(&name) {
                self.error(n.pos, format!("step name `{name}` is used twice in this rule"));
                return None;
            }
            Some(name)
        });
        let for_each = fields
            .get("for_each")
            .and_then(|n| self.expr(n, Place::ForEach, enrich));
        if for_each.is_some()
            && let Some(n) = fields.get("name")
        {
            self.error(
                n.pos,
                "a `for_each` step runs many times: it cannot have a `name`",
            );
        }
        let place = Place::Param {
            in_for_each: fields.get("for_each").is_some(),
            steps: scope,
        };
        let mut params = Vec::new();
        for (key, pos, value) in entries {
            if STEP_KEYS.contains(&key.as_str()) {
                continue;
            }
            let Some(param) = spec.param(key) else {
                let hint = did_you_mean(closest(key, spec.params.iter().map(|p| p.name)));
                self.error(
                    *pos,
                    format!(
                        "unknown parameter `{key}` of {}{hint} (it takes: {})",
                        spec.name,
                        spec.param_names()
                    ),
                );
                continue;
            };
            let tvalue = self.tvalue(value, place, enrich);
            if let Some(tvalue) = tvalue {
                if let Some(problem) = literals::type_problem(spec, param, &tvalue) {
                    self.error(value.pos, problem);
                }
                params.push((key.clone(), tvalue));
            }
        }
        for missing in spec.missing(|p| entries.iter().any(|(k, _, _)| k == p)) {
            self.error(node.pos, missing.to_string());
        }
        Some(StepDef {
            action: spec,
            name,
            for_each,
            params,
        })
    }

    /// A parameter value, with its templates compiled and checked.
    fn tvalue(&mut self, node: &Node, place: Place<'_>, enrich: Enrichment) -> Option<TValue> {
        let value = match &node.kind {
            Kind::Str(s) => match Template::parse(s) {
                Ok(Template::Text(t)) => TValue::Lit(Value::String(t)),
                Ok(t) => {
                    for (n, expr) in t.exprs().enumerate() {
                        let pos = positions::template_pos(self.text, node.pos, n);
                        self.check_names(pos, expr, place, enrich);
                    }
                    TValue::Str(t)
                }
                Err(e) => {
                    let pos = positions::template_error_pos(self.text, node.pos, s, e.offset);
                    self.error(pos, e.message);
                    return None;
                }
            },
            Kind::Seq(items) => {
                let items: Vec<TValue> = items
                    .iter()
                    .filter_map(|i| self.tvalue(i, place, enrich))
                    .collect();
                literals::fold_list(items)
            }
            Kind::Map(entries) => {
                let entries: Vec<(String, TValue)> = entries
                    .iter()
                    .filter_map(|(k, _, v)| Some((k.clone(), self.tvalue(v, place, enrich)?)))
                    .collect();
                literals::fold_map(entries)
            }
            _ => TValue::Lit(node.to_json()),
        };
        Some(value)
    }

    fn protected(&mut self, node: &Node, protection: &mut Protection) {
        let Some(fields) = self.map(node, "`protected`", PROTECTED_KEYS) else {
            return;
        };
        if let Some(users) = fields.get("users") {
            for (u, _) in self.strings(users, "a protected user") {
                protection.add_user(u);
            }
        }
        if let Some(groups) = fields.get("groups") {
            for (g, _) in self.strings(groups, "a protected group") {
                protection.add_group(g);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    /// The errors of `yaml` as one file `t.yaml`, as `rules check` prints them, in order.
    pub(crate) fn errors(yaml: &str) -> Vec<String> {
        crate::RuleSet::check_sources(&[("t.yaml", yaml)])
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_duplicate_id_in_another_file_names_the_first_file_and_place() {
        let rule = |id: &str| {
            format!(
                "rules:\n  - id: {id}\n    on: [user.account.lock]\n    do:\n      - {{action: user.unlock, user: u}}\n"
            )
        };
        let diags = crate::RuleSet::check_sources(&[
            ("a.yaml", rule("same")),
            ("b.yaml", format!("# another\n{}", rule("same"))),
        ]);
        let errs: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(
            errs,
            ["b.yaml:3:5: error: duplicate rule id `same` (first at a.yaml:2:5)"]
        );
    }

    #[test]
    fn a_for_each_step_cannot_be_named() {
        let errs = errors(
            "rules:\n  - id: a\n    on: [user.account.lock]\n    do:\n      - action: user.unlock\n        for_each: ${ [actor.id] }\n        name: each\n        user: ${ item }\n",
        );
        assert_eq!(
            errs,
            ["t.yaml:7:15: error: a `for_each` step runs many times: it cannot have a `name`"]
        );
    }

    #[test]
    fn an_empty_file_is_a_warning_and_protected_lists_are_read() {
        let diags = crate::RuleSet::check_sources(&[("t.yaml", "")]);
        let diags: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(diags, ["t.yaml:1:1: warning: empty rule file"]);
        let set = crate::RuleSet::from_sources(&[(
            "t.yaml",
            "protected:\n  users: a@b.c\n  groups: [Admins, 00g1]\n",
        )])
        .unwrap();
        assert_eq!(set.protection().users(), ["a@b.c"]);
        assert_eq!(
            errors("protected:\n  users: [a@b.c, 7]\n  grops: []\n"),
            [
                "t.yaml:2:18: error: a protected user must be a string, not an integer",
                "t.yaml:3:3: error: unknown key `grops` in `protected` (did you mean `groups`?) (known: users, groups)",
            ]
        );
    }

    #[test]
    fn every_kind_of_mistake_is_an_error_with_its_place() {
        let yaml = r#"rules:
  - id: a
    on: [user.lifecycle.deactivat]
    colour: red
    if: event.outcome ==
    do:
      - action: user.suspnd
        user: x
      - action: user.sessions.clear
        oauth_tokens: "yes"
      - action: group.add_user
        group: ${ steps.later.id }
        user: ${ user.id }
        extra: 1
      - action: group.create
        name: later
        group_name: x
  - id: a
    on: [user.lifecycle.create]
    do:
      - action: notify.webhook
        url_secret: s
        body: ${ steps.x.id + event.uuid }
"#;
        let errs = errors(yaml);
        let expect = [
            "t.yaml:3:10: error: unknown event type `user.lifecycle.deactivat` (did you mean `user.lifecycle.deactivate`?)",
            "t.yaml:4:5: error: unknown key `colour` in a rule",
            "t.yaml:5:9: error: in `event.outcome ==`: CEL 1:17:",
            "t.yaml:7:17: error: unknown action `user.suspnd` (did you mean `user.suspend`?)",
            "t.yaml:9:9: error: missing parameter `user` (string) of user.sessions.clear",
            "t.yaml:10:23: error: parameter `oauth_tokens` of user.sessions.clear must be bool, got string",
            "t.yaml:12:16: error: in `steps.later.id`: `steps.later` is not a named step before this one",
            "t.yaml:13:15: error: in `user.id`: `user` needs `enrich: [user]`",
            "t.yaml:14:9: error: unknown parameter `extra` of group.add_user",
            "t.yaml:18:5: error: duplicate rule id `a` (first at t.yaml:2:5)",
            "t.yaml:23:15: error: in `steps.x.id + event.uuid`: an expression that reads `steps` or `failure` runs at execution",
        ];
        for want in expect {
            assert!(
                errs.iter().any(|e| e.starts_with(want)),
                "missing {want:?} in {errs:#?}"
            );
        }
    }

    #[test]
    fn yaml_syntax_errors_and_wrong_shapes_have_places() {
        let errs = errors("rules:\n  - id: a\n    on: [x\n");
        assert!(errs[0].starts_with("t.yaml:"), "{errs:?}");
        assert!(errs[0].contains("YAML syntax"), "{errs:?}");
        let errs = errors("rules: {id: a}\n");
        assert_eq!(
            errs,
            ["t.yaml:1:8: error: `rules` must be a list, not a mapping"]
        );
        let errs = errors("rule: []\n");
        assert!(
            errs[0].starts_with(
                "t.yaml:1:1: error: unknown key `rule` in a rule file (did you mean `rules`?)"
            ),
            "{errs:?}"
        );
        let errs = errors("rules:\n  - id: a\n    on: [user.lifecycle.create]\n    do: []\n");
        assert_eq!(errs, ["t.yaml:4:9: error: `do` has no steps"]);
    }

    #[test]
    fn hook_ineligible_types_are_warnings_not_errors() {
        let yaml = "rules:\n  - id: a\n    on: [security.threat.detected]\n    do:\n      - action: notify.webhook\n        url_secret: s\n        body: hi\n";
        let set = crate::RuleSet::from_sources(&[("t.yaml", yaml)]).unwrap();
        assert_eq!(set.warnings().len(), 1);
        assert_eq!(
            set.warnings()[0].to_string(),
            "t.yaml:3:10: warning: event type `security.threat.detected` is not event-hook eligible: only the System Log poller will deliver it"
        );
    }
}

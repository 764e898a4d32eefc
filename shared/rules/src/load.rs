//! Rule files to checked rules, with a diagnostic (file, line, column) for every problem.

use std::collections::{BTreeMap, HashMap};

use actions::{ActionSpec, ParamType};
use serde_json::Value;

use crate::diagnostic::{Diagnostics, Pos};
use crate::event_types;
use crate::expr::{Expr, VARIABLES};
use crate::model::{Enrichment, Rule, StepDef, TValue};
use crate::protect::Protection;
use crate::template::Template;
use crate::text::{closest, did_you_mean};
use crate::yaml::{self, Kind, Node};

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
}

/// Where an expression is, which decides the variables it may use.
#[derive(Clone, Copy)]
enum Place {
    Condition,
    ForEach,
    Param { in_for_each: bool, on_failure: bool },
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
            .and_then(|n| self.expr(n, Place::Condition, enrich, None));
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
        let mut names: BTreeMap<String, &'static ActionSpec> = BTreeMap::new();
        let steps = match fields.get("do") {
            Some(n) => self.steps(n, enrich, false, &mut names),
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
        let mut failure_names: BTreeMap<String, &'static ActionSpec> = BTreeMap::new();
        let on_failure = fields
            .get("on_failure")
            .map(|n| {
                for name in names.keys() {
                    failure_names.insert(format!("\u{0}{name}"), names[name]);
                }
                self.steps(n, enrich, true, &mut failure_names)
            })
            .unwrap_or_default();
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
    fn expr(
        &mut self,
        node: &Node,
        place: Place,
        enrich: Enrichment,
        steps: Option<&BTreeMap<String, &'static ActionSpec>>,
    ) -> Option<Expr> {
        let source = self.string(node, "an expression")?;
        // Accept `if: ${ … }` too: the braces are redundant there but natural to write.
        let trimmed = source.trim();
        let source = trimmed
            .strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(trimmed);
        match Expr::compile(source) {
            Ok(expr) => {
                self.check_vars(node.pos, &expr, place, enrich, steps);
                Some(expr)
            }
            Err(e) => {
                self.error(node.pos, format!("in `{source}`: {e}"));
                None
            }
        }
    }

    fn check_vars(
        &mut self,
        pos: Pos,
        expr: &Expr,
        place: Place,
        enrich: Enrichment,
        steps: Option<&BTreeMap<String, &'static ActionSpec>>,
    ) {
        let refs = expr.refs();
        let src = expr.source();
        for name in expr.unknown_functions() {
            let known = crate::expr::FUNCTIONS.iter().copied();
            let hint = did_you_mean(closest(name, known));
            self.error(pos, format!("in `{src}`: unknown function `{name}`{hint}"));
        }
        for var in &refs.variables {
            if !VARIABLES.contains(&var.as_str()) {
                let hint = did_you_mean(closest(var, VARIABLES.iter().copied()));
                self.error(
                    pos,
                    format!(
                        "in `{src}`: unknown variable `{var}`{hint} (known: {})",
                        VARIABLES.join(", ")
                    ),
                );
            }
        }
        let uses = |v: &str| refs.variables.contains(v);
        if uses("user") && !enrich.any() {
            self.error(
                pos,
                format!(
                    "in `{src}`: `user` needs `enrich: [user]` (or `[user, groups]`) on the rule"
                ),
            );
        }
        let (in_for_each, on_failure, is_param) = match place {
            Place::Param {
                in_for_each,
                on_failure,
            } => (in_for_each, on_failure, true),
            _ => (false, false, false),
        };
        if uses("item") && !in_for_each {
            self.error(
                pos,
                format!("in `{src}`: `item` exists only in a step with `for_each`"),
            );
        }
        if uses("failure") && !on_failure {
            self.error(
                pos,
                format!("in `{src}`: `failure` exists only in `on_failure` steps"),
            );
        }
        if (uses("steps") || uses("failure")) && !is_param {
            self.error(
                pos,
                format!("in `{src}`: `steps` and `failure` can only be used in step parameters"),
            );
            return;
        }
        let deferred = uses("steps") || uses("failure");
        if deferred
            && let Some(other) = refs
                .variables
                .iter()
                .find(|v| *v != "steps" && *v != "failure")
        {
            self.error(
                pos,
                format!(
                    "in `{src}`: an expression that reads `steps` or `failure` runs at execution, \
                     where `{other}` is not known: put it in its own `${{…}}`"
                ),
            );
        }
        if refs.opaque_steps {
            self.error(pos, format!("in `{src}`: write `steps.<name>.<field>`"));
        }
        let Some(steps) = steps else { return };
        for name in &refs.steps {
            match steps.get(name) {
                Some(_) => {}
                None if steps.contains_key(&format!("\u{0}{name}")) => self.error(
                    pos,
                    format!(
                        "in `{src}`: `on_failure` steps cannot use `steps.{name}` of `do`: \
                         which `do` steps ran before the failure is not known"
                    ),
                ),
                None => {
                    let visible = steps.keys().filter(|k| !k.starts_with('\u{0}'));
                    let hint = did_you_mean(closest(name, visible.map(String::as_str)));
                    self.error(
                        pos,
                        format!(
                            "in `{src}`: `steps.{name}` is not a named step before this one{hint}"
                        ),
                    );
                }
            }
        }
        for (name, field) in &refs.step_fields {
            if let Some(spec) = steps.get(name)
                && !spec.outputs.contains(&field.as_str())
            {
                let outputs = if spec.outputs.is_empty() {
                    "nothing".to_owned()
                } else {
                    spec.outputs.join(", ")
                };
                self.error(
                    pos,
                    format!(
                        "in `{src}`: {} has no output `{field}` (it gives: {outputs})",
                        spec.name
                    ),
                );
            }
        }
    }

    fn steps(
        &mut self,
        node: &Node,
        enrich: Enrichment,
        on_failure: bool,
        names: &mut BTreeMap<String, &'static ActionSpec>,
    ) -> Vec<StepDef> {
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
            if let Some(def) = self.step(step, enrich, on_failure, names) {
                if let Some(name) = &def.name {
                    names.insert(name.clone(), def.action);
                }
                steps.push(def);
            }
        }
        steps
    }

    fn step(
        &mut self,
        node: &Node,
        enrich: Enrichment,
        on_failure: bool,
        names: &BTreeMap<String, &'static ActionSpec>,
    ) -> Option<StepDef> {
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
            if names.contains_key(&name) || names.contains_key(&format!("\u{0}{name}")) {
                self.error(n.pos, format!("step name `{name}` is used twice in this rule"));
                return None;
            }
            Some(name)
        });
        let for_each = fields
            .get("for_each")
            .and_then(|n| self.expr(n, Place::ForEach, enrich, None));
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
            on_failure,
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
            let tvalue = self.tvalue(value, place, enrich, names);
            if let Some(tvalue) = tvalue {
                self.check_literal_type(value.pos, spec, param.name, param.ty, &tvalue);
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
    fn tvalue(
        &mut self,
        node: &Node,
        place: Place,
        enrich: Enrichment,
        names: &BTreeMap<String, &'static ActionSpec>,
    ) -> Option<TValue> {
        let value = match &node.kind {
            Kind::Str(s) => match Template::parse(s) {
                Ok(Template::Text(t)) => TValue::Lit(Value::String(t)),
                Ok(t) => {
                    for (n, expr) in t.exprs().enumerate() {
                        let pos = self.template_pos(node.pos, n);
                        self.check_vars(pos, expr, place, enrich, Some(names));
                    }
                    TValue::Str(t)
                }
                Err(e) => {
                    let chars: Vec<char> = s.chars().collect();
                    let n = count_opens(&chars[..e.offset.min(chars.len())]);
                    let pos = self.template_pos(node.pos, n);
                    self.error(pos, e.message);
                    return None;
                }
            },
            Kind::Seq(items) => {
                let items: Vec<TValue> = items
                    .iter()
                    .filter_map(|i| self.tvalue(i, place, enrich, names))
                    .collect();
                simplify_list(items)
            }
            Kind::Map(entries) => {
                let entries: Vec<(String, TValue)> = entries
                    .iter()
                    .filter_map(|(k, _, v)| {
                        Some((k.clone(), self.tvalue(v, place, enrich, names)?))
                    })
                    .collect();
                simplify_map(entries)
            }
            _ => TValue::Lit(node.to_json()),
        };
        Some(value)
    }

    /// Where the `n`-th `${` of the string that starts at `start` is written. Falls back to
    /// the string's own position when the file does not show it (e.g. YAML escapes).
    fn template_pos(&self, start: Pos, n: usize) -> Pos {
        let mut line_start = 0;
        let mut lines = self.text.split_inclusive('\n');
        for _ in 1..start.line {
            line_start += lines.next().map_or(0, str::len);
        }
        let Some(line) = lines.next() else {
            return start;
        };
        let from = line_start
            + line
                .chars()
                .take(start.column.saturating_sub(1))
                .map(char::len_utf8)
                .sum::<usize>();
        let rest: Vec<char> = self.text[from..].chars().collect();
        let mut seen = 0;
        let mut pos = start;
        for (i, c) in rest.iter().enumerate() {
            if is_open(&rest, i) {
                if seen == n {
                    return pos;
                }
                seen += 1;
            }
            if *c == '\n' {
                pos = Pos {
                    line: pos.line + 1,
                    column: 1,
                };
            } else {
                pos.column += 1;
            }
        }
        start
    }

    /// Literal values are checked against the catalog now; templated ones at rendering.
    fn check_literal_type(
        &mut self,
        pos: Pos,
        spec: &ActionSpec,
        name: &str,
        ty: ParamType,
        value: &TValue,
    ) {
        let problem = match value {
            TValue::Lit(v) => spec.check_param(name, v).err().map(|e| e.to_string()),
            TValue::Str(Template::Parts(_))
                if !matches!(ty, ParamType::String | ParamType::Any) =>
            {
                Some(format!(
                    "parameter `{name}` of {} must be {ty}, but text with `${{…}}` makes a string",
                    spec.name
                ))
            }
            TValue::List(_) if !matches!(ty, ParamType::StringList | ParamType::Any) => {
                Some(format!(
                    "parameter `{name}` of {} must be {ty}, not a list",
                    spec.name
                ))
            }
            TValue::Map(_) if !matches!(ty, ParamType::Object | ParamType::Any) => Some(format!(
                "parameter `{name}` of {} must be {ty}, not a mapping",
                spec.name
            )),
            _ => None,
        };
        if let Some(problem) = problem {
            self.error(pos, problem);
        }
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

fn simplify_list(items: Vec<TValue>) -> TValue {
    if items.iter().all(|i| matches!(i, TValue::Lit(_))) {
        TValue::Lit(Value::Array(
            items
                .into_iter()
                .filter_map(|i| match i {
                    TValue::Lit(v) => Some(v),
                    _ => None,
                })
                .collect(),
        ))
    } else {
        TValue::List(items)
    }
}

fn simplify_map(entries: Vec<(String, TValue)>) -> TValue {
    if entries.iter().all(|(_, v)| matches!(v, TValue::Lit(_))) {
        TValue::Lit(Value::Object(
            entries
                .into_iter()
                .filter_map(|(k, v)| match v {
                    TValue::Lit(v) => Some((k, v)),
                    _ => None,
                })
                .collect(),
        ))
    } else {
        TValue::Map(entries)
    }
}

/// Whether `chars[i..]` starts a `${` that is not the escape `$${`.
fn is_open(chars: &[char], i: usize) -> bool {
    chars[i] == '$' && chars.get(i + 1) == Some(&'{') && (i == 0 || chars[i - 1] != '$')
}

/// How many `${` (not `$${`) `chars` holds.
fn count_opens(chars: &[char]) -> usize {
    (0..chars.len()).filter(|&i| is_open(chars, i)).count()
}

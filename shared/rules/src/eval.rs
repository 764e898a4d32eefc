//! Evaluation: an event (and its enriched subject) through the rules, to plans.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actions::ParamError;
use cel::{Context, Value as Cel};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cel_json::{kind, to_cel, to_json};
use crate::expr::{Expr, env};
use crate::model::{Rule, StepDef, TValue};
use crate::plan::{Deferred, DeferredPart, DeferredTemplate, Plan, Step};
use crate::template::{Part, Template, to_text};
use crate::window::{Gate, SuppressGate, ThresholdGate};

/// What the router hands to [`crate::RuleSet::evaluate`].
#[derive(Debug, Clone, Copy)]
pub struct EvalInput<'a> {
    /// The org the event came from (rules may be scoped to orgs).
    pub org: &'a str,
    /// The System Log event, as JSON.
    pub event: &'a Value,
    /// The subject user, fetched when [`crate::RuleSet::enrichment`] asked for it.
    pub subject: Option<&'a SubjectUser>,
}

/// The enriched subject user: the CEL variable `user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectUser {
    /// Okta user id.
    pub id: String,
    /// `ACTIVE`, `SUSPENDED`, … (when the user was fetched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The profile (`login`, `email`, `department`, custom attributes).
    #[serde(default)]
    pub profile: Map<String, Value>,
    /// The user's groups (when asked for).
    #[serde(default)]
    pub groups: Vec<SubjectGroup>,
}

/// A group of the subject user. Reads both this flat shape and Okta's group object
/// (`{id, type, profile: {name}}`), so an answer of `GET /api/v1/users/{id}/groups`
/// deserialises as is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawGroup")]
pub struct SubjectGroup {
    /// Okta group id.
    pub id: String,
    /// `profile.name`.
    pub name: String,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Either spelling of a group's name.
#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    profile: Option<RawGroupProfile>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct RawGroupProfile {
    #[serde(default)]
    name: Option<String>,
}

impl From<RawGroup> for SubjectGroup {
    fn from(raw: RawGroup) -> Self {
        SubjectGroup {
            id: raw.id,
            name: raw
                .name
                .or_else(|| raw.profile.and_then(|p| p.name))
                .unwrap_or_default(),
            kind: raw.kind,
        }
    }
}

/// Why a rule could not be evaluated on an event. Deterministic: retrying the same
/// event gives the same error, so the router logs it rather than retrying.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The input is not a System Log event.
    #[error("not a System Log event: {0}")]
    NotAnEvent(&'static str),
    /// The condition failed to evaluate.
    #[error("rule {rule}: condition `{expr}`: {message}")]
    Condition {
        /// The rule's name.
        rule: String,
        /// The condition's CEL source.
        expr: String,
        /// CEL's error, with a hint for the usual cause.
        message: String,
    },
    /// A step's template or `for_each` failed to evaluate.
    #[error("rule {rule}, step {step} ({action}): `{expr}`: {message}")]
    Template {
        /// The rule's name.
        rule: String,
        /// The step's name.
        step: String,
        /// The step's action.
        action: String,
        /// The failing expression's CEL source.
        expr: String,
        /// CEL's error, with a hint for the usual cause.
        message: String,
    },
    /// The rule's threshold or suppression cannot place the event: no uuid, no
    /// `published` time, or a `by` key that fails or is null.
    #[error("rule {rule}: {what}: {message}")]
    Gate {
        /// The rule's name.
        rule: String,
        /// `threshold`, `suppress`, or the `by` expression concerned.
        what: String,
        /// Why.
        message: String,
    },
    /// A rendered parameter does not fit the catalog.
    #[error("rule {rule}, step {step}: {error}")]
    Param {
        /// The rule's name.
        rule: String,
        /// The step's name.
        step: String,
        /// What the catalog refused.
        #[source]
        error: ParamError,
    },
}

impl EvalError {
    /// The rule concerned, if the error is about one rule.
    pub fn rule(&self) -> Option<&str> {
        match self {
            EvalError::NotAnEvent(_) => None,
            EvalError::Condition { rule, .. }
            | EvalError::Template { rule, .. }
            | EvalError::Gate { rule, .. }
            | EvalError::Param { rule, .. } => Some(rule),
        }
    }
}

/// Why [`Step::render_deferred`] failed at execution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// An expression failed (e.g. the step it reads produced no such field).
    #[error("`{expr}`: {message}")]
    Expr {
        /// The expression's CEL source.
        expr: String,
        /// Why it failed (CEL's error, with a hint).
        message: String,
    },
    /// A deferred pointer does not exist in the parameters.
    #[error("no parameter at {0}")]
    Pointer(String),
    /// The rendered parameters do not fit the catalog.
    #[error("{0}")]
    Param(#[from] actions::ValidateError),
}

/// The variables of one event, built once and shared by every rule.
pub(crate) struct Scope<'e> {
    ctx: Context<'static, 'static>,
    /// The event, for the keys of thresholds and suppression.
    event: &'e Value,
    pub aliases: BTreeMap<String, String>,
}

impl<'e> Scope<'e> {
    pub fn new(input: &EvalInput<'e>) -> Scope<'e> {
        let event = input.event;
        let mut ctx = Context::with_env(Arc::clone(env()));
        let object = |v: Option<&Value>| v.filter(|v| v.is_object()).map_or_else(empty_map, to_cel);
        ctx.add_variable_from_value("event", to_cel(event));
        ctx.add_variable_from_value("org", Cel::String(Arc::new(input.org.to_owned())));
        ctx.add_variable_from_value("actor", object(event.get("actor")));
        ctx.add_variable_from_value("outcome", object(event.get("outcome")));
        ctx.add_variable_from_value(
            "debugData",
            object(event.pointer("/debugContext/debugData")),
        );
        ctx.add_variable_from_value(
            "user",
            input
                .subject
                .and_then(|s| serde_json::to_value(s).ok())
                .map_or(Cel::Null, |v| to_cel(&v)),
        );
        let targets: Arc<Vec<(String, Cel)>> = Arc::new(
            event
                .get("target")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|t| {
                            let kind = t.get("type").and_then(Value::as_str).unwrap_or_default();
                            (kind.to_owned(), to_cel(t))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        );
        let first = Arc::clone(&targets);
        // Names are not standard CEL functions, so adding them cannot conflict.
        let _ = ctx.add_function("target", move |kind: Arc<String>| -> Cel {
            first
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .map_or(Cel::Null, |(_, t)| t.clone())
        });
        let all = Arc::clone(&targets);
        let _ = ctx.add_function("targets", move |kind: Arc<String>| -> Cel {
            Cel::List(Arc::new(
                all.iter()
                    .filter(|(k, _)| k == kind.as_str())
                    .map(|(_, t)| t.clone())
                    .collect(),
            ))
        });
        Scope {
            ctx,
            event,
            aliases: aliases(input),
        }
    }

    fn eval(&self, expr: &Expr, item: Option<&Cel>) -> Result<Cel, String> {
        let program = expr.program().map_err(ToString::to_string)?;
        let result = match item {
            Some(item) => {
                let mut inner = self.ctx.new_inner_scope();
                inner.add_variable_from_value("item", item.clone());
                program.execute(&inner)
            }
            None => program.execute(&self.ctx),
        };
        result.map_err(|e| explain(&e))
    }
}

fn empty_map() -> Cel {
    Cel::Map(cel::objects::Map {
        map: Arc::new(HashMap::new()),
    })
}

/// CEL's error, with a hint for the usual cause (a field of something null).
fn explain(e: &cel::ExecutionError) -> String {
    let text = e.to_string();
    if text.contains("null_type") {
        format!("{text} (a value was null: guard with `has(…)` or `x != null`)")
    } else {
        text
    }
}

/// Id → login/name pairs the event and the enrichment reveal.
fn aliases(input: &EvalInput<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let entities = input
        .event
        .get("target")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(input.event.get("actor"));
    for e in entities {
        let kind = e.get("type").and_then(Value::as_str).unwrap_or_default();
        let id = e.get("id").and_then(Value::as_str);
        let name = match kind {
            "User" => e.get("alternateId"),
            "UserGroup" => e.get("displayName"),
            _ => None,
        }
        .and_then(Value::as_str);
        if let (Some(id), Some(name)) = (id, name)
            && !id.is_empty()
            && !name.is_empty()
        {
            out.insert(id.to_owned(), name.to_owned());
        }
    }
    if let Some(subject) = input.subject {
        if let Some(login) = subject.profile.get("login").and_then(Value::as_str) {
            out.insert(subject.id.clone(), login.to_owned());
        }
        for g in &subject.groups {
            out.insert(g.id.clone(), g.name.clone());
        }
    }
    out
}

/// Whether `rule`'s condition holds for the event.
pub(crate) fn condition_holds(rule: &Rule, scope: &Scope) -> Result<bool, EvalError> {
    let Some(expr) = &rule.condition else {
        return Ok(true);
    };
    let err = |message: String| EvalError::Condition {
        rule: rule.id.clone(),
        expr: expr.source().to_owned(),
        message,
    };
    match scope.eval(expr, None).map_err(err)? {
        Cel::Bool(b) => Ok(b),
        other => Err(EvalError::Condition {
            rule: rule.id.clone(),
            expr: expr.source().to_owned(),
            message: format!("gave {}, not a bool", kind(&other)),
        }),
    }
}

/// The plan of a rule whose condition holds.
pub(crate) fn plan(rule: &Rule, scope: &Scope) -> Result<Plan, EvalError> {
    Ok(Plan {
        rule_id: rule.id.clone(),
        dry_run: rule.dry_run,
        max_destructive_per_hour: rule.max_destructive_per_hour,
        steps: render_steps(rule, &rule.steps, "do", scope)?,
        on_failure: render_steps(rule, &rule.on_failure, "on_failure", scope)?,
        aliases: scope.aliases.clone(),
        gate: gate(rule, scope)?,
    })
}

/// The rule's threshold and suppression with this event's keys, uuid and time.
fn gate(rule: &Rule, scope: &Scope) -> Result<Option<Gate>, EvalError> {
    if rule.threshold.is_none() && rule.suppress.is_none() {
        return Ok(None);
    }
    let fail = |what: &str, message: String| EvalError::Gate {
        rule: rule.id.clone(),
        what: what.to_owned(),
        message,
    };
    let what = if rule.threshold.is_some() {
        "threshold"
    } else {
        "suppress"
    };
    let uuid = scope
        .event
        .get("uuid")
        .and_then(Value::as_str)
        .ok_or_else(|| fail(what, "the event has no `uuid`".into()))?;
    let published = scope
        .event
        .get("published")
        .and_then(Value::as_str)
        .ok_or_else(|| fail(what, "the event has no `published` time".into()))?;
    let published_ms = OffsetDateTime::parse(published, &Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
        .map_err(|e| {
            fail(
                what,
                format!("`published` {published:?} is not an RFC 3339 time: {e}"),
            )
        })?;
    let key = |by: Option<&Expr>, what: &str| -> Result<String, EvalError> {
        let Some(expr) = by else {
            return Ok(rule.id.clone());
        };
        let what = format!("{what} `by` `{}`", expr.source());
        let value = scope.eval(expr, None).map_err(|m| fail(&what, m))?;
        match to_json(&value) {
            Some(Value::Null) | None => Err(fail(
                &what,
                format!("gave {}: guard the rule's `if` against it", kind(&value)),
            )),
            Some(v) => Ok(format!("{}#{}", rule.id, to_text(&v))),
        }
    };
    Ok(Some(Gate {
        uuid: uuid.to_owned(),
        published_ms,
        threshold: match &rule.threshold {
            Some(t) => Some(ThresholdGate {
                key: key(t.by.as_ref(), "threshold")?,
                count: t.count,
                within_ms: t.within_ms,
            }),
            None => None,
        },
        suppress: match &rule.suppress {
            Some(s) => Some(SuppressGate {
                key: key(s.by.as_ref(), "suppress")?,
                for_ms: s.for_ms,
            }),
            None => None,
        },
    }))
}

fn render_steps(
    rule: &Rule,
    defs: &[StepDef],
    list: &str,
    scope: &Scope,
) -> Result<Vec<Step>, EvalError> {
    let mut steps = Vec::with_capacity(defs.len());
    for (i, def) in defs.iter().enumerate() {
        let label = format!("{list}[{}]", i + 1);
        let template_err = |expr: &Expr, message: String| EvalError::Template {
            rule: rule.id.clone(),
            step: label.clone(),
            action: def.action.name.to_owned(),
            expr: expr.source().to_owned(),
            message,
        };
        match &def.for_each {
            None => steps.push(render_step(rule, def, &label, scope, None)?),
            Some(expr) => {
                let items = match scope.eval(expr, None).map_err(|m| template_err(expr, m))? {
                    Cel::List(items) => items,
                    Cel::Null => Arc::new(Vec::new()),
                    other => {
                        return Err(template_err(
                            expr,
                            format!("`for_each` gave {}, not a list", kind(&other)),
                        ));
                    }
                };
                for item in items.iter() {
                    steps.push(render_step(rule, def, &label, scope, Some(item))?);
                }
            }
        }
    }
    Ok(steps)
}

fn render_step(
    rule: &Rule,
    def: &StepDef,
    label: &str,
    scope: &Scope,
    item: Option<&Cel>,
) -> Result<Step, EvalError> {
    let spec = def.action;
    let mut params = Map::new();
    let mut deferred = Vec::new();
    let mut r = Renderer {
        scope,
        item,
        deferred: &mut deferred,
    };
    for (name, tvalue) in &def.params {
        let value =
            r.render(tvalue, &format!("/{}", escape(name)))
                .map_err(|(expr, message)| EvalError::Template {
                    rule: rule.id.clone(),
                    step: label.to_owned(),
                    action: spec.name.to_owned(),
                    expr,
                    message,
                })?;
        let pointer = format!("/{}", escape(name));
        let is_deferred = r.deferred.iter().any(|d| d.pointer == pointer);
        if value.is_null() && !is_deferred && spec.param(name).is_some_and(|p| !p.required) {
            continue; // an optional parameter rendered to null is left out
        }
        if !is_deferred && let Err(error) = spec.check_param(name, &value) {
            return Err(EvalError::Param {
                rule: rule.id.clone(),
                step: label.to_owned(),
                error,
            });
        }
        params.insert(name.clone(), value);
    }
    Ok(Step {
        name: def.name.clone(),
        action: spec.name.to_owned(),
        family: spec.family,
        destructive: spec.destructive,
        params,
        deferred,
    })
}

/// JSON pointer escaping of one key (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

struct Renderer<'s, 'd> {
    scope: &'s Scope<'s>,
    item: Option<&'s Cel>,
    deferred: &'d mut Vec<Deferred>,
}

impl Renderer<'_, '_> {
    /// Renders a parameter value; errors carry the failing expression and message.
    fn render(&mut self, t: &TValue, pointer: &str) -> Result<Value, (String, String)> {
        match t {
            TValue::Lit(v) => Ok(v.clone()),
            TValue::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.render(v, &format!("{pointer}/{i}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            TValue::Map(entries) => entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        self.render(v, &format!("{pointer}/{}", escape(k)))?,
                    ))
                })
                .collect::<Result<Map<_, _>, _>>()
                .map(Value::Object),
            TValue::Str(template) => self.template(template, pointer),
        }
    }

    fn value(&self, expr: &Expr) -> Result<Value, (String, String)> {
        let fail = |m: String| (expr.source().to_owned(), m);
        let v = self.scope.eval(expr, self.item).map_err(fail)?;
        to_json(&v).ok_or_else(|| fail(format!("{} cannot be a parameter value", kind(&v))))
    }

    fn template(&mut self, template: &Template, pointer: &str) -> Result<Value, (String, String)> {
        let deferred = template.exprs().any(Expr::uses_steps)
            || template
                .exprs()
                .any(|e| e.refs().variables.contains("failure"));
        match template {
            Template::Text(t) => Ok(Value::String(t.clone())),
            Template::Whole(e) if deferred => {
                self.defer(pointer, DeferredTemplate::Expr(e.source().to_owned()));
                Ok(Value::Null)
            }
            Template::Whole(e) => self.value(e),
            Template::Parts(parts) if deferred => {
                let mut out = Vec::with_capacity(parts.len());
                for part in parts {
                    out.push(match part {
                        Part::Text(t) => DeferredPart::Text(t.clone()),
                        Part::Expr(e)
                            if e.uses_steps() || e.refs().variables.contains("failure") =>
                        {
                            DeferredPart::Expr(e.source().to_owned())
                        }
                        Part::Expr(e) => DeferredPart::Text(to_text(&self.value(e)?)),
                    });
                }
                self.defer(pointer, DeferredTemplate::Parts(out));
                Ok(Value::Null)
            }
            Template::Parts(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => text.push_str(t),
                        Part::Expr(e) => text.push_str(&to_text(&self.value(e)?)),
                    }
                }
                Ok(Value::String(text))
            }
        }
    }

    fn defer(&mut self, pointer: &str, template: DeferredTemplate) {
        self.deferred.push(Deferred {
            pointer: pointer.to_owned(),
            template,
        });
    }
}

impl Step {
    /// The parameters with every deferred value rendered from the outputs of earlier
    /// steps (`steps.<name>.<field>`) and, in `on_failure` steps, `failure`
    /// (`{step, action, error}` as the executor describes it). Checked against the
    /// catalog before they are returned. Executors call this before acting.
    pub fn render_deferred(
        &self,
        outputs: &BTreeMap<String, Value>,
        failure: Option<&Value>,
    ) -> Result<Map<String, Value>, RenderError> {
        let mut params = Value::Object(self.params.clone());
        if !self.deferred.is_empty() {
            let mut ctx = Context::with_env(Arc::clone(env()));
            let steps: Map<String, Value> = outputs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ctx.add_variable_from_value("steps", to_cel(&Value::Object(steps)));
            ctx.add_variable_from_value("failure", failure.map_or(Cel::Null, to_cel));
            let eval = |source: &str| -> Result<Value, RenderError> {
                let fail = |message: String| RenderError::Expr {
                    expr: source.to_owned(),
                    message,
                };
                let expr = Expr::compile(source).map_err(|e| fail(e.to_string()))?;
                let v = expr
                    .program()
                    .map_err(|e| fail(e.to_string()))?
                    .execute(&ctx)
                    .map_err(|e| fail(explain(&e)))?;
                to_json(&v).ok_or_else(|| fail(format!("{} cannot be a parameter value", kind(&v))))
            };
            for d in &self.deferred {
                let value = match &d.template {
                    DeferredTemplate::Expr(source) => eval(source)?,
                    DeferredTemplate::Parts(parts) => {
                        let mut text = String::new();
                        for part in parts {
                            match part {
                                DeferredPart::Text(t) => text.push_str(t),
                                DeferredPart::Expr(source) => {
                                    text.push_str(&to_text(&eval(source)?));
                                }
                            }
                        }
                        Value::String(text)
                    }
                };
                let slot = params
                    .pointer_mut(&d.pointer)
                    .ok_or_else(|| RenderError::Pointer(d.pointer.clone()))?;
                *slot = value;
            }
        }
        let Value::Object(params) = params else {
            return Err(RenderError::Pointer(String::new()));
        };
        actions::validate_params(&self.action, &params)?;
        Ok(params)
    }
}

/// `render_deferred(step, outputs)`: the free-function spelling of
/// [`Step::render_deferred`] without a failure.
pub fn render_deferred(
    step: &Step,
    outputs: &BTreeMap<String, Value>,
) -> Result<Map<String, Value>, RenderError> {
    step.render_deferred(outputs, None)
}

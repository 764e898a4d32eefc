//! CEL expressions: one environment for every rule, compiled once at load, and the
//! static checks that make `rules check` catch mistakes before an event does.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use cel::common::ast::{EntryExpr, Expr as Ast, IdedExpr};
use cel::common::types::{CelBool, CelString};
use cel::{Env, Program};

/// The variables a condition or template may use (see the crate docs for what each holds).
pub const VARIABLES: &[&str] = &[
    "event",
    "org",
    "actor",
    "outcome",
    "debugData",
    "user",
    "item",
    "steps",
    "failure",
];

/// Our own functions, added to every evaluation's context.
pub const FUNCTIONS: &[&str] = &["target", "targets"];

/// The shared environment: CEL's standard library, its `strings` extension
/// (`lowerAscii`, `split`, `replace`, …) and `matches` (see [`regex_matches`]). Our own
/// functions, `target` and `targets`, are added to each evaluation's context because
/// they read the event.
pub(crate) fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Adding a built-in extension or a name the stdlib leaves free (cel is built
        // without its `regex` feature) to a fresh stdlib cannot conflict; if a future
        // cel version made it fail we would still have the standard library.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = cel::add_overload!(env, fn regex_matches: (CelString, CelString) -> Result<CelBool>,
            name = "matches", id = "matches");
        let _ = cel::add_member_overload!(env, fn regex_matches: (CelString, CelString) -> Result<CelBool>,
            name = "matches");
        Arc::new(env)
    })
}

/// CEL's `matches` (`s.matches(re)` and `matches(s, re)`), on `regex-lite` instead of
/// cel's `regex` feature: the same RE2-style syntax without Unicode classes (`\p{…}`),
/// and `\w`, `\d`, `\s`, `\b` and `(?i)` are ASCII-only. Rules match logins, ids and
/// event types, which are ASCII; the full `regex` crate with its Unicode tables cost
/// the functions several hundred kilobytes each. A pattern that does not compile is an
/// evaluation error naming the pattern, as cel's own `matches` reports it.
fn regex_matches(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelBool, cel::ExecutionError> {
    match regex_lite::Regex::new(re.inner()) {
        Ok(compiled) => Ok(CelBool::from(compiled.is_match(this.inner()))),
        Err(err) => Err(cel::ExecutionError::function_error(
            "matches",
            format!("'{}' not a valid regex:\n{err}", re.inner()),
        )),
    }
}

/// A CEL expression with what it refers to, compiled once.
///
/// [`Expr::compile`] compiles at once (the loader, so `rules check` reports every
/// syntax error with its place). [`Expr::deferred`] keeps the source and compiles on
/// first use: the shipped rules were checked when the functions were built
/// (`shipped-rules`' build script), so a cold start compiles only the expressions of the
/// rules an event actually reaches, not all of them. Clones share the compiled program.
#[derive(Debug, Clone)]
pub struct Expr {
    source: Arc<str>,
    compiled: Arc<OnceLock<Result<Compiled, CompileError>>>,
}

#[derive(Debug)]
struct Compiled {
    program: Program,
    refs: Refs,
}

/// What an expression that does not compile refers to: nothing (its use then fails
/// with the compile error, see [`Expr::program`]).
static NO_REFS: Refs = Refs {
    variables: BTreeSet::new(),
    steps: BTreeSet::new(),
    step_fields: BTreeSet::new(),
    global_calls: BTreeSet::new(),
    opaque_steps: false,
    whole_steps: BTreeSet::new(),
};

/// Free variables of an expression, and the `steps.<name>` it reads.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Refs {
    pub variables: BTreeSet<String>,
    pub steps: BTreeSet<String>,
    /// `steps.<name>.<field>` pairs, to check fields against the action's outputs.
    pub step_fields: BTreeSet<(String, String)>,
    /// Functions called without a target (`target("User")`, `size(x)`).
    pub global_calls: BTreeSet<String>,
    /// `steps` used other than as `steps.<name>` (e.g. `steps["a"]`), which cannot be checked.
    pub opaque_steps: bool,
    /// `steps.<name>` used other than as `steps.<name>.<field>` (`steps.a["x"]`, `steps.a`
    /// whole): any of its fields may be read.
    pub whole_steps: BTreeSet<String>,
}

/// A CEL syntax error, with its 1-based line and column inside the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CEL {line}:{column}: {message}")]
pub struct CompileError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Expr {
    /// Compiles `source` (without the `${ }`) now.
    pub fn compile(source: &str) -> Result<Expr, CompileError> {
        let compiled = compile_now(source)?;
        Ok(Expr {
            source: source.into(),
            compiled: Arc::new(OnceLock::from(Ok(compiled))),
        })
    }

    /// `source`, compiled on first use. For expressions already checked by
    /// [`Expr::compile`] (a prepared rule set): one that does not compile fails each
    /// use with its [`CompileError`] instead.
    pub fn deferred(source: &str) -> Expr {
        Expr {
            source: source.into(),
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn compiled(&self) -> Result<&Compiled, &CompileError> {
        self.compiled
            .get_or_init(|| compile_now(&self.source))
            .as_ref()
    }

    /// The program, compiling it first if it was [deferred](Expr::deferred).
    pub(crate) fn program(&self) -> Result<&Program, &CompileError> {
        self.compiled().map(|c| &c.program)
    }

    /// What it refers to; nothing if it does not compile.
    pub(crate) fn refs(&self) -> &Refs {
        self.compiled().map_or(&NO_REFS, |c| &c.refs)
    }

    /// Whether it has been compiled (always, unless [deferred](Expr::deferred) and
    /// not used yet).
    #[cfg(test)]
    pub(crate) fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// Global functions it calls that neither CEL's library nor ours defines. CEL only
    /// finds out when it runs; a probe call (no arguments) tells an unknown name
    /// (undeclared) from a known one (wrong arguments) at load.
    pub fn unknown_functions(&self) -> Vec<&str> {
        self.refs()
            .global_calls
            .iter()
            .map(String::as_str)
            .filter(|name| {
                let plain = name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    && name.starts_with(|c: char| c.is_ascii_alphabetic());
                plain && !FUNCTIONS.contains(name) && !is_declared(name)
            })
            .collect()
    }

    /// Whether it reads an earlier step's outputs (and so can only run at execution).
    pub fn uses_steps(&self) -> bool {
        self.refs().variables.contains("steps")
    }
}

fn compile_now(source: &str) -> Result<Compiled, CompileError> {
    let program = env().compile(source).map_err(|errors| {
        let first = errors.errors.first();
        CompileError {
            line: first.map_or(1, |e| e.pos.0.max(1) as usize),
            column: first.map_or(1, |e| e.pos.1.max(1) as usize),
            message: first.map_or_else(|| errors.to_string(), |e| e.msg.clone()),
        }
    })?;
    let mut refs = Refs::default();
    walk(program.expression(), &mut Vec::new(), &mut refs);
    Ok(Compiled { program, refs })
}

/// A prepared rule set stores an expression as its source.
impl serde::Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

/// An expression read back from a prepared rule set compiles on first use.
impl<'de> serde::Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Expr::deferred(&source))
    }
}

fn is_declared(name: &str) -> bool {
    let Ok(probe) = env().compile(&format!("{name}()")) else {
        return true; // not callable as written: leave it to the real expression
    };
    let ctx = cel::Context::with_env(Arc::clone(env()));
    !matches!(
        probe.execute(&ctx),
        Err(cel::ExecutionError::UndeclaredReference(_))
    )
}

/// Collects free identifiers (not bound by a comprehension) and `steps.<name>` selections.
fn walk(e: &IdedExpr, bound: &mut Vec<String>, refs: &mut Refs) {
    match &e.expr {
        Ast::Ident(name) => {
            if !bound.iter().any(|b| b == name) {
                refs.variables.insert(name.clone());
                if name == "steps" {
                    refs.opaque_steps = true;
                }
            }
        }
        Ast::Select(sel) => {
            if let Ast::Select(inner) = &sel.operand.expr
                && let Ast::Ident(name) = &inner.operand.expr
                && name == "steps"
                && !bound.iter().any(|b| b == "steps")
            {
                refs.step_fields
                    .insert((inner.field.clone(), sel.field.clone()));
                refs.variables.insert("steps".into());
                refs.steps.insert(inner.field.clone());
            } else if let Ast::Ident(name) = &sel.operand.expr
                && name == "steps"
                && !bound.iter().any(|b| b == "steps")
            {
                refs.variables.insert("steps".into());
                refs.steps.insert(sel.field.clone());
                refs.whole_steps.insert(sel.field.clone());
            } else {
                walk(&sel.operand, bound, refs);
            }
        }
        Ast::Call(call) => {
            match &call.target {
                Some(target) => walk(target, bound, refs),
                None => {
                    refs.global_calls.insert(call.func_name.clone());
                }
            }
            for arg in &call.args {
                walk(arg, bound, refs);
            }
        }
        Ast::Comprehension(c) => {
            walk(&c.iter_range, bound, refs);
            walk(&c.accu_init, bound, refs);
            let depth = bound.len();
            bound.push(c.iter_var.clone());
            if let Some(v2) = &c.iter_var2 {
                bound.push(v2.clone());
            }
            bound.push(c.accu_var.clone());
            walk(&c.loop_cond, bound, refs);
            walk(&c.loop_step, bound, refs);
            walk(&c.result, bound, refs);
            bound.truncate(depth);
        }
        Ast::List(list) => list.elements.iter().for_each(|x| walk(x, bound, refs)),
        Ast::Map(map) => {
            for entry in &map.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(m) => {
                        walk(&m.key, bound, refs);
                        walk(&m.value, bound, refs);
                    }
                    EntryExpr::StructField(f) => walk(&f.value, bound, refs),
                }
            }
        }
        Ast::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    walk(&f.value, bound, refs);
                }
            }
        }
        Ast::Literal(_) | Ast::Unspecified => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(src: &str) -> Vec<String> {
        Expr::compile(src)
            .unwrap()
            .refs()
            .variables
            .iter()
            .cloned()
            .collect()
    }

    #[test]
    fn free_variables_skip_comprehension_bindings() {
        assert_eq!(
            vars("targets('User').exists(t, t.id == actor.id)"),
            ["actor"]
        );
        assert_eq!(
            vars("event.outcome.result == 'SUCCESS' && org == 'a'"),
            ["event", "org"]
        );
        assert_eq!(vars("[1, 2].map(x, x + 1)"), Vec::<String>::new());
    }

    #[test]
    fn steps_references_are_named() {
        let e = Expr::compile("steps.group.id + '-' + steps.user.profile.login").unwrap();
        assert!(e.uses_steps());
        let steps: Vec<&str> = e.refs().steps.iter().map(String::as_str).collect();
        assert_eq!(steps, ["group", "user"]);
        let fields: Vec<(&str, &str)> = e
            .refs()
            .step_fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(fields, [("group", "id"), ("user", "profile")]);
        assert!(!e.refs().opaque_steps);
        assert!(
            Expr::compile("steps['group'].id")
                .unwrap()
                .refs()
                .opaque_steps
        );
    }

    #[test]
    fn unknown_functions_are_found_at_load() {
        let e = Expr::compile(
            "tagret('User') != null && size(targets('User')) > 0 && int('1') == 1 && nope.f(1)",
        )
        .unwrap();
        assert_eq!(e.unknown_functions(), ["tagret"]);
        let fine = Expr::compile(
            "'a'.startsWith('b') || 'x'.matches('y') || targets('User').exists(t, has(t.id))",
        );
        assert_eq!(fine.unwrap().unknown_functions(), Vec::<&str>::new());
    }

    fn run(source: &str) -> Result<cel::Value, cel::ExecutionError> {
        let expr = Expr::compile(source).unwrap();
        expr.program()
            .unwrap()
            .execute(&cel::Context::with_env(Arc::clone(env())))
    }

    #[test]
    fn matches_finds_a_pattern_as_a_method_and_as_a_function() {
        assert_eq!(
            run(r"'jane.doe@example.com'.matches('^[a-z.]+@example\\.com$')"),
            Ok(true.into())
        );
        assert_eq!(
            run("matches('svc-backup', '^svc-[a-z]+$')"),
            Ok(true.into())
        );
        assert_eq!(run("'admin1'.matches('^[a-z]+$')"), Ok(false.into()));
        // `.` and literals are Unicode; case folding is ASCII only (regex-lite).
        assert_eq!(run("'Jürgen Ölz'.matches('^J.rgen Ölz$')"), Ok(true.into()));
        assert_eq!(run("'JANE Ölz'.matches('^(?i)jane ')"), Ok(true.into()));
        assert_eq!(run("'ÖLZ'.matches('(?i)ölz')"), Ok(false.into()));
        assert_eq!(
            run(r"['a1', 'b2'].all(s, s.matches('\\d$'))"),
            Ok(true.into())
        );
    }

    #[test]
    fn matches_with_a_broken_pattern_is_an_evaluation_error_naming_it() {
        let err = run("'x'.matches('(foo')").unwrap_err();
        assert!(
            matches!(&err, cel::ExecutionError::FunctionError { function, message }
                if function == "matches" && message.starts_with("'(foo' not a valid regex")),
            "{err:?}"
        );
    }

    #[test]
    fn syntax_errors_have_a_column() {
        let err = Expr::compile("event.outcome ==").unwrap_err();
        assert_eq!((err.line, err.column), (1, 17), "{err}");
    }
}

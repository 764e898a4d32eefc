//! `${ CEL }` templates in step parameters.
//!
//! A string that is exactly one `${…}` takes the expression's value and type (a bool
//! stays a bool, a list a list); a string mixing text and `${…}` renders to a string.
//! `$${` writes a literal `${`.

use serde_json::Value;

use crate::expr::{CompileError, Expr};

/// A parsed string parameter.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Template {
    /// No `${`: the text as is.
    Text(String),
    /// Exactly one expression: its value, with its type.
    Whole(Expr),
    /// Text and expressions, rendered to one string.
    Parts(Vec<Part>),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Part {
    Text(String),
    Expr(Expr),
}

/// Where in the string a template problem is (0-based character offset of the `${`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// Parses `text`, compiling each expression.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        if !text.contains("${") {
            return Ok(Template::Text(text.to_owned()));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '$' && chars.get(i + 1) == Some(&'$') && chars.get(i + 2) == Some(&'{') {
                literal.push_str("${");
                i += 3;
            } else if chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
                let end = closing_brace(&chars, i + 2).ok_or_else(|| TemplateError {
                    offset: i,
                    message: "`${` without its closing `}`".into(),
                })?;
                let source: String = chars[i + 2..end].iter().collect();
                let source = source.trim();
                if source.is_empty() {
                    return Err(TemplateError {
                        offset: i,
                        message: "empty `${}`".into(),
                    });
                }
                let expr = Expr::compile(source).map_err(|e: CompileError| TemplateError {
                    offset: i,
                    message: format!("in `${{ {source} }}`: {e}"),
                })?;
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Expr(expr));
                i = end + 1;
            } else {
                literal.push(chars[i]);
                i += 1;
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(match parts.as_slice() {
            [Part::Expr(e)] => Template::Whole(e.clone()),
            [Part::Text(t)] => Template::Text(t.clone()),
            [] => Template::Text(String::new()),
            _ => Template::Parts(parts),
        })
    }

    /// Its expressions.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let (whole, parts): (Option<&Expr>, &[Part]) = match self {
            Template::Text(_) => (None, &[]),
            Template::Whole(e) => (Some(e), &[]),
            Template::Parts(p) => (None, p),
        };
        whole
            .into_iter()
            .chain(parts.iter().filter_map(|p| match p {
                Part::Expr(e) => Some(e),
                Part::Text(_) => None,
            }))
    }
}

/// The index of the `}` closing an expression that starts at `start`, skipping braces
/// inside CEL string literals and nested map literals.
fn closing_brace(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == '\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '{' => depth += 1,
                '}' if depth == 0 => return Some(i),
                '}' => depth -= 1,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// A value rendered into a string template: strings as they are, anything else as JSON.
pub(crate) fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_mixed_and_plain() {
        assert!(matches!(Template::parse("plain").unwrap(), Template::Text(t) if t == "plain"));
        assert!(matches!(
            Template::parse("${ event.uuid }").unwrap(),
            Template::Whole(_)
        ));
        assert!(matches!(
            Template::parse(" ${ event.uuid }").unwrap(),
            Template::Parts(_)
        ));
        let t = Template::parse("a ${ {'k': '}'}['k'] } b").unwrap();
        assert_eq!(t.exprs().count(), 1);
        assert!(
            matches!(Template::parse("cost: $${x}").unwrap(), Template::Text(t) if t == "cost: ${x}")
        );
    }

    #[test]
    fn errors_point_at_the_expression() {
        let err = Template::parse("hi ${ event. }").unwrap_err();
        assert_eq!(err.offset, 3);
        assert!(err.message.contains("event."), "{}", err.message);
        assert_eq!(Template::parse("x ${ a").unwrap_err().offset, 2);
        assert!(Template::parse("${ }").is_err());
    }
}

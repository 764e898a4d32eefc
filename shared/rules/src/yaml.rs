//! YAML to a small tree that remembers where each node was written, so every later
//! finding can name its file, line and column.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value;

use crate::diagnostic::Pos;

/// A YAML node and its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub pos: Pos,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order, each with its own position.
    Map(Vec<(String, Pos, Node)>),
}

/// A YAML problem at a place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// Parses one file (one document; an empty file is `Null`).
pub(crate) fn parse(text: &str) -> Result<Node, YamlError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| YamlError {
        pos: Pos {
            line: e.marker().line(),
            column: e.marker().col() + 1,
        },
        message: format!("YAML syntax: {}", e.info()),
    })?;
    let mut docs = docs.into_iter();
    let Some(first) = docs.next() else {
        return Ok(Node {
            pos: Pos { line: 1, column: 1 },
            kind: Kind::Null,
        });
    };
    if let Some(second) = docs.next() {
        return Err(YamlError {
            pos: pos_of(&second),
            message: "one YAML document per file (found a `---` separator)".into(),
        });
    }
    convert(&first)
}

fn pos_of(node: &MarkedYaml<'_>) -> Pos {
    Pos {
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
    }
}

fn convert(node: &MarkedYaml<'_>) -> Result<Node, YamlError> {
    let pos = pos_of(node);
    let kind = match &node.data {
        YamlData::Value(scalar) => scalar_kind(scalar),
        YamlData::Representation(text, _, _) => Kind::Str(text.to_string()),
        YamlData::Sequence(items) => {
            Kind::Seq(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, value) in map {
                let key_text = match &key.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                    YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                    _ => {
                        return Err(YamlError {
                            pos: pos_of(key),
                            message: "mapping keys must be plain strings".into(),
                        });
                    }
                };
                entries.push((key_text, pos_of(key), convert(value)?));
            }
            Kind::Map(entries)
        }
        YamlData::Tagged(_, inner) => return convert(inner),
        YamlData::Alias(_) => {
            return Err(YamlError {
                pos,
                message: "YAML aliases (`*name`) are not supported in rule files".into(),
            });
        }
        YamlData::BadValue => {
            return Err(YamlError {
                pos,
                message: "not a valid YAML value".into(),
            });
        }
    };
    Ok(Node { pos, kind })
}

fn scalar_kind(scalar: &Scalar<'_>) -> Kind {
    match scalar {
        Scalar::Null => Kind::Null,
        Scalar::Boolean(b) => Kind::Bool(*b),
        Scalar::Integer(i) => Kind::Int(*i),
        Scalar::FloatingPoint(f) => Kind::Float(f.into_inner()),
        Scalar::String(s) => Kind::Str(s.to_string()),
    }
}

impl Node {
    /// What kind of YAML value this is, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as JSON (templates are still plain strings here).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, _, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let node = parse("rules:\n  - id: a\n    on: [x]\n").unwrap();
        let Kind::Map(top) = &node.kind else { panic!() };
        assert_eq!(top[0].1, Pos { line: 1, column: 1 });
        let Kind::Seq(rules) = &top[0].2.kind else {
            panic!()
        };
        let Kind::Map(rule) = &rules[0].kind else {
            panic!()
        };
        assert_eq!(rule[1].0, "on");
        assert_eq!(rule[1].1, Pos { line: 3, column: 5 });
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let err = parse("rules:\n  - id: a\n   on: [x\n").unwrap_err();
        assert!(err.pos.line >= 2, "{err:?}");
        assert!(err.message.starts_with("YAML syntax"), "{err:?}");
        let dup = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(dup.pos.line, 2, "{dup:?}");
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let node = parse("a: 'true'\nb: true\nc: 3\nd: ~\n").unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::json!({"a": "true", "b": true, "c": 3, "d": null})
        );
    }
}

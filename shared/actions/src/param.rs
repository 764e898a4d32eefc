//! Parameter descriptions and the checks of a value against them.

use serde_json::Value;

/// The JSON type a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
    /// A list of strings (group ids, event types, …).
    StringList,
    /// A JSON object (a profile, credentials, a query).
    Object,
    /// Anything JSON (a message body, a raw request body).
    Any,
}

impl ParamType {
    /// Whether `value` has this type.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ParamType::String => value.is_string(),
            ParamType::Bool => value.is_boolean(),
            ParamType::Integer => value.is_i64() || value.is_u64(),
            ParamType::StringList => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            ParamType::Object => value.is_object(),
            ParamType::Any => true,
        }
    }

    /// The name used in messages and in `okta-hooks actions show`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Bool => "bool",
            ParamType::Integer => "integer",
            ParamType::StringList => "list of strings",
            ParamType::Object => "object",
            ParamType::Any => "any",
        }
    }
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a parameter's value refers to. The router reads the users and groups a step
/// touches from these roles, to refuse plans that touch protected ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRole {
    /// Plain data.
    None,
    /// A user id or login (a list of them for a [`ParamType::StringList`]).
    UserRef,
    /// A group id (a list of them for a [`ParamType::StringList`]).
    GroupRef,
    /// An application id.
    AppRef,
}

/// What a parameter's value must be beyond its JSON type, when Okta says (checked with
/// the type: at `rules check` for literal values, when rendered for `${…}` values, and
/// again by the executor before any request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueCheck {
    /// Any value of the type.
    None,
    /// A string, exactly one of these (Okta's enum: case matters).
    OneOf(&'static [&'static str]),
    /// A string of at most `max_chars` characters, each an ASCII letter or digit,
    /// whitespace, or one of `extra` — the shape of Okta's
    /// `^[a-zA-Z0-9\s<extra>]*$` patterns with a `maxLength`.
    Text {
        /// At most this many characters.
        max_chars: usize,
        /// The characters allowed besides letters, digits and whitespace.
        extra: &'static str,
    },
}

impl ValueCheck {
    /// Why `value` (already of the right JSON type) does not fit, or `None` when it does.
    /// The message quotes an offending character or an enum value, never the whole
    /// value.
    pub fn problem(self, value: &Value) -> Option<String> {
        let text = value.as_str()?;
        match self {
            ValueCheck::None => None,
            ValueCheck::OneOf(allowed) => (!allowed.contains(&text)).then(|| {
                let upper = text.to_ascii_uppercase();
                let hint = if allowed.contains(&upper.as_str()) {
                    format!(" (`{upper}`: Okta's values are case-sensitive)")
                } else {
                    String::new()
                };
                format!("must be one of {}, got `{text}`{hint}", allowed.join(", "))
            }),
            ValueCheck::Text { max_chars, extra } => {
                let chars = text.chars().count();
                if chars > max_chars {
                    return Some(format!(
                        "may hold at most {max_chars} characters, got {chars}"
                    ));
                }
                text.chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || c.is_whitespace() || extra.contains(*c)))
                    .map(|c| {
                        format!(
                            "may hold only ASCII letters, digits, whitespace and `{extra}`, not {c:?}"
                        )
                    })
            }
        }
    }

    /// The JSON Schema keywords it adds to its parameter's type.
    pub fn schema_keywords(self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        match self {
            ValueCheck::None => {}
            ValueCheck::OneOf(allowed) => {
                map.insert("enum".into(), Value::from(allowed.to_vec()));
            }
            ValueCheck::Text { max_chars, extra } => {
                let mut class = String::from("a-zA-Z0-9\\s");
                for c in extra.chars() {
                    if matches!(c, '\\' | ']' | '[' | '^' | '-') {
                        class.push('\\');
                    }
                    class.push(c);
                }
                map.insert("maxLength".into(), Value::from(max_chars));
                map.insert("pattern".into(), Value::String(format!("^[{class}]*$")));
            }
        }
        map
    }
}

/// One parameter of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// The key a rule step uses (`user`, `oauth_tokens`, …).
    pub name: &'static str,
    /// Its JSON type.
    pub ty: ParamType,
    /// Whether a step must give it.
    pub required: bool,
    /// What it refers to.
    pub role: ParamRole,
    /// What an optional parameter left out means, when the executor decides it (else
    /// Okta's own default applies).
    pub default: Option<&'static str>,
    /// The value is the *name* of one of the org's named secrets (`url_secret`,
    /// `auth_value_secret`): the executor reads that secret, so its family needs the
    /// `named` secret kind ([`crate::Family::reads_named_secrets`]).
    pub names_secret: bool,
    /// What its value must be beyond its type ([`ValueCheck::None`] for most).
    pub check: ValueCheck,
}

impl ParamSpec {
    /// A required parameter of plain data.
    pub const fn required(name: &'static str, ty: ParamType) -> Self {
        ParamSpec {
            name,
            ty,
            required: true,
            role: ParamRole::None,
            default: None,
            names_secret: false,
            check: ValueCheck::None,
        }
    }

    /// An optional parameter of plain data.
    pub const fn optional(name: &'static str, ty: ParamType) -> Self {
        ParamSpec {
            name,
            ty,
            required: false,
            role: ParamRole::None,
            default: None,
            names_secret: false,
            check: ValueCheck::None,
        }
    }

    /// The same parameter with a role.
    pub const fn role(self, role: ParamRole) -> Self {
        ParamSpec { role, ..self }
    }

    /// The same parameter, naming one of the org's named secrets (see
    /// [`ParamSpec::names_secret`]).
    pub const fn secret_name(self) -> Self {
        ParamSpec {
            names_secret: true,
            ..self
        }
    }

    /// The same string parameter, taking only one of `allowed` (Okta's enum values).
    pub const fn one_of(self, allowed: &'static [&'static str]) -> Self {
        ParamSpec {
            check: ValueCheck::OneOf(allowed),
            ..self
        }
    }

    /// The same string parameter, limited as [`ValueCheck::Text`] says.
    pub const fn text(self, max_chars: usize, extra: &'static str) -> Self {
        ParamSpec {
            check: ValueCheck::Text { max_chars, extra },
            ..self
        }
    }

    /// Its type as `actions show` and the catalog page print it: `string`, or
    /// `one of HIGH, MEDIUM, LOW`, or `string (≤ 500: letters, digits, spaces, -,.)`.
    pub fn type_text(&self) -> String {
        match self.check {
            ValueCheck::None => self.ty.to_string(),
            ValueCheck::OneOf(allowed) => format!("one of {}", allowed.join(", ")),
            ValueCheck::Text { max_chars, extra } => format!(
                "{} (at most {max_chars}: letters, digits, spaces, `{extra}`)",
                self.ty
            ),
        }
    }

    /// The same parameter with the value the executor uses when it is left out.
    pub const fn default(self, default: &'static str) -> Self {
        ParamSpec {
            default: Some(default),
            ..self
        }
    }

    /// `user` for a required parameter, `oauth_tokens?` for an optional one.
    pub fn signature(&self) -> String {
        if self.required {
            self.name.to_owned()
        } else {
            format!("{}?", self.name)
        }
    }

    /// What leaving it out means, for `actions show` and the catalog page.
    pub fn default_text(&self) -> &'static str {
        match (self.required, self.default) {
            (true, _) => "required",
            (false, Some(default)) => default,
            (false, None) => "Okta's default",
        }
    }
}

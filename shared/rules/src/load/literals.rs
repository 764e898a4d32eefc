//! Literal type checks: parameter values known at load are checked against the
//! catalog's parameter types now, so `rules check` catches them; values that hold a
//! `${…}` are checked when they are rendered.
//!
//! A list or mapping whose items are all literal folds into one literal first, so it is
//! checked (and later sent) as the JSON value it is.

use actions::{ActionSpec, ParamSpec, ParamType};
use serde_json::Value;

use crate::model::TValue;
use crate::template::Template;

/// What is wrong with `value` as parameter `param` of `spec`, as far as can be known
/// before rendering: a literal must have the parameter's type; text mixing words and
/// `${…}` always renders to a string; a list or mapping holding templates keeps its
/// shape. A whole `${…}` takes its expression's type, known only when rendered.
pub(super) fn type_problem(spec: &ActionSpec, param: &ParamSpec, value: &TValue) -> Option<String> {
    let (name, ty) = (param.name, param.ty);
    match value {
        TValue::Lit(v) => spec.check_param(name, v).err().map(|e| e.to_string()),
        TValue::Str(Template::Parts(_)) if !matches!(ty, ParamType::String | ParamType::Any) => {
            Some(format!(
                "parameter `{name}` of {} must be {ty}, but text with `${{…}}` makes a string",
                spec.name
            ))
        }
        TValue::List(_) if !matches!(ty, ParamType::StringList | ParamType::Any) => Some(format!(
            "parameter `{name}` of {} must be {ty}, not a list",
            spec.name
        )),
        TValue::Map(_) if !matches!(ty, ParamType::Object | ParamType::Any) => Some(format!(
            "parameter `{name}` of {} must be {ty}, not a mapping",
            spec.name
        )),
        _ => None,
    }
}

/// A list: one literal array when every item is literal, else a list of templates.
pub(super) fn fold_list(items: Vec<TValue>) -> TValue {
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

/// A mapping: one literal object when every value is literal, else a mapping of templates.
pub(super) fn fold_map(entries: Vec<(String, TValue)>) -> TValue {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problem(action: &str, param: &str, value: &TValue) -> Option<String> {
        let spec = actions::find(action).unwrap();
        type_problem(spec, spec.param(param).unwrap(), value)
    }

    fn template(text: &str) -> TValue {
        TValue::Str(Template::parse(text).unwrap())
    }

    #[test]
    fn a_literal_of_the_wrong_type_gets_the_catalog_message() {
        assert_eq!(
            problem(
                "user.sessions.clear",
                "oauth_tokens",
                &TValue::Lit(json!("yes"))
            )
            .unwrap(),
            "parameter `oauth_tokens` of user.sessions.clear must be bool, got string"
        );
        assert_eq!(
            problem(
                "user.sessions.clear",
                "oauth_tokens",
                &TValue::Lit(json!(true))
            ),
            None
        );
    }

    #[test]
    fn text_with_a_template_is_a_string_and_a_whole_template_is_checked_later() {
        let mixed = template("T ${ actor.id }");
        assert_eq!(
            problem("user.sessions.clear", "oauth_tokens", &mixed).unwrap(),
            "parameter `oauth_tokens` of user.sessions.clear must be bool, but text with \
             `${…}` makes a string"
        );
        assert_eq!(problem("group.create", "group_name", &mixed), None);
        assert_eq!(problem("notify.webhook", "body", &mixed), None);
        let whole = template("${ outcome.result == 'FAILURE' }");
        assert_eq!(problem("user.sessions.clear", "oauth_tokens", &whole), None);
    }

    #[test]
    fn a_list_holding_templates_fits_only_list_parameters() {
        let list = TValue::List(vec![template("${ actor.id }")]);
        assert_eq!(
            problem("user.create", "profile", &list).unwrap(),
            "parameter `profile` of user.create must be object, not a list"
        );
        assert_eq!(problem("user.create", "group_ids", &list), None);
        assert_eq!(problem("notify.webhook", "body", &list), None);
    }

    #[test]
    fn a_mapping_holding_templates_fits_only_object_parameters() {
        let map = TValue::Map(vec![("a".into(), template("${ actor.id }"))]);
        assert_eq!(
            problem("user.create", "group_ids", &map).unwrap(),
            "parameter `group_ids` of user.create must be list of strings, not a mapping"
        );
        assert_eq!(problem("user.create", "profile", &map), None);
        assert_eq!(problem("notify.webhook", "body", &map), None);
    }

    #[test]
    fn all_literal_lists_and_mappings_fold_into_one_literal() {
        let folded = fold_list(vec![TValue::Lit(json!("a")), TValue::Lit(json!(1))]);
        assert!(matches!(&folded, TValue::Lit(v) if *v == json!(["a", 1])));
        let folded = fold_map(vec![("k".into(), TValue::Lit(json!(true)))]);
        assert!(matches!(&folded, TValue::Lit(v) if *v == json!({"k": true})));
        assert!(matches!(fold_list(Vec::new()), TValue::Lit(v) if v == json!([])));
    }

    #[test]
    fn a_template_keeps_its_list_or_mapping_unfolded() {
        let list = fold_list(vec![TValue::Lit(json!("a")), template("${ actor.id }")]);
        assert!(matches!(&list, TValue::List(items) if items.len() == 2));
        let map = fold_map(vec![
            ("a".into(), TValue::Lit(json!(1))),
            ("b".into(), template("${ actor.id }")),
        ]);
        assert!(matches!(&map, TValue::Map(entries) if entries.len() == 2));
    }

    #[test]
    fn a_wrongly_typed_literal_parameter_is_an_error_at_its_value() {
        let errs = crate::load::tests::errors(
            "rules:\n  - id: a\n    on: [user.account.lock]\n    do:\n      - action: user.sessions.clear\n        user: u\n        oauth_tokens: [a, b]\n        forget_devices: \"${ actor.id } x\"\n",
        );
        assert_eq!(
            errs,
            [
                "t.yaml:7:23: error: parameter `oauth_tokens` of user.sessions.clear must be bool, got list",
                "t.yaml:8:25: error: parameter `forget_devices` of user.sessions.clear must be bool, but text with `${…}` makes a string",
            ]
        );
    }
}

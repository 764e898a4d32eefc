//! JSON ↔ CEL values. Integers become CEL `int` (not `uint`), so `x == 5` reads as
//! written; JSON has no bytes or timestamps, so neither appears.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value as Cel;
use cel::objects::Key;
use serde_json::Value;

/// JSON to a CEL value.
pub(crate) fn to_cel(value: &Value) -> Cel {
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Cel::Int)
            .or_else(|| n.as_u64().map(Cel::UInt))
            .unwrap_or_else(|| Cel::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(items) => Cel::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let map: HashMap<Key, Cel> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Cel::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
}

/// A CEL value to JSON; `None` for what JSON cannot hold (functions, opaque values).
pub(crate) fn to_json(value: &Cel) -> Option<Value> {
    value.json().ok()
}

/// A CEL value's type, for messages.
pub(crate) fn kind(value: &Cel) -> String {
    format!("{:?}", value.type_of()).to_lowercase()
}

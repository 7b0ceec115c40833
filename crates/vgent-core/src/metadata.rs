//! Metadata kept beside each vector: flat maps of string, number, boolean or string[] values.
//! Crosses the FFI boundary as JSON text; stored parsed so filters can read it during a scan.
use crate::error::{err, ErrorCode, Result};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
    List(Vec<Box<str>>),
}

/// Insertion-ordered key/value pairs (maps are small; a linear scan beats hashing here).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata(Vec<(Box<str>, MetaValue)>);

impl Metadata {
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn from_pairs(pairs: Vec<(Box<str>, MetaValue)>) -> Self {
        Metadata(pairs)
    }

    /// Parses one JSON object, rejecting values of any other type.
    pub fn from_json(text: &str) -> Result<Metadata> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            err(
                ErrorCode::InvalidArgument,
                format!("metadata is not valid JSON: {e}"),
            )
        })?;
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Metadata> {
        let Value::Object(map) = value else {
            return Err(err(
                ErrorCode::InvalidArgument,
                "metadata must be a plain object",
            ));
        };
        let mut pairs = Vec::with_capacity(map.len());
        for (k, v) in map {
            pairs.push((k.as_str().into(), meta_value(k, v)?));
        }
        Ok(Metadata(pairs))
    }

    /// A JSON object text (a fresh copy every time: callers may mutate what they get).
    pub fn to_json(&self) -> String {
        let mut map = serde_json::Map::with_capacity(self.0.len());
        for (k, v) in &self.0 {
            let v = match v {
                MetaValue::Str(s) => Value::from(&**s),
                MetaValue::Num(n) => {
                    serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
                }
                MetaValue::Bool(b) => Value::Bool(*b),
                MetaValue::List(l) => Value::Array(l.iter().map(|s| Value::from(&**s)).collect()),
            };
            map.insert(k.to_string(), v);
        }
        Value::Object(map).to_string()
    }
}

fn meta_value(key: &str, v: &Value) -> Result<MetaValue> {
    let bad = |what: &str| {
        err(
            ErrorCode::InvalidArgument,
            format!("metadata value for {key:?} is {what}: expected string, finite number, boolean or string[]"),
        )
    };
    Ok(match v {
        Value::String(s) => MetaValue::Str(s.as_str().into()),
        Value::Bool(b) => MetaValue::Bool(*b),
        Value::Number(n) => MetaValue::Num(
            n.as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad("not finite"))?,
        ),
        Value::Array(items) => MetaValue::List(
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(Into::into)
                        .ok_or_else(|| bad("an array with a non-string element"))
                })
                .collect::<Result<_>>()?,
        ),
        Value::Null => return Err(bad("null")),
        Value::Object(_) => return Err(bad("a nested object")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value_type() {
        let text = r#"{"s":"x","n":2.5,"b":true,"l":["a","b"]}"#;
        let m = Metadata::from_json(text).unwrap();
        assert_eq!(m.get("n"), Some(&MetaValue::Num(2.5)));
        let back: Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn rejects_other_types() {
        for bad in [
            r#"{"a":null}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            "[1]",
            "nope",
        ] {
            assert_eq!(
                Metadata::from_json(bad).unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
    }
}

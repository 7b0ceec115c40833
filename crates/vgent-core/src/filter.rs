//! Filter evaluation during a scan.
//!
//! Users write the portable filter language (`{ tag: 'a', n: { $gt: 1 } }`); the TypeScript layer
//! validates it and compiles it to this small canonical tree, which every tier consumes (Rust here,
//! SQL and Qdrant translators in TypeScript). Missing-key rule: a missing key fails every positive test,
//! so it matches only `ne`, `nin`, `exists:false` and negations.
use crate::error::{err, ErrorCode, Result};
use crate::metadata::{MetaValue, Metadata};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Num(f64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Filter {
    All,
    And { args: Vec<Filter> },
    Or { args: Vec<Filter> },
    Not { arg: Box<Filter> },
    Eq { key: String, value: Scalar },
    Ne { key: String, value: Scalar },
    Gt { key: String, value: f64 },
    Gte { key: String, value: f64 },
    Lt { key: String, value: f64 },
    Lte { key: String, value: f64 },
    In { key: String, values: Vec<Scalar> },
    Nin { key: String, values: Vec<Scalar> },
    Exists { key: String, value: bool },
}

impl Filter {
    /// Parses the canonical tree produced by the TypeScript compiler.
    pub fn from_json(text: &str) -> Result<Filter> {
        serde_json::from_str(text)
            .map_err(|e| err(ErrorCode::InvalidFilter, format!("malformed filter: {e}")))
    }

    pub fn matches(&self, md: Option<&Metadata>) -> bool {
        let field = |key: &str| md.and_then(|m| m.get(key));
        match self {
            Filter::All => true,
            Filter::And { args } => args.iter().all(|f| f.matches(md)),
            Filter::Or { args } => args.iter().any(|f| f.matches(md)),
            Filter::Not { arg } => !arg.matches(md),
            Filter::Eq { key, value } => field(key).is_some_and(|v| equals(v, value)),
            Filter::Ne { key, value } => !field(key).is_some_and(|v| equals(v, value)),
            Filter::Gt { key, value } => number(field(key)).is_some_and(|x| x > *value),
            Filter::Gte { key, value } => number(field(key)).is_some_and(|x| x >= *value),
            Filter::Lt { key, value } => number(field(key)).is_some_and(|x| x < *value),
            Filter::Lte { key, value } => number(field(key)).is_some_and(|x| x <= *value),
            Filter::In { key, values } => {
                field(key).is_some_and(|v| values.iter().any(|s| equals(v, s)))
            }
            Filter::Nin { key, values } => {
                !field(key).is_some_and(|v| values.iter().any(|s| equals(v, s)))
            }
            Filter::Exists { key, value } => field(key).is_some() == *value,
        }
    }
}

fn number(v: Option<&MetaValue>) -> Option<f64> {
    match v {
        Some(MetaValue::Num(x)) => Some(*x),
        _ => None,
    }
}

/// Equality without coercion; on a string[] value, "contains".
fn equals(v: &MetaValue, s: &Scalar) -> bool {
    match (v, s) {
        (MetaValue::Str(a), Scalar::Str(b)) => **a == **b,
        (MetaValue::Num(a), Scalar::Num(b)) => a == b,
        (MetaValue::Bool(a), Scalar::Bool(b)) => a == b,
        (MetaValue::List(items), Scalar::Str(b)) => items.iter().any(|i| **i == **b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(json: &str) -> Metadata {
        Metadata::from_json(json).unwrap()
    }

    fn f(json: &str) -> Filter {
        Filter::from_json(json).unwrap()
    }

    #[test]
    fn equality_contains_and_no_coercion() {
        let m = md(r#"{"tag":"a","n":1,"tags":["x","y"],"ok":true}"#);
        assert!(f(r#"{"op":"eq","key":"tag","value":"a"}"#).matches(Some(&m)));
        assert!(f(r#"{"op":"eq","key":"tags","value":"y"}"#).matches(Some(&m)));
        assert!(!f(r#"{"op":"eq","key":"n","value":"1"}"#).matches(Some(&m)));
        assert!(!f(r#"{"op":"eq","key":"ok","value":1}"#).matches(Some(&m)));
        assert!(f(r#"{"op":"in","key":"tags","values":["q","x"]}"#).matches(Some(&m)));
        assert!(f(r#"{"op":"nin","key":"tags","values":["q"]}"#).matches(Some(&m)));
    }

    #[test]
    fn missing_keys_match_only_negative_tests() {
        let m = md(r#"{"other":1}"#);
        for (json, want) in [
            (r#"{"op":"eq","key":"k","value":1}"#, false),
            (r#"{"op":"gt","key":"k","value":0}"#, false),
            (r#"{"op":"lte","key":"k","value":0}"#, false),
            (r#"{"op":"in","key":"k","values":[1]}"#, false),
            (r#"{"op":"exists","key":"k","value":true}"#, false),
            (r#"{"op":"ne","key":"k","value":1}"#, true),
            (r#"{"op":"nin","key":"k","values":[1]}"#, true),
            (r#"{"op":"exists","key":"k","value":false}"#, true),
            (
                r#"{"op":"not","arg":{"op":"gt","key":"k","value":0}}"#,
                true,
            ),
        ] {
            assert_eq!(f(json).matches(Some(&m)), want, "{json}");
            assert_eq!(f(json).matches(None), want, "{json} without metadata");
        }
    }

    #[test]
    fn combinators() {
        let m = md(r#"{"a":1,"b":2}"#);
        let and = r#"{"op":"and","args":[{"op":"eq","key":"a","value":1},{"op":"gte","key":"b","value":2}]}"#;
        let or = r#"{"op":"or","args":[{"op":"eq","key":"a","value":9},{"op":"lt","key":"b","value":3}]}"#;
        assert!(f(and).matches(Some(&m)));
        assert!(f(or).matches(Some(&m)));
        assert!(f(r#"{"op":"all"}"#).matches(None));
    }

    #[test]
    fn malformed_trees_are_filter_errors() {
        for bad in [
            r#"{"op":"regex","key":"a","value":"x"}"#,
            r#"{"op":"gt","key":"a","value":"x"}"#,
            "[]",
        ] {
            assert_eq!(
                Filter::from_json(bad).unwrap_err().code,
                ErrorCode::InvalidFilter,
                "{bad}"
            );
        }
    }
}

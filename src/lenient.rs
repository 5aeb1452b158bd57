//! Lenient field readers for provider JSON: ids and codes arrive as numbers or strings,
//! categories as a string or an array, and any field may be `null` or missing.
//!
//! Use with `#[serde(default, deserialize_with = "...")]`. Objects and arrays where a scalar
//! belongs are still an error: that is not the provider's shape.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// Reads a scalar as text: strings as they are, numbers and booleans written out, `null` as `None`.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(TextVisitor)
}

/// Reads a string or an array of scalars as a list of texts, skipping `null`s (SendGrid
/// `category`, SES `destination`).
pub fn text_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_any(TextListVisitor)
}

/// Reads a value whose `null` means "empty" (`"recipients": null`, `"tags": null`).
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A list of texts read with [`text_list`], for use inside other containers (SES tag values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextList(pub Vec<String>);

impl<'de> serde::Deserialize<'de> for TextList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text_list(deserializer).map(TextList)
    }
}

/// Writes any JSON value as text: strings as they are, everything else as compact JSON.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, a number, a boolean or null")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextListVisitor;

impl<'de> Visitor<'de> for TextListVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(64));
        while let Some(item) = seq.next_element_seed(TextSeed)? {
            out.extend(item);
        }
        Ok(out)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![v.to_owned()])
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(vec![v])
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextListVisitor)
    }
}

struct TextSeed;

impl<'de> de::DeserializeSeed<'de> for TextSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(default, deserialize_with = "text")]
        id: Option<String>,
        #[serde(default, deserialize_with = "text_list")]
        category: Vec<String>,
        #[serde(default, deserialize_with = "null_as_default")]
        tags: std::collections::BTreeMap<String, TextList>,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn text_accepts_strings_numbers_and_booleans() {
        assert_eq!(probe(r#"{"id":"abc"}"#).unwrap().id.as_deref(), Some("abc"));
        assert_eq!(
            probe(r#"{"id":1149317311}"#).unwrap().id.as_deref(),
            Some("1149317311")
        );
        assert_eq!(probe(r#"{"id":-3}"#).unwrap().id.as_deref(), Some("-3"));
        assert_eq!(probe(r#"{"id":1.5}"#).unwrap().id.as_deref(), Some("1.5"));
        assert_eq!(probe(r#"{"id":true}"#).unwrap().id.as_deref(), Some("true"));
        assert_eq!(probe(r#"{"id":null}"#).unwrap().id, None);
        assert_eq!(probe(r#"{}"#).unwrap().id, None);
    }

    #[test]
    fn text_refuses_objects_and_arrays() {
        assert!(probe(r#"{"id":{"a":1}}"#).is_err());
        assert!(probe(r#"{"id":[1]}"#).is_err());
    }

    #[test]
    fn category_is_a_string_or_an_array() {
        assert_eq!(
            probe(r#"{"category":"cat facts"}"#).unwrap().category,
            vec!["cat facts"]
        );
        assert_eq!(
            probe(r#"{"category":["a","b",3,null]}"#).unwrap().category,
            vec!["a", "b", "3"]
        );
        assert!(probe(r#"{"category":null}"#).unwrap().category.is_empty());
        assert!(probe(r#"{"category":[{"x":1}]}"#).is_err());
    }

    #[test]
    fn null_reads_as_empty() {
        assert!(probe(r#"{"tags":null}"#).unwrap().tags.is_empty());
        let tags = probe(r#"{"tags":{"a":["x"],"b":"y"}}"#).unwrap().tags;
        assert_eq!(tags["a"], TextList(vec!["x".into()]));
        assert_eq!(tags["b"], TextList(vec!["y".into()]));
    }
}

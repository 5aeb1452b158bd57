//! Lenient field readers for provider JSON: ids and codes arrive as numbers or strings,
//! categories as a string or an array, and any field may be `null` or missing.
//!
//! Use with `#[serde(default, deserialize_with = "...")]`. Objects and arrays where a scalar
//! belongs are still an error: that is not the provider's shape.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// What a scalar field may not be.
const NOT_A_SCALAR: &str = "expected a string, a number, a boolean or null";

/// Reads a scalar as text: strings unescaped, numbers with exactly the digits sent (an id above
/// 2^53 is never rounded through a float), booleans written out, `null` as `None`.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    scalar_text(raw).map_err(de::Error::custom)
}

/// Reads a string or an array of scalars as a list of texts, skipping `null`s (SendGrid
/// `category`, SES `destination`).
pub fn text_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    list_text(raw).map_err(de::Error::custom)
}

/// A scalar JSON value as text, keeping the original digits of numbers.
fn scalar_text(raw: &RawValue) -> Result<Option<String>, serde_json::Error> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') if !text.contains('\\') => Ok(Some(text[1..text.len() - 1].to_owned())),
        Some(b'"') => serde_json::from_str::<String>(text).map(Some),
        Some(b'n') => Ok(None),
        Some(b'{' | b'[') | None => Err(de::Error::custom(NOT_A_SCALAR)),
        Some(_) => Ok(Some(text.to_owned())),
    }
}

/// A string, a scalar or an array of scalars as a list of texts.
fn list_text(raw: &RawValue) -> Result<Vec<String>, serde_json::Error> {
    if raw.get().trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get())?;
        let mut out = Vec::with_capacity(items.len().min(64));
        for item in items {
            out.extend(scalar_text(item)?);
        }
        Ok(out)
    } else {
        Ok(scalar_text(raw)?.into_iter().collect())
    }
}

/// Reads a scalar as [`text`] does, and anything else (an object, an array) as `None`: for
/// fields that describe an event and never decide whether it is stored.
pub fn text_or_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    Ok(scalar_text(raw).ok().flatten())
}

/// Reads what a provider sends as tags (a string, an array of scalars, or an object of
/// scalars or arrays: `name:value`) as texts; any other shape reads as no tags, never as an
/// error: tags describe an event, they never decide whether it is stored.
pub fn tag_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    Ok(tags_of(raw))
}

/// [`tag_list`] of a JSON value.
fn tags_of(raw: &RawValue) -> Vec<String> {
    if !raw.get().trim_start().starts_with('{') {
        return list_text(raw).unwrap_or_default();
    }
    let Ok(pairs) = serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(raw.get()) else {
        return Vec::new();
    };
    let mut tags = Vec::new();
    for (name, value) in pairs {
        let values = list_text(value).unwrap_or_default();
        if values.is_empty() {
            tags.push(name);
        } else {
            tags.extend(values.into_iter().map(|value| format!("{name}:{value}")));
        }
    }
    tags
}

/// [`tag_list`] as a seed, for hand-written visitors.
pub struct TagListSeed;

impl<'de> de::DeserializeSeed<'de> for TagListSeed {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        tag_list(d)
    }
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

/// [`text`] as a seed, for hand-written visitors: `map.next_value_seed(TextSeed)`.
pub struct TextSeed;

impl<'de> de::DeserializeSeed<'de> for TextSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        text(d)
    }
}

/// [`text_list`] as a seed, for hand-written visitors.
pub struct TextListSeed;

impl<'de> de::DeserializeSeed<'de> for TextListSeed {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        text_list(d)
    }
}

/// An object key, borrowed from the input when it has no escapes.
pub struct Key<'a>(pub std::borrow::Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Where a hand-written event visitor puts a field.
pub enum Slot<'s> {
    /// A scalar read with [`text`].
    Text(&'s mut Option<String>),
    /// A string-or-array read with [`text_list`].
    List(&'s mut Vec<String>),
    /// Tags read with [`tag_list`] (never an error).
    Tags(&'s mut Vec<String>),
    /// Not a field the decoder reads: skipped (it stays in the raw event).
    Skip,
}

/// An event object read field by field: the fields a decoder reads into their slots, every
/// other field skipped without building anything. A repeated field keeps its last value.
pub trait FieldwiseEvent: Default {
    /// What the object is, for error messages ("a SendGrid event object").
    const EXPECTING: &'static str;
    /// Where the field `key` goes.
    fn slot(&mut self, key: &str) -> Slot<'_>;
}

/// Deserializes a [`FieldwiseEvent`]: implement `Deserialize` with this.
pub fn deserialize_fieldwise<'de, D, E>(deserializer: D) -> Result<E, D::Error>
where
    D: Deserializer<'de>,
    E: FieldwiseEvent,
{
    struct FieldwiseVisitor<E>(std::marker::PhantomData<E>);
    impl<'de, E: FieldwiseEvent> Visitor<'de> for FieldwiseVisitor<E> {
        type Value = E;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(E::EXPECTING)
        }

        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<E, A::Error> {
            let mut event = E::default();
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                match event.slot(&key) {
                    Slot::Text(target) => *target = map.next_value_seed(TextSeed)?,
                    Slot::List(target) => *target = map.next_value_seed(TextListSeed)?,
                    Slot::Tags(target) => *target = map.next_value_seed(TagListSeed)?,
                    Slot::Skip => {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
            }
            Ok(event)
        }
    }
    deserializer.deserialize_map(FieldwiseVisitor(std::marker::PhantomData))
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
    fn tags_read_every_shape_providers_send_and_never_fail() {
        #[derive(Deserialize)]
        struct Tagged {
            #[serde(default, deserialize_with = "tag_list")]
            tags: Vec<String>,
        }
        let tags = |json: &str| serde_json::from_str::<Tagged>(json).map(|t| t.tags);
        assert_eq!(tags(r#"{"tags":"welcome"}"#).unwrap(), ["welcome"]);
        assert_eq!(tags(r#"{"tags":["a",2,null,true]}"#).unwrap(), ["a", "2", "true"]);
        assert_eq!(
            tags(r#"{"tags":{"plan":"pro","seen":["x","y"],"bare":null}}"#).unwrap(),
            ["bare", "plan:pro", "seen:x", "seen:y"]
        );
        assert!(tags(r#"{"tags":[{"an":"object"}]}"#).unwrap().is_empty());
        assert!(tags(r#"{"tags":null}"#).unwrap().is_empty());
        assert!(tags(r#"{"tags":{"deep":{"x":1}}}"#).unwrap() == ["deep"]);
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
    fn numbers_keep_every_digit() {
        for id in [
            "9007199254740993",
            "18446744073709551617",
            "123456789012345678901234567890",
        ] {
            let json = format!(r#"{{"id":{id}}}"#);
            assert_eq!(probe(&json).unwrap().id.as_deref(), Some(id));
        }
        assert_eq!(
            probe(r#"{"category":[12345678901234567890123,"a\"b"]}"#)
                .unwrap()
                .category,
            vec!["12345678901234567890123", "a\"b"]
        );
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

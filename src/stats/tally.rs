//! Counts added up in memory before they are written: per counter item, a count per attribute
//! (`<provider>.<column>`). A tumbling window's tally travels between invocations as text in the
//! window's state.

use std::collections::BTreeMap;

use super::count::{attribute, Counted, CounterKey};

/// Counts per counter item and attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    rows: BTreeMap<CounterKey, BTreeMap<String, i64>>,
}

/// Why a tally's text could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the window's state is not a tally: {0}")]
pub struct TallyTextError(String);

impl Tally {
    /// Adds one to what `counted` names.
    pub fn add(&mut self, counted: &Counted) {
        let name = attribute(&counted.provider, counted.column);
        for key in &counted.keys {
            self.add_n(key.clone(), &name, 1);
        }
    }

    /// Adds `n` to one attribute of one counter item.
    pub fn add_n(&mut self, key: CounterKey, attribute: &str, n: i64) {
        let row = self.rows.entry(key).or_default();
        match row.get_mut(attribute) {
            Some(count) => *count += n,
            None => {
                row.insert(attribute.to_owned(), n);
            }
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        for (key, row) in other.rows {
            for (name, n) in row {
                self.add_n(key.clone(), &name, n);
            }
        }
    }

    /// How many counter items it touches.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it counts nothing.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each counter item with its non-zero counts, in key order.
    pub fn rows(&self) -> impl Iterator<Item = (&CounterKey, Vec<(&str, i64)>)> {
        self.rows.iter().map(|(key, row)| {
            let counts = row
                .iter()
                .filter(|(_, n)| **n != 0)
                .map(|(name, n)| (name.as_str(), *n))
                .collect();
            (key, counts)
        })
    }

    /// The count of one attribute of one item.
    pub fn get(&self, key: &CounterKey, attribute: &str) -> i64 {
        self.rows
            .get(key)
            .and_then(|row| row.get(attribute))
            .copied()
            .unwrap_or(0)
    }

    /// The attributes one item counts.
    pub fn attributes(&self, key: &CounterKey) -> impl Iterator<Item = &str> {
        self.rows
            .get(key)
            .into_iter()
            .flat_map(|row| row.keys().map(String::as_str))
    }

    /// Every key with any count.
    pub fn keys(&self) -> impl Iterator<Item = &CounterKey> {
        self.rows.keys()
    }

    /// As text: one line per item, `pk<TAB>sk<TAB>attribute=n,…` (keys hold no tab or line
    /// break; attributes no `,` or `=`).
    pub fn to_text(&self) -> String {
        let mut text = String::with_capacity(self.rows.len() * 64);
        for (key, counts) in self.rows() {
            text.push_str(&key.pk);
            text.push('\t');
            text.push_str(&key.sk);
            text.push('\t');
            for (i, (name, n)) in counts.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(name);
                text.push('=');
                text.push_str(&n.to_string());
            }
            text.push('\n');
        }
        text
    }

    /// Reads [`Tally::to_text`]'s text back.
    pub fn from_text(text: &str) -> Result<Tally, TallyTextError> {
        let mut tally = Tally::default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let mut parts = line.splitn(3, '\t');
            let (Some(pk), Some(sk), Some(counts)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(TallyTextError("a line without three parts".to_owned()));
            };
            let key = CounterKey {
                pk: pk.to_owned(),
                sk: sk.to_owned(),
            };
            for pair in counts.split(',').filter(|p| !p.is_empty()) {
                let (name, n) = pair
                    .rsplit_once('=')
                    .ok_or_else(|| TallyTextError(format!("no count in {pair:?}")))?;
                if super::count::split_attribute(name).is_none() {
                    return Err(TallyTextError(format!("no counter {name:?}")));
                }
                let n: i64 = n
                    .parse()
                    .map_err(|_| TallyTextError(format!("not a count: {n:?}")))?;
                tally.add_n(key.clone(), name, n);
            }
        }
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::count::{Column, Family};

    #[test]
    fn a_tally_survives_its_text() {
        let mut tally = Tally::default();
        let key = CounterKey::new(
            Family::Cell,
            "2026-12-05",
            "2026-12-05",
            &["gmail", "a|b", "-", "-"],
        );
        tally.add_n(key.clone(), &attribute("ses", Column::Delivered), 3);
        tally.add_n(key.clone(), &attribute("sendgrid", Column::Complaint), 1);
        let back = Tally::from_text(&tally.to_text()).unwrap();
        assert_eq!(back, tally);
        assert_eq!(back.get(&key, "ses.delivered"), 3);
        assert!(
            key.sk.contains("a¦b"),
            "the separator never appears inside a part"
        );
        assert!(Tally::from_text("c#2026-12\tx\tses.nope=1\n").is_err());
    }
}

//! Counts added up in memory before they are written: one row of columns per counter item.
//! A tumbling window's tally travels between invocations as text in the window's state.

use std::collections::BTreeMap;

use super::count::{Column, Counted, CounterKey};

/// Counts per counter item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    rows: BTreeMap<CounterKey, [i64; Column::ALL.len()]>,
}

/// Why a tally's text could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the window's state is not a tally: {0}")]
pub struct TallyTextError(String);

impl Tally {
    /// Adds one to what `counted` names.
    pub fn add(&mut self, counted: &Counted) {
        for key in &counted.keys {
            self.add_n(key.clone(), counted.column, 1);
        }
    }

    /// Adds `n` to one column of one counter item.
    pub fn add_n(&mut self, key: CounterKey, column: Column, n: i64) {
        self.rows.entry(key).or_insert([0; Column::ALL.len()])[column.index()] += n;
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        for (key, row) in other.rows {
            let mine = self.rows.entry(key).or_insert([0; Column::ALL.len()]);
            for (a, b) in mine.iter_mut().zip(row) {
                *a += b;
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

    /// Each counter item with its non-zero columns, in key order.
    pub fn rows(&self) -> impl Iterator<Item = (&CounterKey, Vec<(Column, i64)>)> {
        self.rows.iter().map(|(key, row)| {
            let columns = Column::ALL
                .into_iter()
                .zip(row.iter().copied())
                .filter(|(_, n)| *n != 0)
                .collect();
            (key, columns)
        })
    }

    /// The count of one column of one item.
    pub fn get(&self, key: &CounterKey, column: Column) -> i64 {
        self.rows.get(key).map_or(0, |row| row[column.index()])
    }

    /// Every key with any count.
    pub fn keys(&self) -> impl Iterator<Item = &CounterKey> {
        self.rows.keys()
    }

    /// As text: one line per item, `pk<TAB>sk<TAB>column=n,…` (keys hold no tab or line break).
    pub fn to_text(&self) -> String {
        let mut text = String::with_capacity(self.rows.len() * 64);
        for (key, columns) in self.rows() {
            text.push_str(&key.pk);
            text.push('\t');
            text.push_str(&key.sk);
            text.push('\t');
            for (i, (column, n)) in columns.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(column.as_str());
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
            let (Some(pk), Some(sk), Some(columns)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(TallyTextError("a line without three parts".to_owned()));
            };
            let key = CounterKey {
                pk: pk.to_owned(),
                sk: sk.to_owned(),
            };
            for pair in columns.split(',').filter(|p| !p.is_empty()) {
                let (name, n) = pair
                    .split_once('=')
                    .ok_or_else(|| TallyTextError(format!("no count in {pair:?}")))?;
                let column =
                    Column::from_name(name).ok_or_else(|| TallyTextError(format!("no column {name:?}")))?;
                let n: i64 = n
                    .parse()
                    .map_err(|_| TallyTextError(format!("not a count: {n:?}")))?;
                tally.add_n(key.clone(), column, n);
            }
        }
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::count::Family;

    #[test]
    fn a_tally_survives_its_text() {
        let mut tally = Tally::default();
        let key = CounterKey::new(
            Family::Cell,
            "2026-12-05",
            "2026-12-05",
            &["ses", "gmail", "a|b", "-", "-"],
        );
        tally.add_n(key.clone(), Column::Delivered, 3);
        tally.add_n(key.clone(), Column::Complaint, 1);
        let back = Tally::from_text(&tally.to_text()).unwrap();
        assert_eq!(back, tally);
        assert_eq!(back.get(&key, Column::Delivered), 3);
        assert!(
            key.sk.contains("a¦b"),
            "the separator never appears inside a part"
        );
        assert!(Tally::from_text("c#2026-12\tx\tnope=1\n").is_err());
    }
}

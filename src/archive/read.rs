//! A Parquet file of the archive read back into rows (to forget an address in it).

use arrow_array::{Array, BooleanArray, ListArray, StringArray};

use super::file::FileError;
use super::row::{ArchiveRow, FLAG_COLUMNS, TEXT_COLUMNS};

/// The rows of a Parquet file this module wrote (the day is its folder's).
pub fn read_rows(bytes: bytes::Bytes, day: &str) -> Result<Vec<ArchiveRow>, FileError> {
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch?;
        let column = |name: &str| batch.column_by_name(name).cloned();
        let texts: Vec<Option<StringArray>> = TEXT_COLUMNS
            .iter()
            .map(|c| column(c).and_then(|a| a.as_any().downcast_ref::<StringArray>().cloned()))
            .collect();
        let flags: Vec<Option<BooleanArray>> = FLAG_COLUMNS
            .iter()
            .map(|c| column(c).and_then(|a| a.as_any().downcast_ref::<BooleanArray>().cloned()))
            .collect();
        let tags = column("tags").and_then(|a| a.as_any().downcast_ref::<ListArray>().cloned());
        for i in 0..batch.num_rows() {
            let row_tags = tags
                .as_ref()
                .filter(|t| t.is_valid(i))
                .and_then(|t| t.value(i).as_any().downcast_ref::<StringArray>().cloned())
                .map(|values| values.iter().flatten().map(str::to_owned).collect())
                .unwrap_or_default();
            rows.push(ArchiveRow {
                texts: texts
                    .iter()
                    .map(|a| {
                        a.as_ref()
                            .filter(|a| a.is_valid(i))
                            .map(|a| a.value(i).to_owned())
                    })
                    .collect(),
                flags: flags
                    .iter()
                    .map(|a| a.as_ref().is_some_and(|a| a.is_valid(i) && a.value(i)))
                    .collect(),
                tags: row_tags,
                day: day.to_owned(),
            });
        }
    }
    Ok(rows)
}

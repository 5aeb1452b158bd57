//! Rows as a Parquet file, as Athena reads it: strings (UTF-8), booleans and a list of strings,
//! ZSTD pages, one row group per 64k rows, no partition column in the file (the day is the
//! folder, `dt=YYYY-MM-DD/`).

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::row::{ArchiveRow, FLAG_COLUMNS, TEXT_COLUMNS};

/// Why a file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Arrow refused the columns.
    #[error("the rows do not make columns: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet writer failed.
    #[error("the Parquet file could not be written: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// The columns that are never empty.
const REQUIRED: &[&str] = &["pk", "sk", "provider", "event", "occurred_at", "written_at"];

/// The archive's schema (the same in every file; docs/queries.md and the Glue table name it).
pub fn schema() -> Arc<Schema> {
    let mut fields: Vec<Field> = TEXT_COLUMNS
        .iter()
        .map(|c| Field::new(*c, DataType::Utf8, !REQUIRED.contains(c)))
        .collect();
    fields.extend(
        FLAG_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Boolean, false)),
    );
    fields.push(Field::new(
        "tags",
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    ));
    Arc::new(Schema::new(fields))
}

/// The rows as one Parquet file.
pub fn parquet_bytes(rows: &[ArchiveRow]) -> Result<Vec<u8>, FileError> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(TEXT_COLUMNS.len() + FLAG_COLUMNS.len() + 1);
    for i in 0..TEXT_COLUMNS.len() {
        columns.push(Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.texts[i].as_deref()),
        )));
    }
    for i in 0..FLAG_COLUMNS.len() {
        columns.push(Arc::new(BooleanArray::from_iter(
            rows.iter().map(|r| Some(r.flags[i])),
        )));
    }
    let mut tags = ListBuilder::new(StringBuilder::new());
    for row in rows {
        for tag in &row.tags {
            tags.values().append_value(tag);
        }
        tags.append(true);
    }
    columns.push(Arc::new(tags.finish()));
    let batch = RecordBatch::try_new(schema(), columns)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(65_536))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

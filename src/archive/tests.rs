//! The archive's rows and files: what a row holds, and a file read back with its schema, types
//! and compression as Athena documents them (UTF-8 strings, booleans, a three-level list, ZSTD).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, LogicalType};

use super::file::parquet_bytes;
use super::row::row_of;
use crate::model::Timestamp;
use crate::store::item::Item;

fn ses_items() -> Vec<HashMap<String, AttributeValue>> {
    let message = include_str!("../../fixtures/ses/event-bounce.json");
    let decoded = crate::providers::ses::decode(message, Timestamp::now()).unwrap();
    Item::from_events(decoded.events, 400)
        .into_iter()
        .map(|i| i.attributes)
        .collect()
}

#[test]
fn a_row_holds_the_attributes_the_raw_json_as_text_and_its_day() {
    let items = ses_items();
    let row = row_of(&items[0], "2026-12-05T10:00:00.000Z").unwrap();
    assert_eq!(row.text("provider"), Some("ses"));
    assert_eq!(row.text("event"), Some("bounced"));
    assert_eq!(row.day, row.text("occurred_at").unwrap()[..10]);
    let raw: serde_json::Value = serde_json::from_str(row.text("raw").unwrap()).unwrap();
    assert_eq!(
        raw["eventType"], "Bounce",
        "the raw event, decompressed, as the provider sent it"
    );
    assert_eq!(
        row.text("recipient_domain"),
        row.text("recipient").and_then(|r| r.split('@').nth(1))
    );
    assert_eq!(row.text("written_at"), Some("2026-12-05T10:00:00.000Z"));
    let mut token = items[0].clone();
    token.insert("pk".into(), AttributeValue::S("token#mailgun#ab".into()));
    assert!(row_of(&token, "x").is_none(), "only event items are rows");
}

#[test]
fn a_file_reads_back_with_athenas_types_and_zstd_pages() {
    let rows: Vec<_> = ses_items()
        .iter()
        .filter_map(|i| row_of(i, "2026-12-05T10:00:00.000Z"))
        .collect();
    let bytes = parquet_bytes(&rows).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap();
    let metadata = reader.metadata().clone();
    let schema = metadata.file_metadata().schema_descr();
    for column in schema
        .columns()
        .iter()
        .filter(|c| super::row::TEXT_COLUMNS.contains(&c.name()))
    {
        assert_eq!(
            column.logical_type_ref(),
            Some(&LogicalType::String),
            "{}",
            column.name()
        );
    }
    let tags = schema
        .columns()
        .iter()
        .find(|c| c.path().string().starts_with("tags"))
        .unwrap();
    assert_eq!(
        tags.path().string(),
        "tags.list.item",
        "the standard three-level list"
    );
    for group in metadata.row_groups() {
        for column in group.columns() {
            assert!(
                matches!(column.compression(), Compression::ZSTD(_)),
                "{}",
                column.column_path()
            );
        }
    }
    let batches: Vec<_> = reader.build().unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), rows.len());
}

#[test]
fn the_glue_table_in_the_template_has_the_files_columns() {
    let template = include_str!("../../template.yaml");
    let section = template
        .split("  ArchiveTable:")
        .nth(1)
        .expect("the template declares the table");
    let columns: Vec<(String, String)> = section
        .split("Columns:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .map_while(|line| line.trim().strip_prefix("- {Name: "))
        .map(|rest| {
            let (name, kind) = rest.trim_end_matches('}').split_once(", Type: ").unwrap();
            (name.to_owned(), kind.to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> = super::file::schema()
        .fields()
        .iter()
        .map(|f| {
            let kind = match f.data_type() {
                arrow_schema::DataType::Utf8 => "string",
                arrow_schema::DataType::Boolean => "boolean",
                arrow_schema::DataType::List(_) => "array<string>",
                other => panic!("no Athena type for {other}"),
            };
            (f.name().clone(), kind.to_owned())
        })
        .collect();
    assert_eq!(columns, expected);
}

//! Reading whole tables (every page) and printing tables for people; the events themselves are
//! read and shown through `mailtrail::read`.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

/// A stored item.
pub type Item = HashMap<String, AttributeValue>;

/// Every item a query returns, all pages; `what` names the read in the error.
pub async fn query_all(query: QueryFluentBuilder, what: &str) -> anyhow::Result<Vec<Item>> {
    query
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)
        .with_context(|| format!("reading {what}"))
}

/// Every item a scan returns, all pages; `what` names the read in the error.
pub async fn scan_all(scan: ScanFluentBuilder, what: &str) -> anyhow::Result<Vec<Item>> {
    scan.into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)
        .with_context(|| format!("reading {what}"))
}

/// A table for people, fitted to the terminal.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

//! The suppression table as the command reads it: one record, every record, the suppressed
//! verdicts a page at a time (through the read library), and who is operating.

use anyhow::Context as _;
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::store::suppression::{record_from_item, ADDRESS};
use mailtrail::suppression::{Record, Verdict};

use crate::args::since_key;
use crate::items::scan_all;
use crate::tables::Context;

/// The record of one address (empty when it has none); a forgotten address's is kept under a
/// hash of it (`mailtrail forget`), and read there when the address has none.
pub(crate) async fn record(context: &Context, address: &str) -> anyhow::Result<Record> {
    for key in [
        address.to_owned(),
        mailtrail::store::forget::forgotten_key(address),
    ] {
        let item = context
            .client
            .get_item()
            .table_name(context.suppressions_table()?)
            .key(ADDRESS, AttributeValue::S(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws_sdk_dynamodb::Error::from)
            .context("reading the suppression record")?
            .item;
        if let Some(item) = item {
            let mut record = record_from_item(&item);
            address.clone_into(&mut record.address);
            return Ok(record);
        }
    }
    Ok(Record::new(address))
}

/// One bounded page of the suppressed list (the read library's verdict list): the suppressed
/// verdicts among up to `limit` records read with one Scan request, and the address to continue
/// after.
pub(crate) async fn suppressed_page(
    context: &Context,
    reason: Option<&str>,
    since: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> anyhow::Result<mailtrail::read::VerdictPage> {
    let filters = mailtrail::read::VerdictFilters {
        reason: reason.map(str::to_owned),
        since: since.map(since_key).transpose()?,
    };
    context.suppressions_table()?;
    let page = mailtrail::read::suppressed_page(&context.list_reads(), &filters, after, limit)
        .await
        .context("reading the suppression list")?;
    Ok(page)
}

/// Records read per request by the command's list, export and push: memory stays bounded
/// whatever the table's size.
const LIST_PAGE_RECORDS: usize = 1_000;

/// Calls `each` with every page of suppressed verdicts, in table order.
pub(crate) async fn for_each_suppressed_page(
    context: &Context,
    reason: Option<&str>,
    since: Option<&str>,
    mut each: impl FnMut(Vec<Verdict>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = suppressed_page(context, reason, since, after.as_deref(), LIST_PAGE_RECORDS).await?;
        each(page.verdicts)?;
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}

/// Every record of the table (for `push`, which acts on each).
pub(crate) async fn all_records(context: &Context) -> anyhow::Result<Vec<Record>> {
    let scan = context.client.scan().table_name(context.suppressions_table()?);
    let items = scan_all(scan, "the suppression list").await?;
    let mut records: Vec<Record> = items.iter().map(record_from_item).collect();
    records.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(records)
}

/// Who runs the command: `MAILTRAIL_OPERATOR`, else the login name.
pub(crate) fn operator() -> String {
    std::env::var("MAILTRAIL_OPERATOR")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

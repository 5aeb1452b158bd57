//! The overview of `mailtrail ui` in Chromium: counters written by the real counter from event
//! items over the last 30 days (three sending providers, four mailbox providers, bounces,
//! complaints past Gmail's line, tags and tenants), then the charts, their tables and CSV, the
//! matrix and a cell's recipient domains, and the filters.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use fantoccini::Locator;
use mailtrail::stats::window::{insert_record, window_event};
use mailtrail::stats::Counter;
use serde_json::{json, Value};

use crate::support::*;
use crate::ui::{browser, click, count, request, start_ui_env, text_of, wait_for};

/// An event item as the function stores it (the attributes the counter reads).
fn item(
    n: usize,
    provider: &str,
    event: &str,
    recipient: &str,
    mailbox: &str,
    day: &str,
    extra: &[(&str, &str)],
) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> = [
        ("pk", format!("m-{n}")),
        ("sk", format!("{day}T10:00:00.000Z#{event}#{n:x}")),
        ("provider", provider.to_owned()),
        ("event", event.to_owned()),
        ("occurred_at", format!("{day}T10:00:00.000Z")),
        ("recipient", recipient.to_owned()),
        ("mailbox", mailbox.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
    .collect();
    for (k, v) in extra {
        item.insert((*k).to_owned(), AttributeValue::S((*v).to_owned()));
    }
    item
}

/// Two weeks of mail, counted by the counter in one window.
async fn counted(client: &aws_sdk_dynamodb::Client, stats: &str) {
    let today = chrono::Utc::now().date_naive();
    let mut items = Vec::new();
    let mut n = 0;
    let mailboxes = [
        ("gmail", "gmail.com"),
        ("microsoft", "outlook.com"),
        ("yahoo", "yahoo.com"),
        ("apple", "icloud.com"),
    ];
    for back in 0..30 {
        let day = (today - chrono::Duration::days(back)).to_string();
        for (p, provider) in ["ses", "sendgrid", "postmark"].into_iter().enumerate() {
            for (m, (mailbox, domain)) in mailboxes.iter().enumerate() {
                let deliveries = 20 + 10 * p + 5 * m + (back as usize * 7 + p * 3) % 13;
                for _ in 0..deliveries {
                    n += 1;
                    let tenant = if n % 2 == 0 { "acme" } else { "globex" };
                    items.push(item(
                        n,
                        provider,
                        "delivered",
                        &format!("r{n}@{domain}"),
                        mailbox,
                        &day,
                        &[("tenant", tenant), ("sending_domain", "shop.example.com")],
                    ));
                }
                n += 1;
                items.push(item(
                    n,
                    provider,
                    "bounced",
                    &format!("gone{n}@{domain}"),
                    mailbox,
                    &day,
                    &[
                        ("bounce_class", "permanent"),
                        ("smtp_status", "5.1.1"),
                        ("reason", "550 5.1.1 user unknown"),
                        ("tenant", "acme"),
                    ],
                ));
                if *mailbox == "gmail" {
                    n += 1;
                    items.push(item(
                        n,
                        provider,
                        "complained",
                        &format!("angry{n}@{domain}"),
                        mailbox,
                        &day,
                        &[("tenant", "globex")],
                    ));
                }
            }
        }
    }
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, it)| insert_record(i as u64, it))
        .collect();
    let counter = Counter::new(client.clone(), stats);
    let mut state = json!({});
    for batch in records.chunks(1000) {
        let (answer, _) = counter
            .handle(&window_event(
                "shardId-1",
                "2026-12-05T10:00:00Z",
                batch,
                &state,
                false,
            ))
            .await
            .unwrap();
        state = answer["state"].clone();
    }
    counter
        .handle(&window_event(
            "shardId-1",
            "2026-12-05T10:00:00Z",
            &[],
            &state,
            true,
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_draws_volume_rates_and_the_matrix_and_every_chart_has_its_figures() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let stats = crate::stats::fresh_stats_table(&client).await;
    counted(&client, &stats).await;
    let ui = start_ui_env(&table, None, &[("MAILTRAIL_STATS_TABLE", &stats)]);
    let browser = browser().await;
    browser.set_window_size(1280, 2200).await.unwrap();
    browser.goto(&ui.url).await.unwrap();
    wait_for(&browser, "section.kpis").await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/");

    // Three charts drawn on the server; the volume stacks three providers with a legend.
    assert_eq!(count(&browser, "svg.chart").await, 3);
    assert_eq!(count(&browser, "ul.legend li").await, 3);
    assert!(count(&browser, "#volume svg.chart rect[fill^='url(#series']").await >= 14 * 3);
    assert!(count(&browser, "#complaint-rate svg.chart circle").await >= 14);
    // The complaint rate (Gmail's 3 of ~28-48 a day) is past every line: flagged in words.
    assert!(text_of(&browser, "p.flagged").await.contains("complaint rate"));
    let png = browser.screenshot().await.unwrap();
    std::fs::write(root().join("target/ui-overview.png"), &png).unwrap();
    if std::env::var_os("MAILTRAIL_WRITE_SCREENSHOT").is_some() {
        std::fs::write(root().join("docs/ui-overview.png"), &png).unwrap();
    }
    // Each chart's figures are a click away as a table.
    assert!(!browser
        .find(Locator::Css("#volume details table"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());
    click(&browser, "#volume details summary").await;
    assert!(browser
        .find(Locator::Css("#volume details table"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());
    assert_eq!(
        count(&browser, "#volume details tbody tr").await,
        30,
        "the default period: 30 days"
    );

    // The matrix: four mailbox providers × three sending providers, each cell a link.
    assert_eq!(count(&browser, "#matrix tbody tr").await, 4);
    assert_eq!(count(&browser, "#matrix tbody td a").await, 4 * 4);
    let cell = browser
        .find(Locator::XPath("//section[@id='matrix']//tr[th='gmail']/td[1]/a"))
        .await
        .unwrap();
    let href = cell.attr("href").await.unwrap().unwrap();
    assert!(
        href.contains("cell_mailbox=gmail") && href.contains("cell_provider="),
        "{href}"
    );
    cell.click().await.unwrap();
    wait_for(&browser, "table.data").await;
    assert!(text_of(&browser, "h1").await.starts_with("gmail via"));
    assert_eq!(
        text_of(&browser, "table.data tbody tr:first-child td:first-child").await,
        "gmail.com"
    );

    // The filters: one tenant, then the figures as CSV through a script's token.
    browser
        .goto(&format!("http://127.0.0.1:{}/", ui.port))
        .await
        .unwrap();
    let before: i64 = text_of(&browser, ".kpi:first-child .kpi-value")
        .await
        .parse()
        .unwrap();
    browser
        .find(Locator::Css("input[name=tenant]"))
        .await
        .unwrap()
        .send_keys("acme")
        .await
        .unwrap();
    click(&browser, "form.filters button").await;
    let mut query = None;
    for _ in 0..100 {
        query = browser.current_url().await.unwrap().query().map(str::to_owned);
        if query.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(query.unwrap_or_default().contains("tenant=acme"));
    wait_for(&browser, "section.kpis").await;
    let after: i64 = text_of(&browser, ".kpi:first-child .kpi-value")
        .await
        .parse()
        .unwrap();
    assert!(after > 0 && after < before, "{after} of {before}");

    let host = format!("127.0.0.1:{}", ui.port);
    let bearer = format!("Authorization: Bearer {}", ui.session);
    let (status, response) = request(ui.port, &host, "/overview.csv?chart=volume", &[&bearer]);
    assert_eq!(status, 200, "{response}");
    assert!(response.contains("text/csv"));
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    assert!(body.starts_with("day,"), "{body}");
    assert_eq!(body.lines().count(), 31, "a header and 30 days");
    let (status, response) = request(
        ui.port,
        &host,
        "/overview.csv?chart=matrix&tenant=acme",
        &[&bearer],
    );
    assert_eq!(status, 200);
    assert!(response.contains("mailbox,provider,volume,"), "{response}");
    let (status, response) = request(ui.port, &host, "/api/stats?by=mailbox&tenant=acme", &[&bearer]);
    assert_eq!(status, 200, "{response}");
    let doc: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(doc["by"], "mailbox");
    assert_eq!(doc["rows"].as_array().unwrap().len(), 4);
    assert!(
        doc["rows"][0]["group"]["mailbox"].is_string()
            && doc["rows"][0]["counts"]["delivered"].as_i64() > Some(0)
    );
    let (status, _) = request(ui.port, &host, "/api/stats?by=nonsense", &[&bearer]);
    assert_eq!(status, 400);
    let (status, _) = request(ui.port, &host, "/overview.csv?chart=nonsense", &[&bearer]);
    assert_eq!(status, 400);
    let (status, _) = request(ui.port, &host, "/overview.csv?chart=volume", &[]);
    assert_eq!(status, 401, "no session, no figures");
    let (status, response) = request(ui.port, &host, "/?since=2026-13-01", &[&bearer]);
    assert_eq!(status, 400, "{response}");
}

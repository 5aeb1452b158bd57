//! `mailtrail ui`'s overview over 400 days × 8 sending providers × 20 mailbox providers, against
//! the local DynamoDB-API server: the page (counters read, grouped, three charts, the matrix,
//! the top reasons and domains, rendered), next to its floor: the same counter items read with
//! the bare SDK. Written to `target/bench/overview.json`.
//!
//! `MAILTRAIL_CLI` names the release `mailtrail` binary (`make bench` builds it).

#[path = "../tests/integration/support.rs"]
mod support;
#[path = "common/ui_server.rs"]
mod ui_server;

use ui_server::stats;

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use mailtrail::stats::count::{attribute, Column, CounterKey, Family};
use mailtrail::stats::tally::Tally;
use mailtrail::stats::window::Flush;
use mailtrail::stats::Counter;
use serde_json::json;

const RUNS: usize = 9;
const DAYS: i64 = 400;
const PROVIDERS: [&str; 8] = [
    "ses",
    "sendgrid",
    "mailgun",
    "postmark",
    "resend",
    "mailjet",
    "brevo",
    "sendpulse",
];
const MAILBOXES: [&str; 20] = [
    "gmail",
    "microsoft",
    "yahoo",
    "apple",
    "gmx",
    "comcast",
    "orange",
    "proton",
    "yandex",
    "mailru",
    "zoho",
    "fastmail",
    "t-online",
    "free",
    "tencent",
    "netease",
    "proofpoint",
    "mimecast",
    "other",
    "unknown",
];

/// 400 days of counters: a cell per day and mailbox provider holding all eight sending
/// providers, twenty recipient domains and five bounce reasons a day.
fn tally(until: NaiveDate) -> Tally {
    let mut tally = Tally::default();
    for back in 0..DAYS {
        let day = (until - Duration::days(back)).to_string();
        for (m, mailbox) in MAILBOXES.iter().enumerate() {
            let cell = CounterKey::new(
                Family::Cell,
                &day,
                &day,
                &[mailbox, "shop.example.com", "transactional", "-"],
            );
            for (p, provider) in PROVIDERS.iter().enumerate() {
                let base = 1_000 + (back * 37 + p as i64 * 101 + m as i64 * 13) % 500;
                for (column, n) in [
                    (Column::Delivered, base),
                    (Column::HardBounce, base / 50),
                    (Column::SoftBounce, base / 80),
                    (Column::Complaint, base / 900),
                    (Column::Open, base / 3),
                    (Column::MachineOpen, base / 5),
                    (Column::Click, base / 20),
                ] {
                    tally.add_n(cell.clone(), &attribute(provider, column), n);
                }
            }
        }
        for d in 0..20 {
            let mailbox = MAILBOXES[d % MAILBOXES.len()];
            let key = CounterKey::new(
                Family::Domain,
                &day,
                &day,
                &[mailbox, &format!("domain{d}.example")],
            );
            tally.add_n(
                key,
                &attribute(PROVIDERS[d % 8], Column::HardBounce),
                3 + d as i64,
            );
        }
        for r in 0..5 {
            let key = CounterKey::new(
                Family::Reason,
                &day,
                &day,
                &["gmail", "5.1.1", &format!("### #.#.# user unknown {r}")],
            );
            tally.add_n(key, &attribute("ses", Column::HardBounce), 10 - r);
        }
    }
    tally
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let until = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let since = until - Duration::days(DAYS - 1);
    let (client, table, stats_table, items) = runtime.block_on(async {
        let client = support::client().await;
        let table = support::fresh_table(&client).await;
        let stats_table = format!("overview-bench-{}", std::process::id());
        mailtrail::store::table::create_stats(&client, &stats_table)
            .await
            .unwrap();
        let tally = tally(until);
        let flush = Flush {
            mark_name: "w_bench".to_owned(),
            mark_below: "1".to_owned(),
            mark: "1".to_owned(),
        };
        Counter::new(client.clone(), stats_table.clone())
            .write(&tally, &flush)
            .await
            .unwrap();
        (client, table, stats_table, tally.len())
    });

    // The floor: the same counter items, read with the bare SDK (the three families, a
    // partition a month, at once).
    let floor: Vec<f64> = (0..RUNS)
        .map(|_| {
            runtime.block_on(async {
                let started = Instant::now();
                let mut read = 0;
                for family in [Family::Cell, Family::Domain, Family::Reason] {
                    let parts = futures_util::future::join_all(family.ranges(since, until).into_iter().map(
                        |(pk, from, to)| {
                            let client = client.clone();
                            let table = stats_table.clone();
                            async move {
                                mailtrail::store::counters::read_range(&client, &table, &pk, &from, &to)
                                    .await
                                    .unwrap()
                                    .len()
                            }
                        },
                    ))
                    .await;
                    read += parts.iter().sum::<usize>();
                }
                assert_eq!(read, items);
                started.elapsed().as_secs_f64() * 1000.0
            })
        })
        .collect();

    let ui = ui_server::start(&[
        ("MAILTRAIL_TABLE", table.as_str()),
        ("MAILTRAIL_STATS_TABLE", stats_table.as_str()),
    ]);
    let path = format!("/?since={since}&until={until}");
    let mut page = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let (status, ms, size) = ui.get(&path);
        assert_eq!(status, 200);
        page.push(ms);
        bytes = size;
    }
    drop(ui);
    let report = json!({
        "overview_page": {"days": DAYS, "providers": PROVIDERS.len(), "mailboxes": MAILBOXES.len(), "counter_items": items, "ms": stats(page), "bytes": bytes},
        "counters_read_floor": {"ms": stats(floor)},
    });
    let out = support::root().join("target/bench/overview.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

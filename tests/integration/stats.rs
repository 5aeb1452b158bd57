//! Deliverability counts end to end. A realistic mix (`scripts/make_mix.py`: 10,400 events of all
//! eight providers, a real sender's recipient domains, companies hosted at Google and Microsoft
//! resolved by a local name server) goes through the real handler, provider retries included.
//! dynalite serves no streams: the counter is fed stream records made from the stored items
//! (an `INSERT` for each item the table did not hold before, as DynamoDB writes them), in
//! tumbling windows per shard, with what Lambda's retries do: a failed batch delivered again
//! with the state before it, a batch delivered again after it counted, a window's last
//! invocation retried after part of its writes, shards interleaved, a batch outside any window
//! delivered twice and halved. The counters must equal a recount: zero differences.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::StreamExt;
use mailtrail::stats::count::Column;
use mailtrail::stats::recount::{self, Period};
use mailtrail::stats::Counter;
use serde_json::{json, Value};

use crate::support::*;

/// The mix's requests, `(provider, body)`, and its name server's MX records.
pub(crate) fn mix() -> (Vec<(String, String)>, Vec<String>) {
    let status = std::process::Command::new("python3")
        .arg(root().join("scripts/make_mix.py"))
        .status()
        .expect("python3 runs");
    assert!(status.success(), "scripts/make_mix.py failed");
    let requests: Vec<Value> = serde_json::from_str(&read("target/mix/requests.json")).unwrap();
    let requests = requests
        .into_iter()
        .map(|r| {
            (
                r["provider"].as_str().unwrap().to_owned(),
                r["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mx = read("target/mix/mx.txt").lines().map(str::to_owned).collect();
    (requests, mx)
}

/// Posts one request as its provider does; `n` names a Mailgun token of its own.
pub(crate) async fn post(app: &mailtrail::app::App, provider: &str, body: &str, n: usize) {
    if provider == "ses" {
        invoke(app, &sns_event(body))
            .await
            .expect("SES notifications are stored");
        return;
    }
    let request = match provider {
        "sendgrid" => sendgrid_post(body),
        "sendpulse" => sendpulse_post(body),
        "mailgun" => mailgun_post(&mailgun_signed(body, &format!("{n:050x}"))),
        "postmark" => postmark_post(body),
        "mailjet" => mailjet_post(body),
        "brevo" => brevo_post(body),
        "resend" => resend_post(body),
        other => panic!("no provider {other}"),
    };
    let (status, reply) = invoke_http(app, &request).await;
    assert_eq!(status, 200, "{provider}: {reply}");
}

fn record(name: &str, sequence: u64, item: &HashMap<String, AttributeValue>) -> Value {
    mailtrail::stats::window::change_record(name, sequence, item)
}

/// The stream so far: each item the table holds that it did not before becomes an `INSERT`
/// on the shard of its partition key (a few rewritten ones also a `MODIFY`, which counts
/// nothing).
async fn new_records(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    seen: &mut HashSet<(String, String)>,
    sequence: &mut u64,
    shards: &mut [Vec<Value>],
) {
    let mut items = scan_all(client, table).await;
    items.sort_by(|a, b| {
        (s(a, "received_at"), s(a, "pk"), s(a, "sk")).cmp(&(s(b, "received_at"), s(b, "pk"), s(b, "sk")))
    });
    for item in items {
        let key = (
            s(&item, "pk").unwrap_or("").to_owned(),
            s(&item, "sk").unwrap_or("").to_owned(),
        );
        let shard = key
            .0
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize))
            % shards.len();
        *sequence += 1;
        if seen.insert(key) {
            shards[shard].push(record("INSERT", *sequence, &item));
        } else if sequence.is_multiple_of(97) {
            shards[shard].push(record("MODIFY", *sequence, &item));
        }
    }
}

use mailtrail::stats::window::window_event;

/// Feeds one window of one shard as Lambda does, with its retries: every third batch fails
/// once and comes again with the state before it; every fifth is delivered again after it
/// counted; the last invocation's writes are cut in half once, then it is retried, twice.
async fn feed_window(
    counter: &Counter,
    client: &aws_sdk_dynamodb::Client,
    stats: &str,
    shard: &str,
    start: &str,
    records: &[Value],
    fault: usize,
) -> f64 {
    let mut state = json!({});
    let mut previous: Option<&[Value]> = None;
    for (i, batch) in records.chunks(100).enumerate() {
        if (i + fault).is_multiple_of(3) {
            // The function failed after counting: Lambda keeps the state it had.
            let _lost = counter
                .handle(&window_event(shard, start, batch, &state, false))
                .await
                .unwrap();
        }
        let (answer, _) = counter
            .handle(&window_event(shard, start, batch, &state, false))
            .await
            .unwrap();
        state = answer["state"].clone();
        if let Some(again) = previous.filter(|_| (i + fault).is_multiple_of(5)) {
            let (answer, summary) = counter
                .handle(&window_event(shard, start, again, &state, false))
                .await
                .unwrap();
            assert_eq!(
                summary.counted, 0,
                "a batch delivered again after it counted counts nothing"
            );
            state = answer["state"].clone();
        }
        previous = Some(batch);
    }
    let last = window_event(shard, start, &[], &state, true);
    // The last invocation wrote half its counters, then failed.
    let plan = mailtrail::stats::window::plan(&last).unwrap();
    let updates = mailtrail::stats::updates(&plan.tally, plan.flush.as_ref().unwrap());
    let half: Vec<_> = updates.iter().take(updates.len() / 2).cloned().collect();
    let mut units = mailtrail::store::counters::add(client, stats, half)
        .await
        .unwrap()
        .write_units;
    for _ in 0..2 {
        let (answer, summary) = counter.handle(&last).await.unwrap();
        assert_eq!(answer["state"], json!({}));
        units += summary.written.map_or(0.0, |w| w.write_units);
    }
    units
}

/// A new, empty statistics table.
pub async fn fresh_stats_table(client: &aws_sdk_dynamodb::Client) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "stats-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    mailtrail::store::table::create_stats(client, &name)
        .await
        .expect("the statistics table is created");
    name
}

#[tokio::test(flavor = "current_thread")]
async fn a_realistic_mix_is_attributed_and_counted_exactly_whatever_the_stream_repeats() {
    let (requests, mx) = mix();
    let (server, _) = name_server(&mx);
    let client = client().await;
    let table = fresh_table(&client).await;
    let stats = fresh_stats_table(&client).await;
    let mut config = test_config(&table);
    config.mx_lookup = true;
    config.mx_name_server = Some(format!("127.0.0.1:{}", server.port).parse().unwrap());
    let app = app_with(&client, config);
    let counter = Counter::new(client.clone(), stats.clone());

    let mut seen = HashSet::new();
    let mut sequence = 0;
    let mut shards: Vec<Vec<Value>> = vec![Vec::new(); 3];
    let mut units = 0.0;
    let mut window = 0;
    // Two rounds: the first half of the mix, then the rest with a provider's retries of the
    // first half (the same bodies again: no new item, nothing counted).
    let half = requests.len() / 2;
    for round in 0..2 {
        let range = if round == 0 { 0..half } else { half..requests.len() };
        let mut todo: Vec<(usize, &(String, String))> = requests
            .iter()
            .enumerate()
            .skip(range.start)
            .take(range.len())
            .collect();
        if round == 1 {
            // Retries carry a token of their own (Mailgun signs each delivery attempt anew).
            todo.extend(
                requests[..half]
                    .iter()
                    .enumerate()
                    .step_by(20)
                    .map(|(n, r)| (n + 1_000_000, r)),
            );
        }
        futures_util::stream::iter(todo)
            .for_each_concurrent(8, |(n, (provider, body))| {
                let app = &app;
                async move { post(app, provider, body, n).await }
            })
            .await;
        new_records(&client, &table, &mut seen, &mut sequence, &mut shards).await;
        // The shards' windows, interleaved: shard 2's first, then 0's, then 1's.
        for shard in [2, 0, 1] {
            let records = std::mem::take(&mut shards[shard]);
            for chunk in records.chunks(1_000) {
                window += 1;
                let start = format!("2026-12-05T10:{:02}:00Z", window % 60);
                units += feed_window(
                    &counter,
                    &client,
                    &stats,
                    &format!("shardId-0000000{shard}"),
                    &start,
                    chunk,
                    window,
                )
                .await;
            }
        }
    }
    // A batch outside any window (a deployment without one), delivered twice and then halved.
    let (status, _) = invoke_http(&app, &sendgrid_post(&json!([{"email": "late@gmail.com", "event": "delivered",
        "timestamp": 1_795_300_000, "sg_message_id": "late.filter0001"},{"email": "later@yahoo.com", "event": "delivered",
        "timestamp": 1_795_300_001, "sg_message_id": "later.filter0001"}]).to_string())).await;
    assert_eq!(status, 200);
    let mut plain = vec![Vec::new()];
    new_records(&client, &table, &mut seen, &mut sequence, &mut plain).await;
    let records = &plain[0];
    let pks: Vec<&str> = records
        .iter()
        .filter_map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str())
        .collect();
    assert!(pks.contains(&"late") && pks.contains(&"later"), "{pks:?}");
    let batch = json!({ "Records": records });
    let (first, second) = records.split_at(records.len() / 2);
    for event in [
        batch.clone(),
        batch,
        json!({ "Records": first }),
        json!({ "Records": second }),
    ] {
        let (answer, _) = counter.handle(&event).await.unwrap();
        assert_eq!(answer, json!({"batchItemFailures": []}));
    }

    // Zero differences between the counters and a recount of the items.
    let today = chrono::Utc::now().date_naive();
    let period = Period {
        since: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        until: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        hours_since: today - chrono::Duration::days(13),
    };
    let recounted = recount::recount(
        &client,
        &table,
        Period {
            hours_since: period.since,
            ..period
        },
        &|_| {},
    )
    .await
    .unwrap();
    let stored = recount::stored(
        &client,
        &stats,
        Period {
            hours_since: period.since,
            ..period
        },
    )
    .await
    .unwrap();
    let differences = recount::differences(&stored, &recounted);
    assert!(
        differences.is_empty(),
        "{} differences, first: {:?}",
        differences.len(),
        differences.first()
    );
    let events = recounted
        .rows()
        .filter(|(k, _)| k.pk.starts_with("c#"))
        .map(|(_, c)| c.iter().map(|(_, n)| n).sum::<i64>())
        .sum::<i64>();
    assert!(events >= 10_000, "the mix counts {events} events");

    // At least 95 % of deliveries are attributed to a named mailbox provider.
    let query = mailtrail::read::stats::StatsQuery {
        since: period.since,
        until: period.until,
        by: Some(mailtrail::read::stats::By::Mailbox),
        filters: Default::default(),
    };
    let rows = mailtrail::read::stats::stats(&client, &stats, &query)
        .await
        .unwrap();
    let delivered: i64 = rows.iter().map(|r| r.count(Column::Delivered)).sum();
    let named: i64 = rows
        .iter()
        .filter(|r| r.group != "unknown" && r.group != "other")
        .map(|r| r.count(Column::Delivered))
        .sum();
    let share = named as f64 / delivered as f64;
    eprintln!(
        "attribution: {named} of {delivered} deliveries ({:.1} %) to a named mailbox provider; {events} events counted; {:.3} write units per event for the counters",
        share * 100.0,
        units / events as f64
    );
    assert!(share >= 0.95, "{:.1} % attributed", share * 100.0);
    for expected in ["gmail", "microsoft", "yahoo", "apple", "proofpoint", "mimecast"] {
        assert!(
            rows.iter()
                .any(|r| r.group == expected && r.count(Column::Delivered) > 0),
            "{expected}"
        );
    }
}

#[tokio::test]
async fn a_counter_that_cannot_write_fails_the_window_and_counts_on_the_retry() {
    let client = client().await;
    let stats = fresh_stats_table(&client).await;
    let mut item = HashMap::new();
    for (name, value) in [
        ("pk", "m-1"),
        ("sk", "2026-12-05T10:00:00.000Z#delivered#x"),
        ("provider", "ses"),
        ("event", "delivered"),
        ("occurred_at", "2026-12-05T10:00:00.000Z"),
        ("recipient", "jane@gmail.com"),
        ("mailbox", "gmail"),
    ] {
        item.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
    }
    let last = window_event(
        "shardId-1",
        "2026-12-05T10:00:00Z",
        &[record("INSERT", 1, &item)],
        &json!({}),
        true,
    );
    let broken = Counter::new(client.clone(), "no-such-table");
    assert!(
        broken.handle(&last).await.is_err(),
        "a write that fails fails the invocation"
    );
    let counter = Counter::new(client.clone(), stats.clone());
    counter.handle(&last).await.unwrap();
    counter.handle(&last).await.unwrap();
    let rows = mailtrail::read::stats::stats(
        &client,
        &stats,
        &mailtrail::read::stats::StatsQuery {
            since: chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
            until: chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
            by: None,
            filters: Default::default(),
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].count(Column::Delivered), 1);
    assert_eq!(rows[0].volume(), 1);
}

/// Ingests a small SendGrid batch and counts it in one window.
async fn counted_sample(client: &aws_sdk_dynamodb::Client, table: &str, stats: &str) {
    let app = app(client, table);
    let mut events = Vec::new();
    for (i, (address, event)) in [
        ("a@gmail.com", "delivered"),
        ("b@gmail.com", "delivered"),
        ("c@gmail.com", "spamreport"),
        ("d@yahoo.com", "delivered"),
        ("e@yahoo.com", "bounce"),
        ("f@hotmail.com", "delivered"),
        ("g@hotmail.com", "open"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = json!({"email": address, "event": event, "timestamp": 1_796_036_400 + i,
            "sg_message_id": format!("cli-{i}.filter0001"), "category": ["welcome"]});
        if event == "bounce" {
            e["type"] = json!("bounce");
            e["status"] = json!("5.1.1");
            e["reason"] = json!("550 5.1.1 user unknown");
        }
        if event == "spamreport" {
            // A complaint follows a delivery.
            events.push(
                json!({"email": address, "event": "delivered", "timestamp": 1_796_036_300,
                "sg_message_id": format!("cli-{i}.filter0001")}),
            );
        }
        events.push(e);
    }
    let (status, reply) = invoke_http(&app, &sendgrid_post(&Value::Array(events).to_string())).await;
    assert_eq!(status, 200, "{reply}");
    let records: Vec<Value> = scan_all(client, table)
        .await
        .iter()
        .enumerate()
        .map(|(n, item)| record("INSERT", n as u64, item))
        .collect();
    let counter = Counter::new(client.clone(), stats);
    let (state, _) = counter
        .handle(&window_event(
            "shardId-9",
            "2026-12-01T00:00:00Z",
            &records,
            &json!({}),
            false,
        ))
        .await
        .unwrap();
    counter
        .handle(&window_event(
            "shardId-9",
            "2026-12-01T00:00:00Z",
            &[],
            &state["state"],
            true,
        ))
        .await
        .unwrap();
}

fn stats_command(table: &str, stats: &str, args: &[&str]) -> std::process::Output {
    crate::cli::mailtrail_command(table, "no-suppressions")
        .env("MAILTRAIL_STATS_TABLE", stats)
        .args(args)
        .output()
        .expect("the mailtrail binary runs")
}

const PERIOD: [&str; 4] = ["--since", "2026-11-01", "--until", "2026-12-31"];

#[tokio::test]
async fn mailtrail_stats_prints_counts_and_rates_and_verify_and_rebuild_keep_them_exact() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let stats = fresh_stats_table(&client).await;
    counted_sample(&client, &table, &stats).await;
    let run = |args: &[&str]| {
        let mut all = vec!["stats"];
        all.extend(args);
        stats_command(&table, &stats, &all)
    };

    let out = run(&[&PERIOD[..], &["--by", "mailbox", "--output", "json"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["since"].as_str(), doc["until"].as_str(), doc["by"].as_str()),
        (Some("2026-11-01"), Some("2026-12-31"), Some("mailbox"))
    );
    let gmail = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["mailbox"] == "gmail")
        .unwrap();
    assert_eq!(gmail["counts"]["delivered"], 3);
    assert_eq!(gmail["counts"]["complaint"], 1);
    assert_eq!(gmail["rates"]["complaint"].as_f64(), Some(1.0 / 3.0));
    let yahoo = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["mailbox"] == "yahoo")
        .unwrap();
    assert_eq!(
        (
            yahoo["counts"]["hard_bounce"].as_i64(),
            yahoo["counts"]["volume"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(doc["total"]["counts"]["open"], 1);

    let out = run(&[&PERIOD[..], &["--by", "provider", "--output", "csv"]].concat());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("provider,volume,sent,delivered,"), "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().starts_with("sendgrid,6,0,5,1,"),
        "{csv}"
    );

    let out = run(&[&PERIOD[..], &["--by", "tag", "--min-volume", "1"]].concat());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("welcome") && text.contains("Email 2026-11-01 to 2026-12-31"),
        "{text}"
    );
    assert!(
        text.contains("! welcome: complaint"),
        "a complaint rate past the lines is flagged: {text}"
    );

    let out = run(&[&PERIOD[..], &["--by", "domain", "--tenant", "acme"]].concat());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tenant cannot be combined with --by domain"));
    let out = crate::cli::mailtrail_command(&table, "x")
        .args(["suppressed", "list", "--output", "csv"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "csv is for stats only");

    let verify = |expect_ok: bool| {
        let out = run(&["verify", "--output", "json"]);
        assert_eq!(
            out.status.success(),
            expect_ok,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(verify(true)["differences"], json!([]));
    // A counter off by one (written outside the counter's windows) is found, then rebuilt.
    let key = recount::recount(
        &client,
        &table,
        Period {
            since: chrono::NaiveDate::MIN,
            until: chrono::NaiveDate::MAX,
            hours_since: chrono::NaiveDate::MIN,
        },
        &|_| {},
    )
    .await
    .unwrap()
    .keys()
    .find(|k| k.pk.starts_with("c#"))
    .cloned()
    .unwrap();
    mailtrail::store::counters::add(
        &client,
        &stats,
        vec![mailtrail::store::counters::CounterUpdate {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            counts: vec![("sendgrid.delivered".to_owned(), 1)],
            mark_name: "w_tampered".to_owned(),
            mark_below: "1".to_owned(),
            mark: "1".to_owned(),
            expires_at: None,
        }],
    )
    .await
    .unwrap();
    let found = verify(false);
    assert_eq!(found["differences"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["differences"][0]["column"], "sendgrid.delivered");
    let out = run(&["rebuild"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rebuilt"),
        "progress is shown"
    );
    assert_eq!(verify(true)["differences"], json!([]));
}

//! What an item counts, and how a window's batches add up once.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

use super::count::{counted, Column, Family};
use super::window::{change_record, insert_record, plan, window_event};

fn item(pairs: &[(&str, &str)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), AttributeValue::S((*v).to_owned())))
        .collect()
}

fn delivery(n: usize) -> HashMap<String, AttributeValue> {
    let mut i = item(&[
        ("pk", &format!("m-{n}")),
        ("sk", "2026-12-05T10:00:00.000Z#delivered#x"),
        ("provider", "ses"),
        ("event", "delivered"),
        ("occurred_at", "2026-12-05T10:00:00.000Z"),
        ("recipient", "jane@gmail.com"),
        ("mailbox", "gmail"),
        ("sending_domain", "shop.example.com"),
    ]);
    i.insert(
        "tags".to_owned(),
        AttributeValue::Ss(vec!["b".into(), "a".into()]),
    );
    i
}

#[test]
fn an_event_counts_once_in_each_family_it_reaches() {
    let c = counted(&delivery(1)).unwrap();
    assert_eq!(c.column, Column::Delivered);
    assert_eq!(c.provider, "ses");
    let families: Vec<Family> = c.keys.iter().filter_map(|k| k.family()).collect();
    assert_eq!(
        families,
        [
            Family::Cell,
            Family::Hour,
            Family::Domain,
            Family::Tag,
            Family::Tag
        ]
    );
    assert_eq!(c.keys[0].pk, "c#2026-12");
    assert_eq!(c.keys[0].sk, "2026-12-05|gmail|shop.example.com|-|-");
    assert_eq!(c.keys[1].pk, "h#2026-12-05");
    assert_eq!(c.keys[1].sk, "10|gmail");
    assert_eq!(c.keys[2].sk, "2026-12-05|gmail|gmail.com");
}

#[test]
fn what_counts_where() {
    let mut bounce = delivery(2);
    bounce.insert("event".into(), AttributeValue::S("bounced".into()));
    bounce.insert("bounce_class".into(), AttributeValue::S("permanent".into()));
    bounce.insert("smtp_status".into(), AttributeValue::S("5.1.1".into()));
    bounce.insert(
        "reason".into(),
        AttributeValue::S("550 5.1.1 <jane@gmail.com>: User Unknown 42".into()),
    );
    let c = counted(&bounce).unwrap();
    assert_eq!(c.column, Column::HardBounce);
    let reason = c
        .keys
        .iter()
        .find(|k| k.family() == Some(Family::Reason))
        .unwrap();
    assert_eq!(
        reason.sk,
        "2026-12-05|gmail|5.1.1|### #.#.# <address> user unknown ##"
    );

    let mut simulated = delivery(3);
    simulated.insert("simulator".into(), AttributeValue::Bool(true));
    let c = counted(&simulated).unwrap();
    assert_eq!(
        (c.column, c.keys.len()),
        (Column::Simulator, 1),
        "only the cell keeps it"
    );

    let mut machine = delivery(4);
    machine.insert("event".into(), AttributeValue::S("opened".into()));
    machine.insert("machine".into(), AttributeValue::Bool(true));
    assert_eq!(counted(&machine).unwrap().column, Column::MachineOpen);

    let mut not_spam = delivery(5);
    not_spam.insert("event".into(), AttributeValue::S("not_spam".into()));
    assert!(counted(&not_spam).is_none());
    for pk in ["mx#gmail.com", "token#mailgun#ab", "quarantine#x"] {
        let mut other = delivery(6);
        other.insert("pk".into(), AttributeValue::S(pk.into()));
        assert!(counted(&other).is_none(), "{pk}");
    }
    let mut undated = delivery(7);
    undated.insert("occurred_at".into(), AttributeValue::S("yesterday".into()));
    assert!(counted(&undated).is_none(), "no day, no count");
}

fn cell_count(plan: &super::window::Plan) -> i64 {
    plan.tally
        .rows()
        .filter(|(k, _)| k.family() == Some(Family::Cell))
        .flat_map(|(_, counts)| counts.into_iter().map(|(_, n)| n))
        .sum()
}

#[test]
fn a_window_counts_each_record_once_and_writes_at_its_end() {
    let records: Vec<Value> = (0..6).map(|n| insert_record(n, &delivery(n as usize))).collect();
    let first = plan(&window_event(
        "shard-1",
        "2026-12-05T10:00:00Z",
        &records[..4],
        &json!({}),
        false,
    ))
    .unwrap();
    assert_eq!((first.counted, first.flush.is_none()), (4, true));
    let state = serde_json::to_value(first.state.unwrap()).unwrap();
    // The batch again, after it counted (the state says so), then the next, overlapping.
    let again = plan(&window_event(
        "shard-1",
        "2026-12-05T10:00:00Z",
        &records[..4],
        &state,
        false,
    ))
    .unwrap();
    assert_eq!((again.counted, again.repeated), (0, 4));
    let next = plan(&window_event(
        "shard-1",
        "2026-12-05T10:00:00Z",
        &records[2..],
        &state,
        false,
    ))
    .unwrap();
    assert_eq!((next.counted, next.repeated), (2, 2));
    let state = serde_json::to_value(next.state.unwrap()).unwrap();
    let last = plan(&window_event(
        "shard-1",
        "2026-12-05T10:00:00Z",
        &[],
        &state,
        true,
    ))
    .unwrap();
    assert_eq!(cell_count(&last), 6);
    let flush = last.flush.unwrap();
    assert!(flush.mark_name.starts_with("w_") && flush.mark_name.len() == 10);
    assert_eq!(
        flush.mark, "0017964648000000",
        "the window's start, then the part"
    );
    assert_eq!(last.state.unwrap(), HashMap::new());
}

#[test]
fn a_batch_outside_a_window_is_written_at_once_under_its_sequence_range() {
    let mut records: Vec<Value> = (10..13)
        .map(|n| insert_record(n, &delivery(n as usize)))
        .collect();
    records.push(change_record("MODIFY", 13, &delivery(1)));
    records.push(change_record("REMOVE", 14, &delivery(2)));
    let p = plan(&json!({ "Records": records })).unwrap();
    assert_eq!(p.counted, 3, "only first writes count");
    let flush = p.flush.unwrap();
    assert!(flush.mark_name.starts_with("s_"));
    assert!(flush.mark_below < flush.mark && flush.mark.len() == 40);
    assert!(p.state.is_none());
}

#[test]
fn what_is_not_a_stream_batch_is_refused_and_an_unreadable_record_skipped() {
    assert!(plan(&json!({"hello": 1})).is_err());
    assert!(plan(
        &json!({"Records": [], "window": {"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T10:00:00Z"},
        "shardId": "s", "state": {"tally": "garbage"}})
    )
    .is_err());
    let bad =
        json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": "1", "NewImage": {"pk": {"Q": 1}}}});
    let p = plan(&json!({ "Records": [bad, insert_record(2, &delivery(1))] })).unwrap();
    assert_eq!((p.counted, p.unreadable), (1, 1));
}

//! A hot partition key: one SendGrid request carrying 2,000 personalizations of one message
//! (one `pk`), through a proxy that, like DynamoDB, serves at most 1,000 write units a second
//! per partition key and hands the rest back as `UnprocessedItems`. Nothing is lost, nothing
//! doubled; the report says how long the burst took to drain.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::http1::{exchange, read_message, Message};
use crate::support::*;

/// Write units a partition key may take per second.
const PARTITION_WCU_PER_SECOND: usize = 1_000;

/// Forwards to the DynamoDB-API server, throttling writes per partition key.
struct Throttle {
    upstream: SocketAddr,
    /// Write units spent per partition key in the current second.
    spent: Mutex<(Instant, HashMap<String, usize>)>,
    throttled_items: AtomicUsize,
    batch_writes: AtomicUsize,
}

impl Throttle {
    async fn start(upstream: SocketAddr) -> (SocketAddr, Arc<Throttle>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let throttle = Arc::new(Throttle {
            upstream,
            spent: Mutex::new((Instant::now(), HashMap::new())),
            throttled_items: AtomicUsize::new(0),
            batch_writes: AtomicUsize::new(0),
        });
        let serving = throttle.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let throttle = serving.clone();
                tokio::spawn(async move {
                    let _ = throttle.serve(stream).await;
                });
            }
        });
        (address, throttle)
    }

    async fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        while let Some(mut request) = read_message(&mut reader).await? {
            let is_batch_write = request
                .header("x-amz-target")
                .is_some_and(|t| t.ends_with("BatchWriteItem"));
            let response = if is_batch_write {
                self.batch_writes.fetch_add(1, Ordering::Relaxed);
                let (kept, held_back) = self.admit(&mut request);
                let mut response = self.forward(&request, kept).await?;
                if let Some((table, items)) = held_back {
                    let mut answer: Value =
                        serde_json::from_slice(&response.body).map_err(std::io::Error::other)?;
                    answer["UnprocessedItems"] = json!({ table: items });
                    response.body = serde_json::to_vec(&answer).unwrap();
                }
                response
            } else {
                self.forward(&request, true).await?
            };
            write.write_all(&response.to_bytes()).await?;
        }
        Ok(())
    }

    /// Keeps the items their partition key still has write units for this second; returns
    /// whether any are left to forward, and the table and items held back.
    fn admit(&self, request: &mut Message) -> (bool, Option<(String, Vec<Value>)>) {
        let mut body: Value = serde_json::from_slice(&request.body).unwrap();
        let Some((table, items)) = body["RequestItems"]
            .as_object_mut()
            .and_then(|m| m.iter_mut().next())
        else {
            return (true, None);
        };
        let table = table.clone();
        let mut spent = self.spent.lock().unwrap();
        if spent.0.elapsed() >= Duration::from_secs(1) {
            *spent = (Instant::now(), HashMap::new());
        }
        let (mut kept, mut held) = (Vec::new(), Vec::new());
        for item in items.as_array_mut().unwrap().drain(..) {
            let pk = item["PutRequest"]["Item"]["pk"]["S"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            let wcu = item.to_string().len().div_ceil(1024);
            let used = spent.1.entry(pk).or_default();
            if *used + wcu <= PARTITION_WCU_PER_SECOND {
                *used += wcu;
                kept.push(item);
            } else {
                held.push(item);
            }
        }
        self.throttled_items.fetch_add(held.len(), Ordering::Relaxed);
        let any_kept = !kept.is_empty();
        *items = Value::Array(kept);
        request.body = serde_json::to_vec(&body).unwrap();
        (any_kept, (!held.is_empty()).then_some((table, held)))
    }

    async fn forward(&self, request: &Message, send: bool) -> std::io::Result<Message> {
        if !send {
            return Ok(Message {
                start: "HTTP/1.1 200 OK".into(),
                headers: vec![("content-type".into(), "application/x-amz-json-1.0".into())],
                body: b"{}".to_vec(),
            });
        }
        exchange(self.upstream, request).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_one_partition_key_drains_without_loss_or_doubles() {
    let direct = client().await;
    let table = fresh_table(&direct).await;
    let upstream: SocketAddr = dynamo().endpoint.trim_start_matches("http://").parse().unwrap();
    let (address, throttle) = Throttle::start(upstream).await;
    let app = app(&client_for(&format!("http://{address}")).await, &table);

    // One message to 2,000 recipients: 2,000 events under one partition key.
    let events: Vec<Value> = (0..2_000)
        .map(|i| {
            json!({"event": "delivered", "email": format!("user{i}@example.com"), "timestamp": 1_795_521_600,
                   "sg_message_id": "BroadcastMessage0001.filterdrecv-1-0", "smtp-id": "<BroadcastMessage0001@ismtpd>"})
        })
        .collect();
    let body = serde_json::to_string(&events).unwrap();
    let started = Instant::now();
    let mut replays = 0;
    loop {
        let (status, reply) = invoke_http(&app, &sendgrid_post(&body)).await;
        match status {
            200 => break,
            500 => {
                replays += 1;
                assert!(replays < 20, "the burst never drained: {reply}");
            }
            other => panic!("unexpected {other}: {reply}"),
        }
    }
    let drained = started.elapsed();
    let items = scan_all(&direct, &table).await;
    let keys: BTreeSet<(String, String)> = items
        .iter()
        .map(|i| (s(i, "pk").unwrap().to_owned(), s(i, "sk").unwrap().to_owned()))
        .collect();
    assert_eq!(items.len(), 2_000, "no more, no less");
    assert_eq!(keys.len(), 2_000);
    assert!(keys.iter().all(|(pk, _)| pk == "BroadcastMessage0001"));
    let throttled = throttle.throttled_items.load(Ordering::Relaxed);
    assert!(throttled > 0, "the partition was throttled");
    let report = format!(
        "hot key: 2000 events under one partition key at {PARTITION_WCU_PER_SECOND} WCU/s per key: drained in {:.2} s, \
         {} BatchWriteItem calls, {throttled} items handed back as unprocessed, {replays} webhook replays after a 500\n",
        drained.as_secs_f64(),
        throttle.batch_writes.load(Ordering::Relaxed),
    );
    println!("{report}");
    let _ = std::fs::write(root().join("target/hot-key-report.txt"), &report);
}

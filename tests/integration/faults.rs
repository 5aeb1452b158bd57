//! Nothing lost, nothing doubled, with a misbehaving store: a fault-injecting HTTP proxy sits
//! between the SDK and the DynamoDB-API server and answers a share of BatchWriteItem calls with
//! throttling errors, 500s, timeouts (after forwarding, so the write did happen) or
//! `UnprocessedItems`. 10,000 events go through the handler; each failed request is replayed as
//! a provider would; the table ends with exactly the expected items.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::Credentials;
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::http1::{exchange, read_message, Message};
use crate::support::*;

/// A DynamoDB-style error answer.
fn error_response(status: &str, kind: &str) -> Message {
    let body = json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": "injected by the test proxy"});
    Message {
        start: format!("HTTP/1.1 {status}"),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.0".into()),
            ("x-amzn-requestid".into(), "INJECTED".into()),
        ],
        body: body.to_string().into_bytes(),
    }
}

/// Shares of BatchWriteItem calls that get each fault.
#[derive(Clone, Copy, Default)]
struct Plan {
    throttle: f64,
    server_error: f64,
    timeout: f64,
    unprocessed: f64,
    /// How long a "timeout" holds the connection (longer than the SDK's attempt timeout).
    hold: Duration,
    /// A BatchWriteItem carrying this text is refused as DynamoDB refuses an item it cannot
    /// take (`ValidationException`), whatever else it carries.
    refuse: Option<&'static str>,
    /// Every BatchWriteItem and UpdateItem is answered with this error (a deployment fault).
    deployment_error: Option<(&'static str, &'static str)>,
}

#[derive(Default)]
struct Stats {
    requests: AtomicUsize,
    batch_writes: AtomicUsize,
    throttled: AtomicUsize,
    server_errors: AtomicUsize,
    timeouts: AtomicUsize,
    unprocessed: AtomicUsize,
    refused: AtomicUsize,
}

enum Fault {
    None,
    Throttle,
    ServerError,
    Timeout,
    Unprocessed,
}

struct Proxy {
    upstream: SocketAddr,
    plan: Plan,
    stats: Stats,
    rng: Mutex<fastrand::Rng>,
}

impl Proxy {
    async fn start(upstream: SocketAddr, plan: Plan, seed: u64) -> (SocketAddr, Arc<Proxy>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let proxy = Arc::new(Proxy {
            upstream,
            plan,
            stats: Stats::default(),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        });
        let serving = proxy.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let proxy = serving.clone();
                tokio::spawn(async move {
                    let _ = proxy.serve(stream).await;
                });
            }
        });
        (address, proxy)
    }

    fn choose(&self) -> Fault {
        let roll = self.rng.lock().unwrap().f64();
        let p = self.plan;
        let mut edge = p.throttle;
        if roll < edge {
            return Fault::Throttle;
        }
        edge += p.server_error;
        if roll < edge {
            return Fault::ServerError;
        }
        edge += p.timeout;
        if roll < edge {
            return Fault::Timeout;
        }
        edge += p.unprocessed;
        if roll < edge {
            return Fault::Unprocessed;
        }
        Fault::None
    }

    async fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        while let Some(request) = read_message(&mut reader).await? {
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let target = request.header("x-amz-target").unwrap_or("").to_owned();
            let is_batch_write = target.ends_with("BatchWriteItem");
            if let Some((status, kind)) = self.plan.deployment_error {
                if is_batch_write || target.ends_with("UpdateItem") {
                    write.write_all(&error_response(status, kind).to_bytes()).await?;
                    continue;
                }
            }
            if let Some(marker) = self.plan.refuse {
                let body = String::from_utf8_lossy(&request.body);
                if is_batch_write && body.contains(marker) {
                    self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    let refusal = error_response("400 Bad Request", "ValidationException");
                    write.write_all(&refusal.to_bytes()).await?;
                    continue;
                }
            }
            let fault = if is_batch_write {
                self.stats.batch_writes.fetch_add(1, Ordering::Relaxed);
                self.choose()
            } else {
                Fault::None
            };
            let response = match fault {
                Fault::None => self.forward(&request).await?,
                Fault::Throttle => {
                    self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    error_response("400 Bad Request", "ProvisionedThroughputExceededException")
                }
                Fault::ServerError => {
                    self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
                    error_response("500 Internal Server Error", "InternalServerError")
                }
                Fault::Timeout => {
                    self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                    self.forward(&request).await?;
                    tokio::time::sleep(self.plan.hold).await;
                    return Ok(());
                }
                Fault::Unprocessed => self.split_as_unprocessed(request).await?,
            };
            write.write_all(&response.to_bytes()).await?;
        }
        Ok(())
    }

    async fn forward(&self, request: &Message) -> std::io::Result<Message> {
        exchange(self.upstream, request).await
    }

    /// Forwards the first half of the batch and answers the second half as unprocessed.
    async fn split_as_unprocessed(&self, mut request: Message) -> std::io::Result<Message> {
        let mut body: Value = serde_json::from_slice(&request.body).map_err(std::io::Error::other)?;
        let Some((table, items)) = body["RequestItems"]
            .as_object_mut()
            .and_then(|m| m.iter_mut().next())
        else {
            return self.forward(&request).await;
        };
        let table = table.clone();
        let items = items.as_array_mut().unwrap();
        if items.len() < 2 {
            return self.forward(&request).await;
        }
        self.stats.unprocessed.fetch_add(1, Ordering::Relaxed);
        let left_over = items.split_off(items.len() / 2);
        request.body = serde_json::to_vec(&body).unwrap();
        let mut response = self.forward(&request).await?;
        let mut answer: Value = serde_json::from_slice(&response.body).map_err(std::io::Error::other)?;
        answer["UnprocessedItems"] = json!({ table: left_over });
        response.body = serde_json::to_vec(&answer).unwrap();
        Ok(response)
    }
}

/// 20 SendPulse bodies of 500 distinct events each.
fn bodies() -> Vec<String> {
    (0..20)
        .map(|batch| {
            let events: Vec<Value> = (0..500)
                .map(|i| {
                    let n = batch * 500 + i;
                    let event = ["delivered", "opened", "clicked", "undelivered"][n % 4];
                    json!({
                        "event": event,
                        "timestamp": 1_700_000_000 + n,
                        "message_id": 5_000_000 + n / 4,
                        "recipient": format!("user{n}@example.com"),
                        "smtp_server_response_code": "250",
                    })
                })
                .collect();
            serde_json::to_string(&events).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_are_stored_exactly_once_through_a_failing_store() {
    let direct = client().await;
    let table = fresh_table(&direct).await;
    let upstream: SocketAddr = dynamo().endpoint.trim_start_matches("http://").parse().unwrap();
    let plan = Plan {
        throttle: 0.08,
        server_error: 0.08,
        timeout: 0.02,
        unprocessed: 0.12,
        // Longer than the production client's 5 s attempt timeout.
        hold: Duration::from_millis(5500),
        ..Plan::default()
    };
    let (address, proxy) = Proxy::start(upstream, plan, 20_261_124).await;
    let app = app(&production_client(address).await, &table);

    let started = Instant::now();
    let bodies = bodies();
    let mut replays = 0;
    for body in &bodies {
        loop {
            let (status, reply) = invoke_http(&app, &sendpulse_post(body)).await;
            match status {
                200 => break,
                500 => {
                    assert_eq!(reply["error"], "store_failed");
                    replays += 1;
                    assert!(replays < 500, "the store never recovered");
                }
                other => panic!("unexpected {other}: {reply}"),
            }
        }
    }

    let received = mailtrail::model::Timestamp::now();
    let expected: BTreeSet<(String, String)> = bodies
        .iter()
        .flat_map(|body| {
            mailtrail::providers::sendpulse::decode(body.as_bytes(), received)
                .unwrap()
                .events
        })
        .map(|event| {
            let key = mailtrail::model::ItemKey::of(&event);
            (key.pk, key.sk)
        })
        .collect();
    assert_eq!(expected.len(), 10_000);
    let items = scan_all(&direct, &table).await;
    let stored: BTreeSet<(String, String)> = items
        .iter()
        .map(|i| (s(i, "pk").unwrap().to_owned(), s(i, "sk").unwrap().to_owned()))
        .collect();
    assert_eq!(items.len(), 10_000, "no more, no less");
    assert_eq!(stored, expected);

    let st = &proxy.stats;
    let batch_writes = st.batch_writes.load(Ordering::Relaxed);
    let faults = st.throttled.load(Ordering::Relaxed)
        + st.server_errors.load(Ordering::Relaxed)
        + st.timeouts.load(Ordering::Relaxed)
        + st.unprocessed.load(Ordering::Relaxed);
    let report = format!(
        "fault injection: 10000 events in 20 requests, {:.1} s\n\
         BatchWriteItem calls: {batch_writes} (400 needed on a healthy store)\n\
         faults injected: {faults} ({:.1}% of calls): throttled {}, 500s {}, timeouts {}, unprocessed splits {}\n\
         webhook requests replayed after a 500: {replays}\n\
         items stored: {} (expected 10000)\n",
        started.elapsed().as_secs_f64(),
        100.0 * faults as f64 / batch_writes as f64,
        st.throttled.load(Ordering::Relaxed),
        st.server_errors.load(Ordering::Relaxed),
        st.timeouts.load(Ordering::Relaxed),
        st.unprocessed.load(Ordering::Relaxed),
        items.len(),
    );
    println!("{report}");
    let _ = std::fs::create_dir_all(root().join("target"));
    let _ = std::fs::write(root().join("target/fault-injection-report.txt"), &report);
    assert!(
        faults > 0 && st.timeouts.load(Ordering::Relaxed) > 0,
        "faults were injected"
    );
}

/// The client the function builds (its retries, timeouts, TLS and proxy settings), pointed at
/// `address`.
async fn production_client(address: SocketAddr) -> aws_sdk_dynamodb::Client {
    mailtrail::aws_client::dynamodb_client_with(mailtrail::aws_client::ClientSettings {
        endpoint: Some(format!("http://{address}")),
        region: Some("us-east-1".into()),
        credentials: Some(Credentials::new("local", "local", None, None, "tests")),
    })
    .await
    .expect("the production client builds")
}

/// An item DynamoDB refuses for itself does not fail the batch for a day of retries: the other
/// events are stored, it is kept in quarantine, and the answer is 200.
#[tokio::test]
async fn an_item_dynamodb_refuses_is_kept_and_the_batch_is_stored() {
    let direct = client().await;
    let table = fresh_table(&direct).await;
    let upstream: SocketAddr = dynamo().endpoint.trim_start_matches("http://").parse().unwrap();
    let plan = Plan {
        refuse: Some("refuse-this-recipient"),
        ..Plan::default()
    };
    let (address, proxy) = Proxy::start(upstream, plan, 1).await;
    let app = app(&production_client(address).await, &table);
    let mut events: Vec<Value> = (0..60)
        .map(|i| json!({"event": "delivered", "timestamp": 1_700_000_000 + i, "message_id": 7_000_000 + i, "recipient": format!("user{i}@example.com")}))
        .collect();
    events[33]["recipient"] = "refuse-this-recipient@example.com".into();
    let body = serde_json::to_string(&events).unwrap();
    let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["stored"].as_u64(), reply["quarantined"].as_u64()),
        (Some(59), Some(1)),
        "{reply}"
    );
    let items = scan_all(&direct, &table).await;
    let kept: Vec<_> = items
        .iter()
        .filter(|i| s(i, "pk") == Some("quarantine#sendpulse"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(
        String::from_utf8_lossy(kept[0]["body"].as_b().unwrap().as_ref()).contains("refuse-this-recipient")
    );
    assert_eq!(items.len(), 60);
    assert!(
        proxy.stats.refused.load(Ordering::Relaxed) >= 2,
        "the chunk, then the item alone"
    );
}

/// Errors only a fix of the deployment cures stay failures the provider retries, and are
/// counted apart, each kind.
#[tokio::test]
async fn deployment_errors_fail_the_request_and_are_counted_as_misconfiguration() {
    let direct = client().await;
    let table = fresh_table(&direct).await;
    let upstream: SocketAddr = dynamo().endpoint.trim_start_matches("http://").parse().unwrap();
    for (status, kind) in [
        ("400 Bad Request", "ResourceNotFoundException"),
        ("400 Bad Request", "AccessDeniedException"),
        ("400 Bad Request", "ExpiredTokenException"),
        ("400 Bad Request", "UnrecognizedClientException"),
    ] {
        let plan = Plan {
            deployment_error: Some((status, kind)),
            ..Plan::default()
        };
        let (address, _proxy) = Proxy::start(upstream, plan, 1).await;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let app = app(&production_client(address).await, &table)
            .with_metrics(mailtrail::metrics::MetricsSink::Memory(lines.clone()));
        let (status, reply) =
            invoke_http(&app, &sendpulse_post(&read("fixtures/sendpulse/delivered.json"))).await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (500, Some("store_failed")),
            "{kind}: {reply}"
        );
        assert!(!reply.to_string().contains(kind), "{reply}");
        let misconfigured: u64 = lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["StoreMisconfigured"].as_u64())
            .sum();
        assert_eq!(misconfigured, 1, "{kind}");
    }
    // A throttled store is no misconfiguration.
    let plan = Plan {
        deployment_error: Some(("400 Bad Request", "ProvisionedThroughputExceededException")),
        ..Plan::default()
    };
    let (address, _proxy) = Proxy::start(upstream, plan, 1).await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let app = app(&production_client(address).await, &table)
        .with_metrics(mailtrail::metrics::MetricsSink::Memory(lines.clone()));
    let deadline_app = app;
    let (status, _) = invoke_http(
        &deadline_app,
        &sendpulse_post(&read("fixtures/sendpulse/delivered.json")),
    )
    .await;
    assert_eq!(status, 500);
    let misconfigured: u64 = lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["StoreMisconfigured"].as_u64())
        .sum();
    assert_eq!(misconfigured, 0);
}

//! Cold starts: a release binary against a minimal Lambda Runtime API on 127.0.0.1, from exec to
//! the first `GET …/invocation/next` and to the response, next to a hello-world
//! `lambda_runtime` binary; and the peak RSS of a 1,000-event SendGrid batch.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::http1::{read_message, Message};
use crate::{ms, runtime_api, stats, support};

const COLD_RUNS: usize = 25;

/// One cold start of `binary` against a Runtime API serving `event`: milliseconds to the first
/// `/next`, milliseconds to the response, and the peak RSS in KiB.
async fn cold_start(binary: &PathBuf, env: &[(String, String)], event: &[u8]) -> (f64, f64, u64) {
    for _ in 0..3 {
        if let Some(run) = cold_start_once(binary, env, event).await {
            return run;
        }
        eprintln!(
            "a cold start of {} did not answer in time; trying again",
            binary.display()
        );
    }
    panic!("{} never answered", binary.display());
}

/// One attempt; `None` when the binary did not answer in time.
async fn cold_start_once(
    binary: &PathBuf,
    env: &[(String, String)],
    event: &[u8],
) -> Option<(f64, f64, u64)> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let (stream, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
        .await
        .ok()?
        .ok()?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let next = tokio::time::timeout(Duration::from_secs(10), read_message(&mut reader))
        .await
        .ok()?
        .ok()??;
    let to_next = ms(started.elapsed());
    assert!(
        next.start.starts_with("GET /2018-06-01/runtime/invocation/next"),
        "{}",
        next.start
    );
    let deadline = (std::time::SystemTime::now() + Duration::from_secs(60))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let invocation = Message {
        start: "HTTP/1.1 200 OK".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("lambda-runtime-aws-request-id".into(), "bench-request-1".into()),
            ("lambda-runtime-deadline-ms".into(), deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn".into(),
                "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
            ),
            (
                "lambda-runtime-trace-id".into(),
                "Root=1-00000000-000000000000000000000000".into(),
            ),
        ],
        body: event.to_vec(),
    };
    write.write_all(&invocation.to_bytes()).await.unwrap();
    let wait = async {
        tokio::select! {
            message = read_message(&mut reader) => message.ok().flatten(),
            accepted = listener.accept() => {
                let (stream, _) = accepted.ok()?;
                let (read, _write) = stream.into_split();
                read_message(&mut BufReader::new(read)).await.ok().flatten()
            }
        }
    };
    let Ok(Some(response)) = tokio::time::timeout(Duration::from_secs(10), wait).await else {
        child.kill().await.ok();
        return None;
    };
    let to_response = ms(started.elapsed());
    assert!(
        response.start.contains("/bench-request-1/response"),
        "{} {}",
        response.start,
        String::from_utf8_lossy(&response.body)
    );
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    child.kill().await.ok();
    Some((to_next, to_response, peak_kib))
}

/// The webhook function's and the notifier's cold starts, next to a hello-world binary's.
pub async fn cold_starts() -> Value {
    let (Ok(mailtrail_bin), Ok(hello_bin)) = (std::env::var("MAILTRAIL_BIN"), std::env::var("HELLO_BIN"))
    else {
        eprintln!("MAILTRAIL_BIN / HELLO_BIN not set: skipping cold starts (run `make bench`)");
        return Value::Null;
    };
    let client = support::client().await;
    let table = support::fresh_table(&client).await;
    let endpoint = support::dynamo().endpoint.clone();
    let config = support::test_config(&table);
    let key = config.channels[&mailtrail::model::Provider::SendGrid].secrets[0].clone();
    let env = runtime_api::lambda_env(&[
        ("TABLE_NAME", &table),
        ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint),
        ("SNS_TOPIC_ARNS", support::TOPIC),
        ("SENDGRID_WEBHOOK_PUBLIC_KEY", &key),
    ]);
    let hello_env = runtime_api::lambda_env(&[]);
    let sns = support::read("events/ses-event-bounce.json");
    let (mut m_next, mut m_resp, mut h_next, mut h_resp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..COLD_RUNS {
        let (next, resp, _) = cold_start(&PathBuf::from(&hello_bin), &hello_env, sns.as_bytes()).await;
        h_next.push(next);
        h_resp.push(resp);
        let (next, resp, _) = cold_start(&PathBuf::from(&mailtrail_bin), &env, sns.as_bytes()).await;
        m_next.push(next);
        m_resp.push(resp);
    }
    let body = std::fs::read_to_string(support::root().join("target/bench/sendgrid-1000.json")).unwrap();
    let batch = support::sendgrid_post(&body).to_string();
    let (_, batch_ms, mailtrail_peak) =
        cold_start(&PathBuf::from(&mailtrail_bin), &env, batch.as_bytes()).await;
    let (_, _, hello_peak) = cold_start(&PathBuf::from(&hello_bin), &hello_env, batch.as_bytes()).await;
    let notify = match std::env::var("NOTIFY_BIN") {
        Ok(notify_bin) => notify_cold_starts(&PathBuf::from(notify_bin)).await,
        Err(_) => Value::Null,
    };
    json!({
        "notify": notify,
        "mailtrail_to_next_ms": stats(m_next),
        "mailtrail_to_response_ms": stats(m_resp),
        "hello_to_next_ms": stats(h_next),
        "hello_to_response_ms": stats(h_resp),
        "batch_cold_response_ms": batch_ms,
        "peak_rss_kib_sendgrid_1000": mailtrail_peak,
        "hello_peak_rss_kib": hello_peak,
        "mailtrail_binary_bytes": std::fs::metadata(&mailtrail_bin).map(|m| m.len()).unwrap_or(0),
    })
}

/// The notifier's cold start: to the first `/next`, and to the answer for an empty stream batch
/// (so the number is the binary's own start, not EventBridge's).
async fn notify_cold_starts(notify_bin: &PathBuf) -> Value {
    let env = runtime_api::lambda_env(&[
        ("EVENT_BUS_NAME", "mailtrail-bench"),
        ("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:9"),
    ]);
    let (mut to_next, mut to_response) = (Vec::new(), Vec::new());
    for _ in 0..COLD_RUNS {
        let (next, response, _) = cold_start(notify_bin, &env, br#"{"Records":[]}"#).await;
        to_next.push(next);
        to_response.push(response);
    }
    json!({
        "to_next_ms": stats(to_next),
        "to_response_ms": stats(to_response),
        "binary_bytes": std::fs::metadata(notify_bin).map(|m| m.len()).unwrap_or(0),
    })
}

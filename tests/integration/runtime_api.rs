//! A Lambda Runtime API on 127.0.0.1 that hands queued events to a real function binary, one
//! invocation at a time, and collects what it answered: the function runs exactly as in Lambda,
//! its stdout (logs and EMF lines) kept for the test.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::http1::{read_message, Message};

/// What the function answered to one invocation.
pub struct Answer {
    /// The invocation's request id.
    pub request_id: String,
    /// `response` or `error`.
    pub outcome: String,
    /// The body it posted.
    pub body: serde_json::Value,
}

/// Runs `binary` with `env` (plus `AWS_LAMBDA_RUNTIME_API`) on `events`, in order; returns its
/// answers and its whole stdout once every event is answered.
pub async fn run(binary: &str, env: &[(String, String)], events: Vec<Vec<u8>>) -> (Vec<Answer>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let captured = tokio::spawn(async move {
        let mut text = String::new();
        stdout.read_to_string(&mut text).await.ok();
        text
    });

    let total = events.len();
    let queue = Arc::new(Mutex::new(
        events.into_iter().enumerate().collect::<VecDeque<_>>(),
    ));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let server = tokio::spawn({
        let (queue, answers) = (queue.clone(), answers.clone());
        async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (queue, answers, done) = (queue.clone(), answers.clone(), done_tx.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    while let Ok(Some(request)) = read_message(&mut reader).await {
                        let reply = if request
                            .start
                            .starts_with("GET /2018-06-01/runtime/invocation/next")
                        {
                            let next = queue.lock().unwrap().pop_front();
                            match next {
                                Some((index, body)) => invocation(index, body),
                                // Nothing left: keep the function waiting until it is stopped.
                                None => std::future::pending::<Message>().await,
                            }
                        } else {
                            let path = request.start.split(' ').nth(1).unwrap_or("").to_owned();
                            let mut parts = path.rsplit('/');
                            let outcome = parts.next().unwrap_or("").to_owned();
                            let request_id = parts.next().unwrap_or("").to_owned();
                            let body =
                                serde_json::from_slice(&request.body).unwrap_or(serde_json::Value::Null);
                            answers.lock().unwrap().push(Answer {
                                request_id,
                                outcome,
                                body,
                            });
                            done.send(()).ok();
                            Message {
                                start: "HTTP/1.1 202 Accepted".into(),
                                headers: vec![("content-type".into(), "application/json".into())],
                                body: b"{}".to_vec(),
                            }
                        };
                        if write.write_all(&reply.to_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
    });

    for _ in 0..total {
        tokio::time::timeout(Duration::from_secs(60), done_rx.recv())
            .await
            .expect("the function answers every invocation within a minute");
    }
    // Let the last lines reach stdout, then stop the function.
    tokio::time::sleep(Duration::from_millis(200)).await;
    child.kill().await.ok();
    server.abort();
    let text = captured.await.unwrap_or_default();
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    (answers, text)
}

/// The Runtime API's answer to `/next`: event `index`, due in a minute.
fn invocation(index: usize, body: Vec<u8>) -> Message {
    let deadline = (std::time::SystemTime::now() + Duration::from_secs(60))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    Message {
        start: "HTTP/1.1 200 OK".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("lambda-runtime-aws-request-id".into(), format!("request-{index}")),
            ("lambda-runtime-deadline-ms".into(), deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn".into(),
                "arn:aws:lambda:us-east-1:123456789012:function:mailtrail".into(),
            ),
            (
                "lambda-runtime-trace-id".into(),
                "Root=1-00000000-000000000000000000000000".into(),
            ),
        ],
        body,
    }
}

/// The environment Lambda gives a function, with `extra` added.
pub fn lambda_env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_FUNCTION_NAME", "mailtrail"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "tests"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/mailtrail"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("HOME", "/nonexistent"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

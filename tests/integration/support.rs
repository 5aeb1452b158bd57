//! Integration-test helpers: a real DynamoDB-API server (dynalite) on 127.0.0.1, started once
//! per test process and stopped with it, and builders for the Lambda events the handler takes.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use mailtrail::app::App;
use mailtrail::base::deadline::Deadline;
use mailtrail::config::Config;
use mailtrail::ingress::{self, InvocationError, Reply};
use mailtrail::store::DynamoStore;
use mailtrail::verify::sns::fetch::{GetFuture, HttpsGet};
use serde_json::value::RawValue;
use serde_json::Value;

#[path = "../common/lambda_events.rs"]
mod lambda_events;
pub use lambda_events::*;

/// The project's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running local DynamoDB-API server.
pub struct LocalDynamo {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Kept so the server's stdin stays open; it exits when this process does.
    _child: Child,
}

/// The server shared by every test of this process.
pub fn dynamo() -> &'static LocalDynamo {
    static SERVER: OnceLock<LocalDynamo> = OnceLock::new();
    SERVER.get_or_init(start_dynamo)
}

fn start_dynamo() -> LocalDynamo {
    let dir = root().join("tools/local-dynamodb");
    assert!(
        dir.join("node_modules/dynalite").is_dir(),
        "dynalite is not installed: run `make test` (or `npm ci --prefix tools/local-dynamodb`)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("server.js"))
        .args(["0", "--exit-on-stdin-close"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts (Node.js is required for the local DynamoDB-API server)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .expect("the server prints its port");
    let port: u16 = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected server output: {line:?}"));
    LocalDynamo {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: child,
    }
}

/// The SDK's settings for a local server at `endpoint`: a region and dummy credentials.
pub fn local_sdk(endpoint: &str) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
        .endpoint_url(endpoint)
}

/// An SDK client for `endpoint`, with dummy credentials.
pub async fn client_for(endpoint: &str) -> Client {
    Client::new(&local_sdk(endpoint).load().await)
}

/// A client for the shared server.
pub async fn client() -> Client {
    client_for(&dynamo().endpoint).await
}

/// A new, empty events table with a unique name.
pub async fn fresh_table(client: &Client) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "events-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    mailtrail::store::table::create(client, &name)
        .await
        .expect("the table is created");
    name
}

/// The settings of the test app: the demo secrets, SNS certificates from fixtures/sns.
pub fn test_config(table: &str) -> Config {
    let environment = test_environment(table);
    Config::from_lookup(|name| environment.get(name).cloned()).expect("the test settings are valid")
}

/// Stands in for the internet: records every URL the app asks for, confirms subscriptions,
/// and has no certificates (tests find them in fixtures/sns).
#[derive(Debug, Default)]
pub struct NoInternet {
    /// The URLs asked for.
    pub asked: std::sync::Mutex<Vec<String>>,
}

impl HttpsGet for NoInternet {
    fn get<'a>(&'a self, url: &'a aws_lambda_events::http::Uri) -> GetFuture<'a> {
        let url = url.to_string();
        self.asked.lock().unwrap().push(url.clone());
        Box::pin(async move {
            if url.contains("Action=ConfirmSubscription") {
                Ok(bytes::Bytes::from_static(b"<ConfirmSubscriptionResponse/>"))
            } else {
                Err(mailtrail::verify::VerifyError::CertificateUnavailable(
                    "no internet in tests".into(),
                ))
            }
        })
    }
}

/// The app writing through `client`, with `config`.
pub fn app_with(client: &Client, config: Config) -> App {
    keep_log_callsites_open();
    let store = DynamoStore::new(client.clone(), config.table_name.clone(), config.retention_days);
    App::with_https(
        config,
        std::sync::Arc::new(store),
        std::sync::Arc::new(NoInternet::default()),
    )
}

/// The app, writing to `table` through `client`.
pub fn app(client: &Client, table: &str) -> App {
    app_with(client, test_config(table))
}

/// Keeps every log callsite open in this test process.
///
/// tracing caches, once per callsite and for the whole process, whether anyone listens. A test
/// thread without a subscriber that reaches a log line first would cache "nobody" and hide that
/// line from the test that captures logs on its own thread. A process-wide subscriber that
/// discards everything keeps the answer "someone may", and each capturing thread's own
/// subscriber still receives its lines.
pub fn keep_log_callsites_open() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        drop(tracing::subscriber::set_global_default(
            tracing_subscriber::registry(),
        ));
    });
}

/// A ready app on a fresh table of the shared server.
pub async fn fresh_app() -> (App, Client) {
    let client = client().await;
    let table = fresh_table(&client).await;
    (app(&client, &table), client)
}

/// Every item of a table.
pub async fn scan_all(
    client: &Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("scan works")
}

/// A text attribute of an item.
pub fn s<'a>(item: &'a std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// Invokes the handler with a Lambda event.
pub async fn invoke(app: &App, event: &Value) -> Result<Reply, InvocationError> {
    let raw = RawValue::from_string(event.to_string()).expect("valid JSON");
    ingress::handle(
        app,
        &raw,
        "test-invocation",
        Deadline::after(std::time::Duration::from_secs(60)),
    )
    .await
}

/// Invokes the handler with an HTTP event and returns the status and the JSON body.
pub async fn invoke_http(app: &App, event: &Value) -> (u16, Value) {
    match invoke(app, event)
        .await
        .expect("HTTP requests always get a response")
    {
        Reply::Http(reply) => {
            let body = serde_json::from_str(reply.body_text()).expect("the body is JSON");
            (reply.status(), body)
        }
        Reply::Sns(_) => panic!("an HTTP request got an SNS reply"),
    }
}

/// A file of the project, as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A server started for the tests, stopped when this test process ends (its standard input,
/// held by a small shell wrapper, closes then) or when dropped.
pub struct LocalServer {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The port.
    pub port: u16,
    child: Child,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // Closing its standard input makes the wrapper stop the server's whole process group.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `program args…` (with `env`) in a process group of its own, under a shell that stops
/// that group when the shell's standard input closes, then waits until `port` accepts
/// connections.
pub fn start_tied(
    program: &std::path::Path,
    args: &[String],
    env: &[(&str, String)],
    port: u16,
    log: &str,
) -> LocalServer {
    assert!(
        program.exists(),
        "{} is not installed: run `make test` (or `make tools`)",
        program.display()
    );
    let log_path = root().join("target").join(log);
    let _ = std::fs::create_dir_all(root().join("target"));
    let quoted: Vec<String> = std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let script = format!(
        "setsid {} >'{}' 2>&1 </dev/null & child=$!; cat >/dev/null; kill -TERM -$child 2>/dev/null; sleep 0.5; kill -KILL -$child 2>/dev/null; wait $child 2>/dev/null",
        quoted.join(" "),
        log_path.display()
    );
    let mut command = Command::new("sh");
    command
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().expect("sh starts");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{} did not listen on {port}; see {}",
            program.display(),
            log_path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    LocalServer {
        endpoint: format!("http://127.0.0.1:{port}"),
        port,
        child,
    }
}

/// moto's server (SQS, EventBridge, DynamoDB Streams), shared by every test of this process.
pub fn moto() -> &'static LocalServer {
    static SERVER: OnceLock<LocalServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let port = free_port();
        start_tied(
            &root().join(".venv/bin/moto_server"),
            &["-H".into(), "127.0.0.1".into(), "-p".into(), port.to_string()],
            &[],
            port,
            "moto.log",
        )
    })
}

/// `cargo lambda watch` serving the package's functions (and the Lambda Invoke API) with the
/// variables in `env`, on a port of its own.
pub fn lambda_watch(env: &[(&str, String)]) -> LocalServer {
    let port = free_port();
    let env_file = root().join(format!("target/watch-{port}.env"));
    let text: String = env
        .iter()
        .map(|(name, value)| format!("{name}=\"{value}\"\n"))
        .collect();
    std::fs::write(&env_file, text).expect("the env file is written");
    start_tied(
        &root().join(".venv/bin/cargo-lambda"),
        &[
            "lambda".into(),
            "watch".into(),
            "--invoke-address".into(),
            "127.0.0.1".into(),
            "--invoke-port".into(),
            port.to_string(),
            "--env-file".into(),
            env_file.display().to_string(),
            "--ignore-changes".into(),
            // The notifier's binary needs its feature; the webhook function is the same with it.
            "--features".into(),
            "notify".into(),
        ],
        &[(
            "PATH",
            format!(
                "{}:{}",
                root().join(".venv/bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )],
        port,
        &format!("watch-{port}.log"),
    )
}

/// Fresh events and suppression tables, and an app writing both.
pub async fn app_with_suppressions() -> (App, aws_sdk_dynamodb::Client, String, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let client = client().await;
    let table = fresh_table(&client).await;
    let suppressions = format!(
        "suppressions-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    mailtrail::store::table::create_suppressions(&client, &suppressions)
        .await
        .unwrap();
    let app = app_writing_both(&client, &table, &suppressions, test_config(&table));
    (app, client, table, suppressions)
}

/// An app with `config` writing events to `table` and the list to `suppressions`.
pub fn app_writing_both(client: &Client, table: &str, suppressions: &str, mut config: Config) -> App {
    config.suppressions_table = Some(suppressions.to_owned());
    let store = DynamoStore::new(client.clone(), table.to_owned(), 400)
        .with_suppressions(Some(suppressions.to_owned()));
    App::with_https(
        config,
        std::sync::Arc::new(store),
        std::sync::Arc::new(NoInternet::default()),
    )
}

/// The suppression item of `address` as the table holds it now (a consistent read).
pub async fn suppression_item(
    client: &Client,
    table: &str,
    address: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(table)
        .key("address", AttributeValue::S(address.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// Writes one kept body of SendPulse's quarantine straight into `table`, as the function would
/// have kept it (one part, hash `hash`, received 2026-11-24T12:00:00Z).
pub async fn keep_sendpulse_body(client: &Client, table: &str, hash: &str, body: &str, error: &str) {
    client
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S("quarantine#sendpulse".into()))
        .item("sk", AttributeValue::S(format!("{hash}#001/001")))
        .item(
            "body",
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(body.as_bytes())),
        )
        .item("part", AttributeValue::N("1".into()))
        .item("parts", AttributeValue::N("1".into()))
        .item("error", AttributeValue::S(error.into()))
        .item(
            "received_at",
            AttributeValue::S("2026-11-24T12:00:00.000Z".into()),
        )
        .send()
        .await
        .unwrap();
}

/// The test name server (`scripts/dns_server.py`, dnslib) answering MX queries from `records`
/// (`domain=priority:exchange`), and the file it logs each query to.
pub fn name_server(records: &[String]) -> (LocalServer, std::path::PathBuf) {
    let port = free_port();
    let log = format!("dns-{port}.log");
    let mut args = vec![
        root().join("scripts/dns_server.py").display().to_string(),
        "--port".to_owned(),
        port.to_string(),
    ];
    for record in records {
        args.push("--mx".to_owned());
        args.push(record.clone());
    }
    let server = start_tied(&root().join(".venv/bin/python"), &args, &[], port, &log);
    (server, root().join("target").join(log))
}

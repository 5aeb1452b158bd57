//! The deployed binary honours `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` as the SDK's default
//! client does: run as Lambda runs it, with a forward proxy on 127.0.0.1 between it and the
//! DynamoDB-API server, its writes go through the proxy, and not when `NO_PROXY` names the host.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::http1::{exchange, read_message};
use crate::support::*;

/// A forward proxy for plain-HTTP requests (absolute-form request lines), counting them.
async fn forward_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                while let Ok(Some(mut request)) = read_message(&mut reader).await {
                    // `POST http://127.0.0.1:8000/ HTTP/1.1`: forward to that host, origin-form.
                    let mut parts = request.start.splitn(3, ' ');
                    let (method, target, version) = (
                        parts.next().unwrap_or("").to_owned(),
                        parts.next().unwrap_or("").to_owned(),
                        parts.next().unwrap_or("").to_owned(),
                    );
                    let Some(rest) = target.strip_prefix("http://") else {
                        return;
                    };
                    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
                    let Ok(upstream) = authority.parse() else { return };
                    count.fetch_add(1, Ordering::Relaxed);
                    request.start = format!("{method} /{path} {version}");
                    request
                        .headers
                        .retain(|(name, _)| !name.eq_ignore_ascii_case("proxy-connection"));
                    let Ok(response) = exchange(upstream, &request).await else {
                        return;
                    };
                    if write.write_all(&response.to_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{address}"), seen)
}

async fn run_with(proxy_env: &[(&str, &str)]) -> (u16, usize) {
    let client = client().await;
    let table = fresh_table(&client).await;
    let endpoint = dynamo().endpoint.clone();
    let mut pairs = vec![
        ("TABLE_NAME", table.as_str()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
        ("SENDPULSE_WEBHOOK_TOKEN", SENDPULSE_TOKEN),
    ];
    pairs.extend_from_slice(proxy_env);
    let env = crate::runtime_api::lambda_env(&pairs);
    let event = sendpulse_post(&read("fixtures/sendpulse/delivered.json"));
    let (answers, stdout) = crate::runtime_api::run(
        env!("CARGO_BIN_EXE_mailtrail-lambda"),
        &env,
        vec![event.to_string().into_bytes()],
    )
    .await;
    let status = answers[0].body["statusCode"].as_u64().unwrap_or(0) as u16;
    assert_eq!(status, 200, "{stdout}");
    (status, scan_all(&client, &table).await.len())
}

#[tokio::test]
async fn the_function_writes_through_the_proxy_the_environment_names() {
    let (proxy, seen) = forward_proxy().await;
    let (_, stored) = run_with(&[("HTTP_PROXY", &proxy)]).await;
    assert_eq!(stored, 1);
    assert!(
        seen.load(Ordering::Relaxed) >= 1,
        "the write went through the proxy"
    );

    let before = seen.load(Ordering::Relaxed);
    let (_, stored) = run_with(&[("HTTP_PROXY", &proxy), ("NO_PROXY", "127.0.0.1")]).await;
    assert_eq!(stored, 1);
    assert_eq!(seen.load(Ordering::Relaxed), before, "NO_PROXY bypasses it");
}

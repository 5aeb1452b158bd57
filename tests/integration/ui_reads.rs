//! `mailtrail ui`'s bounded reads through raw requests: the suppressed list a page at a time
//! (the API's `Link` header), and the verdict unknown without a suppression table.

use serde_json::Value;

use crate::support::*;
use crate::ui::{data, request, start_ui, start_ui_with};

/// The suppressed list reads one bounded page per request and links the next; a script follows
/// the API's `Link` header through every page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suppressed_list_is_read_a_page_at_a_time() {
    let (app, client, table, suppressions) = app_with_suppressions().await;
    let _ = client;
    let events: Vec<String> = (0..450)
        .map(|i| {
            format!(
                r#"{{"event":"hard_bounces","email":"page-{i:04}@example.com","message_id":{},"timestamp":1795521600}}"#,
                70_000 + i
            )
        })
        .collect();
    for chunk in events.chunks(150) {
        let body = format!("[{}]", chunk.join(","));
        let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
        assert_eq!(status, 200, "{reply}");
    }
    let ui = start_ui(&table, &suppressions);
    let host = format!("127.0.0.1:{}", ui.port);
    let bearer = format!("Authorization: Bearer {}", ui.session);
    let mut path = "/api/suppressed".to_owned();
    let mut seen = std::collections::BTreeSet::new();
    let mut pages = 0;
    loop {
        let (status, response) = request(ui.port, &host, &path, &[&bearer]);
        assert_eq!(status, 200, "{response}");
        pages += 1;
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let page: Value = serde_json::from_str(body.trim()).unwrap();
        let page = page.as_array().unwrap();
        assert!(page.len() <= 200, "a bounded page: {}", page.len());
        for verdict in page {
            assert!(
                seen.insert(verdict["address"].as_str().unwrap().to_owned()),
                "no address twice"
            );
        }
        let next = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("link:"))
            .and_then(|l| l.split_once('<'))
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(href, _)| href.to_owned());
        match next {
            Some(next) => path = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), 450);
    assert!(pages >= 3, "{pages} pages");
    // The page links the next one.
    let cookie = format!("Cookie: mailtrail_ui_{}={}", ui.port, ui.session);
    let (status, page) = request(ui.port, &host, "/suppressed", &[&cookie]);
    assert_eq!(status, 200);
    assert!(page.contains("id=\"next\" href=\"/suppressed?after="), "{page}");
}

/// Without a suppression table the verdict is unknown, never "not suppressed".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_suppression_table_the_verdict_is_unknown() {
    let (table, _suppressions) = data().await;
    let ui = start_ui_with(&table, None);
    let host = format!("127.0.0.1:{}", ui.port);
    let bearer = format!("Authorization: Bearer {}", ui.session);
    let (status, page) = request(ui.port, &host, "/recipient/recipient%40example.com", &[&bearer]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Suppression: unknown"), "{page}");
    assert!(!page.contains("Not suppressed"), "{page}");
    let (status, api) = request(
        ui.port,
        &host,
        "/api/suppressed/recipient%40example.com",
        &[&bearer],
    );
    assert_eq!(status, 200);
    let body = api.split("\r\n\r\n").nth(1).unwrap();
    let verdict: Value = serde_json::from_str(body.trim()).unwrap();
    assert!(verdict["suppressed"].is_null(), "{verdict}");
}

//! `mailtrail ui` in a real browser: headless Chromium through chromedriver (WebDriver, with
//! fantoccini), against the local DynamoDB-API server holding events stored by the real
//! function. Searches, badges, the verdict, a filter, paging and the raw view; hostile content
//! rendered inert; a foreign `Host`, a missing session and a spent login code refused; a script
//! with the bearer token from `--token-file`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::support::*;

/// A `mailtrail ui` process, its link (with the one-time login code) and its session token.
pub(crate) struct UiServer {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) port: u16,
    pub(crate) login: String,
    pub(crate) session: String,
}

impl Drop for UiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_ui(table: &str, suppressions: &str) -> UiServer {
    start_ui_with(table, Some(suppressions))
}

/// `mailtrail ui` over `table`, with or without a suppression table.
pub(crate) fn start_ui_with(table: &str, suppressions: Option<&str>) -> UiServer {
    start_ui_env(table, suppressions, &[])
}

/// `mailtrail ui` over `table` with more variables (the statistics table).
pub(crate) fn start_ui_env(table: &str, suppressions: Option<&str>, env: &[(&str, &str)]) -> UiServer {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let token_file = std::env::temp_dir().join(format!(
        "mailtrail-ui-{}-{}.token",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&token_file);
    let mut command = crate::cli::mailtrail_command(table, suppressions.unwrap_or(""));
    if suppressions.is_none() {
        command.env_remove("MAILTRAIL_SUPPRESSIONS_TABLE");
    }
    let mut child = command
        .envs(env.iter().copied())
        .args(["ui", "--no-open", "--token-file"])
        .arg(&token_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("mailtrail ui starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("mailtrail ui: ")
        .unwrap_or_else(|| panic!("the one line: {line:?}"))
        .to_owned();
    let port: u16 = url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let login = url.rsplit("login=").next().unwrap().to_owned();
    assert!(login.len() >= 32, "at least 128 bits: {login}");
    let session = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    assert!(session.len() >= 32 && session != login);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is its owner's only");
    }
    let _ = std::fs::remove_file(&token_file);
    UiServer {
        child,
        url,
        port,
        login,
        session,
    }
}

/// chromedriver, shared by this process's tests.
fn chromedriver() -> &'static LocalServer {
    static DRIVER: OnceLock<LocalServer> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let port = free_port();
        start_tied(
            std::path::Path::new(&program),
            &[format!("--port={port}"), "--allowed-ips=127.0.0.1".into()],
            &[],
            port,
            "chromedriver.log",
        )
    })
}

/// A headless Chromium session of its own (no cookies from other tests).
pub(crate) async fn browser() -> Client {
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
    ];
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let mut options = json!({ "args": args });
    if std::path::Path::new(&binary).exists() {
        options["binary"] = json!(binary);
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&chromedriver().endpoint)
        .await
        .expect("a Chromium session (is chromium and chromedriver installed? make test installs them)")
}

/// One SendGrid event for the hostile and paging fixtures.
fn sendgrid(event: &str, email: &str, message: &str, t: i64, extra: &str) -> String {
    format!(
        r#"{{"event":"{event}","email":{},"timestamp":{t},"sg_message_id":"{message}.filter1"{extra}}}"#,
        json!(email)
    )
}

const HOSTILE: &str = "<img src=x onerror=window.__pwned=1>@evil.example";

/// Tables holding the demo's kind of data, hostile content and a long timeline.
pub(crate) async fn data() -> (String, String) {
    let (app, _client, table, suppressions) = app_with_suppressions().await;
    for file in [
        "events/ses-event-send.json",
        "events/ses-event-delivery.json",
        "events/ses-event-open.json",
        "events/ses-event-click.json",
        "events/ses-event-bounce.json",
        "events/ses-event-complaint.json",
        "events/ses-event-delivery-delay.json",
        "events/ses-notification-bounce.json",
    ] {
        let event: Value = serde_json::from_str(&read(file)).unwrap();
        invoke(&app, &event)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
    }
    // Hostile: markup in the local part, in a reason, in a subject, a javascript: click.
    let hostile = format!(
        "[{},{},{}]",
        sendgrid("delivered", HOSTILE, "hostile1", 1_795_500_000, ""),
        sendgrid(
            "click",
            HOSTILE,
            "hostile1",
            1_795_500_100,
            r#","url":"javascript:window.__pwned=3""#
        ),
        sendgrid(
            "bounce",
            HOSTILE,
            "hostile2",
            1_795_500_200,
            r#","reason":"<script>window.__pwned=2</script> 550 <b>no</b>","status":"5.1.1","type":"bounce""#
        ),
    );
    invoke(&app, &sendgrid_post(&hostile)).await.unwrap();
    let subject = format!(
        r#"[{{"event":"delivered","email":{},"message_id":424242,"timestamp":1795500300,"subject":"<script>window.__pwned=4</script><iframe src=//evil.example>"}}]"#,
        json!(HOSTILE)
    );
    invoke(&app, &sendpulse_post(&subject)).await.unwrap();
    // A long timeline: 120 messages.
    let many: Vec<String> = (0..120)
        .map(|i| {
            sendgrid(
                "delivered",
                "many@example.com",
                &format!("many{i:03}"),
                1_795_000_000 + i,
                "",
            )
        })
        .collect();
    invoke(&app, &sendgrid_post(&format!("[{}]", many.join(","))))
        .await
        .unwrap();
    (table, suppressions)
}

pub(crate) async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

pub(crate) async fn count(browser: &Client, css: &str) -> usize {
    browser.find_all(Locator::Css(css)).await.unwrap().len()
}

pub(crate) async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

pub(crate) async fn wait_for(browser: &Client, css: &str) {
    browser
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_person_finds_an_address_and_a_message_filters_pages_and_opens_the_raw_event() {
    let (table, suppressions) = data().await;
    let ui = start_ui(&table, &suppressions);
    let browser = browser().await;
    browser.goto(&ui.url).await.unwrap();
    // The login code became a cookie; the address bar no longer holds it.
    let here = browser.current_url().await.unwrap();
    assert_eq!(here.path(), "/");
    assert!(here.query().is_none(), "{here}");

    // Search for an address.
    let search = browser.find(Locator::Css("#q")).await.unwrap();
    search.send_keys("Recipient@Example.com").await.unwrap();
    click(&browser, "section.overview-head button").await;
    wait_for(&browser, "#verdict").await;
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/recipient/recipient%40example.com"
    );
    let verdict = text_of(&browser, "#verdict").await;
    assert!(verdict.contains("Suppressed: do not send"), "{verdict}");
    assert!(
        verdict.contains("hard_bounce") && verdict.contains("complaint"),
        "{verdict}"
    );
    assert!(
        count(&browser, "#verdict a.evidence").await >= 2,
        "the events that set it are links"
    );
    assert!(count(&browser, "span.badge.bounced").await >= 1);
    assert!(count(&browser, "span.mark.opened").await >= 1);
    assert!(
        text_of(&browser, "article.message .subject").await.len() > 1,
        "a subject from the raw event"
    );

    // Save what a reader of the docs sees.
    let png = browser.screenshot().await.unwrap();
    std::fs::write(root().join("target/ui-recipient.png"), &png).unwrap();
    if std::env::var_os("MAILTRAIL_WRITE_SCREENSHOT").is_some() {
        std::fs::write(root().join("docs/ui-recipient.png"), &png).unwrap();
    }

    // A filter: only deliveries.
    let all = count(&browser, "table.events tr").await;
    browser
        .goto(&format!(
            "{}?kind=delivered",
            browser.current_url().await.unwrap()
        ))
        .await
        .unwrap();
    let delivered = count(&browser, "table.events tr").await;
    assert!(delivered >= 1 && delivered < all, "{delivered} of {all}");
    let kinds: Vec<String> = {
        let mut kinds = Vec::new();
        for cell in browser
            .find_all(Locator::Css("table.events span.kind"))
            .await
            .unwrap()
        {
            kinds.push(cell.text().await.unwrap());
        }
        kinds
    };
    assert!(kinds.iter().all(|k| k == "delivered"), "{kinds:?}");

    // The raw view.
    click(&browser, "table.events a.raw").await;
    let raw = browser
        .wait()
        .for_element(Locator::Css("#raw-pretty"))
        .await
        .unwrap();
    let raw = raw.text().await.unwrap();
    assert!(
        raw.contains("\"eventType\": \"Delivery\"") || raw.contains("\"notificationType\": \"Delivery\""),
        "{raw}"
    );
    assert!(count(&browser, "#attributes tr").await > 5);

    // Search for a message id.
    let top = browser
        .find(Locator::Css("header.top input[type=search]"))
        .await
        .unwrap();
    top.send_keys("EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000")
        .await
        .unwrap();
    click(&browser, "header.top button").await;
    wait_for(&browser, "h1.message-id").await;
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/message/"));
    assert!(count(&browser, "table.events tbody tr").await >= 5);

    // Paging: 120 messages, 50 a page.
    browser
        .goto(&format!(
            "http://127.0.0.1:{}/recipient/many%40example.com",
            ui.port
        ))
        .await
        .unwrap();
    assert!(text_of(&browser, "#count").await.starts_with("120 messages"));
    assert_eq!(count(&browser, "article.message").await, 50);
    click(&browser, "nav.pages a.next").await;
    wait_for(&browser, "nav.pages a.prev").await;
    assert!(text_of(&browser, "nav.pages").await.contains("page 2 of 3"));
    assert_eq!(count(&browser, "article.message").await, 50);

    // What is not there says so.
    browser
        .goto(&format!("http://127.0.0.1:{}/message/no-such-message", ui.port))
        .await
        .unwrap();
    assert!(text_of(&browser, "h1").await.contains("Not found"));
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_content_renders_as_inert_text() {
    let (table, suppressions) = data().await;
    let ui = start_ui(&table, &suppressions);
    let browser = browser().await;
    browser.goto(&ui.url).await.unwrap();
    let address = HOSTILE.to_lowercase();
    let path: String = address
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    browser
        .goto(&format!("http://127.0.0.1:{}/recipient/{path}", ui.port))
        .await
        .unwrap();
    wait_for(&browser, "h1.address").await;
    // Shown as text...
    assert_eq!(text_of(&browser, "h1.address").await, address);
    let page = text_of(&browser, "main").await;
    assert!(
        page.contains("<script>window.__pwned=2</script>"),
        "the reason, as text: {page}"
    );
    assert!(
        page.contains("<script>window.__pwned=4</script>"),
        "the subject, as text"
    );
    assert!(page.contains("javascript:window.__pwned=3"), "the URL, as text");
    let links = browser
        .execute(
            "return {copy: document.querySelectorAll('main button.copy[data-copy]').length,
                     outside: document.querySelectorAll('main a[href^=\"http\" i], main a[href^=\"javascript\" i]').length};",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(links["outside"], 0, "a clicked URL is never a live link");
    assert!(links["copy"].as_u64().unwrap() >= 1, "it has a copy button");
    // ...and nothing of it ran or was injected.
    let state = browser
        .execute(
            "return {pwned: window.__pwned === undefined ? null : window.__pwned,
                     scripts: document.scripts.length,
                     injected: document.querySelectorAll('main img, main iframe, main script, main b').length,
                     jsLinks: document.querySelectorAll('a[href^=\"javascript\" i]').length};",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        state,
        json!({"pwned": null, "scripts": 1, "injected": 0, "jsLinks": 0})
    );
    assert!(browser.get_alert_text().await.is_err(), "no alert opened");
    // The raw view is text too.
    click(&browser, "table.events a.raw").await;
    wait_for(&browser, "pre.raw").await;
    let injected = browser
        .execute(
            "return document.querySelectorAll('pre img, pre script, pre iframe, pre b').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, json!(0));
    browser.close().await.unwrap();
}

/// One raw HTTP/1.1 request with extra header lines: (status, headers and body).
pub(crate) fn request(port: u16, host: &str, path: &str, headers: &[&str]) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let headers: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    (status, response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_a_missing_session_or_a_spent_login_is_refused_and_reads_nothing() {
    let (table, suppressions) = data().await;
    let ui = start_ui(&table, &suppressions);
    let host = format!("127.0.0.1:{}", ui.port);
    let with_login = format!("/recipient/recipient%40example.com?login={}", ui.login);
    // DNS rebinding: the right code, a foreign Host (refused before the code is looked at).
    let (status, body) = request(ui.port, &format!("evil.example:{}", ui.port), &with_login, &[]);
    assert_eq!(status, 403);
    assert!(!body.contains("recipient@example.com"));
    let (status, _) = request(ui.port, "127.0.0.1:1", &with_login, &[]);
    assert_eq!(status, 403);
    // No session, a wrong code, the session token in a URL, a wrong cookie, a wrong bearer.
    let session_in_url = format!("/recipient/recipient%40example.com?token={}", ui.session);
    let wrong_cookie = format!("Cookie: mailtrail_ui_{}=guess", ui.port);
    for (path, header) in [
        ("/recipient/recipient%40example.com", None),
        ("/?login=00000000000000000000000000000000", None),
        (session_in_url.as_str(), None),
        (
            "/api/message/EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
            None,
        ),
        ("/assets/app.js", None),
        ("/", Some(wrong_cookie.as_str())),
        ("/api/suppressed", Some("Authorization: Bearer guess")),
    ] {
        let (status, body) = request(ui.port, &host, path, &header.into_iter().collect::<Vec<_>>());
        assert_eq!(status, 401, "{path}");
        assert!(
            !body.contains("recipient@example.com") && !body.contains(&table),
            "{path}: {body}"
        );
        assert!(body
            .to_ascii_lowercase()
            .contains("content-security-policy: default-src 'self'"));
    }
    // The login code: exchanged once for the cookie, then spent.
    let (status, head) = request(ui.port, &host, &with_login, &[]);
    assert_eq!(status, 303);
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("set-cookie: mailtrail_ui_")
            && lower.contains("httponly")
            && lower.contains("samesite=strict")
    );
    assert!(
        head.contains("location: /recipient/recipient%40example.com\r\n")
            || head.contains("Location: /recipient/recipient%40example.com\r\n"),
        "the redirect drops the code: {head}"
    );
    let (status, _) = request(ui.port, &host, &with_login, &[]);
    assert_eq!(status, 401, "a second use of the code is refused");
    let cookie = format!("Cookie: mailtrail_ui_{}={}", ui.port, ui.session);
    let (status, page) = request(ui.port, &host, "/recipient/recipient%40example.com", &[&cookie]);
    assert_eq!(status, 200);
    let lower = page.to_ascii_lowercase();
    for header in [
        "content-security-policy: default-src 'self'",
        "frame-ancestors 'none'",
        "x-content-type-options: nosniff",
    ] {
        assert!(lower.contains(header), "{header}");
    }
    // A script: the bearer token from --token-file; the JSON has the command's shapes.
    let bearer = format!("Authorization: Bearer {}", ui.session);
    let (status, api) = request(
        ui.port,
        &format!("localhost:{}", ui.port),
        "/api/suppressed/recipient%40example.com",
        &[&bearer],
    );
    assert_eq!(status, 200);
    let body = api.split("\r\n\r\n").nth(1).unwrap();
    let verdict: Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(verdict["suppressed"], true);
    // Bounded reads: a page number no page has is a 400; kept bodies and token bindings are
    // not messages.
    for path in [
        "/recipient/recipient%40example.com?page=18446744073709551615",
        "/api/recipient/recipient%40example.com?page=99999999999999999999999",
        "/recipient/recipient%40example.com?page=0",
    ] {
        let (status, _) = request(ui.port, &host, path, &[&bearer]);
        assert_eq!(status, 400, "{path}");
    }
    for path in [
        "/message/quarantine%23sendpulse",
        "/api/message/quarantine%23sendpulse",
        "/message/token%23mailgun%230123456789abcdef",
    ] {
        let (status, _) = request(ui.port, &host, path, &[&bearer]);
        assert_eq!(status, 404, "{path}");
    }
    // In the browser, a session without the cookie sees the 401 page only.
    let browser = browser().await;
    browser
        .goto(&format!(
            "http://127.0.0.1:{}/recipient/recipient%40example.com",
            ui.port
        ))
        .await
        .unwrap();
    assert!(text_of(&browser, "h1").await.contains("Open the link"));
    browser.close().await.unwrap();
}

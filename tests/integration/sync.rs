//! The suppression list in step with the providers: `mailtrail suppressed import | push |
//! remove --at ses` against the local DynamoDB-API server and the SES v2 stand-in.

use serde_json::{json, Value};

use crate::cli::{mailtrail, mailtrail_with};
use crate::sesv2_standin::SesStandIn;
use crate::support::*;

/// Runs `mailtrail … --output json` with SES's endpoint at `ses` (off the test's runtime,
/// which serves the stand-in).
pub(crate) async fn run(tables: &(String, String), ses: Option<&str>, args: &[&str]) -> Value {
    let (table, suppressions) = tables.clone();
    let ses = ses.map(str::to_owned);
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(["--output".to_owned(), "json".to_owned()]);
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        match ses {
            Some(ses) => mailtrail_with(&table, &suppressions, &args, &[("AWS_ENDPOINT_URL_SESV2", &ses)]),
            None => mailtrail(&table, &suppressions, &args),
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // `remove` prints the verdict's JSON, then a line about SES.
    let first = text.lines().next().unwrap_or("");
    serde_json::from_str(first).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// The verdict of one address, through the command.
async fn verdict(tables: &(String, String), address: &str) -> Value {
    run(tables, None, &["suppressed", address]).await
}

pub(crate) async fn tables() -> (mailtrail::app::App, aws_sdk_dynamodb::Client, (String, String)) {
    let (app, client, table, suppressions) = app_with_suppressions().await;
    (app, client, (table, suppressions))
}

fn fixture(name: &str) -> String {
    root()
        .join("fixtures/suppressions")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_ses_reads_every_page_retries_throttling_and_changes_nothing_again() {
    let (_app, client, tables) = tables().await;
    let ses = SesStandIn::start().await;
    {
        let mut state = ses.state.lock().unwrap();
        for i in 0..2_345 {
            let reason = if i % 5 == 0 { "COMPLAINT" } else { "BOUNCE" };
            state.list.insert(
                format!("user{i:05}@example.com"),
                (reason.to_owned(), 1_700_000_000.0 + f64::from(i)),
            );
        }
        state.throttle_next = 1;
    }
    let first = run(
        &tables,
        Some(&ses.endpoint),
        &["suppressed", "import", "--from", "ses"],
    )
    .await;
    assert_eq!(first["origin"], "import:ses");
    assert_eq!(first["entries"], 2_345);
    assert_eq!(first["added"], 2_345);
    assert_eq!(first["newly_suppressed"], 2_345);
    let lists = ses.requests("GET");
    assert_eq!(lists, 4, "three pages of 1,000, one throttled first");
    let items = scan_all(&client, &tables.1).await;
    assert_eq!(items.len(), 2_345);

    let again = run(
        &tables,
        Some(&ses.endpoint),
        &["suppressed", "import", "--from", "ses"],
    )
    .await;
    assert_eq!(again["added"], 0);
    assert_eq!(again["already_known"], 2_345);
    assert_eq!(scan_all(&client, &tables.1).await, items, "nothing changed");

    let complained = verdict(&tables, "user00005@example.com").await;
    assert_eq!(complained["reasons"], json!(["complaint"]));
    let detail = &complained["details"][0];
    assert_eq!(detail["event"], "import:ses");
    assert_eq!(detail["provider"], "ses");
    assert_eq!(detail["provider_evidence"], true);
    assert_eq!(detail["at"], "2023-11-14T22:13:25.000Z");
}

/// Every fixture with its format, and what it must add.
const EXPORTS: &[(&str, &str, usize)] = &[
    ("sendgrid-bounces.csv", "sendgrid-bounces", 1),
    ("sendgrid-blocks.csv", "sendgrid-blocks", 0),
    ("sendgrid-spam-reports.csv", "sendgrid-spam-reports", 1),
    ("sendgrid-invalid-emails.csv", "sendgrid-invalid-emails", 2),
    (
        "sendgrid-global-unsubscribes.csv",
        "sendgrid-global-unsubscribes",
        1,
    ),
    (
        "sendgrid-group-unsubscribes.csv",
        "sendgrid-group-unsubscribes",
        1,
    ),
    ("mailgun-bounces.csv", "mailgun-bounces", 2),
    ("mailgun-complaints.csv", "mailgun-complaints", 1),
    ("mailgun-unsubscribes.csv", "mailgun-unsubscribes", 2),
    ("postmark.csv", "postmark", 4),
    ("postmark-dump.json", "postmark", 3),
    ("ses-bulk.csv", "ses", 2),
    ("ses-list.json", "ses", 2),
    ("brevo.json", "brevo", 4),
    ("generic.csv", "generic", 3),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_export_format_imports_and_importing_it_again_changes_nothing() {
    let (_app, client, tables) = tables().await;
    for (file, format, added) in EXPORTS {
        let path = fixture(file);
        let args = ["suppressed", "import", "--csv", &path, "--format", format];
        let dry = run(&tables, None, &[&args[..], &["--dry-run"]].concat()).await;
        assert_eq!(dry["added"], *added, "{file} (dry run)");
        assert_eq!(dry["dry_run"], true);
        let before = scan_all(&client, &tables.1).await;
        let first = run(&tables, None, &args).await;
        assert_eq!(first["added"], *added, "{file}: {first}");
        let after = scan_all(&client, &tables.1).await;
        assert_eq!(after.len(), before.len() + added, "{file}");
        let again = run(&tables, None, &args).await;
        assert_eq!(again["added"], 0, "{file}: {again}");
        assert_eq!(again["already_known"], *added, "{file}: {again}");
        assert_eq!(
            scan_all(&client, &tables.1).await,
            after,
            "{file}: nothing changed"
        );
    }
    // Skipped entries are counted with why.
    let bounces = run(
        &tables,
        None,
        &[
            "suppressed",
            "import",
            "--csv",
            &fixture("sendgrid-bounces.csv"),
            "--format",
            "sendgrid-bounces",
        ],
    )
    .await;
    assert_eq!(
        bounces["skipped"],
        json!({"not a suppression: a transient (4.x.x) bounce": 1, "not an address": 1})
    );
    // A block is never a suppression; the group unsubscribe stays scoped.
    assert_eq!(verdict(&tables, "blocked@example.com").await["suppressed"], false);
    let scoped = verdict(&tables, "newsletter-out@example.com").await;
    assert_eq!(scoped["suppressed"], false);
    assert_eq!(scoped["scoped_unsubscribes"][0]["scope"], "group:42");
    // Another provider's list adds its reason to what is known.
    let spam = verdict(&tables, "spam@wildbit.com").await;
    assert_eq!(spam["reasons"], json!(["complaint"]));
    assert_eq!(spam["details"][0]["event"], "import:postmark");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_import_never_beats_newer_evidence() {
    let (app, _client, tables) = tables().await;
    // The function records a resubscribe at 2026-11-02 after an unsubscribe at 2026-11-01.
    for (event, at) in [("unsubscribed", 1_793_491_200), ("resubscribed", 1_793_577_600)] {
        let body = format!(
            r#"[{{"event":"{event}","email":"eve@example.com","message_id":{at},"timestamp":{at}}}]"#
        );
        invoke(&app, &sendpulse_post(&body)).await.expect("stored");
    }
    assert_eq!(verdict(&tables, "eve@example.com").await["suppressed"], false);
    let dir = std::env::temp_dir().join(format!("mailtrail-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let import_generic = |name: &str, csv: &str| {
        let path = dir.join(name);
        std::fs::write(&path, csv).unwrap();
        let tables = &tables;
        async move {
            let path = path.display().to_string();
            run(
                tables,
                None,
                &["suppressed", "import", "--csv", &path, "--format", "generic"],
            )
            .await
        }
    };
    let outcome = import_generic(
        "older.csv",
        "email,reason,created_at\neve@example.com,unsubscribe,2026-10-01T00:00:00Z\n",
    )
    .await;
    assert_eq!(outcome["older"], 1, "{outcome}");
    assert_eq!(outcome["added"], 0);
    assert_eq!(verdict(&tables, "eve@example.com").await["suppressed"], false);
    // An undated entry is older than anything known about the reason.
    let outcome = import_generic("undated.csv", "email,reason\neve@example.com,unsubscribe\n").await;
    assert_eq!(outcome["added"], 0, "{outcome}");
    assert_eq!(verdict(&tables, "eve@example.com").await["suppressed"], false);
    // A newer one is evidence like any other.
    let outcome = import_generic(
        "newer.csv",
        "email,reason,created_at\neve@example.com,unsubscribe,2026-11-20T00:00:00Z\n",
    )
    .await;
    assert_eq!(outcome["added"], 1, "{outcome}");
    assert_eq!(
        verdict(&tables, "eve@example.com").await["reasons"],
        json!(["unsubscribe"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_sends_bounces_and_complaints_once_and_keeps_the_other_reasons() {
    let (_app, _client, tables) = tables().await;
    let path = fixture("generic.csv");
    run(
        &tables,
        None,
        &["suppressed", "import", "--csv", &path, "--format", "generic"],
    )
    .await;
    let ses = SesStandIn::start().await;
    {
        let mut state = ses.state.lock().unwrap();
        state.list.insert(
            "ann@example.com".to_owned(),
            ("BOUNCE".to_owned(), 1_700_000_000.0),
        );
        state.throttle_next = 2;
    }
    let dry = run(
        &tables,
        Some(&ses.endpoint),
        &["suppressed", "push", "--to", "ses", "--dry-run"],
    )
    .await;
    assert_eq!(dry["sent"], 1);
    assert_eq!(ses.state.lock().unwrap().list.len(), 1, "a dry run sends nothing");
    let pushed = run(
        &tables,
        Some(&ses.endpoint),
        &["suppressed", "push", "--to", "ses"],
    )
    .await;
    assert_eq!(pushed["sent"], 1, "{pushed}");
    assert_eq!(pushed["already_at_ses"], 1);
    assert_eq!(pushed["stay_with_mailtrail"], json!({"unsubscribe": 1}));
    {
        let state = ses.state.lock().unwrap();
        assert_eq!(state.list["bob@example.com"].0, "COMPLAINT");
        assert!(
            !state.list.contains_key("carl@example.com"),
            "SES takes no unsubscribes"
        );
    }
    let again = run(
        &tables,
        Some(&ses.endpoint),
        &["suppressed", "push", "--to", "ses"],
    )
    .await;
    assert_eq!(again["sent"], 0);
    assert_eq!(again["already_at_ses"], 2);
    let puts = ses.requests("PUT");
    assert_eq!(puts, 1, "one address sent, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_at_ses_deletes_its_entry_and_an_absent_one_is_no_error() {
    let (_app, _client, tables) = tables().await;
    let path = fixture("generic.csv");
    run(
        &tables,
        None,
        &["suppressed", "import", "--csv", &path, "--format", "generic"],
    )
    .await;
    let ses = SesStandIn::start().await;
    ses.state.lock().unwrap().list.insert(
        "ann@example.com".to_owned(),
        ("BOUNCE".to_owned(), 1_700_000_000.0),
    );
    let args = [
        "suppressed",
        "remove",
        "ann@example.com",
        "--reason",
        "hard_bounce",
        "--note",
        "fixed",
        "--at",
        "ses",
    ];
    let lifted = run(&tables, Some(&ses.endpoint), &args).await;
    assert_eq!(lifted["suppressed"], false);
    assert!(ses.state.lock().unwrap().list.is_empty());
    // Again: SES holds nothing for it any more, which is not an error.
    run(&tables, Some(&ses.endpoint), &args).await;
    // An address still suppressed here for a complaint stays at SES.
    ses.state.lock().unwrap().list.insert(
        "bob@example.com".to_owned(),
        ("COMPLAINT".to_owned(), 1_700_000_000.0),
    );
    let args = [
        "suppressed",
        "remove",
        "bob@example.com",
        "--reason",
        "manual",
        "--note",
        "n/a",
        "--at",
        "ses",
    ];
    run(&tables, Some(&ses.endpoint), &args).await;
    assert!(ses.state.lock().unwrap().list.contains_key("bob@example.com"));
}

//! Each provider's export, read from files with the header rows their docs give.

use super::*;
use crate::suppression::{Evidence, Record};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/suppressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn read(format: ImportFormat, name: &str) -> ParsedExport {
    parse_export(format, &fixture(name), &ImportOptions::default()).unwrap()
}

fn marks(parsed: &ParsedExport) -> Vec<(String, String)> {
    parsed
        .entries
        .iter()
        .map(|e| (e.address.clone(), e.mark.slot()))
        .collect()
}

fn at(text: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(text)
}

#[test]
fn sendgrid_bounces_with_a_bom_and_quotes_keep_hard_bounces_and_skip_transient_and_bad_rows() {
    let parsed = read(ImportFormat::SendgridBounces, "sendgrid-bounces.csv");
    assert_eq!(
        marks(&parsed),
        [("gone@example.com".to_owned(), "hard_bounce".to_owned())]
    );
    assert_eq!(parsed.entries[0].at, Timestamp::from_millis(1_700_000_000_000));
    assert!(parsed.entries[0]
        .note
        .as_deref()
        .unwrap()
        .starts_with("550 5.1.1"));
    assert_eq!(
        parsed.skipped,
        [
            (3, Skip::NotASuppression("a transient (4.x.x) bounce")),
            (4, Skip::NotAnAddress)
        ]
    );
}

#[test]
fn a_sendgrid_block_is_not_a_suppression() {
    let parsed = read(ImportFormat::SendgridBlocks, "sendgrid-blocks.csv");
    assert!(parsed.entries.is_empty());
    assert_eq!(parsed.skipped.len(), 1);
    assert!(matches!(parsed.skipped[0].1, Skip::NotASuppression(_)));
}

#[test]
fn sendgrid_spam_reports_invalid_emails_and_unsubscribes_map_to_their_reasons() {
    let spam = read(ImportFormat::SendgridSpamReports, "sendgrid-spam-reports.csv");
    assert_eq!(
        marks(&spam),
        [("spam@example.com".to_owned(), "complaint".to_owned())]
    );
    let invalid = read(ImportFormat::SendgridInvalidEmails, "sendgrid-invalid-emails.csv");
    assert_eq!(invalid.entries.len(), 2);
    assert!(invalid
        .entries
        .iter()
        .all(|e| e.mark == Mark::Suppress(Reason::HardBounce)));
    let global = read(
        ImportFormat::SendgridGlobalUnsubscribes,
        "sendgrid-global-unsubscribes.csv",
    );
    assert_eq!(
        marks(&global),
        [("unsub@example.com".to_owned(), "unsubscribe".to_owned())]
    );
    let group = read(
        ImportFormat::SendgridGroupUnsubscribes,
        "sendgrid-group-unsubscribes.csv",
    );
    assert_eq!(
        marks(&group),
        [(
            "newsletter-out@example.com".to_owned(),
            "unsubscribe#group:42".to_owned()
        )]
    );
}

#[test]
fn a_group_file_without_a_group_column_takes_the_group_option_or_skips() {
    let body = b"email,created\nout@example.com,1700000000\n";
    let without = parse_export(
        ImportFormat::SendgridGroupUnsubscribes,
        body,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(without.skipped, [(2, Skip::NoGroup)]);
    let options = ImportOptions {
        group: Some("7".to_owned()),
    };
    let with = parse_export(ImportFormat::SendgridGroupUnsubscribes, body, &options).unwrap();
    assert_eq!(
        with.entries[0].mark,
        Mark::Unsubscribe(Scope::Group("7".to_owned()))
    );
}

#[test]
fn sendgrid_api_json_reads_like_its_csv() {
    let body = br#"[{"created": 1443651125, "email": "testemail1@test.com", "reason": "550 5.1.1 The email account that you tried to reach does not exist.", "status": "5.1.1"}]"#;
    let parsed = parse_export(ImportFormat::SendgridBounces, body, &ImportOptions::default()).unwrap();
    assert_eq!(
        marks(&parsed),
        [("testemail1@test.com".to_owned(), "hard_bounce".to_owned())]
    );
    assert_eq!(parsed.entries[0].at, Timestamp::from_millis(1_443_651_125_000));
}

#[test]
fn mailgun_bounces_read_rfc_2822_times_and_default_to_undated() {
    let parsed = read(ImportFormat::MailgunBounces, "mailgun-bounces.csv");
    assert_eq!(parsed.entries.len(), 2);
    assert_eq!(parsed.entries[0].at, at("2011-10-21T11:02:55Z"));
    assert_eq!(parsed.entries[0].note.as_deref(), Some("No such mailbox"));
    assert_eq!(parsed.entries[1].address, "later@example.org");
    assert_eq!(parsed.entries[1].at, None);
    assert!(matches!(parsed.skipped[..], [(4, Skip::NotASuppression(_))]));
}

#[test]
fn mailgun_complaints_and_unsubscribes_with_tags() {
    let complaints = read(ImportFormat::MailgunComplaints, "mailgun-complaints.csv");
    assert_eq!(complaints.entries[0].mark, Mark::Suppress(Reason::Complaint));
    assert_eq!(complaints.entries[0].at, at("2016-11-15T08:25:11Z"));
    let unsubscribes = read(ImportFormat::MailgunUnsubscribes, "mailgun-unsubscribes.csv");
    assert_eq!(
        marks(&unsubscribes),
        [
            ("all-out@example.org".to_owned(), "unsubscribe".to_owned()),
            (
                "news-out@example.org".to_owned(),
                "unsubscribe#topic:newsletter".to_owned()
            )
        ]
    );
}

#[test]
fn postmark_csv_and_dump_map_manual_suppressions_by_origin() {
    let csv = read(ImportFormat::Postmark, "postmark.csv");
    assert_eq!(
        marks(&csv),
        [
            ("hard@example.net".to_owned(), "hard_bounce".to_owned()),
            ("spam@example.net".to_owned(), "complaint".to_owned()),
            ("left@example.net".to_owned(), "unsubscribe".to_owned()),
            ("blocked@example.net".to_owned(), "manual".to_owned())
        ]
    );
    assert_eq!(csv.entries[0].at, at("2019-12-10T13:58:33Z"));
    let dump = read(ImportFormat::Postmark, "postmark-dump.json");
    assert_eq!(
        marks(&dump),
        [
            ("address@wildbit.com".to_owned(), "unsubscribe".to_owned()),
            ("bounce@wildbit.com".to_owned(), "hard_bounce".to_owned()),
            ("spam@wildbit.com".to_owned(), "complaint".to_owned())
        ]
    );
}

#[test]
fn ses_bulk_rows_without_a_header_and_the_list_api_json() {
    let bulk = read(ImportFormat::Ses, "ses-bulk.csv");
    assert_eq!(
        marks(&bulk),
        [
            ("recipient1@example.com".to_owned(), "hard_bounce".to_owned()),
            ("recipient2@example.com".to_owned(), "complaint".to_owned())
        ]
    );
    assert!(bulk.entries.iter().all(|e| e.at.is_none()));
    let list = read(ImportFormat::Ses, "ses-list.json");
    assert_eq!(list.entries.len(), 2);
    assert_eq!(list.entries[0].at, at("2020-04-10T21:08:44.780Z"));
    assert_eq!(list.entries[1].at, Timestamp::from_millis(1_586_552_924_780));
    let lines = b"{\"emailAddress\": \"a@example.com\", \"reason\": \"BOUNCE\"}\n{\"emailAddress\": \"b@example.com\", \"reason\": \"COMPLAINT\"}\n";
    let lines = parse_export(ImportFormat::Ses, lines, &ImportOptions::default()).unwrap();
    assert_eq!(lines.entries.len(), 2);
}

#[test]
fn brevo_reason_codes_map_and_unknown_ones_are_skipped() {
    let parsed = read(ImportFormat::Brevo, "brevo.json");
    assert_eq!(
        marks(&parsed),
        [
            ("john.smith@contact.com".to_owned(), "unsubscribe".to_owned()),
            ("hard.bounce@contact.com".to_owned(), "hard_bounce".to_owned()),
            ("spam@contact.com".to_owned(), "complaint".to_owned()),
            ("admin@contact.com".to_owned(), "manual".to_owned())
        ]
    );
    assert_eq!(
        parsed.skipped,
        [(5, Skip::UnknownReason("somethingNew".to_owned()))]
    );
    let csv = b"Email,Reason,Blocked At\nx@example.com,Contact has hard bounced,2017-05-02 12:30:00\n";
    let csv = parse_export(ImportFormat::Brevo, csv, &ImportOptions::default()).unwrap();
    assert_eq!(csv.entries[0].mark, Mark::Suppress(Reason::HardBounce));
    assert_eq!(csv.entries[0].at, at("2017-05-02T12:30:00Z"));
}

#[test]
fn generic_files_with_or_without_a_header() {
    let parsed = read(ImportFormat::Generic, "generic.csv");
    assert_eq!(
        marks(&parsed),
        [
            ("ann@example.com".to_owned(), "hard_bounce".to_owned()),
            ("bob@example.com".to_owned(), "complaint".to_owned()),
            ("carl@example.com".to_owned(), "unsubscribe".to_owned())
        ]
    );
    assert_eq!(parsed.entries[1].at, None);
    assert_eq!(parsed.entries[2].at, at("2026-11-02T00:00:00Z"));
    assert_eq!(parsed.skipped, [(5, Skip::UnknownReason("vacation".to_owned()))]);
    let headerless = parse_export(
        ImportFormat::Generic,
        b"x@example.com,complaint\n",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(headerless.entries[0].mark, Mark::Suppress(Reason::Complaint));
}

#[test]
fn a_file_without_an_address_column_or_in_another_encoding_is_refused_whole() {
    let error = parse_export(
        ImportFormat::SendgridBounces,
        b"id,when\n1,2\n",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, ImportError::NoAddressColumn { .. }));
    let error = parse_export(
        ImportFormat::Ses,
        b"EmailAddress,When\na@b.c,1\n",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, ImportError::NoReasonColumn { .. }));
    assert!(matches!(
        parse_export(ImportFormat::Generic, b"\xff\xfe\x00", &ImportOptions::default()),
        Err(ImportError::NotText)
    ));
    assert_eq!(
        parse_export(ImportFormat::Generic, b"", &ImportOptions::default()).unwrap(),
        ParsedExport::default()
    );
}

#[test]
fn addresses_are_checked_and_lower_cased() {
    assert_eq!(
        import_address(" Ann@Example.COM "),
        Some("ann@example.com".to_owned())
    );
    for bad in [
        "",
        "ann",
        "@example.com",
        "ann@",
        "a b@example.com",
        "<ann@example.com>",
        "ann@.com",
        "a@b@c",
    ] {
        assert_eq!(import_address(bad), None, "{bad:?}");
    }
}

#[test]
fn export_times_in_every_documented_form() {
    let expected = at("2011-10-21T11:02:55Z");
    for text in [
        "1319194975",
        "1319194975000",
        "2011-10-21T11:02:55Z",
        "2011-10-21T13:02:55+02:00",
        "Fri, 21 Oct 2011 11:02:55 UTC",
        "Fri, 21 Oct 2011 11:02:55 GMT",
        "Fri, 21 Oct 2011 11:02:55 +0000",
        "2011-10-21 11:02:55",
        "2011-10-21 11:02:55 UTC",
    ] {
        assert_eq!(import_time(text), expected, "{text}");
    }
    assert_eq!(import_time("2011-10-21"), at("2011-10-21T00:00:00Z"));
    assert_eq!(import_time("yesterday"), None);
    assert_eq!(import_time(""), None);
}

fn record_with(evidence: &[Evidence]) -> Record {
    Record::of("ann@example.com", evidence)
}

fn entry(mark: Mark, at_text: Option<&str>) -> ImportEntry {
    ImportEntry {
        address: "ann@example.com".to_owned(),
        mark,
        at: at_text.and_then(at),
        note: None,
    }
}

#[test]
fn an_import_adds_what_is_new_knows_itself_again_and_never_beats_newer_evidence() {
    let bounce = entry_evidence(
        ImportFormat::MailgunBounces,
        &entry(Mark::Suppress(Reason::HardBounce), Some("2026-01-01T00:00:00Z")),
        "ops",
    );
    assert_eq!(bounce.key, "import:mailgun-bounces#ann@example.com");
    assert_eq!(bounce.event, "import:mailgun-bounces");
    assert!(bounce.provider_evidence);
    let empty = record_with(&[]);
    assert_eq!(import_outcome(&empty, &bounce, true), ImportOutcome::Added);
    let imported = record_with(std::slice::from_ref(&bounce));
    assert_eq!(
        import_outcome(&imported, &bounce, true),
        ImportOutcome::AlreadyKnown
    );

    let mut newer = bounce.clone();
    newer.at = at("2026-06-01T00:00:00Z").unwrap();
    newer.key = "ses#newer".to_owned();
    let known_newer = record_with(&[newer]);
    assert_eq!(import_outcome(&known_newer, &bounce, true), ImportOutcome::Older);

    let mut removal = bounce.clone();
    removal.mark = Mark::Removed(Reason::HardBounce);
    removal.at = at("2026-03-01T00:00:00Z").unwrap();
    let lifted = record_with(&[removal]);
    assert_eq!(import_outcome(&lifted, &bounce, true), ImportOutcome::Older);
}

#[test]
fn an_undated_entry_is_written_only_when_nothing_of_its_reason_is_known() {
    let undated = entry_evidence(
        ImportFormat::Ses,
        &entry(Mark::Unsubscribe(Scope::Global), None),
        "ops",
    );
    // Dated before everything: it never outranks dated evidence.
    assert_eq!(undated.at.to_rfc3339(), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        import_outcome(&record_with(&[]), &undated, false),
        ImportOutcome::Added
    );
    // Imported before: today's import of the same file changes nothing.
    assert_eq!(
        import_outcome(&record_with(std::slice::from_ref(&undated)), &undated, false),
        ImportOutcome::AlreadyKnown
    );
    let mut resubscribed = undated.clone();
    resubscribed.mark = Mark::Resubscribe(Scope::Global);
    resubscribed.at = at("2020-01-01T00:00:00Z").unwrap();
    assert_eq!(
        import_outcome(&record_with(&[resubscribed.clone()]), &undated, false),
        ImportOutcome::Older
    );
    // Written, it is older than any later evidence: a resubscribe of any date lifts it, and an
    // operator's removal of any date outranks it.
    let mut record = record_with(std::slice::from_ref(&undated));
    assert_eq!(record.verdict().reasons, vec!["unsubscribe"]);
    record.apply(&resubscribed);
    assert!(!record.verdict().suppressed);
}

#[test]
fn an_export_listing_an_address_twice_keeps_the_latest_dated_entry() {
    let body = b"email,reason,created_at\nann@example.com,bounce,2026-01-01\nann@example.com,bounce,\nann@example.com,bounce,2026-02-01\n";
    let parsed = parse_export(ImportFormat::Generic, body, &ImportOptions::default()).unwrap();
    let evidence = export_evidence(ImportFormat::Generic, &parsed, "ops");
    assert_eq!(evidence.len(), 1);
    assert_eq!(evidence[0].0.at, at("2026-02-01T00:00:00Z").unwrap());
    assert!(evidence[0].1);
}

#[test]
fn every_format_has_a_name_that_parses_back() {
    for format in ImportFormat::ALL {
        assert_eq!(ImportFormat::parse(format.name()), Some(format));
    }
    assert_eq!(ImportFormat::parse("mailjet"), None);
}

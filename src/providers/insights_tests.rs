//! What each decoder reads for the statistics, from the providers' documented samples.

use crate::model::{NormalizedEvent, Provider};
use crate::test_support::{fixture, received, seed_sendgrid_body, ses_fixture};

fn decoded(provider: Provider, body: &str) -> Vec<NormalizedEvent> {
    super::decode(provider, body.as_bytes(), received())
        .unwrap()
        .events
}

fn one(provider: Provider, name: &str) -> NormalizedEvent {
    let mut events = decoded(provider, &fixture(provider.as_str(), name));
    assert_eq!(events.len(), 1, "{name}");
    events.remove(0)
}

#[test]
fn ses_names_its_sending_domain_configuration_set_and_tags() {
    let events = decoded(Provider::Ses, ses_fixture("event-bounce"));
    let insights = &events[0].insights;
    assert_eq!(insights.sending_domain.as_deref(), Some("example.com"));
    assert_eq!(insights.config_set.as_deref(), Some("ConfigSet"));
    assert!(
        insights.tags.iter().all(|t| !t.starts_with("ses:")),
        "{:?}",
        insights.tags
    );
    // A tenant and the sender's own tags, as SES adds them.
    let tenant = ses_fixture("event-bounce").replacen(
        "\"ses:configuration-set\"",
        "\"ses:tenant-name\":[\"acme\"],\"campaign\":[\"spring\"],\"ses:configuration-set\"",
        1,
    );
    let insights = &decoded(Provider::Ses, &tenant)[0].insights;
    assert_eq!(insights.tenant.as_deref(), Some("acme"));
    assert_eq!(insights.tags, ["campaign:spring"]);
    // Tags of another shape are left out; the event still decodes.
    let odd = ses_fixture("event-bounce").replacen("\"tags\":{", "\"tags\":[1],\"ignored\":{", 1);
    assert_eq!(decoded(Provider::Ses, &odd).len(), 1);
}

#[test]
fn ses_tenant_suppression_is_the_provider_refusing_not_a_hard_bounce() {
    let body = ses_fixture("event-bounce").replace(
        "\"bounceSubType\":\"General\"",
        "\"bounceSubType\":\"OnTenantSuppressionList\"",
    );
    assert!(
        body.contains("OnTenantSuppressionList"),
        "the fixture names its sub-type"
    );
    assert!(decoded(Provider::Ses, &body)
        .iter()
        .all(|e| e.provider_suppressed));
}

#[test]
fn each_provider_reads_its_tags_and_machine_marks() {
    let sendgrid = decoded(Provider::SendGrid, seed_sendgrid_body());
    assert!(sendgrid.iter().any(|e| e.insights.tags == ["cat facts"]));
    let machine = seed_sendgrid_body().replacen(
        "\"event\": \"open\"",
        "\"event\": \"open\", \"sg_machine_open\": true",
        1,
    );
    assert!(decoded(Provider::SendGrid, &machine)
        .iter()
        .any(|e| e.insights.machine));
    assert!(sendgrid.iter().all(|e| !e.insights.machine));

    assert_eq!(
        one(Provider::Mailgun, "opened").insights.tags,
        ["welcome", "variation-A"]
    );
    let postmark = one(Provider::Postmark, "bounce-hard").insights;
    assert_eq!(postmark.tags, ["Test", "stream:outbound"]);
    assert_eq!(postmark.sending_domain.as_deref(), Some("example.com"));
    assert_eq!(one(Provider::Brevo, "opened").insights.tags, ["transac_messages"]);
    assert!(one(Provider::Brevo, "proxy-open").insights.machine);
    assert!(!one(Provider::Brevo, "opened").insights.machine);
    let resend = one(Provider::Resend, "clicked").insights;
    assert_eq!(resend.sending_domain.as_deref(), Some("example.com"));
}

#[test]
fn odd_shapes_of_what_only_the_statistics_read_never_fail_an_event() {
    let mailgun = fixture("mailgun", "opened")
        .replacen(
            "\"client-info\": {",
            "\"client-info\": \"x\", \"old-client-info\": {",
            1,
        )
        .replacen(
            "\"tags\": [\"welcome\", \"variation-A\"]",
            "\"tags\": {\"a\": {}}, \"envelope\": [1]",
            1,
        );
    assert!(mailgun.contains("\"envelope\": [1]") && mailgun.contains("\"client-info\": \"x\""));
    let event = &decoded(Provider::Mailgun, &mailgun)[0];
    assert_eq!(event.insights.tags, ["a"]);
    assert!(!event.insights.machine);
    let bot = fixture("mailgun", "opened").replacen("\"client-os\"", "\"bot\": \"apple\", \"client-os\"", 1);
    assert!(decoded(Provider::Mailgun, &bot)[0].insights.machine);
    let postmark = fixture("postmark", "bounce-hard").replacen(
        "\"From\": \"sender@example.com\"",
        "\"From\": {\"x\": 1}",
        1,
    );
    assert!(postmark.contains("\"From\": {\"x\": 1}"));
    assert_eq!(decoded(Provider::Postmark, &postmark).len(), 1);
}

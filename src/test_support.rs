//! Fixtures for unit tests: the provider documents' examples, as shipped in `fixtures/`.

/// The SES event-publishing examples, one per event type.
pub const SES_EVENT_FIXTURES: &[&str] = &[
    "event-bounce",
    "event-complaint",
    "event-delivery",
    "event-send",
    "event-reject",
    "event-open",
    "event-click",
    "event-rendering-failure",
    "event-delivery-delay",
    "event-subscription",
];

/// Every SendPulse example.
pub const SENDPULSE_FIXTURES: &[&str] = &[
    "format-single",
    "format-batch-trailing-comma",
    "delivered",
    "undelivered",
    "opened",
    "clicked",
    "unsubscribed",
    "spam_by_user",
];

/// SendGrid's sample payload: 14 events.
pub fn seed_sendgrid_body() -> &'static str {
    include_str!("../fixtures/sendgrid/seed-batch.json")
}

/// One SES example by name (without `.json`; `topic-validation` is the plain-text message).
pub fn ses_fixture(name: &str) -> &'static str {
    match name {
        "event-bounce" => include_str!("../fixtures/ses/event-bounce.json"),
        "event-complaint" => include_str!("../fixtures/ses/event-complaint.json"),
        "event-delivery" => include_str!("../fixtures/ses/event-delivery.json"),
        "event-send" => include_str!("../fixtures/ses/event-send.json"),
        "event-reject" => include_str!("../fixtures/ses/event-reject.json"),
        "event-open" => include_str!("../fixtures/ses/event-open.json"),
        "event-click" => include_str!("../fixtures/ses/event-click.json"),
        "event-rendering-failure" => include_str!("../fixtures/ses/event-rendering-failure.json"),
        "event-delivery-delay" => include_str!("../fixtures/ses/event-delivery-delay.json"),
        "event-subscription" => include_str!("../fixtures/ses/event-subscription.json"),
        "notification-bounce" => include_str!("../fixtures/ses/notification-bounce.json"),
        "notification-complaint" => include_str!("../fixtures/ses/notification-complaint.json"),
        "notification-delivery" => include_str!("../fixtures/ses/notification-delivery.json"),
        "topic-validation" => include_str!("../fixtures/ses/topic-validation.txt"),
        other => panic!("no SES fixture {other}"),
    }
}

/// One SendPulse example by name (without `.json`).
pub fn sendpulse_fixture(name: &str) -> &'static str {
    match name {
        "format-single" => include_str!("../fixtures/sendpulse/format-single.json"),
        "format-batch-trailing-comma" => {
            include_str!("../fixtures/sendpulse/format-batch-trailing-comma.json")
        }
        "delivered" => include_str!("../fixtures/sendpulse/delivered.json"),
        "undelivered" => include_str!("../fixtures/sendpulse/undelivered.json"),
        "opened" => include_str!("../fixtures/sendpulse/opened.json"),
        "clicked" => include_str!("../fixtures/sendpulse/clicked.json"),
        "unsubscribed" => include_str!("../fixtures/sendpulse/unsubscribed.json"),
        "spam_by_user" => include_str!("../fixtures/sendpulse/spam_by_user.json"),
        other => panic!("no SendPulse fixture {other}"),
    }
}

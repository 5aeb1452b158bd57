#!/usr/bin/env python3
"""The peer: django-anymail's own tracking-webhook parsers on the same inputs as mailtrail's
pipeline bench. Times `parse_events` of its SendGrid view on the 1,000-event batch, of its
Amazon SES view on one SNS notification per SES event type, and of its Mailgun, Postmark,
Resend, Mailjet, Brevo, SparkPost, MailerSend, Mandrill and Postal views on each documented
sample (target/bench/each/; it has none for SMTP2GO or AhaSend in the pinned release); prints
JSON (events/s, median of repeated runs, min-max)."""
import json
import pathlib
import statistics
import sys
import time

import django
from django.conf import settings

settings.configure(
    ANYMAIL={
        "WEBHOOK_SECRET": "user:pass",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "bench-key",
        "RESEND_SIGNING_SECRET": "whsec_ZGVtby1yZXNlbmQtc2VjcmV0LWNoYW5nZS1tZQ==",
        "MAILERSEND_SIGNING_SECRET": "demo-mailersend-signing-secret",
        "MANDRILL_WEBHOOK_KEY": "demo-mandrill-webhook-key-change-me",
        "POSTAL_WEBHOOK_KEY": (pathlib.Path(__file__).resolve().parent.parent / "events" / "demo-postal-public-key.txt").read_text().strip(),
    },
    ALLOWED_HOSTS=["*"],
    DEFAULT_CHARSET="utf-8",
)
django.setup()

from django.test import RequestFactory  # noqa: E402
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView  # noqa: E402
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView  # noqa: E402
from anymail.webhooks.brevo import BrevoTrackingWebhookView  # noqa: E402
from anymail.webhooks.mailgun import MailgunTrackingWebhookView  # noqa: E402
from anymail.webhooks.mailjet import MailjetTrackingWebhookView  # noqa: E402
from anymail.webhooks.postmark import PostmarkTrackingWebhookView  # noqa: E402
from anymail.webhooks.resend import ResendTrackingWebhookView  # noqa: E402
from anymail.webhooks.mailersend import MailerSendTrackingWebhookView  # noqa: E402
from anymail.webhooks.mandrill import MandrillCombinedWebhookView  # noqa: E402
from anymail.webhooks.postal import PostalTrackingWebhookView  # noqa: E402
from anymail.webhooks.sparkpost import SparkPostTrackingWebhookView  # noqa: E402

ONE_EVENT_VIEWS = {
    "mailgun": MailgunTrackingWebhookView,
    "postmark": PostmarkTrackingWebhookView,
    "resend": ResendTrackingWebhookView,
    "mailjet": MailjetTrackingWebhookView,
    "brevo": BrevoTrackingWebhookView,
    "sparkpost": SparkPostTrackingWebhookView,
    "mailersend": MailerSendTrackingWebhookView,
    "mandrill": MandrillCombinedWebhookView,
    "postal": PostalTrackingWebhookView,
}
# Bodies that are forms, not JSON.
FORM_BODIES = {"mandrill"}

ROOT = pathlib.Path(__file__).resolve().parent.parent
SES_TYPES = ["bounce", "complaint", "delivery", "send", "reject", "open", "click",
             "rendering-failure", "delivery-delay", "subscription"]
RUNS = 7
RUN_SECONDS = 0.6


def timed(parse, events_per_call):
    """events/s of `parse` over RUNS runs of about RUN_SECONDS each: (median, min, max)."""
    rates = []
    for _ in range(RUNS):
        calls = 0
        started = time.perf_counter()
        while time.perf_counter() - started < RUN_SECONDS:
            parse()
            calls += 1
        rates.append(calls * events_per_call / (time.perf_counter() - started))
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates), "runs": RUNS}


def main():
    factory = RequestFactory()
    body = (ROOT / "target" / "bench" / "sendgrid-1000.json").read_bytes()
    request = factory.post("/anymail/sendgrid/tracking/", data=body, content_type="application/json")
    view = SendGridTrackingWebhookView()
    sendgrid_events = len(view.parse_events(request))

    ses_requests = []
    for name in SES_TYPES:
        message = (ROOT / "fixtures" / "ses" / f"event-{name}.json").read_text()
        envelope = {
            "Type": "Notification",
            "MessageId": f"bench-{name}",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events",
            "Message": message,
            "Timestamp": "2026-11-24T12:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        }
        ses_requests.append(factory.post("/anymail/amazon_ses/tracking/", data=json.dumps(envelope),
                                         content_type="text/plain; charset=UTF-8"))
    ses_view = AmazonSESTrackingWebhookView()

    def parse_ses():
        count = 0
        for req in ses_requests:
            req.__dict__.pop("_sns_message", None)  # the view caches the parsed envelope
            count += len(ses_view.parse_events(req))
        return count

    ses_events = parse_ses()
    each = {}
    for name, view_class in ONE_EVENT_VIEWS.items():
        content_type = "application/x-www-form-urlencoded" if name in FORM_BODIES else "application/json"
        requests = [factory.post(f"/anymail/{name}/tracking/", data=p.read_bytes(), content_type=content_type)
                    for p in sorted((ROOT / "target" / "bench" / "each" / name).glob("*.json"))]
        one_view = view_class()

        def parse(requests=requests, one_view=one_view):
            return sum(len(one_view.parse_events(r)) for r in requests)

        count = parse()
        each[f"{name}_each"] = {"events": count, "events_per_s": timed(parse, count)}
    result = {
        "sendgrid_1000": {"events": sendgrid_events, "events_per_s": timed(lambda: view.parse_events(request), sendgrid_events)},
        "ses_each_type": {"events": ses_events, "events_per_s": timed(parse_ses, ses_events)},
        **each,
        "anymail_version": __import__("anymail").VERSION,
    }
    json.dump(result, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()

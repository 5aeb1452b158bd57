#!/usr/bin/env python3
"""Writes the benchmark inputs to target/bench/: a 1,000-event SendGrid batch and a 1,000-event
SendPulse batch, varied from the providers' samples; each one-event provider's documented
samples (`each/<provider>/`, the same bytes for mailtrail and django-anymail); and the realistic
mix the cost model measures item sizes on (SES events with full headers and several recipients,
SendGrid events with long URLs, user agents and custom arguments, every other provider's
samples varied over many recipients and messages), byte for byte the same on every run."""
import copy
import json
import urllib.parse
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"


def sendgrid() -> bytes:
    seed = json.loads((ROOT / "fixtures" / "sendgrid" / "seed-batch.json").read_text())
    events = []
    for i in range(1000):
        event = dict(seed[i % len(seed)])
        event["email"] = f"user{i % 250}@example{i % 7}.com"
        event["timestamp"] = 1631577204 + i
        event["sg_event_id"] = f"ZXZlbnQtaWQt{i:08d}"
        event["sg_message_id"] = f"msg{i // 4:06d}AbCdEfGhIj.filterdrecv-66dddc765f-mbf8r-1-60F38A19-27.0"
        if event["event"] == "click":
            event["url"] = f"https://example.com/offers/{i % 13}?utm_source=mail"
        events.append(event)
    # SendGrid separates events with CRLF and ends the body with one.
    return ("[" + ",\r\n".join(json.dumps(e, separators=(",", ":")) for e in events) + "]\r\n").encode()


def sendpulse() -> bytes:
    names = ["delivered", "opened", "clicked", "undelivered", "spam_by_user", "unsubscribed"]
    events = []
    for i in range(1000):
        event = {
            "event": names[i % len(names)],
            "timestamp": 1490953933 + i,
            "message_id": 1149317311 + i // 4,
            "recipient": f"user{i % 250}@example{i % 7}.com",
            "sender": "john.doe@sendpulse.com",
            "subject": "utf8_hello_world",
        }
        if event["event"] in ("delivered", "undelivered"):
            event.update(
                smtp_server_response_code="250" if event["event"] == "delivered" else "554",
                smtp_server_response_subcode="" if event["event"] == "delivered" else "5.7.1",
                smtp_server_response="custom_text_response_from_recipients_server",
            )
        events.append(event)
    return json.dumps(events, separators=(",", ":")).encode()


HEADERS = [
    ("Received", "from mail-sor-f41.example.net (mail-sor-f41.example.net [209.85.220.41]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id 3p2jt0tk5v"),
    ("Return-Path", "<0100018c2f3e4a5b-6c7d8e9f-0a1b-2c3d-4e5f-60718293a4b5-000000@amazonses.com>"),
    ("From", "Example Shop <orders@shop.example.com>"),
    ("Reply-To", "support@shop.example.com"),
    ("To", "{to}"),
    ("Subject", "Your order #{n} has shipped - track it here"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "multipart/alternative; boundary=\"----=_Part_{n}_1405392512.1795521600000\""),
    ("Date", "Tue, 24 Nov 2026 12:00:00 +0000"),
    ("Message-ID", "<0100018c2f3e4a5b-{n:08x}-0a1b-2c3d-4e5f-60718293a4b5-000000@email.amazonses.com>"),
    ("List-Unsubscribe", "<https://shop.example.com/unsubscribe?u={n}&sig=9f8e7d6c5b4a>, <mailto:unsubscribe@shop.example.com?subject=u{n}>"),
    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ("X-SES-CONFIGURATION-SET", "transactional"),
    ("Feedback-ID", "1.us-east-1.abcdEFGHijklMNOPqrstUVWXyz0123456789=:AmazonSES"),
]


def ses_mix() -> list:
    """SES messages with full headers and one to four recipients, across the event types a
    sender sees most, as SNS delivers them (compact JSON)."""
    messages = []
    kinds = ["Send", "Delivery", "Delivery", "Open", "Click", "Bounce", "Complaint", "DeliveryDelay"]
    for n in range(400):
        recipients = [f"customer{n * 3 + r}@{['gmail.com', 'example.org', 'corp.example.com'][r % 3]}" for r in range(1 + n % 4)]
        mail = {
            "timestamp": "2026-11-24T12:00:00.000Z",
            "source": "Example Shop <orders@shop.example.com>",
            "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/shop.example.com",
            "sendingAccountId": "123456789012",
            "messageId": f"0100018c2f3e4a5b-{n:08x}-0a1b-2c3d-4e5f-60718293a4b5-000000",
            "destination": recipients,
            "headersTruncated": False,
            "headers": [{"name": k, "value": v.format(to=", ".join(recipients), n=n)} for k, v in HEADERS],
            "commonHeaders": {
                "from": ["Example Shop <orders@shop.example.com>"],
                "replyTo": ["support@shop.example.com"],
                "date": "Tue, 24 Nov 2026 12:00:00 +0000",
                "to": recipients,
                "messageId": f"<0100018c2f3e4a5b-{n:08x}@email.amazonses.com>",
                "subject": f"Your order #{n} has shipped - track it here",
            },
            "tags": {
                "ses:operation": ["SendRawEmail"],
                "ses:configuration-set": ["transactional"],
                "ses:source-ip": ["192.0.2.10"],
                "ses:from-domain": ["shop.example.com"],
                "ses:caller-identity": ["shop-mailer"],
                "campaign": [f"shipping-{n % 5}"],
            },
        }
        kind = kinds[n % len(kinds)]
        event = {"eventType": kind, "mail": mail}
        at = "2026-11-24T12:00:05.123Z"
        if kind == "Delivery":
            event["delivery"] = {"timestamp": at, "processingTimeMillis": 812, "recipients": recipients,
                                 "smtpResponse": "250 2.0.0 OK  1795521605 d9443c01a7336-2b0c7c1f8a1si123456pla.1 - gsmtp",
                                 "reportingMTA": "a8-59.smtp-out.amazonses.com", "remoteMtaIp": "142.250.27.26"}
        elif kind == "Bounce":
            event["bounce"] = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": at,
                               "feedbackId": f"0100018c2f3e4a5c-{n:08x}-feedback-000000",
                               "reportingMTA": "dns; a8-59.smtp-out.amazonses.com",
                               "bouncedRecipients": [{"emailAddress": r, "action": "failed", "status": "5.1.1",
                                                      "diagnosticCode": "smtp; 550-5.1.1 The email account that you tried to reach does not exist."}
                                                     for r in recipients]}
        elif kind == "Complaint":
            event["complaint"] = {"timestamp": at, "feedbackId": f"0100018c2f3e4a5d-{n:08x}-feedback-000000",
                                  "complaintSubType": None, "complaintFeedbackType": "abuse",
                                  "userAgent": "Yahoo!-Mail-Feedback/2.0", "arrivalDate": at,
                                  "complainedRecipients": [{"emailAddress": recipients[0]}]}
        elif kind == "DeliveryDelay":
            event["deliveryDelay"] = {"timestamp": at, "delayType": "TransientCommunicationFailure",
                                      "expirationTime": "2026-11-25T12:00:00.000Z", "reportingMTA": "a8-59.smtp-out.amazonses.com",
                                      "delayedRecipients": [{"emailAddress": r, "status": "4.4.1",
                                                             "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host"} for r in recipients]}
        elif kind in ("Open", "Click"):
            engagement = {"timestamp": at, "ipAddress": "203.0.113.45",
                          "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1"}
            if kind == "Click":
                engagement["link"] = f"https://shop.example.com/orders/{n}/track?utm_source=ses&utm_medium=email&utm_campaign=shipping-{n % 5}&utm_content=button"
                engagement["linkTags"] = {"campaign": [f"shipping-{n % 5}"]}
            event[kind.lower()] = engagement
        messages.append(json.dumps(event, separators=(",", ":")))
    return messages


def sendgrid_mix() -> bytes:
    """SendGrid events with long URLs, user agents and custom arguments."""
    names = ["processed", "delivered", "open", "click", "bounce", "deferred", "dropped", "spamreport", "unsubscribe"]
    events = []
    for i in range(1000):
        name = names[i % len(names)]
        event = {"email": f"customer{i}@{['gmail.com', 'example.org', 'corp.example.com'][i % 3]}",
                 "timestamp": 1795521600 + i, "event": name,
                 "smtp-id": f"<Abc{i:06d}XyZ_QwErTy@geopod-ismtpd-5-0>",
                 "sg_event_id": f"ZGVsaXZlcmVkLTAtMjg4NTcyMDMtQWJj{i:06d}",
                 "sg_message_id": f"Abc{i // 3:06d}XyZ_QwErTy.recvd-5f8c7d6b5-abcde-1-6742F0A1-{i % 40}.0",
                 "category": ["transactional", f"shipping-{i % 5}"], "send_at": 0, "tls": 1,
                 "order_id": f"ORD-{100000 + i}", "customer_tier": ["gold", "silver", "bronze"][i % 3]}
        if name in ("open", "click"):
            event["useragent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
            event["ip"] = "203.0.113.45"
            event["sg_machine_open"] = False
        if name == "click":
            event["url"] = (f"https://shop.example.com/orders/{i}/track?utm_source=sendgrid&utm_medium=email&utm_campaign=shipping-{i % 5}"
                            f"&utm_content=button&ref=ZXhhbXBsZS1yZWZlcnJhbC10b2tlbi0{i:06d}&lang=en-US")
            event["url_offset"] = {"index": 1, "type": "html"}
        if name == "delivered":
            event["response"] = "250 2.0.0 OK  1795521605 d9443c01a7336-2b0c7c1f8a1si123456pla.1 - gsmtp"
            event["ip"] = "149.72.123.45"
        if name == "bounce":
            event.update(type="bounce", status="5.1.1", bounce_classification="Invalid Address",
                         reason="550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.")
        if name == "deferred":
            event.update(attempt="3", response="421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.")
        if name == "dropped":
            event["reason"] = "Bounced Address"
        if name == "unsubscribe":
            event["asm_group_id"] = 12345
        events.append(event)
    return ("[" + ",\r\n".join(json.dumps(e, separators=(",", ":")) for e in events) + "]\r\n").encode()


ONE_EVENT_PROVIDERS = ["mailgun", "postmark", "resend", "mailjet", "brevo"]
# Every provider benchmarked on its documented samples, one request each (SparkPost's and
# Mandrill's samples are batches, as they post them; Mandrill's form-encoded).
EACH_PROVIDERS = ONE_EVENT_PROVIDERS + ["sparkpost", "mailersend", "mandrill", "postal", "smtp2go", "ahasend"]


def fixtures(provider):
    """A provider's single-event samples, in name order (Mailjet's grouped and Brevo's batched
    sample left out: django-anymail reads one event per request for Brevo)."""
    return [(p.name, json.loads(p.read_text())) for p in sorted((ROOT / "fixtures" / provider).glob("*.json"))
            if p.name not in ("grouped.json", "batch.json")]


def each(provider):
    """The samples as bench inputs. Brevo's `X-Mailin-custom` header is made JSON, as anymail
    expects it (the docs' sample holds plain text there)."""
    out = []
    for name, event in fixtures(provider):
        if provider == "brevo" and "X-Mailin-custom" in event:
            event = dict(event, **{"X-Mailin-custom": json.dumps({"order": "ORD-100042"})})
        body = json.dumps(event, separators=(",", ":"))
        if provider == "mandrill":
            body = urllib.parse.urlencode({"mandrill_events": body})
        out.append((name, body))
    return out


def varied(provider, event, i):
    """One sample sent to another recipient, for another message, at another time."""
    event = copy.deepcopy(event)
    address = f"customer{i}@{['gmail.com', 'example.org', 'corp.example.com'][i % 3]}"
    t = 1795521600 + i
    if provider == "mailgun":
        data = event["event-data"]
        data["recipient"] = address
        data["timestamp"] = t + 0.123
        data["id"] = f"evt{i:010d}"
        data.setdefault("message", {}).setdefault("headers", {})["message-id"] = f"{20261124120000 + i}.1.ABCDEF@mg.example.com"
        event["signature"] = {"timestamp": str(t), "token": f"{i:050x}", "signature": "0" * 64}
    elif provider == "postmark":
        for field in ("Recipient", "Email"):
            if field in event:
                event[field] = address
        event["MessageID"] = f"883953f4-6105-42a2-a16a-{i:012x}"
    elif provider == "resend":
        event["data"]["to"] = [address]
        event["data"]["email_id"] = f"aaaaaaaa-bbbb-cccc-dddd-{i:012x}"
        event["created_at"] = f"2026-11-24T12:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
    elif provider == "mailjet":
        event["email"] = address
        event["time"] = t
        event["MessageID"] = 19421777396190490 + i
    elif provider == "brevo":
        event["email"] = address
        event["message-id"] = f"<{20261124120000 + i}.{i}@smtp-relay.mailin.fr>"
        event["ts_epoch"] = t * 1000 + 321
    return event


def mix(provider, n=600):
    """The realistic mix: the samples cycled over n recipients and n / 3 messages, one request
    each; Mailjet's grouped webhook posts them 100 a request."""
    samples = [e for _, e in fixtures(provider)]
    events = [varied(provider, samples[i % len(samples)], i) for i in range(n)]
    if provider == "mailjet":
        return [json.dumps(events[k:k + 100], separators=(",", ":")) for k in range(0, n, 100)]
    return [json.dumps(e, separators=(",", ":")) for e in events]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sendgrid-1000.json").write_bytes(sendgrid())
    (OUT / "sendpulse-1000.json").write_bytes(sendpulse())
    # The realistic mix the cost model measures item sizes on.
    (OUT / "mix-ses.json").write_text(json.dumps(ses_mix()))
    (OUT / "mix-sendgrid.json").write_bytes(sendgrid_mix())
    (OUT / "mix-sendpulse.json").write_bytes(sendpulse())
    for provider in EACH_PROVIDERS:
        folder = OUT / "each" / provider
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
        for name, body in each(provider):
            (folder / name).write_text(body)
    for provider in ONE_EVENT_PROVIDERS:
        (OUT / f"mix-{provider}.json").write_text(json.dumps(mix(provider)))


if __name__ == "__main__":
    main()

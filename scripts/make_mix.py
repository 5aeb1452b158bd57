#!/usr/bin/env python3
"""Writes a realistic sending mix to target/mix/: 10,400 events over all eight providers, as
each posts them (SES notifications as SNS messages, SendGrid and SendPulse batches, Mailjet's
grouped posts, one event a request for the others), mostly deliveries, over seven days, to a
recipient domain distribution like a consumer-and-business sender's: the big mailbox providers'
own domains, companies hosted at Google Workspace and Microsoft 365, companies behind
Proofpoint and Mimecast gateways, self-hosted mail, and domains with no MX at all.

  requests.json  [{"provider": ..., "body": ...}, ...] in sending order
  mx.txt         one `domain=priority:exchange` line per custom domain, for scripts/dns_server.py

Byte for byte the same on every run (a seeded generator)."""
import datetime
import json
import pathlib
import random

import bench_data

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "mix"
START = 1795132800  # 2026-11-20T00:00:00Z
SPAN = 7 * 86400

CONSUMER = [
    ("gmail.com", 300), ("yahoo.com", 45), ("aol.com", 10), ("yahoo.co.uk", 5), ("hotmail.com", 45),
    ("outlook.com", 40), ("live.com", 10), ("msn.com", 5), ("icloud.com", 35), ("me.com", 5),
    ("gmx.de", 15), ("web.de", 15), ("comcast.net", 10), ("orange.fr", 8), ("proton.me", 5),
    ("yandex.ru", 4), ("qq.com", 4), ("att.net", 5), ("t-online.de", 6), ("free.fr", 4),
]
GOOGLE = [f"northwind{k}.test" for k in range(40)]
MICROSOFT = [f"contoso{k}.test" for k in range(30)]
GATEWAYS = [f"fabrikam{k}.test" for k in range(5)] + [f"tailspin{k}.test" for k in range(5)]
SELF_HOSTED = [f"selfhosted{k}.test" for k in range(10)]
NO_MX = [f"nomx{k}.test" for k in range(3)]


def domains():
    """(domain, weight), of 966: 59.6 % consumer, 17.6 % Google-hosted, 14.5 % Microsoft-hosted,
    5.2 % behind a gateway, 2.1 % self-hosted, 1.0 % with no MX (gone or mistyped)."""
    weights = list(CONSUMER)
    weights += [(d, 170 / len(GOOGLE)) for d in GOOGLE]
    weights += [(d, 140 / len(MICROSOFT)) for d in MICROSOFT]
    weights += [(d, 50 / len(GATEWAYS)) for d in GATEWAYS]
    weights += [(d, 20 / len(SELF_HOSTED)) for d in SELF_HOSTED]
    weights += [(d, 10 / len(NO_MX)) for d in NO_MX]
    return weights


def mx_lines():
    lines = [f"{d}=1:aspmx.l.google.com" for d in GOOGLE]
    lines += [f"{d}=5:alt1.aspmx.l.google.com" for d in GOOGLE[:10]]
    lines += [f"{d}=0:{d.replace('.', '-')}.mail.protection.outlook.com" for d in MICROSOFT]
    lines += [f"{d}=10:mx0a-0012{k}.pphosted.com" for k, d in enumerate(GATEWAYS[:5])]
    lines += [f"{d}=10:eu-smtp-inbound-1.mimecast.com" for d in GATEWAYS[5:]]
    lines += [f"{d}=10:mail.{d}" for d in SELF_HOSTED]
    return lines


class Mix:
    def __init__(self):
        self.rng = random.Random(7)
        names, weights = zip(*domains())
        self.names, self.weights = list(names), list(weights)
        self.n = 0

    def address(self):
        self.n += 1
        domain = self.rng.choices(self.names, self.weights)[0]
        return f"reader{self.n}@{domain}"

    def time(self):
        return START + self.rng.randrange(SPAN)


# How often each kind of event comes, per 1,000 deliveries: a sender in good standing (about
# 1 % bounces, 0.1 % complaints), as the providers' dashboards show them.
WEIGHTS = [("undeliver", 8), ("complain", 1), ("spam", 1), ("unsub", 3), ("open", 200), ("click", 40), ("deliver", 1000),
           ("sent", 1000), ("bounce", 8), ("fail", 8), ("block", 3), ("reject", 3), ("invalid", 3),
           ("error", 3), ("defer", 10), ("delay", 10), ("request", 5), ("accepted", 5), ("subscri", 2)]


def weight(name):
    """The weight of a sample by its file or event name."""
    return next((w for key, w in WEIGHTS if key in name.lower()), 3)


def weighted_samples(provider):
    """A provider's samples, weighted as a real sender's events come."""
    return [(weight(name), event) for name, event in bench_data.fixtures(provider)]


def one_event(provider, mix, i, event):
    event = bench_data.varied(provider, event, 100000 + i)
    address, t = mix.address(), mix.time()
    iso = lambda: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if provider == "mailgun":
        event["event-data"]["recipient"] = address
        event["event-data"]["timestamp"] = t + 0.5
    elif provider == "postmark":
        for field in ("Recipient", "Email"):
            if field in event:
                event[field] = address
        for field in ("DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt"):
            if field in event:
                event[field] = iso()
    elif provider == "resend":
        event["data"]["to"] = [address]
        event["created_at"] = iso()
    elif provider == "mailjet":
        event["email"] = address
        event["time"] = t
    elif provider == "brevo":
        event["email"] = address
        event["ts_epoch"] = t * 1000
        event.pop("date", None)
        event.pop("ts", None)
        event.pop("ts_event", None)
    return event


def ses_message(mix, n):
    kinds = ["Send"] * 300 + ["Delivery"] * 300 + ["Open"] * 60 + ["Click"] * 12 + ["Bounce"] * 3 + ["Complaint"]
    kind = kinds[(n * 7919) % len(kinds)]
    recipients = [mix.address() for _ in range(1 + (n % 5 == 0))]
    t = mix.time()
    at = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    mail = {
        "timestamp": at, "source": "Example Shop <orders@shop.example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/shop.example.com",
        "sendingAccountId": "123456789012", "messageId": f"0100018c2f3e4a5b-{n:08x}-mix0-0000-000000000000-000000",
        "destination": recipients, "headersTruncated": False,
        "commonHeaders": {"from": ["Example Shop <orders@shop.example.com>"], "to": recipients,
                          "subject": f"Order {n}"},
        "tags": {"ses:configuration-set": ["transactional" if n % 3 else "marketing"],
                 "ses:from-domain": ["shop.example.com"], "campaign": [f"c{n % 4}"]},
    }
    event = {"eventType": kind, "mail": mail}
    if kind == "Delivery":
        event["delivery"] = {"timestamp": at, "processingTimeMillis": 812, "recipients": recipients,
                             "smtpResponse": "250 2.0.0 OK", "reportingMTA": "a8-59.smtp-out.amazonses.com"}
    elif kind == "Bounce":
        event["bounce"] = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": at,
                           "feedbackId": f"0100018c2f3e4a5c-{n:08x}-feedback", "bouncedRecipients": [
                               {"emailAddress": r, "action": "failed", "status": "5.1.1",
                                "diagnosticCode": f"smtp; 550 5.1.1 <{r}>: user unknown"} for r in recipients]}
    elif kind == "Complaint":
        event["complaint"] = {"timestamp": at, "feedbackId": f"0100018c2f3e4a5d-{n:08x}-feedback",
                              "complaintFeedbackType": "abuse", "complainedRecipients": [{"emailAddress": recipients[0]}]}
    elif kind in ("Open", "Click"):
        event[kind.lower()] = {"timestamp": at, "ipAddress": "203.0.113.45", "userAgent": "Mozilla/5.0"}
        if kind == "Click":
            event["click"]["link"] = f"https://shop.example.com/o/{n}"
    elif kind == "Send":
        event["send"] = {}
    return event, len(recipients)


def sendgrid_batch(mix, first, size):
    seed = json.loads((ROOT / "fixtures" / "sendgrid" / "seed-batch.json").read_text())
    weighted = [e for e in seed for _ in range(weight(e["event"]))]
    events = []
    for i in range(first, first + size):
        event = dict(mix.rng.choice(weighted))
        event["email"] = mix.address()
        event["timestamp"] = mix.time()
        event["sg_event_id"] = f"bWl4LWV2ZW50{i:08d}"
        event["sg_message_id"] = f"mix{i:07d}AbCdEfGh.filterdrecv-1-60F38A19-27.0"
        events.append(event)
    return json.dumps(events, separators=(",", ":"))


def sendpulse_batch(mix, first, size):
    names = [n for n in ["delivered", "opened", "clicked", "undelivered", "spam_by_user", "unsubscribed"] for _ in range(weight(n))]
    events = []
    for i in range(first, first + size):
        name = mix.rng.choice(names)
        event = {"event": name, "timestamp": mix.time(), "message_id": 2149317311 + i,
                 "recipient": mix.address(), "sender": "news@shop.example.com", "subject": "hello"}
        if name in ("delivered", "undelivered"):
            event.update(smtp_server_response_code="250" if name == "delivered" else "550",
                         smtp_server_response_subcode="" if name == "delivered" else "5.1.1",
                         smtp_server_response="ok" if name == "delivered" else "user unknown")
        events.append(event)
    return json.dumps(events, separators=(",", ":"))


def requests():
    mix = Mix()
    out = []
    events = 0
    n = 0
    while events < 2500:
        event, count = ses_message(mix, n)
        out.append({"provider": "ses", "body": json.dumps(event, separators=(",", ":"))})
        events += count
        n += 1
    for k in range(10):
        out.append({"provider": "sendgrid", "body": sendgrid_batch(mix, k * 250, 250)})
    for k in range(8):
        out.append({"provider": "sendpulse", "body": sendpulse_batch(mix, k * 100, 100)})
    for provider, count in [("mailgun", 1000), ("postmark", 1000), ("mailjet", 1000), ("brevo", 800), ("resend", 800)]:
        samples = weighted_samples(provider)
        weights = [w for w, _ in samples]
        bodies = [one_event(provider, mix, i, mix.rng.choices([e for _, e in samples], weights)[0]) for i in range(count)]
        if provider == "mailjet":
            out += [{"provider": provider, "body": json.dumps(bodies[k:k + 50], separators=(",", ":"))}
                    for k in range(0, count, 50)]
        else:
            out += [{"provider": provider, "body": json.dumps(b, separators=(",", ":"))} for b in bodies]
    mix.rng.shuffle(out)
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "requests.json").write_text(json.dumps(requests()))
    (OUT / "mx.txt").write_text("\n".join(mx_lines()) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the zstd raw-content dictionaries that compress each provider's raw event JSON
(src/store/dictionaries/<provider>-<version>.dict): the documented examples of each provider,
in the compact form providers send, most common shapes last (zstd favours the dictionary's end).

A dictionary is part of the data contract: items name the one they were compressed with
(`raw_codec`), so a changed dictionary is a new version file, and old versions stay for reading.
This script rewrites every version it knows and refuses to change a file that already exists.

Versions: ses-1, sendgrid-1, sendpulse-1, mailgun-1, postmark-1, resend-1, mailjet-1, brevo-1,
sparkpost-1, mailersend-1, mandrill-1, postal-1, smtp2go-1, ahasend-1 (the documented examples,
from fixtures/<provider>/); ses-2 adds, before the
examples, the shapes real SES events repeat that the documented examples lack: common header
names and fixed values, SES's own host names and message tags, SMTP replies and the user agents
most opens and clicks carry. Nothing in it is specific to one sender.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "store" / "dictionaries"
CURRENT = {"ses": 2, "sendgrid": 1, "sendpulse": 1, "mailgun": 1, "postmark": 1, "resend": 1, "mailjet": 1, "brevo": 1,
           "sparkpost": 1, "mailersend": 1, "mandrill": 1, "postal": 1, "smtp2go": 1, "ahasend": 1}
# Providers whose dictionary is their fixtures, as they are: every event of every file.
FROM_FIXTURES = ["mailgun", "postmark", "resend", "mailjet", "brevo", "sparkpost", "mailersend", "mandrill",
                 "postal", "smtp2go", "ahasend"]

# What real SES events repeat beyond the documented examples (ses-2). Generic: header names with
# their fixed values, SES host names and tags, common SMTP replies and user agents.
SES_COMMON_SHAPES = [
    '"headersTruncated":false,"headers":[',
    '{"name":"Received","value":"from ',
    ' by inbound-smtp.us-east-1.amazonaws.com with SMTP id ',
    '{"name":"Return-Path","value":"<',
    '@amazonses.com>"}',
    '{"name":"Reply-To","value":"',
    '{"name":"MIME-Version","value":"1.0"}',
    '{"name":"Content-Type","value":"multipart/alternative; boundary=\\"----=_Part_',
    '{"name":"Content-Type","value":"multipart/mixed; boundary=\\"',
    '{"name":"Content-Type","value":"text/html; charset=UTF-8"}',
    '{"name":"Content-Transfer-Encoding","value":"quoted-printable"}',
    '{"name":"List-Unsubscribe","value":"<https://',
    '>, <mailto:',
    '{"name":"List-Unsubscribe-Post","value":"List-Unsubscribe=One-Click"}',
    '{"name":"X-SES-CONFIGURATION-SET","value":"',
    '{"name":"X-SES-MESSAGE-TAGS","value":"',
    '{"name":"Feedback-ID","value":"1.us-east-1.',
    '=:AmazonSES"}',
    '{"name":"Message-ID","value":"<',
    '@email.amazonses.com>"}',
    '{"name":"Date","value":"',
    '"commonHeaders":{"from":["',
    '"replyTo":["',
    '"tags":{"ses:operation":["SendRawEmail"],"ses:configuration-set":["',
    '"ses:operation":["SendEmail"]',
    '"ses:operation":["SendBulkTemplatedEmail"]',
    '"ses:source-ip":["',
    '"ses:from-domain":["',
    '"ses:caller-identity":["',
    '"ses:outgoing-ip":["',
    '"processingTimeMillis":',
    '"smtpResponse":"250 2.0.0 OK ',
    ' - gsmtp"',
    '"reportingMTA":"a8-',
    '.smtp-out.amazonses.com","remoteMtaIp":"',
    '"reportingMTA":"dns; a8-',
    '"action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550-5.1.1 The email account that you tried to reach does not exist.',
    '"delayType":"TransientCommunicationFailure","expirationTime":"',
    '"diagnosticCode":"smtp; 421 4.4.1 Unable to connect to remote host"',
    '"complaintFeedbackType":"abuse","userAgent":"Yahoo!-Mail-Feedback/2.0","arrivalDate":"',
    '"ipAddress":"',
    '"userAgent":"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"',
    '"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/',
    ' Safari/537.36"',
    '"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS ',
    ' like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"',
    ' like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/',
    ' Mobile/15E148 Safari/604.1"',
    '?utm_source=',
    '&utm_medium=email&utm_campaign=',
    '"linkTags":{',
]


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def samples() -> dict:
    """Each provider's documented examples, in the compact form providers send."""
    ses_order = ["subscription", "rendering-failure", "reject", "send", "delivery-delay", "click", "open",
                 "complaint", "delivery", "bounce"]
    ses = [compact(json.loads((ROOT / "fixtures" / "ses" / f"notification-{n}.json").read_text()))
           for n in ["complaint", "delivery", "bounce"]]
    ses += [compact(json.loads((ROOT / "fixtures" / "ses" / f"event-{n}.json").read_text())) for n in ses_order]
    sendgrid_events = json.loads((ROOT / "fixtures" / "sendgrid" / "seed-batch.json").read_text())
    sendgrid = [compact(e) for e in reversed(sendgrid_events)]
    sendpulse = []
    for path in sorted((ROOT / "fixtures" / "sendpulse").glob("*.json")):
        text = path.read_text().strip().rstrip(",")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = json.loads(text.rstrip("]").rstrip().rstrip(",") + "]")
        sendpulse += [compact(e) for e in (value if isinstance(value, list) else [value])]
    out = {"ses": ses, "sendgrid": sendgrid, "sendpulse": sendpulse}
    for provider in FROM_FIXTURES:
        events = []
        for path in sorted((ROOT / "fixtures" / provider).glob("*.json")):
            value = json.loads(path.read_text())
            events += [compact(e) for e in (value if isinstance(value, list) else [value])]
        out[provider] = events
    return out


def dictionary(provider: str, version: int, examples: dict) -> bytes:
    parts = list(examples[provider])
    if provider == "ses" and version >= 2:
        parts = SES_COMMON_SHAPES + parts
    return "\n".join(parts).encode()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    examples = samples()
    for provider, current in CURRENT.items():
        for version in range(1, current + 1):
            data = dictionary(provider, version, examples)
            path = OUT / f"{provider}-{version}.dict"
            if path.exists() and path.read_bytes() != data:
                raise SystemExit(f"{path.name} exists with other content: add a new version instead")
            path.write_bytes(data)
            print(f"{path.name}: {len(data)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Builds the ready-to-invoke Lambda events in events/ from the provider examples in fixtures/.

SES examples become SNS Lambda events; SendGrid and SendPulse examples become HTTP API
(payload 2.0) requests to their webhook routes. Run it after changing fixtures/.
"""
import json
import pathlib
import subprocess
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EVENTS = ROOT / "events"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events"
RECEIVED = "2026-11-24T12:00:00.000Z"
SIGNED_AT = "1795521600"  # 2026-11-24T12:00:00Z; invoke with SENDGRID_MAX_AGE_SECONDS=0 after a day
SENDPULSE_TOKEN = "demo-sendpulse-token-change-me"


def sendgrid_headers(body_path: pathlib.Path) -> dict:
    """Signs with the demo key through the sign_sendgrid example."""
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--example", "sign_sendgrid", "--",
         str(EVENTS / "demo-sendgrid-signing-key.p8"), str(body_path), SIGNED_AT],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    return {
        "x-twilio-email-event-webhook-timestamp": out[0],
        "x-twilio-email-event-webhook-signature": out[1],
    }


def stable_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailtrail/{name}"))


def sns_event(name: str, message: str) -> dict:
    message_id = stable_id(name)
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{TOPIC_ARN}:{stable_id('subscription')}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": TOPIC_ARN,
                    "Subject": None,
                    "Message": message,
                    "Timestamp": RECEIVED,
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
                    "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC_ARN}:EXAMPLE",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def http_event(name: str, path: str, body: str, query: dict, headers: dict) -> dict:
    raw_query = "&".join(f"{k}={v}" for k, v in query.items())
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/{provider}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {"content-type": "application/json", "user-agent": "mailtrail-sample", **headers},
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "example",
            "domainName": "example.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "example",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "mailtrail-sample",
            },
            "requestId": stable_id(name),
            "routeKey": "POST /webhooks/{provider}",
            "stage": "$default",
            "time": "24/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795521600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def write(name: str, event: dict) -> None:
    path = EVENTS / f"{name}.json"
    path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
    print(path.relative_to(ROOT))


def main() -> None:
    EVENTS.mkdir(exist_ok=True)
    for fixture in sorted((FIXTURES / "ses").iterdir()):
        write(f"ses-{fixture.stem}", sns_event(fixture.stem, fixture.read_text()))
    sendgrid_path = FIXTURES / "sendgrid" / "seed-batch.json"
    write(
        "sendgrid-batch",
        http_event("sendgrid-batch", "/webhooks/sendgrid", sendgrid_path.read_text(), {}, sendgrid_headers(sendgrid_path)),
    )
    for fixture in sorted((FIXTURES / "sendpulse").iterdir()):
        name = f"sendpulse-{fixture.stem}"
        query = {"token": SENDPULSE_TOKEN}
        write(name, http_event(name, "/webhooks/sendpulse", fixture.read_text(), query, {}))
    for fixture in sorted((FIXTURES / "sns").glob("*.json")):
        name = f"sns-https-{fixture.stem}"
        sns_type = json.loads(fixture.read_text())["Type"]
        headers = {"x-amz-sns-message-type": sns_type, "content-type": "text/plain; charset=UTF-8"}
        write(name, http_event(name, "/webhooks/ses", fixture.read_text(), {}, headers))


if __name__ == "__main__":
    main()

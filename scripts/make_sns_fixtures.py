#!/usr/bin/env python3
"""Signs the SNS HTTPS test messages in fixtures/sns/ with the test key there (openssl CLI).

The certificate SimpleNotificationService-6d61696c747261696c2d74657374.pem is self-signed and exists only for
tests and the demo: verification finds it through SNS_CERT_DIR, as a function without internet
egress would. Re-run after changing a message.
"""
import base64
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
SNS = ROOT / "fixtures" / "sns"
KEY = SNS / "test-sns-signing-key.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-6d61696c747261696c2d74657374.pem"
SIGNED_KEYS = ["Message", "MessageId", "Subject", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def sign(message: dict) -> dict:
    canonical = "".join(f"{k}\n{message[k]}\n" for k in SIGNED_KEYS if k in message)
    digest = {"1": "-sha1", "2": "-sha256"}[message["SignatureVersion"]]
    signature = subprocess.run(
        ["openssl", "dgst", digest, "-sign", str(KEY)], input=canonical.encode(), capture_output=True, check=True
    ).stdout
    return {**message, "Signature": base64.b64encode(signature).decode(), "SigningCertURL": CERT_URL}


def main() -> None:
    ses_bounce = (ROOT / "fixtures" / "ses" / "event-bounce.json").read_text()
    token = "2336412f37fb687f5d51e6e2425dacbba9e4f6c4c6d1d9a2f1b5a9e1c0a0b0c0d0e0f"
    messages = {
        "notification-v1": {
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": TOPIC,
            "Message": ses_bounce,
            "Timestamp": "2026-11-24T12:00:00.000Z",
            "SignatureVersion": "1",
            "UnsubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC}:sub",
        },
        "notification-v2": {
            "Type": "Notification",
            "MessageId": "d6ac5c66-1f57-4a8c-b5d8-0a6b7f6b1a11",
            "TopicArn": TOPIC,
            "Subject": "Amazon SES Email Event Notification",
            "Message": ses_bounce,
            "Timestamp": "2026-11-24T12:00:01.000Z",
            "SignatureVersion": "2",
            "UnsubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC}:sub",
        },
        "subscription-confirmation": {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": token,
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}",
            "Timestamp": "2026-11-24T11:59:00.000Z",
            "SignatureVersion": "1",
        },
        "unsubscribe-confirmation": {
            "Type": "UnsubscribeConfirmation",
            "MessageId": "47138184-6831-46b8-8f7c-afc488602d7d",
            "Token": token,
            "TopicArn": TOPIC,
            "Message": f"You have chosen to deactivate subscription {TOPIC}:sub.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}",
            "Timestamp": "2026-11-24T12:10:00.000Z",
            "SignatureVersion": "2",
        },
    }
    messages["notification-not-ses"] = {
        **messages["notification-v1"],
        "MessageId": "0f8c1f5e-8e4a-4b0e-9f7a-0c1d2e3f4a5b",
        "Message": '{"hello": "this topic also carries messages that are not SES events"}',
    }
    messages["unknown-type"] = {
        **messages["notification-v1"],
        "Type": "SomethingNew",
        "MessageId": "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716",
    }
    for name, message in messages.items():
        path = SNS / f"{name}.json"
        path.write_text(json.dumps(sign(message), indent=2) + "\n")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

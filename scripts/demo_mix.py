#!/usr/bin/env python3
"""The demo's realistic sending mix (target/mix/requests.json, scripts/make_mix.py) posted to
the local function as each provider sends it, signed now with the demo secrets: SES as SNS
Lambda events, the webhooks over the function URL. Eight requests at a time.

  post FUNCTION_PORT        post every request; print what came back, per provider
Secrets come from the demo's variables (SENDPULSE_TOKEN, MAILGUN_KEY, MAILGUN_URL_TOKEN,
POSTMARK_TOKEN, RESEND_SECRET, MAILJET_TOKEN, BREVO_TOKEN, TOPIC).
"""
import base64
import collections
import concurrent.futures
import hashlib
import hmac
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent


def send(url, body, headers):
    request = urllib.request.Request(url, data=body.encode(), headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sendgrid_headers(body):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(body)
    out = subprocess.run(["cargo", "run", "--quiet", "--example", "sign_sendgrid", "--",
                          str(ROOT / "events" / "demo-sendgrid-signing-key.p8"), f.name],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
    os.unlink(f.name)
    return {"X-Twilio-Email-Event-Webhook-Timestamp": out[0], "X-Twilio-Email-Event-Webhook-Signature": out[1]}


def post(port, n, provider, body):
    env = os.environ
    base = f"http://127.0.0.1:{port}/lambda-url/mailtrail-lambda/webhooks"
    if provider == "ses":
        event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{env['TOPIC']}:demo",
                              "Sns": {"Type": "Notification", "MessageId": f"demo-mix-{n}", "TopicArn": env["TOPIC"],
                                      "Subject": None, "Message": body, "Timestamp": "2026-11-24T12:00:00.000Z",
                                      "SignatureVersion": "1", "Signature": "EXAMPLE", "SigningCertUrl": "",
                                      "UnsubscribeUrl": "", "MessageAttributes": {}}}]}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions/mailtrail-lambda/invocations",
                                         data=json.dumps(event).encode(), headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = response.read()
        return 200 if b"errorMessage" not in answer else 500
    if provider == "sendgrid":
        return send(f"{base}/sendgrid", body, sendgrid_headers(body))
    if provider == "sendpulse":
        return send(f"{base}/sendpulse?token={env['SENDPULSE_TOKEN']}", body, {})
    if provider == "mailgun":
        value = json.loads(body)
        timestamp, token = str(int(time.time())), f"demo-mix-{n:044d}"
        signature = hmac.new(env["MAILGUN_KEY"].encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
        value["signature"] = {"timestamp": timestamp, "token": token, "signature": signature}
        return send(f"{base}/mailgun", json.dumps(value), {"authorization": basic("mailgun", env["MAILGUN_URL_TOKEN"])})
    if provider == "postmark":
        return send(f"{base}/postmark", body, {"authorization": basic("mailtrail", env["POSTMARK_TOKEN"])})
    if provider == "mailjet":
        return send(f"{base}/mailjet?token={env['MAILJET_TOKEN']}", body, {})
    if provider == "brevo":
        return send(f"{base}/brevo", body, {"authorization": f"Bearer {env['BREVO_TOKEN']}"})
    if provider == "resend":
        secret = base64.b64decode(env["RESEND_SECRET"].removeprefix("whsec_"))
        svix_id, timestamp = f"msg_demo_mix_{n}", str(int(time.time()))
        signed = hmac.new(secret, f"{svix_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
        return send(f"{base}/resend", body, {"svix-id": svix_id, "svix-timestamp": timestamp,
                                             "svix-signature": "v1," + base64.b64encode(signed).decode()})
    raise SystemExit(f"no provider {provider}")


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "post":
        sys.exit(__doc__)
    port = sys.argv[2]
    requests = json.loads((ROOT / "target" / "mix" / "requests.json").read_text())
    statuses = collections.defaultdict(collections.Counter)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = {pool.submit(post, port, n, r["provider"], r["body"]): r["provider"] for n, r in enumerate(requests)}
        for future in concurrent.futures.as_completed(futures):
            statuses[futures[future]][future.result()] += 1
    for provider, counts in sorted(statuses.items()):
        print(f"{provider:10} {sum(counts.values()):5} requests: " + ", ".join(f"HTTP {s} × {c}" for s, c in sorted(counts.items())))
    if any(s != 200 for counts in statuses.values() for s in counts):
        sys.exit("some requests were not stored")


if __name__ == "__main__":
    main()

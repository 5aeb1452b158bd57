#!/usr/bin/env python3
"""Writes the benchmark inputs to target/bench/: a 1,000-event SendGrid batch and a 1,000-event
SendPulse batch, varied from the providers' samples, byte for byte the same on every run."""
import json
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


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sendgrid-1000.json").write_bytes(sendgrid())
    (OUT / "sendpulse-1000.json").write_bytes(sendpulse())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the zstd raw-content dictionaries that compress each provider's raw event JSON
(src/store/dictionaries/<provider>-<version>.dict): the documented examples of each provider,
in the compact form providers send, most common shapes last (zstd favours the dictionary's end).

A dictionary is part of the data contract: items name the one they were compressed with
(`raw_codec`), so a changed dictionary is a new version file, and old versions stay for reading.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "store" / "dictionaries"
VERSION = 1


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
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
    for name, samples in [("ses", ses), ("sendgrid", sendgrid), ("sendpulse", sendpulse)]:
        data = "\n".join(samples).encode()
        (OUT / f"{name}-{VERSION}.dict").write_bytes(data)
        print(f"{name}-{VERSION}.dict: {len(data)} bytes from {len(samples)} samples")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Summarizes the CloudWatch EMF lines the function printed (as CloudWatch would sum them):
events by provider and kind, hard-bounce and complaint rates next to SES's thresholds, and
what was refused or quarantined. Usage: emf_summary.py LOG_FILE"""
import collections
import json
import sys

SES_BOUNCE = (0.05, 0.10)
SES_COMPLAINT = (0.001, 0.005)


def emf_lines(path):
    for raw in open(path, encoding="utf-8", errors="replace"):
        start = raw.find("{")
        if start < 0 or '"_aws"' not in raw:
            continue
        try:
            value = json.loads(raw[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "CloudWatchMetrics" in value.get("_aws", {}):
            yield value


def main():
    events = collections.defaultdict(collections.Counter)
    totals = collections.defaultdict(collections.Counter)
    rejected = collections.Counter()
    store = collections.Counter()
    lines = 0
    for value in emf_lines(sys.argv[1]):
        lines += 1
        provider = value.get("Provider")
        if "Event" in value:
            events[provider][value["Event"]] += value["Events"]
        elif provider:
            for name in ["HardBounces", "Complaints", "Delivered", "Quarantined", "Duplicates"]:
                totals[provider][name] += value.get(name, 0)
        elif "Rejected" in value:
            rejected[(value["Channel"], value["Reason"])] += value["Rejected"]
        else:
            store["StoreRetries"] += value.get("StoreRetries", 0)
            store["StoreFailures"] += value.get("StoreFailures", 0)
    print(f"{lines} EMF lines read from the function's output\n")
    print(f"{'provider':<10} {'hard-bounce rate':>16} {'complaint rate':>15}  events by kind")
    for provider in sorted(set(events) | set(totals)):
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(events[provider].items()))
        t = totals[provider]
        base = t["Delivered"] + t["HardBounces"]
        rate = lambda n: f"{n / base:.1%}" if base else "n/a"
        print(f"{provider:<10} {rate(t['HardBounces']):>16} {rate(t['Complaints']):>15}  {kinds}")
    print(f"\nSES thresholds: bounce rate review {SES_BOUNCE[0]:.0%}, pause {SES_BOUNCE[1]:.0%}; "
          f"complaint rate review {SES_COMPLAINT[0]:.1%}, pause {SES_COMPLAINT[1]:.1%}. "
          "(The samples are one of each kind, so their rates say nothing about a real sender.)")
    quarantined = {p: t["Quarantined"] for p, t in totals.items() if t["Quarantined"]}
    print(f"rejected: {dict(sorted((f'{c}/{r}', n) for (c, r), n in rejected.items())) or 'none'}; "
          f"quarantined: {quarantined or 'none'}; store retries {store['StoreRetries']}, failures {store['StoreFailures']}")


if __name__ == "__main__":
    main()

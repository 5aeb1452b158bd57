#!/usr/bin/env python3
"""Checks template.yaml's dashboard and alarms against the metrics the function emits.

The dashboard body must be valid JSON once CloudFormation's ${...} substitutions are made, and
every metric it or an alarm names in mailtrail's namespace must be one the function writes
(METRIC_NAMES in src/metrics.rs). Run by `make lint`; exits non-zero on a mismatch."""
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Loader(yaml.SafeLoader):
    pass


def tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


Loader.add_multi_constructor("!", tagged)


def main() -> int:
    emitted = set(re.findall(r'pub const [A-Z_]+: &str = "([A-Za-z]+)";', (ROOT / "src" / "metrics.rs").read_text()))
    emitted.discard("Mailtrail")
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    resources = template["Resources"]
    problems = []

    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Sub"]
    dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "PLACEHOLDER", body))
    named = set()
    for widget in dashboard["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if isinstance(metric[0], str) and metric[0] == "PLACEHOLDER":
                named.add(metric[1])
            for part in metric:
                if isinstance(part, dict) and "expression" in part:
                    named.update(re.findall(r'MetricName="([A-Za-z.]+)"', part["expression"]))
    for name, resource in resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        if props.get("Namespace") == {"Ref": "MetricsNamespace"}:
            named.add(props["MetricName"])
        for metric in props.get("Metrics", []):
            stat = metric.get("MetricStat", {}).get("Metric", {})
            if stat.get("Namespace") == {"Ref": "MetricsNamespace"}:
                named.add(stat["MetricName"])
    unknown = sorted(named - emitted)
    if unknown:
        problems.append(f"named but never emitted: {unknown}")
    if not named:
        problems.append("the dashboard and alarms name none of mailtrail's metrics")
    for problem in problems:
        print(f"check_dashboard: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dashboard: dashboard JSON valid; {len(named)} metric names, all emitted ({sorted(named)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

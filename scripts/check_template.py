#!/usr/bin/env python3
"""Checks template.yaml: its dashboard and alarms against the metrics the function emits, and
that every SNS topic an AWS service publishes to can be published to.

- The dashboard body must be valid JSON once CloudFormation's ${...} substitutions are made, and
  every metric it or an alarm names in mailtrail's namespace must be one the function writes
  (METRIC_NAMES in src/metrics.rs).
- A topic that CloudWatch alarms notify, or that SES may publish to (its topic policy names
  ses.amazonaws.com), must be unencrypted or encrypted with a customer-managed key of the stack
  whose policy lets that service use it (kms:GenerateDataKey* and kms:Decrypt). The AWS-managed
  alias/aws/sns cannot be granted to a service: such a topic silently drops what it is sent.

Run by `make lint`; exits non-zero on a mismatch. `--self-test` first checks that the topic
check fails on templates broken in each of those ways."""
import copy
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


def refs(value):
    """Every resource name a value refers to (Ref, GetAtt), at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "GetAtt":
                yield (inner.split(".")[0] if isinstance(inner, str) else inner[0])
            else:
                yield from refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from refs(inner)


def as_list(value):
    return value if isinstance(value, list) else [value]


def publishers(resources, topic):
    """The AWS services that publish to `topic`: CloudWatch (alarm actions) and SES (a topic
    policy granting ses.amazonaws.com)."""
    services = set()
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            actions = [props.get(k, []) for k in ("AlarmActions", "OKActions", "InsufficientDataActions")]
            if topic in set(refs(actions)):
                services.add("cloudwatch.amazonaws.com")
        if resource.get("Type") == "AWS::SNS::TopicPolicy" and topic in set(refs(props.get("Topics", []))):
            for statement in as_list(props.get("PolicyDocument", {}).get("Statement", [])):
                principal = statement.get("Principal", {})
                if isinstance(principal, dict):
                    services.update(s for s in as_list(principal.get("Service", [])) if isinstance(s, str))
    return services & {"cloudwatch.amazonaws.com", "ses.amazonaws.com"}


def key_allows(key, service):
    """Whether a KMS key resource's policy lets `service` encrypt for SNS."""
    needed = {"kms:GenerateDataKey*", "kms:Decrypt"}
    granted = set()
    for statement in as_list(key.get("Properties", {}).get("KeyPolicy", {}).get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        if not isinstance(principal, dict) or service not in as_list(principal.get("Service", [])):
            continue
        for action in as_list(statement.get("Action", [])):
            if action in ("kms:*", "*"):
                granted |= needed
            granted.add(action)
    return needed <= granted


def topic_problems(resources):
    problems = []
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::SNS::Topic":
            continue
        key = resource.get("Properties", {}).get("KmsMasterKeyId")
        services = publishers(resources, name)
        if key is None or not services:
            continue
        targets = [r for r in refs(key) if resources.get(r, {}).get("Type") == "AWS::KMS::Key"]
        if not targets:
            problems.append(
                f"{name} is encrypted with {key!r}, which {sorted(services)} cannot be granted: "
                "use a customer-managed key of the stack whose policy allows them, or no key"
            )
            continue
        for service in sorted(services):
            if not key_allows(resources[targets[0]], service):
                problems.append(f"{name}'s key {targets[0]} does not let {service} use it")
    return problems


def self_test(template):
    """The topic check must fail on each way a topic can be made unreachable, and pass a
    customer-managed key that allows the service."""
    broken = copy.deepcopy(template)
    broken["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"
    assert topic_problems(broken["Resources"]), "alias/aws/sns on the alarm topic must fail"
    keyed = copy.deepcopy(broken)
    keyed["Resources"]["AlarmKey"] = {
        "Type": "AWS::KMS::Key",
        "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "root"}, "Action": "kms:*"}]}},
    }
    keyed["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] = {"Ref": "AlarmKey"}
    assert topic_problems(keyed["Resources"]), "a key that does not name cloudwatch.amazonaws.com must fail"
    keyed["Resources"]["AlarmKey"]["Properties"]["KeyPolicy"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"}
    )
    assert not topic_problems(keyed["Resources"]), "a key that allows CloudWatch must pass"
    ses = copy.deepcopy(template)
    if "SesEventsTopic" in ses["Resources"]:
        ses["Resources"]["SesEventsTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"
        assert topic_problems(ses["Resources"]), "alias/aws/sns on the SES events topic must fail"
    print("check_template: self-test passed (broken topics are caught)")


def main() -> int:
    emitted = set(re.findall(r'pub const [A-Z_]+: &str = "([A-Za-z]+)";', (ROOT / "src" / "metrics.rs").read_text()))
    emitted.discard("Mailtrail")
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    if "--self-test" in sys.argv:
        self_test(template)
    resources = template["Resources"]
    problems = topic_problems(resources)

    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Sub"]
    if isinstance(body, list):
        body = body[0]
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
        print(f"check_template: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_template: topics publishable; dashboard JSON valid; {len(named)} metric names, all emitted ({sorted(named)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

//! The parts of `template.yaml` that repeat for every provider, generated from the provider
//! registry: each webhook channel's parameters, conditions, variables, route and URL; each
//! provider's bounce- and complaint-rate alarms; and the dashboard. A test compares every
//! generated section with the committed template; `make template` (this test with
//! `MAILTRAIL_WRITE_TEMPLATE=1`) rewrites them.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::model::Provider;
use crate::providers::registry::{ProviderSpec, PROVIDERS};
use crate::verify::channels::WebhookChannel;

/// A provider's name in the template's resources and parameters: `SendGrid`, `Ses`.
fn pascal(provider: Provider) -> &'static str {
    match provider {
        Provider::Ses => "Ses",
        Provider::SendGrid => "SendGrid",
        Provider::SendPulse => "SendPulse",
        Provider::Mailgun => "Mailgun",
        Provider::Postmark => "Postmark",
        Provider::Resend => "Resend",
        Provider::Mailjet => "Mailjet",
        Provider::Brevo => "Brevo",
        Provider::SparkPost => "SparkPost",
        Provider::MailerSend => "MailerSend",
        Provider::Mandrill => "Mandrill",
        Provider::Postal => "Postal",
        Provider::Smtp2go => "Smtp2go",
        Provider::AhaSend => "AhaSend",
    }
}

/// The webhook providers, in registry order.
fn webhooks() -> impl Iterator<Item = (&'static ProviderSpec, &'static WebhookChannel)> {
    PROVIDERS
        .iter()
        .filter_map(|spec| spec.provider.webhook().map(|webhook| (spec, webhook)))
}

/// The template parameter bounding a channel's signature age.
fn max_age_parameter(spec: &ProviderSpec) -> String {
    format!("{}MaxAgeSeconds", pascal(spec.provider))
}

/// A secret parameter and its Secrets Manager form.
fn secret_parameters(out: &mut String, parameter: &str, description: &str) {
    let _ = writeln!(
        out,
        "  {parameter}:\n    Type: String\n    Default: \"\"\n    NoEcho: true\n    Description: >\n      {description} Ignored when {parameter}SecretArn is set."
    );
    let _ = writeln!(
        out,
        "  {parameter}SecretArn:\n    Type: String\n    Default: \"\"\n    Description: >\n      Optional Secrets Manager secret (ARN) whose SecretString is {parameter}, resolved by\n      CloudFormation at deploy time."
    );
}

fn parameters() -> String {
    let mut out = String::new();
    for (spec, webhook) in webhooks() {
        secret_parameters(
            &mut out,
            webhook.secret_parameter,
            &format!(
                "{} webhook secret ({}; comma-separated to rotate). Empty refuses every {} request.\n     ",
                spec.title, webhook.secret_variable, spec.title
            ),
        );
        if let Some(factor) = webhook.second_factor {
            secret_parameters(
                &mut out,
                factor.parameter,
                &format!(
                    "Optional second factor of the {} webhook ({}; comma-separated to rotate): the\n      password of the Basic credentials (or ?token=) in the URL given to {}. When set, a request\n      needs it and a valid signature. Recommended.",
                    spec.title, factor.variable, spec.title
                ),
            );
        }
        if let Some(url) = webhook.signed_url {
            let _ = writeln!(
                out,
                "  {}:\n    Type: String\n    Default: \"\"\n    Description: >\n      The exact URL(s) given to {} for its webhook ({}; comma-separated for several): its\n      signature covers the URL, so requests verify only against it. Empty refuses every request.",
                url.parameter, spec.title, url.variable
            );
        }
        if let Some(max_age) = webhook.max_age {
            let (minimum, off) = match max_age.minimum_seconds {
                0 => (0, "; 0 turns the check off"),
                _ => (max_age.minimum_seconds, "; it cannot be turned off"),
            };
            let _ = writeln!(
                out,
                "  {}:\n    Type: Number\n    Default: {}\n    MinValue: {minimum}\n    Description: Oldest {} signature accepted, in seconds ({}){off}.",
                max_age_parameter(spec),
                max_age.default_seconds,
                spec.title,
                max_age.variable
            );
        }
    }
    out
}

fn conditions() -> String {
    let mut out = String::new();
    for (spec, webhook) in webhooks() {
        let _ = writeln!(
            out,
            "  {}SecretFromArn: !Not [!Equals [!Ref {}SecretArn, \"\"]]",
            pascal(spec.provider),
            webhook.secret_parameter
        );
        // A provider whose secret is set in either form: its rate alarms exist.
        let _ = writeln!(
            out,
            "  {pascal}Enabled: !Or [!Condition {pascal}SecretFromArn, !Not [!Equals [!Ref {parameter}, \"\"]]]",
            pascal = pascal(spec.provider),
            parameter = webhook.secret_parameter
        );
        if let Some(factor) = webhook.second_factor {
            let _ = writeln!(
                out,
                "  {}SecondFactorFromArn: !Not [!Equals [!Ref {}SecretArn, \"\"]]",
                pascal(spec.provider),
                factor.parameter
            );
        }
    }
    out
}

/// A variable read from its parameter, or from its Secrets Manager form when `condition` holds.
fn secret_variable(out: &mut String, variable: &str, condition: &str, parameter: &str) {
    let _ = writeln!(
        out,
        "          {variable}: !If\n            - {condition}\n            - !Sub \"{{{{resolve:secretsmanager:${{{parameter}SecretArn}}:SecretString}}}}\"\n            - !Ref {parameter}"
    );
}

fn environment() -> String {
    let mut out = String::new();
    for (spec, webhook) in webhooks() {
        secret_variable(
            &mut out,
            webhook.secret_variable,
            &format!("{}SecretFromArn", pascal(spec.provider)),
            webhook.secret_parameter,
        );
        if let Some(factor) = webhook.second_factor {
            secret_variable(
                &mut out,
                factor.variable,
                &format!("{}SecondFactorFromArn", pascal(spec.provider)),
                factor.parameter,
            );
        }
        if let Some(url) = webhook.signed_url {
            let _ = writeln!(out, "          {}: !Ref {}", url.variable, url.parameter);
        }
        if let Some(max_age) = webhook.max_age {
            let _ = writeln!(
                out,
                "          {}: !Ref {}",
                max_age.variable,
                max_age_parameter(spec)
            );
        }
    }
    out
}

fn routes() -> String {
    let mut out = String::new();
    for (spec, webhook) in webhooks() {
        let _ = writeln!(
            out,
            "        {}Webhook:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref WebhookApi\n            Method: POST\n            Path: /webhooks/{}\n            PayloadFormatVersion: \"2.0\"",
            pascal(spec.provider), webhook.route
        );
        // The same webhook naming a tenant (`/webhooks/<route>/<tenant>`; see ingress::routes).
        let _ = writeln!(
            out,
            "        {}TenantWebhook:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref WebhookApi\n            Method: POST\n            Path: /webhooks/{}/{{tenant}}\n            PayloadFormatVersion: \"2.0\"",
            pascal(spec.provider), webhook.route
        );
        if webhook.answers_head {
            // The provider checks the URL with a HEAD request when the webhook is saved.
            let _ = writeln!(
                out,
                "        {}WebhookCheck:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref WebhookApi\n            Method: HEAD\n            Path: /webhooks/{}\n            PayloadFormatVersion: \"2.0\"",
                pascal(spec.provider), webhook.route
            );
            let _ = writeln!(
                out,
                "        {}TenantWebhookCheck:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref WebhookApi\n            Method: HEAD\n            Path: /webhooks/{}/{{tenant}}\n            PayloadFormatVersion: \"2.0\"",
                pascal(spec.provider), webhook.route
            );
        }
    }
    out
}

fn outputs() -> String {
    let mut out = String::new();
    for (spec, webhook) in webhooks() {
        let _ = writeln!(
            out,
            "  {}WebhookUrl:\n    Description: {}'s webhook URL (see docs/providers.md for how {} proves a request genuine).\n    Value: !Sub https://${{WebhookApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/webhooks/{}",
            pascal(spec.provider), spec.title, spec.title, webhook.route
        );
    }
    out
}

/// One rate alarm: `numerator / (Delivered + HardBounces)` of one provider; a webhook
/// provider's exists only once its secret is set (no alarm is paid for a provider not used).
fn rate_alarm(spec: &ProviderSpec, what: &str, numerator: &str, threshold: &str) -> String {
    let name = spec.name;
    let condition = match spec.provider.webhook() {
        Some(_) => format!("    Condition: {}Enabled\n", pascal(spec.provider)),
        None => String::new(),
    };
    let lower = what.to_ascii_lowercase();
    let metric = |id: &str, metric: &str| {
        format!(
            "        - Id: {id}\n          ReturnData: false\n          MetricStat:\n            Metric:\n              Namespace: !Ref MetricsNamespace\n              MetricName: {metric}\n              Dimensions: [{{Name: Provider, Value: {name}}}]\n            Period: !Ref RatePeriodSeconds\n            Stat: Sum\n"
        )
    };
    format!(
        "  {pascal}{what}RateAlarm:\n    Type: AWS::CloudWatch::Alarm\n{condition}    Properties:\n      AlarmDescription: >\n        {title} {lower} rate from mailtrail's own metrics ({numerator} / (Delivered + HardBounces)) at\n        or over {threshold}, once the period holds at least RateMinimumVolume deliveries and hard\n        bounces.\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      Threshold: !Ref {threshold}\n      EvaluationPeriods: 1\n      TreatMissingData: notBreaching\n      AlarmActions: [!Ref AlarmTopic]\n      OKActions: [!Ref AlarmTopic]\n      Metrics:\n{}{}{}        - Id: rate\n          Label: {title} {lower} rate\n          ReturnData: true\n          Expression: !Sub \"IF((FILL(delivered, 0) + FILL(hard, 0)) >= ${{RateMinimumVolume}}, FILL(numerator, 0) / (FILL(delivered, 0) + FILL(hard, 0)), 0)\"\n\n",
        metric("numerator", numerator),
        metric("delivered", "Delivered"),
        metric("hard", "HardBounces"),
        pascal = pascal(spec.provider),
        title = spec.title,
    )
}

fn alarms() -> String {
    PROVIDERS
        .iter()
        .flat_map(|spec| {
            [
                rate_alarm(spec, "Bounce", "HardBounces", "BounceRateThreshold"),
                rate_alarm(spec, "Complaint", "Complaints", "ComplaintRateThreshold"),
            ]
        })
        .collect()
}

/// The rate series of every provider for one dashboard widget.
fn rate_series(numerator: &str) -> Vec<Value> {
    let mut series = Vec::new();
    for spec in PROVIDERS.iter() {
        let name = spec.name;
        for (id, metric) in [("n", numerator), ("d", "Delivered"), ("h", "HardBounces")] {
            series.push(json!(["${MetricsNamespace}", metric, "Provider", name, {"id": format!("{id}_{name}"), "visible": false, "stat": "Sum"}]));
        }
        series.push(json!([{
            "expression": format!("FILL(n_{name},0) / (FILL(d_{name},0) + FILL(h_{name},0))"),
            "id": format!("rate_{name}"),
            "label": name,
        }]));
    }
    series
}

fn search(metric: &str, dimensions: &str, id: &str) -> Value {
    json!([{
        "expression": format!("SEARCH('{{${{MetricsNamespace}},{dimensions}}} MetricName=\"{metric}\"', 'Sum', 300)"),
        "id": id,
        "label": "",
    }])
}

fn widget(x: u32, y: u32, width: u32, mut properties: Value) -> Value {
    properties["region"] = "${AWS::Region}".into();
    json!({"type": "metric", "x": x, "y": y, "width": width, "height": 6, "properties": properties})
}

fn dashboard() -> String {
    let rate_axis = json!({"left": {"min": 0}});
    let widgets = vec![
        widget(
            0,
            0,
            12,
            json!({"title": "Events by provider and kind", "view": "timeSeries", "stacked": true, "period": 300,
            "metrics": [search("Events", "Provider,Event", "events")]}),
        ),
        widget(
            12,
            0,
            12,
            json!({"title": "Events by provider", "view": "timeSeries", "stacked": false, "period": 300,
            "metrics": [search("Events", "Provider", "providers")]}),
        ),
        widget(
            0,
            6,
            12,
            json!({"title": "Hard-bounce rate by provider (mailtrail)", "view": "timeSeries", "period": 3600,
            "metrics": rate_series("HardBounces"), "yAxis": rate_axis,
            "annotations": {"horizontal": [{"label": "SES review (5 %)", "value": 0.05}, {"label": "SES may pause (10 %)", "value": 0.1, "color": "#d62728"}]}}),
        ),
        widget(
            12,
            6,
            12,
            json!({"title": "Complaint rate by provider (mailtrail)", "view": "timeSeries", "period": 3600,
            "metrics": rate_series("Complaints"), "yAxis": rate_axis,
            "annotations": {"horizontal": [{"label": "SES review (0.1 %)", "value": 0.001}, {"label": "SES may pause (0.5 %)", "value": 0.005, "color": "#d62728"}]}}),
        ),
        widget(
            0,
            12,
            12,
            json!({"title": "SES reputation: bounce rate", "view": "timeSeries", "period": 3600, "stat": "Maximum",
            "metrics": [["AWS/SES", "Reputation.BounceRate"]], "yAxis": rate_axis,
            "annotations": {"horizontal": [{"label": "review (5 %)", "value": 0.05}, {"label": "may pause (10 %)", "value": 0.1, "color": "#d62728"}]}}),
        ),
        widget(
            12,
            12,
            12,
            json!({"title": "SES reputation: complaint rate", "view": "timeSeries", "period": 3600, "stat": "Maximum",
            "metrics": [["AWS/SES", "Reputation.ComplaintRate"]], "yAxis": rate_axis,
            "annotations": {"horizontal": [{"label": "review (0.1 %)", "value": 0.001}, {"label": "may pause (0.5 %)", "value": 0.005, "color": "#d62728"}]}}),
        ),
        widget(
            0,
            18,
            12,
            json!({"title": "Rejected requests by channel and reason; quarantined events", "view": "timeSeries", "period": 300,
            "metrics": [search("Rejected", "Channel,Reason", "rejected"), search("Quarantined", "Provider", "quarantined")]}),
        ),
        widget(
            12,
            18,
            12,
            json!({"title": "Store retries, failures, misconfiguration, refused items; duplicates", "view": "timeSeries", "period": 300, "stat": "Sum",
            "metrics": [["${MetricsNamespace}", "StoreRetries"], ["${MetricsNamespace}", "StoreFailures"], ["${MetricsNamespace}", "StoreMisconfigured"],
                search("StoreRefused", "Provider", "refused"), search("Duplicates", "Provider", "duplicates")]}),
        ),
        widget(
            0,
            24,
            8,
            json!({"title": "Function errors and throttles", "view": "timeSeries", "period": 300, "stat": "Sum",
            "metrics": [["AWS/Lambda", "Errors", "FunctionName", "${MailtrailFunction}"], ["AWS/Lambda", "Throttles", "FunctionName", "${MailtrailFunction}"]]}),
        ),
        widget(
            8,
            24,
            8,
            json!({"title": "Function duration (ms)", "view": "timeSeries", "period": 300,
            "metrics": [["AWS/Lambda", "Duration", "FunctionName", "${MailtrailFunction}", {"stat": "p50"}],
                ["AWS/Lambda", "Duration", "FunctionName", "${MailtrailFunction}", {"stat": "p99"}],
                ["AWS/Lambda", "Duration", "FunctionName", "${MailtrailFunction}", {"stat": "Maximum"}]]}),
        ),
        widget(
            16,
            24,
            8,
            json!({"title": "Dead-letter queues; table throttling", "view": "timeSeries", "period": 300,
            "metrics": [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${DeadLetterQueue.QueueName}", {"stat": "Maximum"}],
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${SesEventBridgeQueueName}", {"stat": "Maximum", "label": "EventBridge dead letters"}],
                ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", "${EventsTable}", {"stat": "Sum"}],
                ["AWS/DynamoDB", "ThrottledRequests", "TableName", "${EventsTable}", "Operation", "BatchWriteItem", {"stat": "Sum"}]]}),
        ),
    ];
    let body = serde_json::to_string_pretty(&json!({ "widgets": widgets })).expect("JSON");
    let mut out = String::from(
        "  Dashboard:\n    Type: AWS::CloudWatch::Dashboard\n    Properties:\n      DashboardName: !Sub ${AWS::StackName}-mailtrail\n      DashboardBody: !Sub\n        - |\n",
    );
    for line in body.lines() {
        let _ = writeln!(out, "          {line}");
    }
    out.push_str(
        "        - SesEventBridgeQueueName: !If [CreateSesEventBridge, !GetAtt SesEventBridgeDeadLetterQueue.QueueName, none]\n",
    );
    out
}

/// Every generated section: its marker name and its text.
fn sections() -> Vec<(&'static str, String)> {
    vec![
        ("webhook parameters", parameters()),
        ("webhook conditions", conditions()),
        ("webhook variables", environment()),
        ("webhook routes", routes()),
        ("rate alarms", alarms()),
        ("dashboard", dashboard()),
        ("webhook urls", outputs()),
    ]
}

/// `template` with each section's text between its markers replaced by `sections`.
fn regenerate(template: &str, sections: &[(&str, String)]) -> Result<String, String> {
    let mut out = template.to_owned();
    for (name, text) in sections {
        let begin = format!("# BEGIN generated: {name}");
        let end = format!("# END generated: {name}");
        let start = out.find(&begin).ok_or(format!("no marker {begin:?}"))?;
        let body_start = out[start..]
            .find('\n')
            .map(|i| start + i + 1)
            .ok_or("no line end")?;
        let end_at = out[body_start..]
            .find(&end)
            .map(|i| body_start + i)
            .ok_or(format!("no marker {end:?}"))?;
        let line_start = out[..end_at].rfind('\n').map_or(0, |i| i + 1);
        out.replace_range(body_start..line_start, text);
    }
    Ok(out)
}

/// The variables the channels' secrets are wired to: the ones the configuration reads.
fn wired_variables() -> Vec<&'static str> {
    webhooks().map(|(_, webhook)| webhook.secret_variable).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");

    #[test]
    fn the_templates_per_provider_sections_are_generated_from_the_registry() {
        let template = std::fs::read_to_string(PATH).unwrap();
        let generated = regenerate(&template, &sections()).unwrap();
        if std::env::var_os("MAILTRAIL_WRITE_TEMPLATE").is_some() {
            std::fs::write(PATH, &generated).unwrap();
            return;
        }
        assert!(
            generated == template,
            "template.yaml's generated sections are out of date: run `make template`"
        );
        for variable in wired_variables() {
            assert!(
                template.contains(&format!("          {variable}: !If")),
                "{variable}"
            );
        }
        for spec in PROVIDERS.iter() {
            assert!(
                template.contains(&format!("  {}BounceRateAlarm:", pascal(spec.provider))),
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn a_hand_edit_inside_a_generated_section_is_caught() {
        let template = std::fs::read_to_string(PATH).unwrap();
        let edited = template.replacen("Path: /webhooks/mailgun", "Path: /webhooks/mailgun-renamed", 1);
        assert_ne!(edited, template);
        assert_ne!(regenerate(&edited, &sections()).unwrap(), edited);
    }
}

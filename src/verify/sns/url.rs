//! Which URLs an SNS message may make the function fetch.
//!
//! The signing certificate must be `https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem`
//! and a SubscribeURL `https://sns.<region>.amazonaws.com[.cn]/?Action=ConfirmSubscription&…`,
//! where `<region>` has the shape of a real region name (`us-east-1`, `us-gov-west-1`,
//! `cn-north-1`). No port, user, fragment or other path. The URL is parsed once; the parsed
//! value is what is fetched. S3 virtual hosts such as `sns.s3-us-west-2.amazonaws.com` (a bucket
//! named `sns`) never pass.

use aws_lambda_events::http::Uri;

use crate::verify::VerifyError;

/// A checked URL: the only kind the SNS verifier fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsUrl {
    uri: Uri,
    region: String,
}

impl SnsUrl {
    /// The parsed URL.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The region named by the host.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The URL as text (what the message said; used as the cache key).
    pub fn as_str(&self) -> String {
        self.uri.to_string()
    }
}

/// Whether `name` has the shape of an AWS region: a 2–4 letter area, one to three word parts,
/// and a number (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `us-isob-east-1`).
pub fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let [first, words @ .., last] = parts.as_slice() else {
        return false;
    };
    (2..=4).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && (1..=3).contains(&words.len())
        && words
            .iter()
            .all(|w| (2..=12).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
        && !last.starts_with('0')
}

/// The region of an SNS host, `sns.<region>.amazonaws.com` (or `.amazonaws.com.cn` for the
/// China regions); `None` for any other host.
fn sns_region(host: &str) -> Option<&str> {
    let rest = host.strip_prefix("sns.")?;
    let (region, china) = match rest.strip_suffix(".amazonaws.com.cn") {
        Some(region) => (region, true),
        None => (rest.strip_suffix(".amazonaws.com")?, false),
    };
    (is_region(region) && china == region.starts_with("cn-")).then_some(region)
}

/// Parses an https URL on an SNS host, refusing ports, users and fragments.
fn parse_sns(text: &str) -> Result<SnsUrl, VerifyError> {
    let refuse = || VerifyError::RefusedUrl(shown(text));
    if text.len() > 2048 || text.bytes().any(|b| b == b'#' || b <= b' ' || b == 0x7f) {
        return Err(refuse());
    }
    let uri: Uri = text.parse().map_err(|_| refuse())?;
    if uri.scheme_str() != Some("https") {
        return Err(refuse());
    }
    let authority = uri.authority().ok_or_else(refuse)?;
    if authority.as_str().contains('@') || authority.port().is_some() {
        return Err(refuse());
    }
    let region = sns_region(authority.host()).ok_or_else(refuse)?.to_owned();
    Ok(SnsUrl { uri, region })
}

/// Checks a `SigningCertURL`.
pub fn certificate_url(text: &str) -> Result<SnsUrl, VerifyError> {
    let url = parse_sns(text)?;
    let name = url
        .uri
        .path()
        .strip_prefix("/SimpleNotificationService-")
        .and_then(|rest| rest.strip_suffix(".pem"));
    let name_ok =
        name.is_some_and(|hex| (1..=128).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !name_ok || url.uri.query().is_some() {
        return Err(VerifyError::RefusedUrl(shown(text)));
    }
    Ok(url)
}

/// Checks a `SubscribeURL`: the SNS host's root with `Action=ConfirmSubscription`.
pub fn subscribe_url(text: &str) -> Result<SnsUrl, VerifyError> {
    let url = parse_sns(text)?;
    let confirms = url
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "Action=ConfirmSubscription"));
    if url.uri.path() != "/" || !confirms {
        return Err(VerifyError::RefusedUrl(shown(text)));
    }
    Ok(url)
}

/// A URL as it may appear in logs: no query string (a SubscribeURL carries the subscription
/// token), at most 200 characters.
pub fn shown(url: &str) -> String {
    url.split(['?', '#'])
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem";

    #[test]
    fn accepts_sns_certificate_urls_in_every_partition() {
        for host in [
            "sns.us-east-1.amazonaws.com",
            "sns.eu-central-2.amazonaws.com",
            "sns.us-gov-west-1.amazonaws.com",
            "sns.ap-southeast-3.amazonaws.com",
            "sns.cn-north-1.amazonaws.com.cn",
            "sns.us-isob-east-1.amazonaws.com",
        ] {
            let url = certificate_url(&format!("https://{host}{PEM}")).unwrap();
            assert_eq!(url.uri().host(), Some(host));
        }
    }

    #[test]
    fn refuses_s3_buckets_named_sns_and_every_other_look_alike() {
        for bad in [
            "https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.s3-external-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.s3-accelerate.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.s3.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.s3.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem",
            "https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-abc.pem",
            "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-abc.pem",
            "https://SNS.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem#x",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem?x=1",
            "https://sns.us-east-1.amazonaws.com/other/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xyz.pem",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-.pem",
            "https://sns.us-east-1.amazonaws.com/cert.pem",
            "https://sns.us-east-01.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns..amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a c.pem",
            "ftp://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "",
        ] {
            assert!(certificate_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subscribe_urls_must_confirm_at_the_sns_root() {
        let good = "https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=t";
        assert_eq!(subscribe_url(good).unwrap().region(), "eu-west-3");
        for bad in [
            "https://sns.eu-west-3.amazonaws.com/?Action=Unsubscribe&TopicArn=arn",
            "https://sns.eu-west-3.amazonaws.com/x?Action=ConfirmSubscription",
            "https://sns.s3-us-west-2.amazonaws.com/?Action=ConfirmSubscription",
            "https://attacker.example/?Action=ConfirmSubscription",
            "https://sns.eu-west-3.amazonaws.com/?XAction=ConfirmSubscription",
        ] {
            assert!(subscribe_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn region_names() {
        for good in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "il-central-1",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "s3",
            "s3-us-west-2",
            "s3-external-1",
            "s3-accelerate",
            "us",
            "us-east",
            "us-east-0",
            "a-b-1",
            "US-east-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}

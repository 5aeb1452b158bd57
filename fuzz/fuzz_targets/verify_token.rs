//! Token checks with arbitrary query strings, `Authorization` headers and SparkPost's token
//! header: the input is `query \n authorization \n token header`. With the query as the only carrier, exactly one `token` equal to
//! the configured one passes; with every carrier, nothing may panic.
#![no_main]

use std::collections::HashMap;

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::token::{Carriers, TokenVerifier};
use mailtrail::verify::{SignedRequest, Verifier};

const TOKEN: &str = "demo-sendpulse-token-change-me";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (query_text, rest) = text.split_once('\n').unwrap_or((text, ""));
    let (authorization, token_header) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for pair in query_text.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        map.entry(key.to_owned()).or_default().push(value.to_owned());
    }
    let query = QueryMap::from(map.clone());
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(authorization) {
        if !authorization.is_empty() {
            headers.append("authorization", value);
        }
    }
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let request = SignedRequest { headers: &HeaderMap::new(), query: &query, body: b"", now };
    let by_query = TokenVerifier::new("SENDPULSE_WEBHOOK_TOKEN", Carriers::QUERY, &[TOKEN.to_owned()]).unwrap();
    let genuine = map.get("token").is_some_and(|v| v.len() == 1 && v[0] == TOKEN);
    assert_eq!(by_query.verify(&request).is_ok(), genuine);
    let any = TokenVerifier::new("BREVO_WEBHOOK_TOKEN", Carriers::ANY, &[TOKEN.to_owned()]).unwrap();
    let _ = any.verify(&SignedRequest { headers: &headers, ..request });
    if let Ok(value) = HeaderValue::from_str(token_header) {
        headers.append("x-messagesystems-webhook-token", value);
    }
    let sparkpost = TokenVerifier::new("SPARKPOST_WEBHOOK_TOKEN", Carriers::SPARKPOST, &[TOKEN.to_owned()]).unwrap();
    let _ = sparkpost.verify(&SignedRequest { headers: &headers, ..request });
});

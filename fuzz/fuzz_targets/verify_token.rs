//! SendPulse token checks with arbitrary query strings.
#![no_main]

use std::collections::HashMap;

use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::verify::token::TokenVerifier;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for pair in text.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        map.entry(key.to_owned()).or_default().push(value.to_owned());
    }
    let verifier = TokenVerifier::new(&["demo-sendpulse-token-change-me".to_owned()]).unwrap();
    let accepted = verifier.verify(&QueryMap::from(map.clone())).is_ok();
    let genuine = map.get("token").is_some_and(|v| v.len() == 1 && v[0] == "demo-sendpulse-token-change-me");
    assert_eq!(accepted, genuine);
});

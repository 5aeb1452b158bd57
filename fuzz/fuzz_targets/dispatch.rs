//! Any Lambda event: shape detection, routing, body handling and the route's decoder, then the
//! key and item of every event decoded. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtrail::ingress::routes::{self as http, Route};
use mailtrail::store::item::Item;
use mailtrail::providers::{sendgrid, sendpulse, ses};
use mailtrail::model::Timestamp;
use mailtrail::ingress::trigger::{self, Trigger};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let received = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let events = match trigger::parse(text) {
        Ok(Trigger::Sns(event)) => event
            .records
            .iter()
            .filter_map(|r| ses::decode(&r.sns.message, received).ok())
            .flat_map(|d| d.events)
            .collect(),
        Ok(Trigger::Http(request)) => {
            let Ok(route) = http::route(&request) else { return };
            let Ok(body) = http::body_bytes(&request, route.max_body_bytes()) else { return };
            let decoded = match route {
                Route::SendGrid => sendgrid::decode(&body, received),
                Route::SendPulse => sendpulse::decode(&body, received),
                Route::SesHttps => return,
            };
            decoded.map(|d| d.events).unwrap_or_default()
        }
        Err(_) => return,
    };
    for event in &events {
        let _ = Item::from_event(event.clone(), 400);
    }
});

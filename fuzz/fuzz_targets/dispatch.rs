//! Any Lambda event: shape detection, routing, body handling and the route's decoder (from the
//! provider registry), then the key and item of every event decoded. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtrail::ingress::routes;
use mailtrail::ingress::trigger::{self, Trigger};
use mailtrail::model::Timestamp;
use mailtrail::providers::{batch, ses};
use mailtrail::store::item::Item;

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
        Ok(Trigger::EventBridge(event)) => ses::decode(event.detail.get(), received)
            .map(|d| d.events)
            .unwrap_or_default(),
        Ok(Trigger::Http(request)) => {
            let Ok(spec) = routes::route(&request) else { return };
            let Ok(body) = routes::body_bytes(&request, routes::max_body_bytes(spec)) else { return };
            batch::decode_body(spec, &body, received).map(|d| d.events).unwrap_or_default()
        }
        Err(_) => return,
    };
    for event in &events {
        let _ = Item::from_event(event.clone(), 400);
    }
});

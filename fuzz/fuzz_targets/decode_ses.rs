//! Any SNS message text as an SES event: the decoder, then each event's key and item.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtrail::store::item::Item;
use mailtrail::model::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let received = Timestamp::from_millis(1_795_521_600_000).unwrap();
    if let Ok(decoded) = mailtrail::providers::ses::decode(text, received) {
        for event in &decoded.events {
            let _ = Item::from_event(event.clone(), 400);
        }
    }
});

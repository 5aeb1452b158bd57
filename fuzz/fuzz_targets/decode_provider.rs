//! Any body for any provider: the first byte picks the provider (in `Provider::ALL` order), the
//! rest is the body. The decoder, each bad event decoded alone, then each event's key and item.
//! Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::providers::{self, Provider};
use mailtrail::store::item::Item;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let provider = Provider::ALL[usize::from(pick) % Provider::ALL.len()];
    let received = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let Ok(decoded) = providers::decode(provider, body, received) else { return };
    for bad in &decoded.bad {
        let _ = providers::decode_event(provider, bad.raw.as_bytes(), received);
    }
    for event in &decoded.events {
        let _ = Item::from_event(event.clone(), 400);
    }
});

//! The provider's original event JSON, kept compressed: zstd with a dictionary of that
//! provider's documented events, so a small JSON event shrinks several times rather than
//! barely. The dictionary is named on the item (`raw_codec`), so the original bytes come back
//! exactly, whichever version wrote them.

use std::cell::RefCell;

use zstd::bulk::{Compressor, Decompressor};

use crate::model::Provider;

/// A versioned zstd dictionary for a provider's raw events.
#[derive(Debug, Clone, Copy)]
pub struct RawDictionary {
    /// The name items record in `raw_codec`: `zstd:<provider>-<version>`.
    pub codec: &'static str,
    /// The dictionary.
    pub bytes: &'static [u8],
}

/// A dictionary file of `dictionaries/`, by its codec's version name (`ses-2`).
macro_rules! dictionary {
    ($name:literal) => {
        RawDictionary {
            codec: concat!("zstd:", $name),
            bytes: include_bytes!(concat!("dictionaries/", $name, ".dict")),
        }
    };
}

/// Each provider's current dictionary, in the order of [`Provider::ALL`]: what new raw events
/// are compressed with (made by `scripts/make_dictionaries.py` from the provider's documented
/// events).
pub const CURRENT: [RawDictionary; Provider::ALL.len()] = [
    dictionary!("ses-2"),
    dictionary!("sendgrid-1"),
    dictionary!("sendpulse-1"),
    dictionary!("mailgun-1"),
    dictionary!("postmark-1"),
    dictionary!("resend-1"),
    dictionary!("mailjet-1"),
    dictionary!("brevo-1"),
    dictionary!("sparkpost-1"),
    dictionary!("mailersend-1"),
    dictionary!("mandrill-1"),
    dictionary!("postal-1"),
    dictionary!("smtp2go-1"),
    dictionary!("ahasend-1"),
];

/// The compression level: fast, and within a few percent of the default's ratio on small JSON.
const LEVEL: i32 = 3;

/// Dictionaries no longer used to compress, kept to read the items they compressed. A new
/// version goes in [`CURRENT`] and the one it replaces moves here, never removed: stored items
/// name the one they need.
const OLDER: &[RawDictionary] = &[dictionary!("ses-1")];

/// Why a stored raw event could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// The item names a codec this build does not know.
    #[error("unknown raw codec {0:?}")]
    UnknownCodec(String),
    /// The bytes do not decompress.
    #[error("the raw event does not decompress: {0}")]
    Corrupt(#[source] std::io::Error),
}

thread_local! {
    /// One compression context per provider and thread, made on first use (the dictionary is
    /// digested once per context, then reused for every event).
    static COMPRESSORS: RefCell<[Option<Compressor<'static>>; Provider::ALL.len()]> =
        const { RefCell::new([const { None }; Provider::ALL.len()]) };
}

/// Raw events shorter than this are kept as text: compressing them saves little storage and
/// no write unit, and costs more CPU than the rest of the pipeline.
pub const MIN_COMPRESSED_BYTES: usize = 512;

/// `raw` compressed with `provider`'s current dictionary, and the codec's name; `None` when it
/// is short, or compression does not make it smaller (or fails): then it is kept as text.
pub fn compress(provider: Provider, raw: &[u8]) -> Option<(Vec<u8>, &'static str)> {
    if raw.len() < MIN_COMPRESSED_BYTES {
        return None;
    }
    let (index, dictionary) = (provider as usize, &CURRENT[provider as usize]);
    let compressed = COMPRESSORS.with(|cell| {
        let compressor = &mut cell.borrow_mut()[index];
        if compressor.is_none() {
            *compressor = Compressor::with_dictionary(LEVEL, dictionary.bytes).ok();
        }
        compressor.as_mut()?.compress(raw).ok()
    })?;
    (compressed.len() < raw.len()).then_some((compressed, dictionary.codec))
}

/// The original bytes of a compressed raw event, at most `max_bytes` long (the frame says how
/// long the original was; memory is reserved for that, never more than `max_bytes`).
pub fn decompress(codec: &str, data: &[u8], max_bytes: usize) -> Result<Vec<u8>, RawError> {
    let dictionary = CURRENT
        .iter()
        .chain(OLDER)
        .find(|d| d.codec == codec)
        .ok_or_else(|| RawError::UnknownCodec(codec.chars().take(64).collect()))?;
    let capacity = zstd::zstd_safe::get_frame_content_size(data)
        .ok()
        .flatten()
        .map_or(max_bytes, |size| {
            usize::try_from(size).unwrap_or(usize::MAX).min(max_bytes)
        });
    let mut decompressor = Decompressor::with_dictionary(dictionary.bytes).map_err(RawError::Corrupt)?;
    decompressor.decompress(data, capacity).map_err(RawError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{seed_sendgrid_body, ses_fixture, SES_EVENT_FIXTURES};

    #[test]
    fn every_fixture_round_trips_byte_for_byte_and_shrinks() {
        let mut samples: Vec<(Provider, String)> = SES_EVENT_FIXTURES
            .iter()
            .map(|name| (Provider::Ses, ses_fixture(name).to_owned()))
            .collect();
        let sendgrid: Vec<&serde_json::value::RawValue> = serde_json::from_str(seed_sendgrid_body()).unwrap();
        samples.extend(sendgrid.iter().map(|e| (Provider::SendGrid, e.get().to_owned())));
        let long_sendpulse = format!(
            r#"{{"event":"undelivered","message_id":1149317311,"recipient":"x@y.io","smtp_server_response":"{}"}}"#,
            "550 5.1.1 mailbox unavailable ".repeat(20)
        );
        samples.push((Provider::SendPulse, long_sendpulse));
        let short = br#"{"event":"delivered","message_id":1,"recipient":"x@y.io"}"#;
        assert!(
            compress(Provider::SendPulse, short).is_none(),
            "short raws stay text"
        );
        let mut compressed_any = 0;
        for (provider, raw) in samples
            .into_iter()
            .filter(|(_, raw)| raw.len() >= MIN_COMPRESSED_BYTES)
        {
            compressed_any += 1;
            let (compressed, codec) = compress(provider, raw.as_bytes()).expect("compresses");
            assert!(compressed.len() < raw.len());
            assert_eq!(decompress(codec, &compressed, 1 << 20).unwrap(), raw.as_bytes());
        }
        assert!(
            compressed_any >= 11,
            "every SES example and the long SendPulse event"
        );
    }

    #[test]
    fn raw_events_compressed_with_an_older_dictionary_stay_readable() {
        let raw = ses_fixture("notification-bounce").as_bytes();
        let first = OLDER.iter().find(|d| d.codec == "zstd:ses-1").unwrap();
        let old = zstd::bulk::Compressor::with_dictionary(LEVEL, first.bytes)
            .unwrap()
            .compress(raw)
            .unwrap();
        assert_eq!(decompress("zstd:ses-1", &old, 1 << 20).unwrap(), raw);
        let (new, codec) = compress(Provider::Ses, raw).unwrap();
        assert_eq!(codec, "zstd:ses-2");
        assert_eq!(decompress(codec, &new, 1 << 20).unwrap(), raw);
        assert!(decompress("zstd:ses-1", &new, 1 << 20).map_or(true, |bytes| bytes != raw));
    }

    #[test]
    fn every_provider_has_its_own_current_dictionary_that_shrinks_its_samples() {
        let mut codecs = std::collections::HashSet::new();
        for provider in Provider::ALL {
            let current = CURRENT[provider as usize];
            assert!(codecs.insert(current.codec), "{}", current.codec);
            assert!(current.codec.starts_with(&format!("zstd:{}-", provider.as_str())));
            let sample = format!("{{\"event\":\"x\",\"pad\":\"{}\"}}", "y".repeat(600));
            let (compressed, codec) = compress(provider, sample.as_bytes()).unwrap();
            assert_eq!(codec, current.codec);
            assert_eq!(
                decompress(codec, &compressed, 1 << 20).unwrap(),
                sample.as_bytes()
            );
        }
    }

    #[test]
    fn unknown_codecs_and_corrupt_bytes_are_errors() {
        assert!(matches!(
            decompress("zstd:ses-99", b"x", 10),
            Err(RawError::UnknownCodec(_))
        ));
        assert!(matches!(
            decompress("zstd:ses-1", b"not zstd", 10),
            Err(RawError::Corrupt(_))
        ));
    }
}

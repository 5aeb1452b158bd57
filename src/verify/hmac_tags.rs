//! The check the HMAC verifiers share (Svix and Standard Webhooks, MailerSend, Mandrill): one of
//! the messages, signed with one of the configured keys, gives one of the tags the request
//! carries. Every (message, key, tag) combination is compared, in constant time, so the time
//! taken says nothing about which key or how much of a tag matched.

use aws_lc_rs::hmac;

use super::{Verified, VerifyError};

/// `Ok` when any message under any key gives any of `given`; else [`VerifyError::BadSignature`].
pub fn any_matches(keys: &[hmac::Key], messages: &[&[u8]], given: &[&[u8]]) -> Result<Verified, VerifyError> {
    let mut matched = false;
    for message in messages {
        for key in keys {
            let expected = hmac::sign(key, message);
            for tag in given {
                matched |= aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_ref(), tag).is_ok();
            }
        }
    }
    if matched {
        Ok(Verified::default())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_message_key_and_tag_may_be_the_one() {
        let keys = [
            hmac::Key::new(hmac::HMAC_SHA256, b"first-key"),
            hmac::Key::new(hmac::HMAC_SHA256, b"second-key"),
        ];
        let tag = hmac::sign(&keys[1], b"second message");
        assert!(any_matches(
            &keys,
            &[b"first message", b"second message"],
            &[b"junk", tag.as_ref()]
        )
        .is_ok());
        assert!(matches!(
            any_matches(&keys, &[b"first message"], &[tag.as_ref()]),
            Err(VerifyError::BadSignature)
        ));
        assert!(any_matches(&keys, &[b"second message"], &[]).is_err());
        assert!(any_matches(&[], &[b"second message"], &[tag.as_ref()]).is_err());
    }
}

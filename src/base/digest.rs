//! SHA-256 and lower-case hex: the one digest and the one hex writer of the crate.

/// SHA-256 of `data` (aws-lc, the crypto provider the SDK's TLS already links).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(bytes, &mut out);
    out
}

/// Appends `bytes` as lower-case hex to `out`.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// The first 8 bytes of SHA-256 of `data` as 16 hex digits: the short content hash of keys.
pub fn short_hash(data: &[u8]) -> String {
    hex(&sha256(data)[..8])
}

/// Appends [`short_hash`] of `data` to `out`.
pub fn push_short_hash(data: &[u8], out: &mut String) {
    push_hex(&sha256(data)[..8], out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(short_hash(b"abc"), "ba7816bf8f01cfea");
        assert_eq!(hex(&[0x00, 0xff, 0x10]), "00ff10");
        let mut out = String::from("x#");
        push_short_hash(b"abc", &mut out);
        assert_eq!(out, "x#ba7816bf8f01cfea");
    }
}

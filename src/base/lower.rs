//! ASCII lower case without an allocation for short texts: providers' event names and reasons
//! are matched case-insensitively once per event, on the hot path.

/// The longest text lowered in place; longer ones (never an event name) are copied.
const INLINE: usize = 40;

/// `text` in ASCII lower case, held on the stack when it is short.
pub struct Lower {
    inline: [u8; INLINE],
    length: usize,
    long: Option<String>,
}

impl Lower {
    /// `text` lowered.
    pub fn of(text: &str) -> Lower {
        let mut lower = Lower {
            inline: [0; INLINE],
            length: text.len(),
            long: None,
        };
        if text.len() <= INLINE {
            for (slot, byte) in lower.inline.iter_mut().zip(text.bytes()) {
                *slot = byte.to_ascii_lowercase();
            }
        } else {
            lower.long = Some(text.to_ascii_lowercase());
        }
        lower
    }

    /// The lowered text.
    pub fn as_str(&self) -> &str {
        match &self.long {
            Some(long) => long,
            // Lowering ASCII bytes keeps every other byte, so the bytes stay UTF-8.
            None => std::str::from_utf8(&self.inline[..self.length]).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lower;

    #[test]
    fn lowers_like_the_standard_library_short_or_long() {
        for text in [
            "",
            "Delivered",
            "HARD_BOUNCES",
            "Ünïcode Stays",
            "é",
            &"X".repeat(40),
            &"Yé".repeat(30),
        ] {
            assert_eq!(Lower::of(text).as_str(), text.to_ascii_lowercase(), "{text}");
        }
    }
}

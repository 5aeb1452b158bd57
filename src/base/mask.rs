//! Email addresses out of logs and error texts, in one linear pass.

/// Characters of an address's local part.
fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-'".contains(&b)
}

/// Characters of an address's domain.
fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Hides the local part of anything that looks like an email address: `jane@example.com`
/// becomes `j***@example.com`. Each byte is looked at a bounded number of times, so a text
/// full of `@`s costs no more than any other text of its length.
pub fn mask_emails(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Where the run of local-part characters just written began in `out`, if one is open.
    let mut local_start: Option<usize> = None;
    // How far the last domain look-ahead reached: bytes before it are known domain bytes.
    let mut domain_scanned_to = 0;
    let mut domain_has_dot = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'@' {
            if domain_scanned_to <= i {
                let end = bytes[i + 1..]
                    .iter()
                    .position(|&c| !is_domain(c))
                    .map_or(bytes.len(), |n| i + 1 + n);
                domain_has_dot = bytes[i + 1..end].contains(&b'.');
                domain_scanned_to = end;
            }
            if let Some(start) = local_start.filter(|_| domain_has_dot) {
                // Local-part characters are ASCII: the first one is one byte.
                out.truncate(start + 1);
                out.push_str("***");
            }
            out.push('@');
            local_start = None;
            i += 1;
        } else if is_local(b) {
            local_start.get_or_insert(out.len());
            out.push(char::from(b));
            i += 1;
        } else {
            local_start = None;
            let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_local_part_of_addresses() {
        assert_eq!(
            mask_emails("to Jane.Doe+x@example.com, ok"),
            "to J***@example.com, ok"
        );
        assert_eq!(
            mask_emails("invalid type: string \"a@b.io\""),
            "invalid type: string \"a***@b.io\""
        );
        assert_eq!(
            mask_emails("no address @ here, user@localhost"),
            "no address @ here, user@localhost"
        );
        assert_eq!(mask_emails("x@y.z and q@r.s"), "x***@y.z and q***@r.s");
        assert_eq!(mask_emails("é jane@x.io é"), "é j***@x.io é");
        assert_eq!(mask_emails("a@b.c@d.e"), "a***@b***@d.e");
        assert_eq!(mask_emails(""), "");
    }

    #[test]
    fn a_wall_of_addresses_costs_linear_time() {
        // 256 KB of addresses and bare @s: fine in well under a second even unoptimized.
        let worst = "a@b.io@".repeat(256 * 1024 / 7) + &"@".repeat(4096) + &"a".repeat(65_536) + "@x.y";
        let started = std::time::Instant::now();
        let masked = mask_emails(&worst);
        assert!(!masked.contains("a@b"));
        assert!(masked.ends_with("a***@x.y"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

//! What the deliverability statistics group an event by, beside what happened: where it went
//! (the recipient's domain and its mailbox provider) and what sent it (the sending domain, SES's
//! configuration set and tenant, the provider's tags), and whether an open or click was a
//! machine's. None of it enters the item's key.

use super::mailbox::{consumer_provider, domain_of, SES_SIMULATOR_DOMAIN, UNKNOWN};

/// The most tags kept on an event.
pub const MAX_TAGS: usize = 10;
/// The longest tag (or sending domain, configuration set, tenant) kept, in bytes.
pub const MAX_DIMENSION_BYTES: usize = 128;

/// What a decoder read from the provider's event for the statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Insights {
    /// The domain of the From (or envelope source) address.
    pub sending_domain: Option<String>,
    /// SES's configuration set (`ses:configuration-set`).
    pub config_set: Option<String>,
    /// SES's tenant (`ses:tenant-name`).
    pub tenant: Option<String>,
    /// The provider's tags or campaign (`name:value` for SES's tags), at most [`MAX_TAGS`].
    pub tags: Vec<String>,
    /// The provider marks this open or click as a machine's (a mail proxy or a scanner).
    pub machine: bool,
    /// The mailbox provider, when something better than the table of consumer domains said
    /// it (the provider's own field, or the domain's mail servers).
    pub mailbox_provider: Option<String>,
}

impl Insights {
    /// Sets the sending domain from an address (`Jane <jane@example.com>` or bare).
    pub fn sending_address(&mut self, address: Option<&str>) {
        self.sending_domain = address.and_then(domain_of).map(bounded);
    }

    /// Adds tags, skipping empty and repeated ones, up to [`MAX_TAGS`].
    pub fn add_tags<I: IntoIterator<Item = String>>(&mut self, tags: I) {
        for tag in tags {
            let tag = bounded(tag.trim().to_owned());
            if self.tags.len() >= MAX_TAGS {
                return;
            }
            if !tag.is_empty() && !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
    }
}

/// `text` cut to [`MAX_DIMENSION_BYTES`] on a character boundary.
pub fn bounded(mut text: String) -> String {
    let end = crate::base::text::truncate(&text, MAX_DIMENSION_BYTES).len();
    text.truncate(end);
    text
}

/// Where a recipient's mail goes: its domain and mailbox provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The recipient's domain.
    pub domain: String,
    /// The mailbox provider (`gmail`, `microsoft`, …, or `unknown`).
    pub mailbox_provider: &'static str,
    /// Mail to SES's mailbox simulator, left out of every rate.
    pub simulator: bool,
}

/// The destination of a recipient address, from the versioned table of consumer domains;
/// `None` when the address has no domain.
pub fn destination(recipient: &str) -> Option<Destination> {
    let domain = domain_of(recipient)?;
    let simulator = domain == SES_SIMULATOR_DOMAIN;
    let mailbox_provider = consumer_provider(&domain).unwrap_or(UNKNOWN);
    Some(Destination {
        domain: bounded(domain),
        mailbox_provider,
        simulator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_bounded_in_count_and_length_and_kept_once() {
        let mut insights = Insights::default();
        insights.add_tags(["a".to_owned(), " a ".to_owned(), String::new(), "é".repeat(100)]);
        assert_eq!(insights.tags.len(), 2);
        assert!(insights.tags[1].len() <= MAX_DIMENSION_BYTES);
        insights.add_tags((0..50).map(|i| format!("t{i}")));
        assert_eq!(insights.tags.len(), MAX_TAGS);
    }

    #[test]
    fn destinations_name_the_mailbox_provider_or_unknown() {
        let gmail = destination("Jane@Gmail.com").unwrap();
        assert_eq!(
            (gmail.domain.as_str(), gmail.mailbox_provider, gmail.simulator),
            ("gmail.com", "gmail", false)
        );
        assert_eq!(destination("x@example.org").unwrap().mailbox_provider, UNKNOWN);
        assert!(destination("bounce@simulator.amazonses.com").unwrap().simulator);
        assert_eq!(destination("nobody"), None);
    }

    #[test]
    fn the_sending_domain_is_the_from_addresses() {
        let mut insights = Insights::default();
        insights.sending_address(Some("\"Sender Name\" <sender@Example.com>"));
        assert_eq!(insights.sending_domain.as_deref(), Some("example.com"));
        insights.sending_address(Some("not an address"));
        assert_eq!(insights.sending_domain, None);
    }
}

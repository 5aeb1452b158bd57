//! Which mailbox provider receives mail for a recipient's domain: the consumer domains of the
//! large mailbox providers, kept here as one versioned table. A domain outside the table is
//! `unknown` (most business mail is hosted at Google or Microsoft under the company's own
//! domain, which only its MX records tell).

/// The version of [`CONSUMER_DOMAINS`]: a change of the table is a new version, so counts made
/// with an older one can be told apart.
pub const TABLE_VERSION: &str = "consumer-domains-1";

/// The name of a recipient domain no table names.
pub const UNKNOWN: &str = "unknown";

/// The domain of Amazon SES's mailbox simulator: mail to it never leaves SES, so it is left
/// out of every rate.
pub const SES_SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";

/// Consumer domains by mailbox provider. A provider name is what the statistics group by.
pub const CONSUMER_DOMAINS: &[(&str, &[&str])] = &[
    ("gmail", &["gmail.com", "googlemail.com"]),
    (
        "microsoft",
        &[
            "outlook.com",
            "outlook.de",
            "outlook.es",
            "outlook.fr",
            "outlook.it",
            "hotmail.com",
            "hotmail.co.uk",
            "hotmail.de",
            "hotmail.es",
            "hotmail.fr",
            "hotmail.it",
            "live.com",
            "live.co.uk",
            "live.de",
            "live.fr",
            "live.it",
            "live.nl",
            "msn.com",
            "passport.com",
            "windowslive.com",
        ],
    ),
    (
        "yahoo",
        &[
            "yahoo.com",
            "yahoo.ca",
            "yahoo.co.uk",
            "yahoo.com.au",
            "yahoo.com.br",
            "yahoo.de",
            "yahoo.es",
            "yahoo.fr",
            "yahoo.in",
            "yahoo.it",
            "ymail.com",
            "rocketmail.com",
            "aol.com",
            "aim.com",
            "verizon.net",
            "att.net",
            "sbcglobal.net",
            "bellsouth.net",
        ],
    ),
    ("apple", &["icloud.com", "me.com", "mac.com"]),
    (
        "proton",
        &["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
    ),
    (
        "gmx",
        &[
            "gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "web.de", "mail.com",
        ],
    ),
    ("yandex", &["yandex.ru", "yandex.com", "ya.ru"]),
    ("mailru", &["mail.ru", "bk.ru", "inbox.ru", "list.ru"]),
    ("zoho", &["zoho.com", "zohomail.com"]),
    ("fastmail", &["fastmail.com", "fastmail.fm"]),
    ("comcast", &["comcast.net"]),
    ("orange", &["orange.fr", "wanadoo.fr"]),
    ("t-online", &["t-online.de"]),
    ("free", &["free.fr"]),
    ("italiaonline", &["libero.it", "virgilio.it"]),
    ("seznam", &["seznam.cz"]),
    ("naver", &["naver.com"]),
    ("tencent", &["qq.com", "foxmail.com"]),
    ("netease", &["163.com", "126.com", "yeah.net"]),
];

/// The name of a domain whose mail servers are none of [`MX_HOSTS`]'s (a company's own, or a
/// hosting service not listed).
pub const OTHER: &str = "other";

/// Mail servers (MX hosts, by the end of their names) by mailbox provider: how the domains
/// hosted at a large mailbox provider, mostly companies' own, are told apart. Security gateways
/// are named for themselves: their filtering decides what reaches the inbox.
pub const MX_HOSTS: &[(&str, &str)] = &[
    ("google.com", "gmail"),
    ("googlemail.com", "gmail"),
    ("outlook.com", "microsoft"),
    ("hotmail.com", "microsoft"),
    ("yahoodns.net", "yahoo"),
    ("icloud.com", "apple"),
    ("protonmail.ch", "proton"),
    ("zoho.com", "zoho"),
    ("zoho.eu", "zoho"),
    ("messagingengine.com", "fastmail"),
    ("yandex.net", "yandex"),
    ("yandex.ru", "yandex"),
    ("mail.ru", "mailru"),
    ("qq.com", "tencent"),
    ("163.com", "netease"),
    ("gmx.net", "gmx"),
    ("web.de", "gmx"),
    ("pphosted.com", "proofpoint"),
    ("ppe-hosted.com", "proofpoint"),
    ("mimecast.com", "mimecast"),
    ("barracudanetworks.com", "barracuda"),
    ("iphmx.com", "cisco"),
];

/// The mailbox provider whose servers `host` names (an MX record's exchange, with or without
/// the final dot); `None` when it is none of [`MX_HOSTS`].
pub fn mx_provider(host: &str) -> Option<&'static str> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    MX_HOSTS
        .iter()
        .find(|(suffix, _)| {
            host == *suffix || host.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('.'))
        })
        .map(|(_, provider)| *provider)
}

/// The mailbox provider a sending provider names itself (SparkPost's `mailbox_provider`:
/// `Gmail`, `Gsuite`, `Hotmail / Outlook`, `Office 365`, `Yahoo`, …) in this table's words;
/// another name is kept lower-cased, letters and digits only; `None` for none, `Other` or
/// `Unknown` (then the domain's mail servers say it).
pub fn named_provider(name: &str) -> Option<String> {
    let name: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    let known = match name.as_str() {
        "" | "other" | "others" | "unknown" => return None,
        "gmail" | "gsuite" | "google" | "googleworkspace" | "googleapps" => "gmail",
        "hotmailoutlook" | "hotmail" | "outlook" | "office365" | "microsoft" | "microsoft365" | "msn" => {
            "microsoft"
        }
        "yahoo" | "aol" | "verizon" | "yahooaol" | "verizonmedia" => "yahoo",
        "apple" | "icloud" | "me" => "apple",
        other => return Some(other.to_owned()),
    };
    Some(known.to_owned())
}

/// The domain of an address (after its last `@`), lower-cased; `None` when there is none.
pub fn domain_of(address: &str) -> Option<String> {
    let (_, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('>').trim_end_matches('.');
    (!domain.is_empty() && domain.len() <= 253 && !domain.contains(char::is_whitespace))
        .then(|| domain.to_ascii_lowercase())
}

/// The mailbox provider of a consumer domain (lower case), from [`CONSUMER_DOMAINS`].
pub fn consumer_provider(domain: &str) -> Option<&'static str> {
    CONSUMER_DOMAINS
        .iter()
        .find(|(_, domains)| domains.contains(&domain))
        .map(|(provider, _)| *provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_read_from_the_last_at_and_lower_cased() {
        assert_eq!(domain_of("Jane@GMail.com").as_deref(), Some("gmail.com"));
        assert_eq!(domain_of("\"a@b\"@Example.org.").as_deref(), Some("example.org"));
        assert_eq!(domain_of("Jane <jane@x.io>").as_deref(), Some("x.io"));
        assert_eq!(domain_of("no-at-sign"), None);
        assert_eq!(domain_of("jane@"), None);
        assert_eq!(domain_of("jane@a b.c"), None);
    }

    #[test]
    fn mail_servers_name_their_mailbox_provider_by_whole_labels() {
        assert_eq!(mx_provider("aspmx.l.google.com."), Some("gmail"));
        assert_eq!(mx_provider("ALT1.ASPMX.L.GOOGLE.COM"), Some("gmail"));
        assert_eq!(
            mx_provider("acme-com.mail.protection.outlook.com"),
            Some("microsoft")
        );
        assert_eq!(mx_provider("mta7.am0.yahoodns.net"), Some("yahoo"));
        assert_eq!(mx_provider("mx0a-001.pphosted.com"), Some("proofpoint"));
        assert_eq!(mx_provider("notgoogle.com"), None);
        assert_eq!(mx_provider("mx.acme.example"), None);
    }

    #[test]
    fn the_table_names_each_domain_once_in_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for (provider, domains) in CONSUMER_DOMAINS {
            assert!(!domains.is_empty(), "{provider}");
            for domain in *domains {
                assert!(seen.insert(*domain), "{domain} twice");
                assert_eq!(*domain, domain.to_ascii_lowercase());
                assert_eq!(consumer_provider(domain), Some(*provider));
            }
        }
        assert_eq!(consumer_provider("example.com"), None);
        assert_eq!(consumer_provider(SES_SIMULATOR_DOMAIN), None);
    }
}

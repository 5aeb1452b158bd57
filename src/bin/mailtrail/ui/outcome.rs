//! The recipient page's filters (the grouping and outcomes are `mailtrail::read::groups`).

use mailtrail::read::TimelineEvent;

/// The recipient page's filters, from its query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this normalized event kind.
    pub kind: Option<String>,
    /// From this day or time (as typed).
    pub since: Option<String>,
    /// Before this day or time (as typed).
    pub until: Option<String>,
    /// The page of messages, from 1.
    pub page: usize,
    /// A `page` that is not a page number from 1 to [`MAX_PAGE`] (answered 400).
    pub bad_page: bool,
}

/// The highest page number a request may name: more than a recipient page ever has (10,000
/// rows, 50 messages a page), far from any overflow.
pub const MAX_PAGE: usize = 10_000;

impl Filters {
    /// From query pairs; blank values are no filter.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Filters {
        let mut filters = Filters {
            page: 1,
            ..Filters::default()
        };
        for (name, value) in pairs {
            let value = value.trim().to_owned();
            let set = (!value.is_empty()).then_some(value.clone());
            match name.as_str() {
                "provider" => filters.provider = set,
                "kind" => filters.kind = set,
                "since" => filters.since = set,
                "until" => filters.until = set,
                "page" if value.is_empty() => {}
                "page" => match value.parse::<usize>() {
                    Ok(page) if (1..=MAX_PAGE).contains(&page) => filters.page = page,
                    _ => filters.bad_page = true,
                },
                _ => {}
            }
        }
        filters
    }

    /// Whether an event passes the provider and kind filters.
    pub fn shows(&self, event: &TimelineEvent) -> bool {
        self.provider.as_deref().is_none_or(|p| event.provider == p)
            && self.kind.as_deref().is_none_or(|k| event.event == k)
    }

    /// The query string of these filters on another page.
    pub fn query_for_page(&self, page: usize) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("provider", &self.provider),
            ("kind", &self.kind),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(value) = value {
                pairs.push(format!("{name}={}", super::links::query_value(value)));
            }
        }
        pairs.push(format!("page={page}"));
        pairs.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_blank_as_none_and_keep_themselves_across_pages() {
        let filters = Filters::from_pairs([
            ("provider".to_owned(), "ses".to_owned()),
            ("kind".to_owned(), "".to_owned()),
            ("since".to_owned(), "2026-01-01".to_owned()),
            ("page".to_owned(), "".to_owned()),
        ]);
        assert_eq!(filters.kind, None);
        assert_eq!(filters.page, 1);
        assert_eq!(filters.query_for_page(2), "provider=ses&since=2026-01-01&page=2");
    }

    #[test]
    fn a_page_that_is_no_page_number_is_bad_never_an_overflow() {
        for page in [
            "0",
            "x",
            "-1",
            "18446744073709551615",
            "99999999999999999999999",
            "10001",
        ] {
            let filters = Filters::from_pairs([("page".to_owned(), page.to_owned())]);
            assert!(filters.bad_page, "{page}");
        }
        let filters = Filters::from_pairs([("page".to_owned(), "10000".to_owned())]);
        assert_eq!((filters.page, filters.bad_page), (10_000, false));
    }
}

//! Event times: parsed from what providers send, written in one fixed-width form.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Milliseconds since the Unix epoch, between 1970-01-01 and 9999-12-31 (so that the written
/// form is always 24 characters and sorts as text in time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// The last millisecond of year 9999.
const MAX_MILLIS: i64 = 253_402_300_799_999;
/// Epoch numbers at least this large are milliseconds: as seconds they would be past year 9999.
const MILLIS_THRESHOLD: f64 = 1e12;

impl Timestamp {
    /// A time from milliseconds since the epoch; `None` outside 1970..=9999.
    pub fn from_millis(millis: i64) -> Option<Timestamp> {
        (0..=MAX_MILLIS).contains(&millis).then_some(Timestamp(millis))
    }

    /// A time from Unix seconds, possibly fractional (SendGrid, SendPulse).
    pub fn from_unix_seconds(seconds: f64) -> Option<Timestamp> {
        if !seconds.is_finite() {
            return None;
        }
        let millis = (seconds * 1000.0).round();
        if !(0.0..=MAX_MILLIS as f64).contains(&millis) {
            return None;
        }
        Timestamp::from_millis(millis as i64)
    }

    /// A time from an RFC 3339 text (SES: `2017-08-05T00:41:02.669Z`).
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let parsed = DateTime::parse_from_rfc3339(text.trim()).ok()?;
        Timestamp::from_millis(parsed.timestamp_millis())
    }

    /// A time from what a provider sent as a timestamp: Unix seconds as a number or as
    /// decimal text (a number of at least 10^12 is milliseconds: 13 digits), or RFC 3339 text.
    pub fn parse_lenient(text: &str) -> Option<Timestamp> {
        let trimmed = text.trim();
        match trimmed.parse::<f64>() {
            Ok(number) if number.abs() >= MILLIS_THRESHOLD => {
                let millis = number.round();
                (0.0..=MAX_MILLIS as f64)
                    .contains(&millis)
                    .then_some(Timestamp(millis as i64))
            }
            Ok(seconds) => Timestamp::from_unix_seconds(seconds),
            Err(_) => Timestamp::parse_rfc3339(trimmed),
        }
    }

    /// The current time.
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_millis().clamp(0, MAX_MILLIS))
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0 / 1000
    }

    /// The start of this time's UTC day.
    pub fn start_of_day(self) -> Timestamp {
        Timestamp(self.0 - self.0.rem_euclid(86_400_000))
    }

    /// Fixed-width RFC 3339 in UTC with milliseconds: `2021-09-14T00:20:04.000Z`. Always 24
    /// characters, so the text sorts in time order.
    pub fn to_rfc3339(self) -> String {
        let mut out = String::with_capacity(RFC3339_LEN);
        self.write_rfc3339(&mut out);
        out
    }

    /// Appends [`Timestamp::to_rfc3339`]'s text to `out`, with no allocation of its own (the
    /// sort key is written this way, once per event).
    pub fn write_rfc3339(self, out: &mut String) {
        let time = DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default();
        let mut digits = |value: u32, width: usize, after: char| {
            let mut buffer = [b'0'; 4];
            let mut rest = value;
            for slot in buffer[..width].iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            // ASCII digits only.
            out.push_str(std::str::from_utf8(&buffer[..width]).unwrap_or_default());
            out.push(after);
        };
        // Years are 1970..=9999 by construction, so four digits always hold them.
        digits(time.year().unsigned_abs(), 4, '-');
        digits(time.month(), 2, '-');
        digits(time.day(), 2, 'T');
        digits(time.hour(), 2, ':');
        digits(time.minute(), 2, ':');
        digits(time.second(), 2, '.');
        digits(self.0.rem_euclid(1000) as u32, 3, 'Z');
    }
}

/// The length of the written form.
pub const RFC3339_LEN: usize = 24;

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_agrees_with_chrono_across_the_range() {
        let mut millis = 0i64;
        while millis <= MAX_MILLIS {
            let t = Timestamp::from_millis(millis).unwrap();
            let chrono = DateTime::<Utc>::from_timestamp_millis(millis)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            assert_eq!(t.to_rfc3339(), chrono, "{millis}");
            millis += 7_777_777_777_777 / 1000 + 123;
        }
        let last = Timestamp::from_millis(MAX_MILLIS).unwrap().to_rfc3339();
        assert_eq!(last, "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn writes_fixed_width_utc_with_milliseconds() {
        let t = Timestamp::from_unix_seconds(1_631_578_804.0).unwrap();
        assert_eq!(t.to_rfc3339(), "2021-09-14T00:20:04.000Z");
        assert_eq!(
            Timestamp::from_millis(0).unwrap().to_rfc3339(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_millis(MAX_MILLIS).unwrap().to_rfc3339(),
            "9999-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn parses_ses_times_and_offsets_to_utc() {
        let t = Timestamp::parse_rfc3339("2017-08-05T00:41:02.669Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2017-08-05T00:41:02.669Z");
        let shifted = Timestamp::parse_rfc3339("2017-08-05T02:41:02.669+02:00").unwrap();
        assert_eq!(shifted, t);
    }

    #[test]
    fn parses_unix_seconds_as_number_or_text() {
        assert_eq!(
            Timestamp::parse_lenient("1490954061").unwrap().unix_seconds(),
            1_490_954_061
        );
        assert_eq!(
            Timestamp::parse_lenient(" 1490954061.5 ").unwrap().millis(),
            1_490_954_061_500
        );
        assert_eq!(
            Timestamp::parse_lenient("2016-10-19T23:21:04.133Z")
                .unwrap()
                .millis(),
            1_476_919_264_133
        );
    }

    #[test]
    fn refuses_times_it_cannot_write_in_fixed_width() {
        assert_eq!(Timestamp::from_unix_seconds(-1.0), None);
        assert_eq!(Timestamp::from_unix_seconds(1e300), None);
        assert_eq!(Timestamp::from_unix_seconds(f64::NAN), None);
        assert_eq!(Timestamp::parse_lenient("yesterday"), None);
        assert_eq!(Timestamp::parse_rfc3339("10000-01-01T00:00:00Z"), None);
    }

    #[test]
    fn the_written_form_is_always_24_characters_and_sorts_in_time_order() {
        let mut millis: i64 = 0;
        let mut previous = String::new();
        while millis <= MAX_MILLIS {
            let text = Timestamp(millis).to_rfc3339();
            assert_eq!(text.len(), 24, "{text}");
            assert!(text > previous, "{text} after {previous}");
            assert_eq!(Timestamp::parse_rfc3339(&text), Some(Timestamp(millis)));
            previous = text;
            millis += 86_399_999 * 7 + 12_345;
        }
        assert_eq!(
            Timestamp(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn thirteen_digit_epochs_are_milliseconds() {
        assert_eq!(
            Timestamp::parse_lenient("1700000000123").unwrap().millis(),
            1_700_000_000_123
        );
        assert_eq!(
            Timestamp::parse_lenient("1700000000").unwrap().millis(),
            1_700_000_000_000
        );
        assert_eq!(Timestamp::parse_lenient("99999999999999999999"), None);
    }

    #[test]
    fn start_of_day_truncates_to_midnight_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-24T17:03:09.250Z").unwrap();
        assert_eq!(t.start_of_day().to_rfc3339(), "2026-11-24T00:00:00.000Z");
    }
}

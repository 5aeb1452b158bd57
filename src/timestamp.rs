//! Event times: parsed from what providers send, written in one fixed-width form.

use chrono::{DateTime, Utc};

/// Milliseconds since the Unix epoch, between 1970-01-01 and 9999-12-31 (so that the written
/// form is always 24 characters and sorts as text in time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// The last millisecond of year 9999.
const MAX_MILLIS: i64 = 253_402_300_799_999;

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
    /// decimal text, or RFC 3339 text.
    pub fn parse_lenient(text: &str) -> Option<Timestamp> {
        let trimmed = text.trim();
        match trimmed.parse::<f64>() {
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

    /// Fixed-width RFC 3339 in UTC with milliseconds: `2021-09-14T00:20:04.000Z`.
    pub fn to_rfc3339(self) -> String {
        let seconds = self.0.div_euclid(1000);
        let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
        let second_of_day = seconds.rem_euclid(86_400);
        let mut out = String::with_capacity(24);
        push_digits(&mut out, year, 4);
        out.push('-');
        push_digits(&mut out, month, 2);
        out.push('-');
        push_digits(&mut out, day, 2);
        out.push('T');
        push_digits(&mut out, second_of_day / 3600, 2);
        out.push(':');
        push_digits(&mut out, second_of_day / 60 % 60, 2);
        out.push(':');
        push_digits(&mut out, second_of_day % 60, 2);
        out.push('.');
        push_digits(&mut out, self.0.rem_euclid(1000), 3);
        out.push('Z');
        out
    }
}

/// Writes `value` as exactly `width` decimal digits (values here always fit).
fn push_digits(out: &mut String, value: i64, width: u32) {
    let mut divisor = 10_i64.pow(width - 1);
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// Year, month and day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use chrono::SecondsFormat;

    use super::*;

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
    fn formatting_agrees_with_chrono_across_the_range() {
        let mut millis: i64 = 0;
        while millis <= MAX_MILLIS {
            let ours = Timestamp(millis).to_rfc3339();
            let theirs = DateTime::<Utc>::from_timestamp_millis(millis)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true);
            assert_eq!(ours, theirs);
            millis += 86_399_999 * 7 + 12_345;
        }
        assert_eq!(
            Timestamp(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn start_of_day_truncates_to_midnight_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-24T17:03:09.250Z").unwrap();
        assert_eq!(t.start_of_day().to_rfc3339(), "2026-11-24T00:00:00.000Z");
    }
}

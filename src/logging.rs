//! Log setup and error formatting.

use std::error::Error;
use std::fmt::Write as _;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`, plain text
/// otherwise; the level from `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL`, else `info`.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .map(|level| level.to_lowercase())
        })
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .without_time()
        .with_target(false);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
    // A subscriber installed already (as in tests) is fine.
    drop(result);
}

/// An error and its causes on one line: `outer: inner: root`.
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // thiserror's transparent and "{0}" forms repeat the cause in the outer message.
        if !text.contains(&cause_text) {
            let _ = write!(text, ": {cause_text}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chain_lists_every_cause_once() {
        let error = Outer(std::io::Error::other("root cause"));
        assert_eq!(chain(&error), "outer: root cause");
    }
}

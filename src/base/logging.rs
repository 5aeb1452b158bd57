//! Log setup and error formatting.

use std::error::Error;
use std::fmt::Write as _;

use tracing_subscriber::fmt::MakeWriter;
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
    // A subscriber installed already is fine: the results are dropped on purpose.
    if json {
        drop(tracing::subscriber::set_global_default(json_subscriber(
            filter,
            std::io::stdout,
        )));
    } else {
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .without_time()
            .with_target(false);
        drop(builder.with_ansi(false).try_init());
    }
}

/// The JSON-lines subscriber: one object per event with its fields flattened and the current
/// span's fields (request id, path) under `span`. Lambda adds the time.
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .without_time()
        .with_target(false)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
        .finish()
}

/// The longest error text kept, in bytes: longer texts are cut before they are masked.
pub const MAX_ERROR_TEXT_BYTES: usize = 1024;

/// An error and its causes on one line, `outer: inner: root`, at most about 1 KB, with email
/// addresses masked: fit for logs.
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        if text.len() >= MAX_ERROR_TEXT_BYTES {
            break;
        }
        let cause_text = cause.to_string();
        // thiserror's transparent and "{0}" forms repeat the cause in the outer message.
        if !text.contains(&cause_text) {
            let _ = write!(text, ": {cause_text}");
        }
        source = cause.source();
    }
    let cut = crate::base::text::truncate(&text, MAX_ERROR_TEXT_BYTES).len();
    text.truncate(cut);
    crate::base::mask::mask_emails(&text)
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

    #[test]
    fn chain_is_cut_to_about_a_kilobyte_and_masked() {
        let error = Outer(std::io::Error::other(format!(
            "jane@example.com {}",
            "x".repeat(1_000_000)
        )));
        let text = chain(&error);
        assert!(text.len() <= MAX_ERROR_TEXT_BYTES + 8, "{}", text.len());
        assert!(text.contains("j***@example.com"));
    }
}

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

/// An error and its causes on one line, `outer: inner: root`, with email addresses masked:
/// fit for logs and for error bodies.
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
    mask_emails(&text)
}

/// Hides the local part of anything that looks like an email address: `jane@example.com`
/// becomes `j***@example.com`. Logs and error bodies go through this.
pub fn mask_emails(text: &str) -> String {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "._%+-'".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let local_len = out.chars().rev().take_while(|c| is_local(*c)).count();
        let domain: String = chars[i + 1..].iter().take_while(|c| is_domain(**c)).collect();
        if local_len > 0 && domain.contains('.') {
            let keep = out.chars().count() - local_len;
            let first = out.chars().nth(keep).unwrap_or('*');
            out = out.chars().take(keep).collect();
            out.push(first);
            out.push_str("***");
        }
        out.push('@');
        i += 1;
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
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chain_lists_every_cause_once() {
        let error = Outer(std::io::Error::other("root cause"));
        assert_eq!(chain(&error), "outer: root cause");
    }
}

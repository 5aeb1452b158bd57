//! Who may talk to `mailtrail ui`: a request to this port of 127.0.0.1 or localhost (any other
//! `Host` is a DNS-rebinding attempt: 403), carrying the session token (`?token=` or the
//! cookie the first such request set: 401 without, and nothing is read). Every answer carries
//! the headers that keep the pages inert: a strict Content-Security-Policy, `nosniff`, no
//! framing, no referrer, no caching.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::Ui;

/// The policy: this origin only, no inline script or style, no framing, forms to this origin.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The cookie's name: per port, so two sessions on one machine do not overwrite each other.
pub fn cookie_name(port: u16) -> String {
    format!("mailtrail_ui_{port}")
}

/// Whether `host` names this server: `127.0.0.1:<port>` or `localhost:<port>`, exactly.
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else { return false };
    let host = host.to_ascii_lowercase();
    host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}")
}

/// The token of the query string, if any.
fn query_token(query: Option<&str>) -> Option<String> {
    let query = query?;
    form_pairs(query).find(|(k, _)| k == "token").map(|(_, v)| v)
}

/// The pairs of a query string, decoded.
pub fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(k), decode(v))
    })
}

/// The query string without its `token` pair.
fn without_token(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("token=") && *pair != "token")
        .collect::<Vec<_>>()
        .join("&")
}

/// The token of the session cookie, if any.
fn cookie_token(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Constant-time comparison with the session token.
fn token_matches(ui: &Ui, candidate: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(candidate.as_bytes(), ui.token.as_bytes()).is_ok()
}

/// The middleware: Host, then the token, then the page; the safety headers on every answer.
pub async fn guard(State(ui): State<Arc<Ui>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let mut response = if !host_allowed(host.as_deref(), ui.port) {
        (StatusCode::FORBIDDEN, "forbidden\n").into_response()
    } else {
        let name = cookie_name(ui.port);
        let from_query = query_token(request.uri().query());
        let from_cookie = cookie_token(request.headers(), &name);
        let is_api = request.uri().path().starts_with("/api/");
        match (from_query, from_cookie) {
            (Some(token), _) if token_matches(&ui, &token) => {
                let cookie = format!("{name}={}; HttpOnly; SameSite=Strict; Path=/", ui.token);
                let mut response = if is_api {
                    next.run(request).await
                } else {
                    // Keep the token out of the address bar and the history.
                    let query = without_token(request.uri().query().unwrap_or(""));
                    let path = request.uri().path();
                    let target = if query.is_empty() {
                        path.to_owned()
                    } else {
                        format!("{path}?{query}")
                    };
                    Redirect::to(&target).into_response()
                };
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                response
            }
            (None, Some(token)) if token_matches(&ui, &token) => next.run(request).await,
            _ if is_api => (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"error\":\"unauthorized\"}\n",
            )
                .into_response(),
            _ => (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                super::views::unauthorized().into_string(),
            )
                .into_response(),
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_port_of_the_loopback_names_are_allowed() {
        assert!(host_allowed(Some("127.0.0.1:4000"), 4000));
        assert!(host_allowed(Some("localhost:4000"), 4000));
        assert!(host_allowed(Some("LOCALHOST:4000"), 4000));
        for foreign in [
            "127.0.0.1:4001",
            "evil.example:4000",
            "127.0.0.1",
            "localhost",
            "127.0.0.1.evil.example:4000",
            "[::1]:4000",
            "",
        ] {
            assert!(!host_allowed(Some(foreign), 4000), "{foreign}");
        }
        assert!(!host_allowed(None, 4000));
    }

    #[test]
    fn the_token_is_read_from_the_query_and_removed_from_it() {
        assert_eq!(query_token(Some("a=1&token=abc&b=2")).as_deref(), Some("abc"));
        assert_eq!(query_token(Some("a=1")), None);
        assert_eq!(without_token("a=1&token=abc&b=2"), "a=1&b=2");
        assert_eq!(without_token("token=abc"), "");
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("x=1; mailtrail_ui_9=tok; y=2"),
        );
        assert_eq!(cookie_token(&headers, "mailtrail_ui_9").as_deref(), Some("tok"));
        assert_eq!(cookie_token(&headers, "mailtrail_ui_8"), None);
    }
}

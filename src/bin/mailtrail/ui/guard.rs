//! Who may talk to `mailtrail ui`: a request to this port of 127.0.0.1 or localhost (any other
//! `Host` is a DNS-rebinding attempt: 403), carrying the session: the cookie set when the
//! printed link's one-time login code was exchanged (a second use of the code is refused), or
//! `Authorization: Bearer <session token>` (the token `--token-file` wrote, for scripts).
//! Without either: 401, and nothing is read. No token stays in a URL: the login redirect drops
//! the code. Every answer carries the headers that keep the pages inert: a strict
//! Content-Security-Policy, `nosniff`, no framing, no referrer, no caching.

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

/// The login code of the query string, if any.
fn query_login(query: Option<&str>) -> Option<String> {
    let query = query?;
    form_pairs(query)
        .find(|(k, _)| k == LOGIN_PARAMETER)
        .map(|(_, v)| v)
}

/// The query parameter of the printed link's one-time code.
pub const LOGIN_PARAMETER: &str = "login";

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

/// The query string without its `login` pair.
fn without_login(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("login=") && *pair != "login")
        .collect::<Vec<_>>()
        .join("&")
}

/// The bearer token of the `Authorization` header, if any.
fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
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
    aws_lc_rs::constant_time::verify_slices_are_equal(candidate.as_bytes(), ui.session.as_bytes()).is_ok()
}

/// Exchanges the one-time login code: `true` the first time the right code comes, never again.
fn redeem_login(ui: &Ui, candidate: &str) -> bool {
    let mut login = ui.login.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let matches = login.as_deref().is_some_and(|code| {
        aws_lc_rs::constant_time::verify_slices_are_equal(candidate.as_bytes(), code.as_bytes()).is_ok()
    });
    if matches {
        *login = None;
    }
    matches
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
        let login = query_login(request.uri().query());
        let from_cookie = cookie_token(request.headers(), &name);
        let from_header = bearer_token(request.headers());
        let is_api = request.uri().path().starts_with("/api/");
        let session = from_header
            .iter()
            .chain(from_cookie.iter())
            .any(|token| token_matches(&ui, token));
        match login {
            Some(code) if redeem_login(&ui, &code) => {
                let cookie = format!("{name}={}; HttpOnly; SameSite=Strict; Path=/", ui.session);
                // Keep the code out of the address bar and the history (it is spent anyway).
                let query = without_login(request.uri().query().unwrap_or(""));
                let path = request.uri().path();
                let target = if query.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{query}")
                };
                let mut response = Redirect::to(&target).into_response();
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                response
            }
            // A spent or wrong code is refused, whatever else the request carries.
            None if session => next.run(request).await,
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
    fn the_login_code_is_read_from_the_query_and_removed_from_it() {
        assert_eq!(query_login(Some("a=1&login=abc&b=2")).as_deref(), Some("abc"));
        assert_eq!(query_login(Some("a=1&token=abc")), None);
        assert_eq!(without_login("a=1&login=abc&b=2"), "a=1&b=2");
        assert_eq!(without_login("login=abc"), "");
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer  abc "));
        assert_eq!(bearer_token(&headers).as_deref(), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
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

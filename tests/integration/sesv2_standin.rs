//! A stand-in for SES v2's account-level suppression list, for the tests only: moto's server
//! does not serve these four operations (it answers 404). Written to the SES v2 API model
//! (restJson1): `PUT /v2/email/suppression/addresses` with `{"EmailAddress", "Reason"}`;
//! `GET` of the same path, paged by `PageSize` and `NextToken`, answering
//! `{"SuppressedDestinationSummaries": [{"EmailAddress", "Reason", "LastUpdateTime"}],
//! "NextToken"}` (epoch seconds); `GET` and `DELETE` of `…/addresses/{EmailAddress}`
//! (percent-encoded); errors named by `x-amzn-ErrorType` (`NotFoundException` 404,
//! `TooManyRequestsException` 429, `BadRequestException` 400).
//!
//! What it does not check that SES would: credentials and signatures, the account's sending
//! quota and per-operation rates (it throttles only when told to), the sandbox, reasons'
//! case (SES answers `BadRequestException` for an unknown reason; so does this), and the
//! eventual consistency of the list.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// What the stand-in holds and saw.
#[derive(Debug, Default)]
pub struct SesState {
    /// The list: address → (reason, last update in epoch seconds).
    pub list: BTreeMap<String, (String, f64)>,
    /// Requests answered, as `METHOD path`.
    pub requests: Vec<String>,
    /// The next this many requests are answered 429.
    pub throttle_next: usize,
}

/// A running stand-in.
pub struct SesStandIn {
    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SESV2`.
    pub endpoint: String,
    /// Its state, shared with the server.
    pub state: Arc<Mutex<SesState>>,
}

fn error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    (status, headers, Json(json!({ "message": message }))).into_response()
}

/// Counts the request and answers 429 when throttling is asked for.
fn admit(state: &Mutex<SesState>, what: String) -> Option<Response> {
    let mut state = state.lock().unwrap();
    state.requests.push(what);
    if state.throttle_next > 0 {
        state.throttle_next -= 1;
        return Some(error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Too many requests",
        ));
    }
    None
}

#[derive(Deserialize)]
struct PutBody {
    #[serde(rename = "EmailAddress")]
    email_address: String,
    #[serde(rename = "Reason")]
    reason: String,
}

async fn put(State(state): State<Arc<Mutex<SesState>>>, Json(body): Json<PutBody>) -> Response {
    if let Some(throttled) = admit(&state, "PUT /v2/email/suppression/addresses".to_owned()) {
        return throttled;
    }
    if !matches!(body.reason.as_str(), "BOUNCE" | "COMPLAINT") {
        return error(StatusCode::BAD_REQUEST, "BadRequestException", "invalid Reason");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    state
        .lock()
        .unwrap()
        .list
        .insert(body.email_address.to_lowercase(), (body.reason, now));
    Json(json!({})).into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "PageSize")]
    page_size: Option<usize>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

async fn list(State(state): State<Arc<Mutex<SesState>>>, Query(query): Query<ListQuery>) -> Response {
    if let Some(throttled) = admit(&state, "GET /v2/email/suppression/addresses".to_owned()) {
        return throttled;
    }
    let size = query.page_size.unwrap_or(1000).clamp(1, 1000);
    let state = state.lock().unwrap();
    let start = query.next_token.as_deref().unwrap_or("");
    let page: Vec<(&String, &(String, f64))> = state
        .list
        .range::<str, _>((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded))
        .take(size + 1)
        .collect();
    let more = page.len() > size;
    let summaries: Vec<Value> = page
        .iter()
        .take(size)
        .map(|(address, (reason, at))| json!({"EmailAddress": address, "Reason": reason, "LastUpdateTime": at}))
        .collect();
    let mut body = json!({ "SuppressedDestinationSummaries": summaries });
    if more {
        body["NextToken"] = json!(page[size - 1].0);
    }
    Json(body).into_response()
}

async fn get_one(State(state): State<Arc<Mutex<SesState>>>, Path(address): Path<String>) -> Response {
    if let Some(throttled) = admit(&state, format!("GET /v2/email/suppression/addresses/{address}")) {
        return throttled;
    }
    let state = state.lock().unwrap();
    match state.list.get(&address.to_lowercase()) {
        Some((reason, at)) => Json(json!({"SuppressedDestination": {
            "EmailAddress": address, "Reason": reason, "LastUpdateTime": at, "Attributes": {}
        }}))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            "address not on the list",
        ),
    }
}

async fn delete(State(state): State<Arc<Mutex<SesState>>>, Path(address): Path<String>) -> Response {
    if let Some(throttled) = admit(
        &state,
        format!("DELETE /v2/email/suppression/addresses/{address}"),
    ) {
        return throttled;
    }
    match state.lock().unwrap().list.remove(&address.to_lowercase()) {
        Some(_) => Json(json!({})).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            "address not on the list",
        ),
    }
}

impl SesStandIn {
    /// Starts one on a free port of 127.0.0.1, on the test's runtime.
    pub async fn start() -> SesStandIn {
        let state = Arc::new(Mutex::new(SesState::default()));
        let app = Router::new()
            .route("/v2/email/suppression/addresses", get(list).put(put))
            .route(
                "/v2/email/suppression/addresses/{address}",
                get(get_one).delete(delete),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        SesStandIn { endpoint, state }
    }

    /// How many requests of `method` (`GET`, `PUT`, `DELETE`) it answered.
    pub fn requests(&self, method: &str) -> usize {
        let state = self.state.lock().unwrap();
        state
            .requests
            .iter()
            .filter(|r| r.split(' ').next() == Some(method))
            .count()
    }
}

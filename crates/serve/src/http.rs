//! The preview's requests and responses as `route` sees them: a decoded path and a whole
//! body. The HTTP itself (parsing, limits, keep-alive) is `nashr_http`'s.

use nashr_http::axum::http::{HeaderValue, StatusCode, Uri, header};
use nashr_http::axum::response::IntoResponse;

pub(crate) struct Request {
    /// The path, percent-decoded (`/fa/slug/`).
    pub path: String,
    pub query: String,
}

impl Request {
    pub(crate) fn from_uri(uri: &Uri) -> Request {
        Request {
            path: decode(uri.path()),
            query: uri.query().unwrap_or_default().to_string(),
        }
    }

    pub(crate) fn param(&self, name: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|p| p.split_once('=').or(Some((p, ""))))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| decode(&v.replace('+', " ")))
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

pub(crate) struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub location: Option<String>,
}

impl Response {
    pub(crate) fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: content_type.to_string(),
            body: body.into(),
            location: None,
        }
    }

    pub(crate) fn html(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "text/html; charset=utf-8", body)
    }

    pub(crate) fn text(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body)
    }

    pub(crate) fn json(value: &serde_json::Value) -> Response {
        Response::new(
            200,
            "application/json",
            serde_json::to_vec_pretty(value).unwrap_or_default(),
        )
    }

    pub(crate) fn redirect(to: String) -> Response {
        Response {
            location: Some(to),
            ..Response::text(301, "moved\n")
        }
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> nashr_http::axum::response::Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body).into_response();
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // Only paths of this server, which are ASCII or percent-encoded; a value that is not
        // a valid header (no control characters) is left out rather than sent.
        if let Some(location) = self.location
            && let Ok(v) = HeaderValue::from_str(&location)
        {
            headers.insert(header::LOCATION, v);
        }
        response
    }
}

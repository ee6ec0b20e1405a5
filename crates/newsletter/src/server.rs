//! The unsubscribe endpoint `nashr worker` serves (RFC 8058).
//!
//! `GET <path>?t=TOKEN` shows a confirmation page in the subscriber's language and changes
//! nothing (mail scanners follow links); `POST <path>?t=TOKEN` (the one-click body
//! `List-Unsubscribe=One-Click`, or the page's button) unsubscribes at once and answers 200
//! with a page — never a redirect. No cookies, no login. Served by `nashr_http`, with its
//! limits on heads, bodies and slow clients.

use std::future::Future;
use std::sync::Arc;

use nashr_content::html::{Escape, escape};
use nashr_http::Limits;
use nashr_http::axum::Router;
use nashr_http::axum::body::{Body, to_bytes};
use nashr_http::axum::extract::State;
use nashr_http::axum::http::{Method, StatusCode, Uri, header};
use nashr_http::axum::response::{IntoResponse, Response};
use nashr_l10n::bidi::{Sink, for_sink};
use nashr_store::Store;
use tokio::net::TcpListener;

use crate::email::Renderer;
use crate::token::Key;

pub struct Endpoint {
    pub renderer: Arc<Renderer>,
    pub store: Store,
    pub key: Key,
    /// The path of the endpoint (`/unsubscribe`), from `unsubscribe_url`.
    pub path: String,
}

impl Endpoint {
    /// The path part of the configured unsubscribe URL.
    pub fn path_of(url: &str) -> String {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        path.split('?').next().unwrap_or("/").to_string()
    }
}

/// The limits of a server on the internet: the defaults, and the public request rate.
pub fn public_limits() -> Limits {
    Limits {
        rate: Some(nashr_http::Rate::PUBLIC),
        ..Limits::default()
    }
}

/// Serves with [`public_limits`] until the task is dropped.
pub async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    serve_until(listener, endpoint, public_limits(), std::future::pending()).await;
}

/// Serves until `shutdown` completes; the requests in flight then finish (see
/// [`nashr_http::serve_until`]).
pub async fn serve_until(
    listener: TcpListener,
    endpoint: Arc<Endpoint>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    nashr_http::serve_until(listener, router(endpoint), limits, shutdown).await;
}

/// Every request goes to one handler: the endpoint's path comes from the configuration and
/// is compared as it is, not read as a route pattern.
fn router(endpoint: Arc<Endpoint>) -> Router {
    Router::new().fallback(handle).with_state(endpoint)
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

async fn handle(State(ep): State<Arc<Endpoint>>, method: Method, uri: Uri, body: Body) -> Response {
    if uri.path() != ep.path {
        return respond(StatusCode::NOT_FOUND, TEXT, "not found\n".into());
    }
    let source = ep.renderer.project.config.site.source_locale.clone();
    let token = query_param(uri.query().unwrap_or_default(), "t").unwrap_or_default();
    let Some(email) = ep.key.verify(&token) else {
        let page = ep.renderer.unsubscribe_page(&source, "", PageKind::Invalid, "");
        return respond(StatusCode::BAD_REQUEST, HTML, page);
    };
    let subscriber = ep.store.subscriber(&email).await.ok().flatten();
    let locale = subscriber
        .as_ref()
        .map(|s| ep.renderer.resolve_locale(&s.locale))
        .unwrap_or(source);
    let action = format!("{}?t={token}", ep.path);
    match method {
        Method::GET | Method::HEAD => {
            let page = ep
                .renderer
                .unsubscribe_page(&locale, &email, PageKind::Confirm, &action);
            respond(StatusCode::OK, HTML, page)
        }
        Method::POST => {
            // The body (`List-Unsubscribe=One-Click`) says nothing the token does not; it is
            // read whole first, so a body over the limit unsubscribes no one.
            if to_bytes(body, usize::MAX).await.is_err() {
                return respond(StatusCode::PAYLOAD_TOO_LARGE, TEXT, "request body too large\n".into());
            }
            let now = jiff::Timestamp::now().to_string();
            match ep
                .store
                .subscriber_set_status(
                    &email,
                    nashr_store::SubscriberStatus::Unsubscribed,
                    "one-click unsubscribe",
                    &now,
                )
                .await
            {
                Ok(_) => {
                    tracing::info!("unsubscribed {email}");
                    let page = ep.renderer.unsubscribe_page(&locale, &email, PageKind::Done, &action);
                    respond(StatusCode::OK, HTML, page)
                }
                Err(e) => {
                    tracing::warn!("unsubscribe of {email} failed: {e}");
                    respond(StatusCode::SERVICE_UNAVAILABLE, TEXT, "try again later\n".into())
                }
            }
        }
        _ => respond(StatusCode::METHOD_NOT_ALLOWED, TEXT, "method not allowed\n".into()),
    }
}

const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Confirm,
    Done,
    Invalid,
}

impl Renderer {
    /// The unsubscribe page in `locale`.
    pub fn unsubscribe_page(&self, locale: &str, email: &str, kind: PageKind, action: &str) -> String {
        let rtl = self.l10n.locale(locale).is_some_and(|l| l.rtl);
        let nl = &self.project.config.newsletter;
        if kind == PageKind::Invalid {
            let text = self
                .l10n
                .message(locale, "unsubscribe-invalid", None)
                .map(|f| f.text)
                .unwrap_or_else(|_| "This unsubscribe link is not valid.".into());
            return format!(
                "<!doctype html><html lang=\"{locale}\" dir=\"{}\"><meta charset=\"utf-8\"><p>{}</p></html>",
                if rtl { "rtl" } else { "ltr" },
                escape(&text, Escape::Html)
            );
        }
        let ctx = minijinja::context! {
            lang => locale,
            dir => if rtl { "rtl" } else { "ltr" },
            align => if rtl { "right" } else { "left" },
            email => email,
            done => kind == PageKind::Done,
            action => action,
            sender => nl.from_name.clone(),
            postal_address => nl.postal_address.clone(),
        };
        match self.templates.render("email/unsubscribe.html", ctx) {
            Ok(html) => for_sink(&html, Sink::Markup).into_owned(),
            Err(e) => {
                tracing::warn!("unsubscribe page: {e}");
                "<!doctype html><p>OK</p>".into()
            }
        }
    }
}

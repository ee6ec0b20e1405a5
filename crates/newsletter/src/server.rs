//! The unsubscribe endpoint `nashr worker` serves (RFC 8058).
//!
//! `GET <path>?t=TOKEN` shows a confirmation page in the subscriber's language and changes
//! nothing (mail scanners follow links); `POST <path>?t=TOKEN` (the one-click body
//! `List-Unsubscribe=One-Click`, or the page's button) unsubscribes at once and answers 200
//! with a page — never a redirect. No cookies, no login. A deliberately small HTTP/1.1
//! reader: one request per connection, bounded head and body, a read timeout.

use std::sync::Arc;
use std::time::Duration;

use nashr_content::html::{Escape, escape};
use nashr_l10n::bidi::{Sink, for_sink};
use nashr_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::email::Renderer;
use crate::token::Key;

const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 16 * 1024;

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

/// Serves until the task is dropped.
pub async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(15), handle(stream, &endpoint)).await;
        });
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return None;
    }
    // Read (and ignore) the body: the token in the URL is all RFC 8058 needs.
    let mut have = buf.len() - head_end;
    while have < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        have += n;
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_string(),
        query: query.to_string(),
    })
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

async fn handle(mut stream: TcpStream, ep: &Endpoint) {
    let Some(req) = read_request(&mut stream).await else {
        let _ = respond(&mut stream, 400, "text/plain; charset=utf-8", "bad request\n").await;
        return;
    };
    if req.path != ep.path {
        let _ = respond(&mut stream, 404, "text/plain; charset=utf-8", "not found\n").await;
        return;
    }
    let source = ep.renderer.project.config.site.source_locale.clone();
    let token = query_param(&req.query, "t").unwrap_or_default();
    let Some(email) = ep.key.verify(&token) else {
        let page = ep.renderer.unsubscribe_page(&source, "", PageKind::Invalid, "");
        let _ = respond(&mut stream, 400, "text/html; charset=utf-8", &page).await;
        return;
    };
    let subscriber = ep.store.subscriber(&email).await.ok().flatten();
    let locale = subscriber
        .as_ref()
        .map(|s| ep.renderer.resolve_locale(&s.locale))
        .unwrap_or(source);
    let action = format!("{}?t={token}", ep.path);
    match req.method.as_str() {
        "GET" | "HEAD" => {
            let page = ep
                .renderer
                .unsubscribe_page(&locale, &email, PageKind::Confirm, &action);
            let _ = respond(&mut stream, 200, "text/html; charset=utf-8", &page).await;
        }
        "POST" => {
            let now = jiff::Timestamp::now().to_string();
            match ep
                .store
                .subscriber_set_status(&email, "unsubscribed", "one-click unsubscribe", &now)
                .await
            {
                Ok(_) => {
                    tracing::info!("unsubscribed {email}");
                    let page = ep.renderer.unsubscribe_page(&locale, &email, PageKind::Done, &action);
                    let _ = respond(&mut stream, 200, "text/html; charset=utf-8", &page).await;
                }
                Err(e) => {
                    tracing::warn!("unsubscribe of {email} failed: {e}");
                    let _ = respond(&mut stream, 503, "text/plain; charset=utf-8", "try again later\n").await;
                }
            }
        }
        _ => {
            let _ = respond(&mut stream, 405, "text/plain; charset=utf-8", "method not allowed\n").await;
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
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

//! The HTTP server stack of every nashr server: the preview (`nashr serve`), the worker's
//! unsubscribe endpoint, and what faces the internet next (the sign-up form).
//!
//! Handlers are an [axum] [`Router`]; [`serve_until`] runs the connections itself on hyper 1's
//! HTTP/1.1 connection builder, so one [`Limits`] sets what a client may send and how slowly:
//! the size of a request head (hyper answers 431), of a body (413), the time to send a head
//! (slowloris: the connection is closed), the time to answer (408) and how many requests one
//! client address may make (429, with `Retry-After`). A panicking handler
//! answers 500 and the server goes on. Shutdown is graceful: the listener closes, requests in
//! flight get up to the request timeout to finish.
//!
//! Why axum rather than bare hyper: hyper is the HTTP/1.1 implementation either way (parsing,
//! framing, keep-alive, the header-read timer) and is driven here directly for its limits.
//! axum adds what bare hyper leaves to each server: routing, handlers as async functions
//! returning `IntoResponse`, and extractors (query strings, forms, bounded bodies) that a public
//! form needs and that would otherwise be hand-written again per server. It is a thin layer
//! over the same hyper, http, tower and tower-http crates the tree already builds (reqwest
//! uses them), with its default features off: no JSON, no WebSocket, no `axum::serve`.

use std::future::Future;
use std::time::Duration;

pub use axum;
use axum::Router;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// What a client may send, and how slowly. The defaults suit a server on the internet whose
/// requests are page loads and small forms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes of a request head (request line and headers); a larger head gets 431.
    /// Default 16 KiB, browsers send 1-2 KiB. hyper reads at least 8 KiB at a time, so a
    /// smaller limit is checked once the head is complete.
    pub max_head_bytes: usize,
    /// Bytes of a request body; a larger body gets 413, before it is read when the client
    /// announces its length. Default 16 KiB: a form, never an upload.
    pub max_body_bytes: usize,
    /// Time to receive a complete request head, from the connection's start or the end of
    /// the previous response (an idle keep-alive connection too); then the connection is
    /// closed, so clients that trickle bytes (slowloris) hold no connection for long.
    /// Default 10 s.
    pub header_read_timeout: Duration,
    /// Time for a handler to answer, reading the body included; then 408. A streamed
    /// response (server-sent events) is bounded only until its head is ready. Default 30 s.
    pub request_timeout: Duration,
    /// How many requests one client address may make; more get 429 with `Retry-After`.
    /// `None` (the default) for a server only its own user reaches, such as the preview; a
    /// server on the internet sets [`Rate::PUBLIC`].
    pub rate: Option<Rate>,
}

/// A token bucket per client address: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    /// For public endpoints: generous enough for a mail provider that posts many one-click
    /// unsubscribes after a send, or for every visitor behind one reverse proxy, and still far
    /// below what floods a small server.
    pub const PUBLIC: Rate = Rate {
        per_second: 50.0,
        burst: 200,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: 16 * 1024,
            max_body_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            rate: None,
        }
    }
}

/// The smallest read buffer hyper accepts.
const MIN_BUFFER: usize = 8192;

/// Serves `router` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits) {
    serve_until(listener, router, limits, std::future::pending()).await;
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the requests in flight, at most [`Limits::request_timeout`].
pub async fn serve_until(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    // Outermost first: a panic anywhere below becomes a 500; the timeout covers reading the
    // body; the body limit sees the request before the handler.
    let service = router
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(CatchPanicLayer::new());
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_head_bytes.max(MIN_BUFFER))
        .max_header_size(limits.max_head_bytes);
    let graceful = GracefulShutdown::new();
    let buckets = limits.rate.map(|rate| std::sync::Arc::new(rate::Buckets::new(rate)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::debug!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = rate::PerClient {
            inner: service.clone(),
            client: peer.ip(),
            buckets: buckets.clone(),
        };
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection: {e}");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.request_timeout, graceful.shutdown()).await;
}

mod rate;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn panicking() -> &'static str {
        panic!("a handler's bug")
    }

    async fn start(
        limits: Limits,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let router = Router::new()
            .route("/", get(|| async { "hello" }))
            .route("/never", get(std::future::pending::<&'static str>))
            .route("/panic", get(panicking))
            .route("/echo", post(|body: String| async move { body }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_until(listener, router, limits, async {
            let _ = stopped.await;
        }));
        (addr, stop, task)
    }

    async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(request).await;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn limits_answer_with_their_status_and_the_server_goes_on() {
        let limits = Limits {
            request_timeout: Duration::from_millis(200),
            ..Limits::default()
        };
        let (addr, stop, task) = start(limits).await;
        let ok = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200") && ok.ends_with("hello"), "{ok}");

        let big = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(20 * 1024));
        assert!(exchange(addr, big.as_bytes()).await.starts_with("HTTP/1.1 431"));

        let body = "b".repeat(limits.max_body_bytes + 1);
        let post = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        assert!(exchange(addr, post.as_bytes()).await.starts_with("HTTP/1.1 413"));
        let small = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
        assert!(exchange(addr, small.as_bytes()).await.ends_with("\r\n\r\nhi"));

        let never = exchange(addr, b"GET /never HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(never.starts_with("HTTP/1.1 408"), "{never}");
        let panic = exchange(addr, b"GET /panic HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(panic.starts_with("HTTP/1.1 500"), "{panic}");

        let again = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(again.starts_with("HTTP/1.1 200"), "{again}");
        stop.send(()).unwrap();
        task.await.unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed after shutdown"
        );
    }

    #[tokio::test]
    async fn a_client_past_its_rate_gets_429_with_retry_after() {
        let limits = Limits {
            rate: Some(Rate {
                per_second: 0.5,
                burst: 2,
            }),
            ..Limits::default()
        };
        let (addr, _stop, _task) = start(limits).await;
        let get = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        for _ in 0..2 {
            assert!(exchange(addr, get).await.starts_with("HTTP/1.1 200"));
        }
        let refused = exchange(addr, get).await;
        assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
        assert!(refused.to_ascii_lowercase().contains("retry-after: 2"), "{refused}");
    }

    #[tokio::test]
    async fn a_head_that_never_completes_is_cut_off() {
        let limits = Limits {
            header_read_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let (addr, _stop, _task) = start(limits).await;
        // Part of a head, then nothing: the server closes the connection by itself.
        let out = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n").await;
        assert!(!out.contains("200"), "{out}");
    }
}

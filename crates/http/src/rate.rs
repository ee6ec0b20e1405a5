//! The per-client request rate of [`crate::Limits::rate`]: a token bucket per client address,
//! checked before a request reaches the router.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Rate;

/// Addresses remembered at most; past that, the full (idle) buckets are forgotten first, and
/// if none is full the table starts over, so a flood of addresses cannot grow memory.
const MAX_CLIENTS: usize = 10_000;

pub(crate) struct Buckets {
    rate: Rate,
    clients: Mutex<HashMap<IpAddr, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Buckets {
    pub(crate) fn new(rate: Rate) -> Buckets {
        Buckets {
            rate,
            clients: Mutex::default(),
        }
    }

    /// Takes a token for `client` at `now`; `Err` holds the seconds until the next one.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let burst = f64::from(self.rate.burst.max(1));
        let per_second = self.rate.per_second.max(f64::MIN_POSITIVE);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            clients.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
        }
        let bucket = clients.entry(client).or_insert(Bucket { tokens: burst, at: now });
        let refilled = bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = refilled.min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The router's service for one connection from `client`.
#[derive(Clone)]
pub(crate) struct PerClient<S> {
    pub(crate) inner: S,
    pub(crate) client: IpAddr,
    pub(crate) buckets: Option<Arc<Buckets>>,
}

impl<S, B> tower_service::Service<Request<B>> for PerClient<S>
where
    S: tower_service::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if let Some(buckets) = &self.buckets
            && let Err(retry_after) = buckets.take(self.client, Instant::now())
        {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "too many requests\n").into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return Box::pin(std::future::ready(Ok(response)));
        }
        Box::pin(self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_the_refill_rate_and_others_are_not_affected() {
        let buckets = Buckets::new(Rate {
            per_second: 2.0,
            burst: 3,
        });
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(buckets.take(a, t0), Ok(()));
        }
        assert_eq!(buckets.take(a, t0), Err(1), "the burst is spent");
        assert_eq!(buckets.take(b, t0), Ok(()), "another address has its own bucket");
        // Half a second refills one token at two a second.
        assert_eq!(buckets.take(a, t0 + Duration::from_millis(500)), Ok(()));
        assert!(buckets.take(a, t0 + Duration::from_millis(500)).is_err());
        // A long pause refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(buckets.take(a, later), Ok(()));
        }
        assert!(buckets.take(a, later).is_err());
    }

    #[test]
    fn the_table_of_clients_stays_bounded() {
        let buckets = Buckets::new(Rate {
            per_second: 1.0,
            burst: 1,
        });
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 10) {
            let _ = buckets.take(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert!(buckets.clients.lock().unwrap().len() <= MAX_CLIENTS);
    }
}

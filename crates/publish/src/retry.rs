//! When and how long to wait before trying a request again.
//!
//! Transient failures — 429, 5xx, a refused or dropped connection, a timeout — are retried
//! with exponential backoff and jitter (each wait a random point in the upper half of
//! `base × 2^attempt`, capped), and a server's `Retry-After` is honoured (up to the cap).
//! Anything else (400, 401, 403, 404, …) is an answer, not an accident, and is not retried.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The first backoff; doubled for each further attempt.
    pub base: Duration,
    /// The longest wait, whether from backoff or from `Retry-After`.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 6,
            base: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// Whether an HTTP status is worth another try.
pub(crate) fn is_transient(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1` (`attempt` counts from 0), given the
    /// server's `Retry-After`, if it sent one.
    pub(crate) fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_wait);
        }
        let backoff = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(20)))
            .min(self.max_wait);
        // Full jitter over the upper half: many clients that failed together do not retry
        // together, and the wait still grows.
        let half = backoff / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A random number in [0, 1), from the standard library's randomly keyed hasher.
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP date>`.
pub(crate) fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let delta = when.as_second() - now.as_second();
    Some(Duration::from_secs(delta.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy {
            retries: 5,
            base: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
        };
        for attempt in 0..6 {
            let full = Duration::from_millis(100 * 2u64.pow(attempt)).min(Duration::from_secs(1));
            let w = p.wait(attempt, None);
            assert!(w >= full / 2 && w <= full, "attempt {attempt}: {w:?}");
        }
        let waits: std::collections::BTreeSet<Duration> = (0..20).map(|_| p.wait(3, None)).collect();
        assert!(waits.len() > 1, "jitter varies the wait");
        assert_eq!(
            p.wait(0, Some(Duration::from_secs(7))),
            Duration::from_secs(1),
            "Retry-After is capped"
        );
        assert_eq!(p.wait(4, Some(Duration::from_millis(300))), Duration::from_millis(300));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now: jiff::Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 10:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert!(is_transient(429) && is_transient(503) && !is_transient(404) && !is_transient(401));
    }
}

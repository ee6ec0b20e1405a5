//! nashr's newsletter worker, and the operations on a project's state store that the
//! `nashr newsletter`, `nashr subscribers` and `nashr worker` commands run.
//!
//! [`run`] is the worker: it claims due jobs (scheduled sends, publishes taken over from a
//! worker that died), sends every due delivery of every issue, publishes scheduled articles
//! when their time comes, and serves the unsubscribe endpoint; several of them share a
//! PostgreSQL store. What it does is told to a [`Report`], one line at a time, and it stops
//! when its [`Stop`] is requested: it stops claiming, lets the messages in flight finish and
//! gives back what it still holds.
//!
//! ```no_run
//! use nashr_worker::{Report, Stop, WorkerOptions};
//!
//! struct Log;
//!
//! impl Report for Log {
//!     fn info(&mut self, line: &str) {
//!         eprintln!("{line}");
//!     }
//!     fn warn(&mut self, line: &str) {
//!         eprintln!("warning: {line}");
//!     }
//! }
//!
//! # async fn demo() -> Result<(), nashr_content::Error> {
//! let project = nashr_content::Project::load(std::path::Path::new("."))?;
//! let options = WorkerOptions {
//!     listen: Some("127.0.0.1:8025".into()),
//!     ..WorkerOptions::default()
//! };
//! let stop = Stop::new();
//! stop.on_signals()?; // SIGTERM or Ctrl-C
//! nashr_worker::run(&project, &options, &mut Log, &stop).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nashr_content::Error;
use nashr_content::newsletter::TransportKind;

pub mod jobs;
pub mod send;
mod setup;
pub mod subscribers;
mod worker;

pub use setup::open_store;
pub use worker::run;

/// Where the library's lines go, as they happen: `nashr` prints `info` lines as they are and
/// `warn` lines after `warning: `.
pub trait Report {
    fn info(&mut self, line: &str);
    fn warn(&mut self, line: &str);
}

/// How long a claim holds without renewal, unless [`WorkerOptions::lease_secs`] says.
pub const DEFAULT_LEASE_SECS: i64 = 60;

/// How a worker runs; [`Default`] is what `nashr worker` does without options.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerOptions {
    /// Where to serve the unsubscribe endpoint (`None`: `[newsletter] listen`).
    pub listen: Option<String>,
    /// How long to sleep when there is no due work (kept between 50 ms and an hour).
    pub tick: Duration,
    /// Messages in flight at once (`None`: `[newsletter.smtp] concurrency`; 1 for the file
    /// transport).
    pub concurrency: Option<usize>,
    /// Seconds a claim holds without renewal: how soon other workers take over the work of a
    /// worker that died (it renews its claims every third of this while it lives). At least 2.
    pub lease_secs: i64,
    /// How often to report the health line (claimed, sent, retried, failed); kept between
    /// 0.1 s and a day.
    pub health_every: Duration,
    /// `None`: `[newsletter] transport`.
    pub transport: Option<TransportKind>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            listen: None,
            tick: Duration::from_secs(1),
            concurrency: None,
            lease_secs: DEFAULT_LEASE_SECS,
            health_every: Duration::from_secs(60),
            transport: None,
        }
    }
}

impl WorkerOptions {
    /// `tick` from seconds; a value that is no duration (negative, NaN) is the shortest tick.
    pub fn tick_secs(mut self, secs: f64) -> Self {
        self.tick = secs_within(secs, TICK_RANGE);
        self
    }

    /// `health_every` from seconds; a value that is no duration is the shortest.
    pub fn health_every_secs(mut self, secs: f64) -> Self {
        self.health_every = secs_within(secs, HEALTH_RANGE);
        self
    }
}

const TICK_RANGE: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(3600));
const HEALTH_RANGE: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(86_400));

fn secs_within(secs: f64, (low, high): (Duration, Duration)) -> Duration {
    Duration::try_from_secs_f64(secs).map_or(low, |d| d.clamp(low, high))
}

/// Tells a running worker to stop; clones share the request.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    requested: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Asks the worker to stop, and wakes it if it sleeps.
    pub fn request(&self) {
        self.requested.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }

    /// Requests the stop on SIGTERM or SIGINT (Ctrl-C). Call it inside a Tokio runtime.
    pub fn on_signals(&self) -> Result<(), Error> {
        let signal_err = |e: std::io::Error| Error::Environment(format!("cannot listen for signals: {e}"));
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(signal_err)?;
        #[cfg(not(unix))]
        let _ = signal_err;
        let stop = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            stop.request();
        });
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_from_seconds_are_kept_in_range_and_never_panic() {
        let o = WorkerOptions::default().tick_secs(0.001).health_every_secs(1e12);
        assert_eq!(o.tick, Duration::from_millis(50));
        assert_eq!(o.health_every, Duration::from_secs(86_400));
        let o = WorkerOptions::default().tick_secs(f64::NAN).health_every_secs(-3.0);
        assert_eq!((o.tick, o.health_every), (TICK_RANGE.0, HEALTH_RANGE.0));
        assert_eq!(
            WorkerOptions::default().tick_secs(2.5).tick,
            Duration::from_millis(2500)
        );
    }

    #[test]
    fn a_stop_request_is_seen_by_every_clone() {
        let stop = Stop::new();
        let seen = stop.clone();
        assert!(!seen.is_requested());
        stop.request();
        assert!(seen.is_requested());
    }
}

//! Scheduled sends (`nashr newsletter schedule`, `cancel`, `status`): a `newsletter` job per
//! issue, run by whichever worker claims it first once it is due.

use jiff::ZonedDateTime as Zoned;
use nashr_content::{Error, Project};
use nashr_newsletter::Issue;
use nashr_newsletter::deliver::{now, store_err};
use nashr_newsletter::schedule::{self, Fold};
use nashr_store::{IssueProgress, Job, JobKind};

use crate::setup;

/// When an issue is to be sent: a local time in a zone, resolved to an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub issue: String,
    /// The local time as the editor wrote it.
    pub local_time: String,
    /// The IANA zone it is in.
    pub tz: String,
    pub when: Zoned,
}

/// Why an issue cannot be scheduled.
#[derive(Debug)]
pub enum ScheduleError {
    /// The issue or the project is broken.
    Project(Error),
    /// The time does not exist in the zone, happens twice, or is not a time (the message
    /// says which and what to write instead).
    Time(String),
}

impl From<Error> for ScheduleError {
    fn from(e: Error) -> Self {
        ScheduleError::Project(e)
    }
}

impl Schedule {
    /// Resolves `at` in `tz` (`None`: `[newsletter] timezone`) for the issue `id`, which must
    /// load. `fold` chooses between the two instants of a time that happens twice.
    pub fn resolve(
        project: &Project,
        id: &str,
        at: &str,
        tz: Option<&str>,
        fold: Fold,
    ) -> Result<Schedule, ScheduleError> {
        let issue = Issue::load(project, id)?;
        let tz = tz.unwrap_or(&project.config.newsletter.timezone).to_string();
        let when = schedule::resolve(at, &tz, fold).map_err(ScheduleError::Time)?;
        Ok(Schedule {
            issue: issue.id,
            local_time: at.to_string(),
            tz,
            when,
        })
    }

    /// `2026-12-01 09:00 PST (2026-12-01 17:00 UTC)`.
    pub fn shown(&self) -> String {
        format!(
            "{} ({} UTC)",
            self.when.strftime("%Y-%m-%d %H:%M %Z"),
            self.when.timestamp().strftime("%Y-%m-%d %H:%M")
        )
    }

    /// Whether the time has passed (a worker sends it as soon as it runs).
    pub fn is_past(&self) -> bool {
        self.when.timestamp().as_second() < now()
    }

    /// Records the send (moving an already scheduled one of the issue).
    pub async fn record(&self, project: &Project) -> Result<Job, Error> {
        let store = setup::open_store(project).await?;
        let job = store
            .job_schedule(
                JobKind::Newsletter,
                &self.issue,
                self.when.timestamp().as_second(),
                &self.tz,
                &self.local_time,
                now(),
            )
            .await
            .map_err(store_err);
        store.close().await;
        job
    }
}

/// Cancels the scheduled send of `issue`; returns whether there was one.
pub async fn cancel(project: &Project, issue: &str) -> Result<bool, Error> {
    let store = setup::open_store(project).await?;
    let cancelled = store
        .job_cancel(JobKind::Newsletter, issue, now())
        .await
        .map_err(store_err);
    store.close().await;
    cancelled
}

/// Pending jobs, and the delivery ledger of one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Scheduled or running, soonest first.
    pub jobs: Vec<Job>,
    pub issue: Option<(String, IssueProgress)>,
}

/// The pending jobs, and the delivery ledger of `issue` if asked for.
pub async fn status(project: &Project, issue: Option<&str>) -> Result<Status, Error> {
    let store = setup::open_store(project).await?;
    let read = async {
        let jobs = store.jobs_pending().await?;
        let issue = match issue {
            Some(id) => Some((id.to_string(), store.issue_progress(id).await?)),
            None => None,
        };
        Ok::<_, nashr_store::StoreError>(Status { jobs, issue })
    };
    let status = read.await.map_err(store_err);
    store.close().await;
    status
}

/// `run_at` of a job shown in its zone.
pub fn shown_run_at(job: &Job) -> String {
    let at = jiff::Timestamp::from_second(job.run_at).unwrap_or_default();
    schedule::show(at, &job.tz)
}

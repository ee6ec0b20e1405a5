//! `nashr store migrate` and `nashr store status`: the state store for its administrator.

use clap::Subcommand;
use nashr_content::{Error, Project};
use nashr_newsletter::deliver::{now, store_err};
use nashr_store::{Overview, Store};

use crate::{EXIT_USAGE, Ui, plural};

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Bring the store's schema up to date (every command that opens the store does it too).
    Migrate,
    /// Schema versions, pending jobs, sends in progress, and what each worker holds.
    Status {
        #[arg(long)]
        json: bool,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

fn versions(list: &[(i64, String)]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|(v, d)| format!("{v} ({d})"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn command(root: &std::path::Path, cmd: &StoreCommand, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    let location = nashr_publish::store_location(&project).map_err(store_err)?;
    runtime()?.block_on(async {
        let store = Store::connect_unmigrated(&location).await.map_err(store_err)?;
        let code = match cmd {
            StoreCommand::Migrate => migrate(&store, ui).await,
            StoreCommand::Status { json } => {
                let format = if *json { Format::Json } else { Format::Text };
                status(&store, format, ui).await
            }
        };
        store.close().await;
        code
    })
}

async fn migrate(store: &Store, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let applied = store.migrate().await.map_err(store_err)?;
    let version = store.schema_version().await.map_err(store_err)?;
    if applied.is_empty() {
        ui.info(format!("{}: schema up to date (version {version})", store.shown()));
    } else {
        let list: Vec<String> = applied.iter().map(i64::to_string).collect();
        ui.info(format!(
            "{}: applied migration{} {}; schema version {version}",
            store.shown(),
            plural(applied.len()),
            list.join(", ")
        ));
    }
    Ok(0)
}

fn when(at: i64) -> String {
    let ts = jiff::Timestamp::from_second(at).unwrap_or_default();
    let delta = at - now();
    let rel = if delta >= 0 {
        format!("in {delta} s")
    } else {
        format!("expired {} s ago: its worker is gone, others take its work", -delta)
    };
    format!("{} UTC ({rel})", ts.strftime("%Y-%m-%d %H:%M:%S"))
}

/// How `store status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

async fn status(store: &Store, format: Format, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let overview = store.overview().await.map_err(store_err)?;
    if !overview.schema.unknown.is_empty() {
        ui.error(&format!(
            "{} was written by a newer nashr (schema versions {:?} are unknown to this one): upgrade nashr",
            store.shown(),
            overview.schema.unknown
        ));
        return Ok(EXIT_USAGE);
    }
    if format == Format::Json {
        let text = serde_json::to_string_pretty(&status_json(store, &overview)).unwrap_or_default();
        ui.print(format!("{text}\n"));
    } else {
        ui.print(status_text(store, &overview));
    }
    Ok(0)
}

/// `store status --json`: version 1 of the format the README documents.
fn status_json(store: &Store, o: &Overview) -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "store": store.shown(),
        "backend": store.backend_name(),
        "schema": {
            "applied": o.schema.applied.iter().map(|(v, _)| v).collect::<Vec<_>>(),
            "pending": o.schema.pending.iter().map(|(v, _)| v).collect::<Vec<_>>(),
        },
        "jobs": o.jobs.iter().map(|j| serde_json::json!({
            "kind": j.kind.as_str(), "target": j.target, "state": j.state.as_str(), "run_at": j.run_at, "tz": j.tz,
        })).collect::<Vec<_>>(),
        "sends": o.sends.iter().map(|(issue, c)| serde_json::json!({
            "issue": issue, "queued": c.queued, "sending": c.sending, "sent": c.sent,
            "retry": c.retry, "failed": c.failed, "skipped": c.skipped,
        })).collect::<Vec<_>>(),
        "leases": o.leases.iter().map(|l| serde_json::json!({
            "worker": l.owner, "deliveries": l.deliveries, "jobs": l.jobs, "until": l.until,
            "expired": l.until < now(),
        })).collect::<Vec<_>>(),
    })
}

fn status_text(store: &Store, o: &Overview) -> String {
    let mut out = format!(
        "store: {} ({})\nschema: applied {}; pending {}\n",
        store.shown(),
        store.backend_name(),
        versions(&o.schema.applied),
        versions(&o.schema.pending)
    );
    if !o.is_current() {
        out.push_str(
            "run `nashr store migrate` (or any command that opens the store) to apply the pending migrations\n",
        );
        return out;
    }
    out.push_str(&format!("pending jobs: {}\n", o.jobs.len()));
    for j in &o.jobs {
        out.push_str(&format!(
            "  {} {} {}: {}\n",
            j.kind,
            j.target,
            j.state,
            nashr_worker::jobs::shown_run_at(j)
        ));
    }
    out.push_str(&format!("sends in progress: {}\n", o.sends.len()));
    for (issue, c) in &o.sends {
        out.push_str(&format!(
            "  {issue}: {} queued, {} sending, {} to retry, {} sent, {} failed, {} skipped\n",
            c.queued, c.sending, c.retry, c.sent, c.failed, c.skipped
        ));
    }
    out.push_str(&format!("workers holding leases: {}\n", o.leases.len()));
    for l in &o.leases {
        out.push_str(&format!(
            "  {}: {} deliver{}, {} job{}, until {}\n",
            l.owner,
            l.deliveries,
            if l.deliveries == 1 { "y" } else { "ies" },
            l.jobs,
            plural(l.jobs),
            when(l.until)
        ));
    }
    out
}

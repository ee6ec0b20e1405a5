//! What every operation needs: the project's store, its unsubscribe key, a sender.

use std::sync::Arc;

use nashr_content::newsletter::TransportKind;
use nashr_content::{Error, Project};
use nashr_newsletter::deliver::{Policy, Sender, store_err};
use nashr_newsletter::{Key, Renderer, Transport};
use nashr_store::Store;

use crate::Report;

/// Opens the project's store (`NASHR_STORE_URL`, `[store] url` or the SQLite file) and brings
/// its schema up to date.
pub async fn open_store(project: &Project) -> Result<Store, Error> {
    let location = nashr_publish::store_location(project).map_err(store_err)?;
    Store::connect(&location).await.map_err(store_err)
}

/// The transport `chosen`, else the project's.
pub(crate) fn transport_kind(project: &Project, chosen: Option<TransportKind>) -> TransportKind {
    chosen.unwrap_or(project.config.newsletter.transport)
}

/// The unsubscribe key: from the environment; without one, the labelled development key,
/// for the file transport only.
fn key(project: &Project, kind: TransportKind, report: &mut dyn Report) -> Result<Key, Error> {
    let var = &project.config.newsletter.key_env;
    if let Some(k) = Key::from_env(var) {
        return Ok(k);
    }
    match kind {
        TransportKind::File => {
            report.warn(&format!(
                "{var} is not set: unsubscribe links are signed with the public development key (fine for the file outbox, refused for SMTP)"
            ));
            Ok(Key::development())
        }
        TransportKind::Smtp => Err(Error::MissingSecret {
            var: var.to_string(),
            secret: nashr_content::Secret::UnsubscribeKey,
        }),
    }
}

/// A sender over `kind` from `store`, with the project's policy and claims of `lease_secs`.
pub(crate) fn sender(
    project: &Project,
    kind: TransportKind,
    store: Store,
    lease_secs: i64,
    report: &mut dyn Report,
) -> Result<Sender, Error> {
    let key = key(project, kind, report)?;
    let mut config = project.config.newsletter.clone();
    config.transport = kind;
    let transport = Transport::from_config(&config, &project.root).map_err(Error::Environment)?;
    let policy = Policy::from_config(&config, lease_secs);
    let renderer = Arc::new(Renderer::for_project(project)?);
    Ok(Sender::new(renderer, store, transport, key, policy))
}

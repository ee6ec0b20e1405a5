//! The feeds stage: each locale's Atom feed of its newest articles, bodies included.

use std::sync::Arc;

use super::listings::{CARD_BYTES, Listing};
use super::{ArticleView, Common, SiteRenderer, fingerprint, ser};

/// The Atom feed of `common.lang` showing `entries`: machine dates stay RFC 3339. `updated` is
/// the newest of the entries', so an unchanged site gives an unchanged feed.
pub(crate) fn feed_job(r: &SiteRenderer, common: Arc<Common>, entries: Vec<ArticleView>) -> Listing<'static> {
    let lang = &common.lang;
    let updated = entries
        .iter()
        .map(|v| v.updated_rfc3339.clone())
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let alternate_url = r.urls.permalink(&format!("{lang}/"));
    let fp = fingerprint(&("feed", r.templates.fingerprint("atom.xml"), lang, &entries, &updated));
    Listing {
        path: format!("{lang}/atom.xml"),
        fingerprint: fp,
        cost: entries.iter().map(|e| e.content.len() + CARD_BYTES).sum(),
        render: Box::new(move |r: &SiteRenderer| {
            let feed = minijinja::context! {
                updated => updated,
                self_url => common.feed_permalink.clone(),
                alternate_url => alternate_url,
            };
            let ctx = minijinja::context! { feed => feed, articles => ser(&entries), ..ser(&*common) };
            r.render("atom.xml", ctx)
        }),
    }
}

//! What a run asks of the previous build. Every stage that could reuse earlier work asks
//! through [`Prior`]; a full build passes [`NoPrior`], so it is not a special case.

use std::collections::BTreeMap;

use nashr_content::Error;

use super::{ArticleDone, Cards};

/// The previous build, for the articles this run does not render again. Its answers describe
/// that build's output, which this run completes: the cards are asked for only when a listing
/// page must be looked at, so an edit that changes no card never loads them.
pub(crate) trait Prior: Sync {
    /// `(date, slug)` of every live article this run does not render (the previous build
    /// rendered it, and it is as it was).
    fn unrendered(&self) -> &[(String, String)];
    /// Fingerprints of the previous build's listing pages, by output path: a listing whose
    /// fingerprint is among them is not rendered again.
    fn listings(&self) -> &BTreeMap<String, u64>;
    /// Whether the listing pages may differ from the previous build's, given the articles
    /// rendered in this run: a card changed, an article came, went, went live, or a listing
    /// template changed. When not, only the feeds (which carry bodies) are looked at.
    fn listings_stale(&self, rendered: &BTreeMap<String, ArticleDone>) -> bool;
    /// The cards (bodies left out) of every live article of the previous build.
    fn cards(&self) -> Result<&Cards, Error>;
    /// The cards with their bodies of the previous build's newest articles (the feeds'
    /// entries and as many again).
    fn feed(&self) -> Result<&Cards, Error>;
    /// Whether an article not rendered in this run produced `path` (a static file must not
    /// replace it).
    fn produced(&self, path: &str) -> bool;
}

/// No previous build: every article is rendered, every listing is stale and rendered.
pub(crate) struct NoPrior;

/// No cards: what is known of a build that did not happen, or was not asked for.
pub(crate) static NO_CARDS: Cards = BTreeMap::new();
static NO_LISTINGS: BTreeMap<String, u64> = BTreeMap::new();

impl Prior for NoPrior {
    fn unrendered(&self) -> &[(String, String)] {
        &[]
    }

    fn listings(&self) -> &BTreeMap<String, u64> {
        &NO_LISTINGS
    }

    fn listings_stale(&self, _rendered: &BTreeMap<String, ArticleDone>) -> bool {
        true
    }

    fn cards(&self) -> Result<&Cards, Error> {
        Ok(&NO_CARDS)
    }

    fn feed(&self) -> Result<&Cards, Error> {
        Ok(&NO_CARDS)
    }

    fn produced(&self, _path: &str) -> bool {
        false
    }
}

/// What one run renders: the whole site, or (an incremental build) what an edit affects.
pub(crate) struct Scope<'s> {
    /// Every live article's slug: `@/` links to other slugs lose their link.
    pub live: std::collections::BTreeSet<String>,
    /// The previous build ([`NoPrior`] for a full build).
    pub prior: &'s dyn Prior,
}

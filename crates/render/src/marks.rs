//! Translation marks in the rendered site, for the preview server only
//! ([`crate::RenderOptions::marks`]). The marking itself is `nashr_l10n::marks`; here the
//! marks are kept per output file, and the body sanitiser keeps their `data-` attributes.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

pub use nashr_l10n::marks::{Mark, MarkKind};

/// The attributes of a marked segment's `<span>`.
pub const ATTRIBUTES: &[&str] = &[
    "data-nashr-mark",
    "data-id",
    "data-file",
    "data-line",
    "data-source-file",
    "data-source-line",
    "data-source",
];

/// The body sanitiser, keeping the marks' attributes on `<span>`.
pub(crate) static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = crate::markdown::sanitizer();
    b.add_tag_attributes("span", ATTRIBUTES);
    b
});

/// Marks per output file (`fa/slug/index.html`), gathered while rendering.
#[derive(Default)]
pub(crate) struct Collector {
    enabled: bool,
    pages: Mutex<BTreeMap<String, Vec<Mark>>>,
}

impl Collector {
    pub(crate) fn new(enabled: bool) -> Collector {
        Collector {
            enabled,
            pages: Mutex::default(),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Adds `marks` to the page at `path`.
    pub(crate) fn add(&self, path: &str, marks: Vec<Mark>) {
        if !self.enabled || marks.is_empty() {
            return;
        }
        if let Ok(mut pages) = self.pages.lock() {
            let list = pages.entry(path.to_string()).or_default();
            for m in marks {
                if !list.iter().any(|o| o.id == m.id && o.slug == m.slug) {
                    list.push(m);
                }
            }
        }
    }

    /// Runs `render` (a template) for the page at `path`, keeping the UI messages it marked.
    pub(crate) fn page<R>(&self, path: &str, render: impl FnOnce() -> R) -> R {
        if !self.enabled {
            return render();
        }
        let (result, marks) = nashr_l10n::marks::collect(render);
        self.add(path, marks);
        result
    }

    pub(crate) fn into_pages(self) -> BTreeMap<String, Vec<Mark>> {
        self.pages.into_inner().unwrap_or_default()
    }
}

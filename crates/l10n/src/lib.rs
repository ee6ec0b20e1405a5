//! Stage 2 of nashr: everything about languages.
//!
//! - [`segment`]: splits an article into translation segments with stable, readable ids;
//! - [`catalog`] and [`sync`]: the `.ftl` catalogs translators work from;
//! - [`Localizer`]: Fluent bundles per locale with a fallback chain, for UI strings
//!   ([`Localizer::message`]) and whole articles ([`Localizer::localize`]);
//! - [`format`]: the one module that turns numbers and dates into text (ICU4X), behind the
//!   template filters and Fluent's `NUMBER`, `DATETIME` and number placeables;
//! - [`bidi`]: where Fluent's isolation marks may go, and where not ([`bidi::Sink`]).
//!
//! Slugs for localized titles are [`nashr_content::slugify`], re-exported here as
//! [`slugify`]; [`LocalizedArticle::slug`] is the one to use for an article in a locale.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let project = nashr_content::Project::load(std::path::Path::new("."))?;
//! let l10n = nashr_l10n::Localizer::load(&project)?;
//! let fa = l10n.localize(&project.articles[0], "fa");
//! println!("{}\n\n{}", fa.title, fa.body);
//! # Ok(()) }
//! ```

pub mod bidi;
pub mod catalog;
pub mod format;
pub mod inline_html;
pub mod localizer;
pub mod marks;
pub mod segment;
pub mod sync;
mod translate;

pub use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
pub use format::{DateInput, FluentDate, LocaleFormat};
pub use localizer::{Formatted, Localizer, MessageError};
pub use nashr_content::slugify;
pub use translate::LocalizedArticle;

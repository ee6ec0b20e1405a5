//! Translator tooling for nashr: what is left to translate, what went stale, and what is
//! wrong in the translation files.
//!
//! - [`tree`]: which translation file answers which source file, for a nashr project
//!   ([`tree::project_trees`]) or for any two directories of `.ftl` files
//!   ([`tree::dir_trees`], like compare-locales);
//! - [`status`]: translated, missing, stale, obsolete and identical messages with word
//!   counts, per file and locale;
//! - [`in_build`]: the same checks made by `nashr build` on each article as it renders it;
//! - `lock`: the lock file that makes stale detection work without translators doing
//!   anything but translating;
//! - [`lint`]: every problem as a located [`lint::Finding`] with a stable code and a hint, and
//!   `--fix` for the safe ones.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::{Path, PathBuf};
//! let trees = nashr_check::tree::dir_trees(Path::new("en"), &[PathBuf::from("fa")], None)?;
//! for locale in nashr_check::status::status(&trees)? {
//!     println!("{}: {} of {} messages need work", locale.locale,
//!         locale.total.missing + locale.total.stale, locale.total.total);
//! }
//! for finding in nashr_check::lint::lint(&trees)? {
//!     print!("{}", nashr_check::report::finding_text(&finding));
//! }
//! # Ok(()) }
//! ```

mod ftl;
pub mod in_build;
pub mod lint;
mod lock;
mod markup;
pub mod report;
mod script;
pub mod status;
pub mod tree;

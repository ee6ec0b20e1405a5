//! The HTML a translator may write in a message whose id ends in `-html`. The renderer's
//! sanitizer keeps exactly this and `nashr l10n lint` reports anything else, so a translator
//! learns about a dropped tag before a reader misses it.

/// Inline elements allowed.
pub const TAGS: &[&str] = &[
    "a", "b", "strong", "em", "i", "br", "span", "bdi", "abbr", "code", "small",
];
/// Attributes allowed on every allowed element.
pub const GLOBAL_ATTRIBUTES: &[&str] = &["dir", "lang", "title"];
/// Attributes allowed on `<a>` only.
pub const LINK_ATTRIBUTES: &[&str] = &["href", "hreflang"];
/// URL schemes allowed in `href`.
pub const URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

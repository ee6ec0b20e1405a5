//! The static files stage: `static/` (stylesheet, fonts, robots.txt, favicon) copied as it is
//! to the site root, as Hugo and Zola do.

use nashr_content::{Error, SourceError};

use super::{SiteRenderer, put};

/// Copies the static files to `sink`; `generated` says whether the site has a page at a path
/// (a static file must not replace it: that is an error naming the file). Returns the files
/// copied, and the errors.
pub(crate) fn copy_static(
    r: &SiteRenderer,
    generated: impl Fn(&str) -> bool,
    sink: &dyn crate::OutputSink,
) -> Result<(Vec<String>, Vec<SourceError>), Error> {
    let static_dir = r.project.static_dir();
    let mut copied = Vec::new();
    let mut errors = Vec::new();
    for path in nashr_content::fs::walk_files(&static_dir).map_err(|e| Error::io(&static_dir, e))? {
        let rel = nashr_content::fs::relative_slash(&path, &static_dir);
        if generated(&rel) {
            errors.push(
                SourceError::whole_file(r.project.shown(&path), format!("would replace the generated `{rel}`"))
                    .with_help("static files are copied to the site root; rename or move this one"),
            );
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        match put(sink, &rel, bytes) {
            Ok(()) => copied.push(rel),
            Err(e) => errors.push(e),
        }
    }
    Ok((copied, errors))
}

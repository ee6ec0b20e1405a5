//! Previews of an issue (`nashr newsletter render`): per locale, the message a sample
//! subscriber would get, as an `.eml` file under `<outbox>/preview/<issue>/`.

use std::path::PathBuf;

use nashr_content::{Error, Project};

use crate::email::{Recipient, Renderer};
use crate::issue::Issue;
use crate::token::Key;

/// The address the previews are made out to.
pub const SAMPLE_ADDRESS: &str = "preview@example.com";

/// One locale's preview, written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub locale: String,
    pub subject: String,
    /// The `.eml` file (written only if its bytes changed).
    pub path: PathBuf,
    /// The issue's segments not translated into this locale yet (shown in the source language).
    pub fallback: Vec<String>,
}

/// Writes the preview of `issue` in each locale of the site, in the site's order, one per
/// item of the iterator; an error ends it. Unsubscribe links are signed with the key of
/// `[newsletter] key_env`, or the development key when it is not set.
pub fn previews<'a>(
    project: &'a Project,
    issue: &'a Issue,
) -> Result<impl Iterator<Item = Result<Preview, Error>> + 'a, Error> {
    let renderer = Renderer::for_project(project)?;
    let dir = project
        .root
        .join(&project.config.newsletter.outbox)
        .join("preview")
        .join(&issue.id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let key = Key::from_env(&project.config.newsletter.key_env).unwrap_or_else(Key::development);
    Ok(project.config.site.locales.iter().map(move |locale| {
        let email = renderer.render(issue, locale)?;
        let sample = Recipient {
            email: SAMPLE_ADDRESS.into(),
            name: String::new(),
            locale: locale.clone(),
        };
        let built = renderer.build(&email, &sample, &key).map_err(Error::Environment)?;
        let path = dir.join(format!("{locale}.eml"));
        nashr_content::fs::write_if_changed(&path, &built.bytes).map_err(|e| Error::io(&path, e))?;
        Ok(Preview {
            locale: locale.clone(),
            subject: email.subject,
            path,
            fallback: email.fallback,
        })
    }))
}

//! The `filesystem` target: each article and locale as an HTML fragment, its metadata as JSON
//! and its images, in a folder — what a headless CMS (or any script) imports.
//!
//! ```text
//! publish/fa/physiotherapy-vs-massage/index.html   the body, in <div lang="fa" dir="rtl">
//! publish/fa/physiotherapy-vs-massage/meta.json    title, excerpt, dates, status, tags, hero, translations
//! publish/fa/physiotherapy-vs-massage/hero.svg     the images it uses
//! ```
//!
//! Files are written only when their bytes change, atomically; the plan compares bytes, so it
//! needs no ledger.

use std::path::{Path, PathBuf};

use nashr_content::Error;
use serde_json::json;

use crate::item::{self, Item};
use crate::{Action, ItemReport, TargetReport};

pub(crate) struct FilesystemTarget {
    pub name: String,
    /// Absolute folder.
    pub dir: PathBuf,
    /// The folder as the user wrote it, for messages.
    pub shown: PathBuf,
}

impl FilesystemTarget {
    fn files(&self, item: &Item, all: &[Item]) -> Vec<(PathBuf, Vec<u8>)> {
        let rel = format!("{}/{}/", item.locale, item.article);
        // Links go to the static site, where every article has its address.
        let html = item::resolve_links(&item.html, |locale, slug| item.site_url_of(locale, slug));
        let fragment = format!("<div lang=\"{}\" dir=\"{}\">\n{}</div>\n", item.locale, item.dir, html);
        let translations: Vec<_> = all
            .iter()
            .filter(|i| i.article == item.article && i.locale != item.locale)
            .map(|i| {
                json!({
                    "locale": i.locale,
                    "language": i.language_name,
                    "path": format!("../../{}/{}/", i.locale, i.article),
                    "url": i.site_url,
                })
            })
            .collect();
        let meta = json!({
            "article": item.article,
            "locale": item.locale,
            "dir": item.dir,
            "title": item.title,
            "excerpt": item.excerpt,
            "author": item.author,
            "reviewed_by": item.reviewed_by,
            "status": item.status,
            "date": item.date,
            "updated": item.updated,
            "publish_at": item.publish_at.map(|t| t.to_string()),
            "tags": item.tags,
            "hero": item.hero.as_ref().map(|(img, alt)| json!({ "src": img.name, "alt": alt })),
            "images": item.images.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
            "url": item.site_url,
            "content": "index.html",
            "translations": translations,
        });
        let mut meta_text = serde_json::to_string_pretty(&meta).unwrap_or_default();
        meta_text.push('\n');
        let mut files = vec![
            (PathBuf::from(format!("{rel}index.html")), fragment.into_bytes()),
            (PathBuf::from(format!("{rel}meta.json")), meta_text.into_bytes()),
        ];
        let mut images: Vec<&item::Image> = item.images.iter().collect();
        if let Some((hero, _)) = &item.hero
            && !images.iter().any(|i| i.name == hero.name)
        {
            images.push(hero);
        }
        for img in images {
            files.push((PathBuf::from(format!("{rel}{}", img.name)), img.bytes.to_vec()));
        }
        files
    }

    pub(crate) fn publish(
        &self,
        items: &[Item],
        dry_run: bool,
        progress: &crate::Progress<'_>,
    ) -> Result<TargetReport, Error> {
        let started = std::time::Instant::now();
        let mut report = TargetReport::new(&self.name, "filesystem");
        for (n, it) in items.iter().enumerate() {
            progress(&self.name, n + 1, items.len());
            let files = self.files(it, items);
            let mut changed = Vec::new();
            let mut existing = 0;
            for (rel, bytes) in &files {
                match std::fs::read(self.dir.join(rel)) {
                    Ok(old) => {
                        existing += 1;
                        if &old != bytes {
                            changed.push(file_name(rel));
                        }
                    }
                    Err(_) => changed.push(file_name(rel)),
                }
            }
            let folder = self.shown.join(&it.locale).join(&it.article);
            let (action, reason) = if existing == 0 {
                (Action::Create, format!("new: {}", folder.display()))
            } else if changed.is_empty() {
                (Action::Skip, "unchanged".to_string())
            } else {
                (Action::Update, format!("changed: {}", changed.join(", ")))
            };
            if !dry_run && action != Action::Skip {
                for (rel, bytes) in &files {
                    let path = self.dir.join(rel);
                    if nashr_content::fs::write_if_changed(&path, bytes).map_err(|e| Error::io(&path, e))? {
                        report.writes += 1;
                    }
                }
            }
            report.items.push(ItemReport {
                article: it.article.clone(),
                locale: it.locale.clone(),
                action,
                reason,
                url: Some(folder.join("index.html").display().to_string()),
                remote_id: None,
            });
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

fn file_name(rel: &Path) -> String {
    rel.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

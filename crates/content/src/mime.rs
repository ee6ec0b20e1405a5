//! Media types by file extension: what the preview server sends as `Content-Type` and which
//! article files the publish targets upload as images. One table for both.

/// Extension (lower case) -> content type; text types carry their charset.
const TYPES: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("xml", "application/xml; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/x-icon"),
    ("woff2", "font/woff2"),
    ("woff", "font/woff"),
    ("ttf", "font/ttf"),
    ("pdf", "application/pdf"),
];

/// The type of anything else.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The content type of the file at `path` (`/`-separated), by the extension of its name.
pub fn of_path(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return OCTET_STREAM;
    };
    TYPES
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map_or(OCTET_STREAM, |(_, t)| t)
}

/// The type of an image an article may show and a CMS takes as media; `None` for other
/// files. Icons are the site's, not an article's.
pub fn image_of_path(path: &str) -> Option<&'static str> {
    let t = of_path(path);
    (t.starts_with("image/") && t != "image/x-icon").then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_extension_in_any_case() {
        assert_eq!(of_path("fa/index.html"), "text/html; charset=utf-8");
        assert_eq!(of_path("style.CSS"), "text/css; charset=utf-8");
        assert_eq!(of_path("fa/atom.xml"), "application/xml; charset=utf-8");
        assert_eq!(of_path("a/b.JPEG"), "image/jpeg");
        assert_eq!(of_path("font.woff2"), "font/woff2");
        assert_eq!(of_path("archive.tar.gz"), OCTET_STREAM);
        assert_eq!(of_path("README"), OCTET_STREAM);
        assert_eq!(
            of_path("dir.png/file"),
            OCTET_STREAM,
            "a directory's dot is not an extension"
        );
        assert_eq!(of_path(""), OCTET_STREAM);
    }

    #[test]
    fn article_images_are_the_image_types_but_icons() {
        assert_eq!(image_of_path("hero.svg"), Some("image/svg+xml"));
        assert_eq!(image_of_path("photos/My Photo.PNG"), Some("image/png"));
        assert_eq!(image_of_path("a.avif"), Some("image/avif"));
        assert_eq!(image_of_path("favicon.ico"), None);
        assert_eq!(image_of_path("paper.pdf"), None);
        assert_eq!(image_of_path("notes.txt"), None);
    }
}

//! Writing files the way every stage must: atomically (a reader never sees half a file), and
//! only when the bytes change (so unchanged outputs keep their timestamps and caches stay warm).

use std::io::Write;
use std::path::Path;

/// A temporary file in `dir`, to be renamed over its target, created with the permissions any
/// new file gets (0666 less the umask), not tempfile's private 0600: a site served by another
/// user (a web server) must be able to read it, and a lock file is shared through git.
pub fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// `String::from_utf8` with the check done by simdutf8 (several times faster on Persian
/// text); the bytes back when they are not UTF-8.
pub fn string_from_utf8(bytes: Vec<u8>) -> Result<String, Vec<u8>> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: just checked to be UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        Err(bytes)
    }
}

/// Reads a text file. Like `std::fs::read_to_string`, with the UTF-8 check done by simdutf8:
/// a build reads every Markdown and Fluent file, mostly Persian (two bytes a letter), and
/// std checks non-ASCII text a byte at a time. A file that is not
/// UTF-8 is an `InvalidData` error naming the line and column of the first bad byte.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = match string_from_utf8(std::fs::read(path)?) {
        Ok(text) => return Ok(text),
        Err(bytes) => bytes,
    };
    let valid = simdutf8::compat::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
    let before = &bytes[..valid];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // Characters, not bytes, before the bad byte on its line (that part is valid UTF-8).
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("the file is not UTF-8 text: invalid byte at line {line}, column {column}"),
    ))
}

/// [`read_text`], with `None` for a file that does not exist (a catalog not written yet).
pub fn read_text_if_exists(path: &Path) -> std::io::Result<Option<String>> {
    match read_text(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
/// Returns `false` without touching the file when it already holds exactly these bytes.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if let Ok(existing) = std::fs::read(path)
        && existing == bytes
    {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    // No fsync: the rename already guarantees a reader sees the old file or the new one,
    // never half of one, and outputs can be rebuilt after a power cut. Syncing every file
    // made writing a 6,000-file site ten times slower.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

/// Every file under `dir`, sorted, skipping hidden files and directories (`.git`, editor
/// swap files). A missing directory has no files.
pub fn walk_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    walk_files_skipping(dir, |_| false)
}

/// [`walk_files`], not looking into the directories for which `skip` is true.
pub fn walk_files_skipping(dir: &Path, skip: impl Fn(&Path) -> bool) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            // The type the directory listing gives, without a `stat` per file (10,000 article
            // catalogs in a locale directory); a symbolic link is followed.
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => path.is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => path.is_dir(),
            };
            if is_dir {
                if !skip(&path) {
                    stack.push(path);
                }
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A file's size and modification time (nanoseconds since the epoch; 0 when unknown): what
/// an incremental build compares to tell whether the file changed.
pub fn size_time(meta: &std::fs::Metadata) -> (u64, u64) {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (meta.len(), mtime)
}

/// The metadata of a directory entry, following a symbolic link as `fs::metadata` does.
/// `DirEntry::metadata` asks relative to the open directory: cheaper than a path lookup.
pub fn entry_meta(e: &std::fs::DirEntry) -> Option<std::fs::Metadata> {
    if e.file_type().ok()?.is_symlink() {
        std::fs::metadata(e.path()).ok()
    } else {
        e.metadata().ok()
    }
}

/// One directory's entries as an incremental build records them: name, size and time, sorted
/// by name (entries whose metadata cannot be read are left out).
pub type Listing = Vec<(String, u64, u64)>;

/// The entries of `dir` with their metadata (`None` for a broken symbolic link), sorted by
/// name.
pub fn list_dir(dir: &Path) -> std::io::Result<Vec<(String, Option<std::fs::Metadata>)>> {
    let mut entries: Vec<(String, Option<std::fs::Metadata>)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), entry_meta(&e)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// The [`Listing`] of what [`list_dir`] returned.
pub fn listing(entries: &[(String, Option<std::fs::Metadata>)]) -> Listing {
    entries
        .iter()
        .filter_map(|(name, meta)| {
            let (size, time) = size_time(meta.as_ref()?);
            Some((name.clone(), size, time))
        })
        .collect()
}

/// `path` relative to `base`, with `/` separators (a URL path or a template name).
pub fn relative_slash(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn walk_files_lists_nested_files_follows_links_and_skips_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("fa");
        std::fs::create_dir_all(root.join("articles")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("shared/newsletters")).unwrap();
        for f in ["site.ftl", "articles/a.ftl", ".hidden.ftl", ".git/x"] {
            std::fs::write(root.join(f), "").unwrap();
        }
        std::fs::write(dir.path().join("shared/newsletters/n.ftl"), "").unwrap();
        std::os::unix::fs::symlink(dir.path().join("shared"), root.join("linked")).unwrap();
        let found: Vec<String> = walk_files(&root)
            .unwrap()
            .iter()
            .map(|p| relative_slash(p, &root))
            .collect();
        assert_eq!(found, ["articles/a.ftl", "linked/newsletters/n.ftl", "site.ftl"]);
        let articles = root.join("articles");
        let skipped: Vec<String> = walk_files_skipping(&root, |d| d == articles)
            .unwrap()
            .iter()
            .map(|p| relative_slash(p, &root))
            .collect();
        assert_eq!(skipped, ["linked/newsletters/n.ftl", "site.ftl"]);
    }

    #[test]
    fn read_text_keeps_persian_and_zwnj() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fa.ftl");
        let text = "title = می‌شود\nsummary = پیاده‌روی ۱۲\n";
        std::fs::write(&path, text).unwrap();
        assert_eq!(read_text(&path).unwrap(), text);
    }

    #[test]
    fn read_text_names_the_line_and_column_of_a_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.ftl");
        // Line 2: two Persian letters, then a Latin-1 byte.
        std::fs::write(&path, b"title = ok\nx = \xd9\x85\xd9\x86\xe9t\n").unwrap();
        let e = read_text(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "the file is not UTF-8 text: invalid byte at line 2, column 7"
        );
    }
}

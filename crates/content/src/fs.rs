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
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `base`, with `/` separators (a URL path or a template name).
pub fn relative_slash(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

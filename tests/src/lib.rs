//! Helpers for the end-to-end tests: a private copy of the sample project, the CLI run
//! in-process, and a snapshot of an output directory's files and modification times.
//!
//! File times are set, never waited for. An incremental build records the size and time of
//! each input, except for a file modified since 100 ms before the build started, which it
//! records without its time so that the next build looks at it again
//! (`nashr_render::incremental`). So the inputs of a new project carry a time long past
//! ([`backdate`]), and the next build takes exactly the files a test edits as changed; and
//! [`snapshot`] sets the time of the outputs it records long past too, so a file written
//! afterwards shows in [`changed`] even within the same clock tick.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub mod browser;
pub mod corpus;
pub mod smtp;
pub mod store_db;
pub mod wordpress;

/// The repository root, which is the sample project.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A copy of the sample project in a temporary directory, so a test can break it freely.
pub struct Sample {
    pub dir: tempfile::TempDir,
}

impl Sample {
    /// Its files and directories carry the time [`long_ago`], as a project edited long before
    /// its first build.
    pub fn new() -> Sample {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = repo_root();
        for item in ["nashr.toml", "content", "locales", "templates", "static"] {
            copy_recursive(&root.join(item), &dir.path().join(item));
        }
        backdate(dir.path());
        Sample { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn public(&self) -> PathBuf {
        self.path("public")
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    /// Replaces the first occurrence of `from` in file `rel`; panics if it is absent so a test
    /// never silently edits nothing.
    pub fn replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Appends `text` to file `rel`.
    pub fn append(&self, rel: &str, text: &str) {
        let old = self.read(rel);
        self.write(rel, &format!("{old}{text}"));
    }

    /// The first line of file `rel` that starts with `prefix` (a catalog message, say).
    pub fn line_starting(&self, rel: &str, prefix: &str) -> String {
        let text = self.read(rel);
        let line = text.lines().find(|l| l.starts_with(prefix));
        line.unwrap_or_else(|| panic!("{rel} has no line starting with {prefix:?}"))
            .to_string()
    }

    /// Runs `nashr <args> --root <sample>` in-process.
    pub fn nashr(&self, args: &[&str]) -> Run {
        let mut all: Vec<OsString> = vec!["nashr".into()];
        all.extend(args.iter().map(OsString::from));
        all.push("--root".into());
        all.push(self.root().into());
        run(all)
    }
}

impl Default for Sample {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of one CLI run.
#[derive(Debug)]
pub struct Run {
    pub code: u8,
    /// What nashr reported (standard error).
    pub output: String,
    /// What the command printed as its result (standard output: tables, JSON).
    pub stdout: String,
}

pub fn run(args: Vec<OsString>) -> Run {
    let (mut stdout, mut out) = (Vec::new(), Vec::new());
    let code = nashr::execute_to(args, &mut stdout, &mut out, false);
    Run {
        code,
        output: String::from_utf8_lossy(&out).into_owned(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
    }
}

pub fn copy_recursive(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("entry");
            copy_recursive(&entry.path(), &to.join(entry.file_name()));
        }
    } else if from.is_file() {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// A time long before any test ran (2017-07-14): far from the 100 ms before a build's start
/// in which an incremental build does not trust a file's time.
pub fn long_ago() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000)
}

/// Sets the modification time of `path` (a file or a directory).
pub fn set_modified(path: &Path, time: SystemTime) {
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(time))
        .unwrap_or_else(|e| panic!("set the time of {}: {e}", path.display()));
}

/// Gives every file and directory under `dir`, `dir` included, the time [`long_ago`]: the
/// next build then records each with its time, and takes a file a test edits afterwards (at
/// the clock's time) as changed, and only that one.
pub fn backdate(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            backdate(&path);
        } else {
            set_modified(&path, long_ago());
        }
    }
    // After its entries: setting their times does not change the directory's.
    set_modified(dir, long_ago());
}

/// Every file under `dir` (relative path with `/`) with its modification time; then each
/// file's time is set to [`long_ago`], so that [`changed`] sees any file written afterwards,
/// even within the same clock tick, and no test waits for the clock to move on.
pub fn snapshot(dir: &Path) -> BTreeMap<String, SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime"));
                set_modified(&path, long_ago());
            }
        }
    }
    out
}

/// Files written between two snapshots: the ones that appeared, and the ones whose time is no
/// longer the [`long_ago`] that the first snapshot gave them.
pub fn changed(before: &BTreeMap<String, SystemTime>, after: &BTreeMap<String, SystemTime>) -> Vec<String> {
    after
        .iter()
        .filter(|(k, v)| !before.contains_key(*k) || **v != long_ago())
        .map(|(k, _)| k.clone())
        .collect()
}

//! The `nashr` binary as a user runs it: real process exit codes, reports on stderr.

use std::path::Path;
use std::process::Command;

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

fn sample() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    for item in ["nashr.toml", "content", "locales", "templates", "static"] {
        copy(&repo.join(item), &dir.path().join(item));
    }
    dir
}

fn nashr(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nashr"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run nashr")
}

#[test]
fn run_builds_the_sample_and_exits_0() {
    let dir = sample();
    let out = nashr(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        dir.path()
            .join("public/fa/physiotherapy-vs-massage/index.html")
            .is_file()
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "reports go to stderr, stdout stays clean"
    );
}

#[test]
fn bad_input_exits_1_with_location_on_stderr() {
    let dir = sample();
    let index = dir.path().join("content/acupuncture/index.md");
    let text = std::fs::read_to_string(&index)
        .unwrap()
        .replacen("+++\n", "+++\ntitel = \"x\"\n", 1);
    std::fs::write(&index, text).unwrap();
    let out = nashr(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("content/acupuncture/index.md:2:1") && stderr.contains("titel = \"x\""),
        "{stderr}"
    );
    assert!(
        !dir.path().join("public").exists(),
        "nothing is written when the input is bad"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = sample();
    assert_eq!(nashr(dir.path(), &["publish-everything"]).status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_nashr"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("nashr "));
}

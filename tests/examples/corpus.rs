//! Writes the benchmark's generated nashr project (N articles in English and Persian) into a
//! directory, without Hugo's copy and without building anything.
//!
//! `scripts/pgo-build.sh` trains the profile-guided release binary on it:
//!
//! ```sh
//! cargo run --release -p nashr-tests --example corpus -- 1000 target/pgo/train
//! ```

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(n), Some(dir)) = (args.next().and_then(|n| n.parse::<usize>().ok()), args.next()) else {
        eprintln!("usage: corpus <number of articles> <empty directory>");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    if dir.exists() && std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        eprintln!("{} is not empty", dir.display());
        std::process::exit(1);
    }
    let repo = nashr_tests::repo_root();
    if let Err(e) = nashr_tests::corpus::write_nashr(&dir, &repo, n) {
        eprintln!("writing the corpus into {}: {e}", dir.display());
        std::process::exit(1);
    }
    // The site's own templates, as the bench gives it, so the training can edit one.
    nashr_tests::copy_recursive(&repo.join("templates"), &dir.join("templates"));
    println!("{n} articles per language in {}", dir.display());
}

//! Plain-text reports for people; `--json` output is the serde form of the same structs.

use std::fmt::Write;

use crate::lint::{Finding, Summary};
use crate::status::{Counts, FileState, LocaleStatus};

/// One finding the way compilers print them: where, what, the line, what to do.
///
/// ```text
/// locales/fa/site.ftl:12:26: error[unknown-variable]: `$minuts` is not a variable of this message
///    12 | article-reading-time = { $minuts } دقیقه
///       |                          ^^^^^^^
///   hint: use the source's variable: $minutes
/// ```
pub fn finding_text(f: &Finding) -> String {
    let level = f.level.as_str();
    let mut s = format!(
        "{}:{}:{}: {level}[{}]: {}\n",
        f.path.display(),
        f.line,
        f.column,
        f.code,
        f.message
    );
    let number = f.line.to_string();
    let pad = " ".repeat(number.len());
    // Tabs would shift the marker; show them as one space.
    let line = f.source_line.replace('\t', " ");
    let _ = writeln!(s, " {number} | {line}");
    let _ = writeln!(
        s,
        " {pad} | {}{}",
        " ".repeat(f.column.saturating_sub(1)),
        "^".repeat(f.width.clamp(1, 80))
    );
    let fix = if f.fixable { " (--fix repairs this)" } else { "" };
    let _ = writeln!(s, "  hint: {}{fix}", f.hint);
    s
}

pub fn summary_text(s: &Summary) -> String {
    let mut out = format!(
        "{} {}, {} {}",
        s.errors,
        plural(s.errors, "error"),
        s.warnings,
        plural(s.warnings, "warning")
    );
    if s.fixable > 0 {
        let _ = write!(out, "; {} can be repaired with `nashr l10n lint --fix`", s.fixable);
    }
    out
}

/// The status table of one locale: a line per file, then the total.
pub fn status_text(locale: &LocaleStatus, verbose: bool) -> String {
    let mut s = format!("{}\n", locale.locale);
    let width = locale
        .files
        .iter()
        .map(|f| f.file.display().to_string().chars().count())
        .max()
        .unwrap_or(10)
        .max(10);
    let _ = writeln!(
        s,
        "  {:<width$}  {:>5} {:>10} {:>7} {:>5} {:>7} {:>8} {:>9} {:>13}",
        "file", "done", "translated", "missing", "stale", "obsolete", "identical", "total", "words missing"
    );
    for f in &locale.files {
        let name = f.file.display().to_string();
        let note = match f.state {
            FileState::Present => String::new(),
            FileState::MissingFile => "  (file not created yet)".to_string(),
            FileState::ObsoleteFile => "  (source removed: delete this file)".to_string(),
        };
        let _ = writeln!(s, "  {}{note}", row(&name, &f.counts, width));
        if verbose {
            for (label, ids, file) in [
                ("missing", &f.missing_ids, f.reference.as_ref()),
                ("stale", &f.stale_ids, Some(&f.file)),
                ("obsolete", &f.obsolete_ids, Some(&f.file)),
            ] {
                for id in ids {
                    match (f.lines.get(id), file) {
                        (Some(line), Some(file)) => {
                            let _ = writeln!(s, "      {label:<8} {id}  ({}:{line})", file.display());
                        }
                        _ => {
                            let _ = writeln!(s, "      {label:<8} {id}");
                        }
                    }
                }
            }
            if f.syntax_errors > 0 {
                let _ = writeln!(
                    s,
                    "      {} message{} cannot be read; `nashr l10n lint` shows where",
                    f.syntax_errors,
                    if f.syntax_errors == 1 { "" } else { "s" }
                );
            }
        }
    }
    let _ = writeln!(s, "  {}", row("total", &locale.total, width));
    s
}

fn row(name: &str, c: &Counts, width: usize) -> String {
    let pad = width.saturating_sub(name.chars().count());
    format!(
        "{name}{}  {:>4}% {:>10} {:>7} {:>5} {:>8} {:>9} {:>9} {:>13}",
        " ".repeat(pad),
        c.percent_done(),
        c.translated,
        c.missing,
        c.stale,
        c.obsolete,
        c.identical,
        c.total,
        c.missing_words
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { word.to_string() } else { format!("{word}s") }
}

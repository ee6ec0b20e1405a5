//! The `nashr` command line. It parses arguments, shows progress and reports errors; all the
//! work is done by the stage crates (`nashr-content`, `nashr-l10n`, `nashr-render`).
//!
//! [`execute`] runs one command line and returns its exit code, so tests can drive the CLI
//! in-process: 0 success, 1 the input has errors, 2 usage or environment errors.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use nashr_content::{Error, Project};

/// Exit code for problems in the user's input.
pub const EXIT_INPUT: u8 = 1;
/// Exit code for usage errors and a failing environment (unwritable directory, …).
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "nashr",
    version,
    about = "Publish Markdown articles in every language: Fluent translations, one static site."
)]
struct Cli {
    /// The project directory (where nashr.toml is).
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Print only errors and warnings.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the site (every article in every locale) into the output directory.
    Build(BuildArgs),
    /// Run the whole pipeline: update the translation catalogs, then build the site.
    Run(BuildArgs),
    /// Translator workflow.
    #[command(subcommand)]
    L10n(L10nCommand),
    /// Publish every article in every locale to the targets in nashr.toml (WordPress, a folder).
    Publish(PublishArgs),
    /// Newsletter issues: render previews, send, schedule.
    #[command(subcommand)]
    Newsletter(newsletter::NewsletterCommand),
    /// The newsletter's subscribers.
    #[command(subcommand)]
    Subscribers(newsletter::SubscribersCommand),
    /// Run scheduled sends, retries and scheduled publishes; serve the unsubscribe endpoint.
    Worker(newsletter::WorkerArgs),
    /// Preview the site in a browser: live reload, translation marks (?marks=1), errors on the page.
    Serve(serve::ServeArgs),
    /// The state store (SQLite file or PostgreSQL): schema migrations and status.
    #[command(subcommand)]
    Store(store::StoreCommand),
}

#[derive(Debug, Default, clap::Args)]
struct PublishArgs {
    /// Show what would be created, updated or left alone, and why; send and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Publish to this target only (a name from [target.<name>] in nashr.toml).
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// Print the plan or the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// Output directory (default: `output_dir` from nashr.toml, normally public/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Render everything, not only what changed since the last build (.nashr/build-state.bin).
    #[arg(long)]
    full: bool,
}

#[derive(Debug, Subcommand)]
enum L10nCommand {
    /// Write locales/<source>/articles/<slug>.ftl from every article: the text translators translate.
    Sync {
        /// Change nothing; exit 1 if any catalog is out of date (for CI).
        #[arg(long)]
        check: bool,
    },
    /// Show, per locale and file, what is translated, missing, stale and obsolete.
    Status {
        #[command(flatten)]
        trees: TreeArgs,
        /// List the id of every missing, stale and obsolete message.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Check the translation files for mistakes; exit 1 if any is an error.
    Lint {
        #[command(flatten)]
        trees: TreeArgs,
        /// Repair what can be repaired safely (Persian letters and digits, invisible characters).
        #[arg(long)]
        fix: bool,
    },
    /// Mark stale translations as current: the source changed, but the translation needs no change.
    Accept {
        /// The locale whose translations to accept.
        locale: String,
        /// Message ids to accept (default: every stale message of the locale).
        ids: Vec<String>,
    },
}

/// Which translations to look at: the project's, or any two directories of `.ftl` files.
#[derive(Debug, clap::Args)]
struct TreeArgs {
    /// Only these locales (default: every locale of the project but the source).
    #[arg(value_name = "LOCALE")]
    locales: Vec<String>,
    /// Directory of source `.ftl` files to compare against, instead of the project's.
    #[arg(long, value_name = "DIR", requires = "l10n")]
    reference: Option<PathBuf>,
    /// Directory of translated `.ftl` files (repeatable); its name is the locale unless --locale says.
    #[arg(long, value_name = "DIR", requires = "reference")]
    l10n: Vec<PathBuf>,
    /// The locale of the --l10n directories (for plural rules and Persian checks).
    #[arg(long, value_name = "CODE", requires = "l10n")]
    locale: Option<String>,
    /// Print JSON (documented in the README) instead of text.
    #[arg(long)]
    json: bool,
}

/// Entry point of the binary.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> std::process::ExitCode {
    let interactive = std::io::stderr().is_terminal();
    let filter = if std::env::var_os("NASHR_LOG").is_some() {
        tracing::Level::DEBUG
    } else {
        tracing::Level::WARN
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(filter)
        .with_writer(std::io::stderr)
        .with_ansi(interactive)
        .try_init();
    let mut stderr = std::io::stderr();
    std::process::ExitCode::from(execute(args, &mut stderr, interactive))
}

/// Runs one command line, writing reports to `out` and requested output (status tables, JSON)
/// to standard output. `interactive` enables colours and the progress bar (only when `out` is
/// a terminal).
pub fn execute(args: impl IntoIterator<Item = std::ffi::OsString>, out: &mut dyn Write, interactive: bool) -> u8 {
    execute_to(args, &mut std::io::stdout(), out, interactive)
}

/// [`execute`] with standard output captured in `stdout` too.
pub fn execute_to(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    stdout: &mut dyn Write,
    out: &mut dyn Write,
    interactive: bool,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if interactive {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = write!(out, "{text}");
                return EXIT_USAGE;
            }
            // --help and --version are the output the user asked for: stdout.
            let _ = write!(stdout, "{text}");
            return 0;
        }
    };
    let mut ui = Ui {
        out,
        stdout,
        interactive,
        quiet: cli.quiet,
    };
    let result = match &cli.command {
        Command::Build(args) => build(&cli.root, args, &mut ui, false),
        Command::Run(args) => match build(&cli.root, args, &mut ui, true) {
            Ok(0) => Ok(publish::command(&cli.root, &PublishArgs::default(), &mut ui)),
            other => other,
        },
        Command::L10n(L10nCommand::Sync { check }) => sync(&cli.root, *check, &mut ui),
        Command::L10n(L10nCommand::Status { trees, verbose }) => l10n_status(&cli.root, trees, *verbose, &mut ui),
        Command::L10n(L10nCommand::Lint { trees, fix }) => l10n_lint(&cli.root, trees, *fix, &mut ui),
        Command::L10n(L10nCommand::Accept { locale, ids }) => l10n_accept(&cli.root, locale, ids, &mut ui),
        Command::Publish(args) => Ok(publish::command(&cli.root, args, &mut ui)),
        Command::Newsletter(cmd) => newsletter::newsletter(&cli.root, cmd, &mut ui),
        Command::Subscribers(cmd) => newsletter::subscribers(&cli.root, cmd, &mut ui),
        Command::Worker(args) => newsletter::worker(&cli.root, args, &mut ui),
        Command::Serve(args) => serve::serve(&cli.root, args, &mut ui),
        Command::Store(cmd) => store::command(&cli.root, cmd, &mut ui),
    };
    match result {
        Ok(code) => code,
        Err(e) => ui.report(&e),
    }
}

mod newsletter;
mod publish;
mod serve;
mod store;

struct Ui<'a> {
    out: &'a mut dyn Write,
    stdout: &'a mut dyn Write,
    interactive: bool,
    quiet: bool,
}

impl Ui<'_> {
    fn info(&mut self, line: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(self.out, "{}", line.as_ref());
        }
    }

    /// What the user asked for (a table, JSON): standard output, even with --quiet.
    fn print(&mut self, text: impl AsRef<str>) {
        let _ = write!(self.stdout, "{}", text.as_ref());
    }

    fn warn(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.out, "warning: {}", line.as_ref());
    }

    fn error(&mut self, line: &str) {
        let _ = writeln!(self.out, "error: {line}");
    }

    /// Prints an error the way rustc and ripgrep do — what, where, the line, what to do — and
    /// returns the exit code it deserves.
    fn report(&mut self, e: &Error) -> u8 {
        match e {
            Error::Input(errors) => {
                let theme = if self.interactive {
                    miette::GraphicalTheme::unicode()
                } else {
                    miette::GraphicalTheme::unicode_nocolor()
                };
                let handler = miette::GraphicalReportHandler::new_themed(theme).with_context_lines(1);
                for err in errors {
                    let mut text = String::new();
                    if handler.render_report(&mut text, err).is_err() {
                        text = err.to_string();
                    }
                    let _ = writeln!(self.out, "{text}");
                }
                let n = errors.len();
                let _ = writeln!(
                    self.out,
                    "nashr: {n} error{} in the input; nothing was written",
                    if n == 1 { "" } else { "s" }
                );
                EXIT_INPUT
            }
            _ => {
                let _ = writeln!(self.out, "error: {e}");
                EXIT_USAGE
            }
        }
    }
}

fn build(root: &Path, args: &BuildArgs, ui: &mut Ui, sync_first: bool) -> Result<u8, Error> {
    let started = Instant::now();
    let mut settings = nashr_site::BuildSettings::new().full(args.full).sync_first(sync_first);
    if let Some(dir) = &args.out {
        settings = settings.out_dir(dir);
    }
    let mut site = nashr_site::Site::load(root, settings)?;
    site.sync_catalogs(&mut |change| match change {
        nashr_site::SyncedFile::Updated(p) => ui.info(format!("updated {}", p.display())),
        nashr_site::SyncedFile::Removed(p) => ui.info(format!("removed {}", p.display())),
    })?;
    // The bar appears when rendering starts.
    let bar = std::sync::OnceLock::new();
    let show_bar = ui.interactive && !ui.quiet;
    let progress = |phase: &str, done: usize, total: usize| {
        if !show_bar {
            return;
        }
        let bar = bar.get_or_init(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message("rendering");
            bar
        });
        if done == 1 {
            bar.set_message(phase.to_string());
        }
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = site.build(&progress);
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    print_build(root, &report?, started, ui);
    Ok(0)
}

/// What `nashr build` says about a build.
fn print_build(root: &Path, report: &nashr_site::BuildReport, started: Instant, ui: &mut Ui) {
    let shown_out = report.out_dir.strip_prefix(root).unwrap_or(&report.out_dir);
    if report.nothing_changed {
        ui.info(format!(
            "built {} article{} in {} locale{}: nothing changed since the last build, 0 files written in {} ({:.2} s)",
            report.articles,
            plural(report.articles),
            report.locales,
            plural(report.locales),
            shown_out.display(),
            started.elapsed().as_secs_f64()
        ));
        return;
    }
    if report.catalogs_out_of_date {
        ui.warn("translation catalogs are out of date with the articles; run `nashr l10n sync`");
    }
    for (locale, n) in report.stale_counts.iter().filter(|(_, n)| *n > 0) {
        ui.info(format!(
            "{locale}: {n} translation{} stale (the source changed since); see `nashr l10n status {locale} -v`",
            if *n == 1 { " is" } else { "s are" },
        ));
    }
    for w in &report.warnings {
        ui.warn(w);
    }
    ui.info(format!(
        "built {} article{} in {} locale{}: {} files written, {} unchanged, {} removed in {} ({}{:.2} s)",
        report.articles,
        plural(report.articles),
        report.locales,
        plural(report.locales),
        report.written.len(),
        report.unchanged,
        report.removed.len(),
        shown_out.display(),
        if report.incremental {
            format!("{} pages rendered again, ", report.rendered)
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    ));
    for (locale, n) in &report.fallbacks {
        ui.info(format!(
            "{locale}: {n} text{} not translated yet, shown from the fallback locale (see locales/{locale}/)",
            plural(*n)
        ));
    }
}

fn sync(root: &Path, check: bool, ui: &mut Ui) -> Result<u8, Error> {
    // Only the articles matter here: a translator's syntax error in another locale must not
    // stop the editor from updating the source catalogs.
    let project = Project::load(root)?;
    let mode = if check {
        nashr_l10n::sync::Mode::Report
    } else {
        nashr_l10n::sync::Mode::Write
    };
    let mut report = nashr_l10n::sync::sync(&project, mode)?;
    // Newsletter issues have source catalogs too (locales/<source>/newsletters/<issue>.ftl).
    report
        .changed
        .extend(nashr_newsletter::issue::sync_catalogs(&project, mode)?);
    let verb = if check { "out of date" } else { "updated" };
    for p in &report.changed {
        ui.info(format!("{verb}: {}", p.display()));
    }
    for p in &report.removed {
        ui.info(format!(
            "{}: {}",
            if check { "obsolete" } else { "removed" },
            p.display()
        ));
    }
    ui.info(format!(
        "{} catalog{} up to date",
        report.unchanged,
        plural(report.unchanged)
    ));
    if !check {
        // Record which translations the source edits made stale, while the old fingerprints
        // are still in the lock files.
        nashr_site::record_stale(&project)?;
    }
    if check && !report.is_clean() {
        ui.warn("run `nashr l10n sync` and commit the catalogs");
        return Ok(EXIT_INPUT);
    }
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The translation trees a status or lint command looks at.
fn trees(root: &Path, args: &TreeArgs) -> Result<Vec<nashr_check::tree::LocaleTree>, Error> {
    let mut trees = match &args.reference {
        Some(reference) => nashr_check::tree::dir_trees(reference, &args.l10n, args.locale.as_deref())?,
        None => nashr_check::tree::project_trees(&Project::load(root)?)?,
    };
    if args.reference.is_none() && !args.locales.is_empty() {
        for wanted in &args.locales {
            if !trees.iter().any(|t| &t.locale == wanted) {
                return Err(Error::UntranslatedLocale {
                    locale: wanted.clone(),
                    translated: trees.iter().map(|t| t.locale.clone()).collect(),
                });
            }
        }
        trees.retain(|t| args.locales.contains(&t.locale));
    }
    Ok(trees)
}

fn l10n_status(root: &Path, args: &TreeArgs, verbose: bool, ui: &mut Ui) -> Result<u8, Error> {
    let statuses = nashr_check::status::status(&trees(root, args)?)?;
    if args.json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            version: u32,
            locales: &'a [nashr_check::status::LocaleStatus],
        }
        let json = Json {
            version: 1,
            locales: &statuses,
        };
        ui.print(format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()));
        return Ok(0);
    }
    for (i, locale) in statuses.iter().enumerate() {
        if i > 0 {
            ui.print("\n");
        }
        ui.print(nashr_check::report::status_text(locale, verbose));
    }
    for locale in &statuses {
        let t = &locale.total;
        for f in locale.files.iter().filter(|f| f.syntax_errors > 0) {
            ui.warn(format!(
                "{} has syntax errors; its broken messages count as missing until fixed (see `nashr l10n lint`)",
                f.file.display()
            ));
        }
        let mut todo = Vec::new();
        if t.missing > 0 {
            todo.push(format!("{} missing ({} words)", t.missing, t.missing_words));
        }
        if t.stale > 0 {
            todo.push(format!("{} stale (the source changed since)", t.stale));
        }
        if !todo.is_empty() {
            ui.info(format!(
                "{}: {}; `nashr l10n status {} -v` lists them",
                locale.locale,
                todo.join(" and "),
                locale.locale
            ));
        }
    }
    Ok(0)
}

fn l10n_lint(root: &Path, args: &TreeArgs, fix: bool, ui: &mut Ui) -> Result<u8, Error> {
    let mut findings = nashr_check::lint::lint(&trees(root, args)?)?;
    if fix {
        let fixed = nashr_check::lint::apply_fixes(&findings)?;
        for (path, n) in &fixed {
            ui.info(format!("fixed {n} problem{} in {}", plural(*n), path.display()));
        }
        if !fixed.is_empty() {
            // Report what is left, at the positions of the repaired files.
            findings = nashr_check::lint::lint(&trees(root, args)?)?;
        }
    }
    let summary = nashr_check::lint::summary(&findings);
    if args.json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            version: u32,
            findings: &'a [nashr_check::lint::Finding],
            summary: nashr_check::lint::Summary,
        }
        let json = Json {
            version: 1,
            findings: &findings,
            summary,
        };
        ui.print(format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()));
    } else {
        for f in &findings {
            ui.print(nashr_check::report::finding_text(f));
        }
        ui.info(nashr_check::report::summary_text(&summary));
    }
    Ok(if summary.errors > 0 { EXIT_INPUT } else { 0 })
}

fn l10n_accept(root: &Path, locale: &str, ids: &[String], ui: &mut Ui) -> Result<u8, Error> {
    let project = Project::load(root)?;
    let trees = nashr_check::tree::project_trees(&project)?;
    let Some(tree) = trees.iter().find(|t| t.locale == locale) else {
        return Err(Error::UntranslatedLocale {
            locale: locale.to_string(),
            translated: Vec::new(),
        });
    };
    let accepted = nashr_check::status::accept(tree, ids)?;
    for (file, id) in &accepted {
        ui.info(format!("accepted {id} ({file})"));
    }
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| !accepted.iter().any(|(_, a)| a == *id))
        .collect();
    for id in &unknown {
        ui.warn(format!("`{id}` is not a stale translation of {locale}"));
    }
    ui.info(format!(
        "{} translation{} marked current",
        accepted.len(),
        plural(accepted.len())
    ));
    Ok(if unknown.is_empty() { 0 } else { EXIT_INPUT })
}

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
use nashr_l10n::Localizer;

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
}

#[derive(Debug, Subcommand)]
enum L10nCommand {
    /// Write locales/<source>/articles/<slug>.ftl from every article: the text translators translate.
    Sync {
        /// Change nothing; exit 1 if any catalog is out of date (for CI).
        #[arg(long)]
        check: bool,
    },
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
        Command::Publish(args) => Ok(publish::command(&cli.root, args, &mut ui)),
    };
    match result {
        Ok(code) => code,
        Err(e) => ui.report(&e),
    }
}

mod publish;

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
            Error::Io { .. } | Error::Environment(_) => {
                let _ = writeln!(self.out, "error: {e}");
                EXIT_USAGE
            }
        }
    }
}

fn build(root: &Path, args: &BuildArgs, ui: &mut Ui, sync_first: bool) -> Result<u8, Error> {
    let started = Instant::now();
    let project = Project::load(root)?;
    if sync_first {
        let report = nashr_l10n::sync::sync(&project, false)?;
        for p in &report.changed {
            ui.info(format!("updated {}", p.display()));
        }
        for p in &report.removed {
            ui.info(format!("removed {}", p.display()));
        }
    } else if let Ok(report) = nashr_l10n::sync::sync(&project, true)
        && !report.is_clean()
    {
        ui.warn("translation catalogs are out of date with the articles; run `nashr l10n sync`");
    }
    let l10n = std::sync::Arc::new(Localizer::load(&project)?);
    let out_dir = match &args.out {
        Some(dir) if dir.is_absolute() => dir.clone(),
        Some(dir) => std::env::current_dir()
            .map(|c| c.join(dir))
            .unwrap_or_else(|_| dir.clone()),
        None => project.output_dir(),
    };
    let bar = if ui.interactive && !ui.quiet {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("rendering");
        Some(bar)
    } else {
        None
    };
    let options = nashr_render::BuildOptions {
        out_dir: out_dir.clone(),
        now: jiff::Timestamp::now(),
    };
    let progress = |phase: &str, done: usize, total: usize| {
        if let Some(bar) = &bar {
            if done == 1 {
                bar.set_message(phase.to_string());
            }
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let report = nashr_render::build(&project, &l10n, &options, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = report?;
    for w in report.warnings.iter().cloned().chain(l10n.warnings()) {
        ui.warn(w);
    }
    let shown_out = project.shown(&out_dir);
    ui.info(format!(
        "built {} article{} in {} locale{}: {} files written, {} unchanged, {} removed in {} ({:.2} s)",
        report.articles,
        plural(report.articles),
        report.locales,
        plural(report.locales),
        report.written.len(),
        report.unchanged,
        report.removed.len(),
        shown_out.display(),
        started.elapsed().as_secs_f64()
    ));
    for (locale, n) in l10n.fallback_counts() {
        ui.info(format!(
            "{locale}: {n} text{} not translated yet, shown from the fallback locale (see locales/{locale}/)",
            plural(n)
        ));
    }
    Ok(0)
}

fn sync(root: &Path, check: bool, ui: &mut Ui) -> Result<u8, Error> {
    // Only the articles matter here: a translator's syntax error in another locale must not
    // stop the editor from updating the source catalogs.
    let project = Project::load(root)?;
    let report = nashr_l10n::sync::sync(&project, check)?;
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
    if check && !report.is_clean() {
        ui.warn("run `nashr l10n sync` and commit the catalogs");
        return Ok(EXIT_INPUT);
    }
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

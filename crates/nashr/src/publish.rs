//! `nashr publish`: the plan or the result per target, a progress bar on a terminal, JSON
//! for machines.

use std::path::Path;

use nashr_content::Project;
use nashr_l10n::Localizer;
use nashr_publish::{Action, PublishOptions, Report};

use crate::{EXIT_USAGE, PublishArgs, Ui, plural};

pub(crate) fn command(root: &Path, args: &PublishArgs, ui: &mut Ui) -> u8 {
    let json = args.json;
    let project = match Project::load(root) {
        Ok(p) => p,
        Err(e) => return ui.report(&e),
    };
    let l10n = match Localizer::load(&project) {
        Ok(l) => l,
        Err(e) => return ui.report(&e),
    };
    let options = PublishOptions {
        dry_run: args.dry_run,
        target: args.target.clone(),
        now: jiff::Timestamp::now(),
    };
    let bar = (ui.interactive && !ui.quiet && !json).then(progress_bar);
    let progress = |name: &str, done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_message(name.to_string());
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let result = nashr_publish::publish_blocking(&project, &l10n, &options, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(nashr_publish::Error::Input(e)) => return ui.report(&e),
        Err(e) => {
            let _ = writeln!(ui.out, "error: {e}");
            return EXIT_USAGE;
        }
    };
    if json {
        ui.print(format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ));
    } else {
        print_report(&report, ui);
    }
    if let Some(t) = report.targets.iter().find(|t| t.error.is_some()) {
        let _ = writeln!(
            ui.out,
            "error: {}\nnashr: what was published before the error is recorded; run `nashr publish` again to resume",
            t.error.as_deref().unwrap_or_default()
        );
        return EXIT_USAGE;
    }
    0
}

fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} publishing to {msg} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn print_report(report: &Report, ui: &mut Ui) {
    for t in &report.targets {
        if report.dry_run {
            ui.info(format!(
                "plan for `{}` ({}; dry run: nothing is sent or written):",
                t.name, t.kind
            ));
        }
        for item in &t.items {
            if report.dry_run || item.action != Action::Skip {
                let action = match (report.dry_run, item.action) {
                    (true, a) => a.as_str(),
                    (false, Action::Create) => "created",
                    (false, Action::Update) => "updated",
                    (false, Action::Skip) => "unchanged",
                };
                let at = match (&item.url, report.dry_run) {
                    (Some(url), false) => format!(" → {url}"),
                    _ => String::new(),
                };
                ui.info(format!(
                    "  {action:<9} {}/{}: {}{at}",
                    item.article, item.locale, item.reason
                ));
            }
        }
        let (c, u, s) = (t.count(Action::Create), t.count(Action::Update), t.count(Action::Skip));
        let mut line = if report.dry_run {
            format!("{}: would create {c}, update {u}, leave {s} unchanged", t.name)
        } else {
            format!("{}: {c} created, {u} updated, {s} unchanged", t.name)
        };
        if t.kind == "wordpress" && !report.dry_run {
            line.push_str(&format!(
                "; {} request{} ({} write{}, {} retr{})",
                t.requests,
                plural(t.requests),
                t.writes,
                plural(t.writes),
                t.retries,
                if t.retries == 1 { "y" } else { "ies" }
            ));
        } else if t.kind == "filesystem" && !report.dry_run {
            line.push_str(&format!("; {} file{} written", t.writes, plural(t.writes)));
        }
        line.push_str(&format!(" ({:.2} s)", t.seconds));
        ui.info(line);
    }
}

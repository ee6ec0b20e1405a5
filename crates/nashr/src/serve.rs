//! `nashr serve`: the preview server (`nashr-serve`).

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use nashr_content::Error;

use crate::Ui;

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The port to listen on (0: any free port; the address is printed on standard output).
    #[arg(long, default_value_t = nashr_serve::DEFAULT_PORT)]
    port: u16,
    /// The address to listen on. Anything but 127.0.0.1 (or ::1) lets other machines read
    /// the preview, drafts included.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
}

pub(crate) fn serve(root: &Path, args: &ServeArgs, ui: &mut Ui) -> Result<u8, Error> {
    let mut options = nashr_serve::Options::new(root);
    options.port = args.port;
    options.bind = args.bind;
    let quiet = ui.quiet;
    options.log = Arc::new(move |line: &str| {
        if !quiet || line.starts_with("error") || line.starts_with("warning") {
            eprintln!("{line}");
        }
    });
    if !args.bind.is_loopback() {
        ui.warn(format!(
            "listening on {}: other machines can read the preview, drafts included",
            args.bind
        ));
    }
    let running = nashr_serve::start(options)?;
    let url = format!("http://{}/", running.addr);
    // The address alone on standard output, for scripts and tests (`--port 0`).
    ui.print(format!("{url}\n"));
    let _ = ui.stdout.flush();
    ui.info(format!(
        "serving the preview at {url} (Ctrl-C stops it); translation marks: the toggle on each page, or ?marks=1; newsletter: {url}_newsletter/"
    ));
    let _ = ui.out.flush();
    running.wait();
    Ok(0)
}

//! Where messages go: `.eml` files in an outbox (the default), or an SMTP server through
//! lettre (async, pooled, rustls). Every SMTP send has its own timeout (lettre's bounds only
//! the connection), and every failure is classified for the delivery ledger: 4xx and network
//! trouble are worth retrying, 5xx are not.

use std::path::PathBuf;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use nashr_content::newsletter::{NewsletterConfig, TlsMode, TransportKind};

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (SMTP 250, or written to the outbox).
    Sent,
    /// Worth retrying later: a 4xx reply, a timeout, a refused or broken connection.
    Transient(String),
    /// Never worth retrying: a 5xx reply.
    Permanent(String),
}

pub enum Transport {
    File {
        dir: PathBuf,
    },
    Smtp {
        smtp: AsyncSmtpTransport<Tokio1Executor>,
        timeout: Duration,
    },
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::File { dir } => write!(f, "file transport to {}", dir.display()),
            Transport::Smtp { .. } => f.write_str("SMTP transport"),
        }
    }
}

impl Transport {
    /// The transport `config` asks for. `root` is the project directory (for the outbox).
    /// The SMTP password is read from the environment variable the config names.
    pub fn from_config(config: &NewsletterConfig, root: &std::path::Path) -> Result<Transport, String> {
        match config.transport {
            TransportKind::File => Ok(Transport::File {
                dir: root.join(&config.outbox),
            }),
            TransportKind::Smtp => {
                let s = &config.smtp;
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone()).port(s.port);
                let tls = |host: &str| {
                    TlsParameters::new_rustls(host.to_string()).map_err(|e| format!("TLS settings for {host}: {e}"))
                };
                b = match s.tls {
                    TlsMode::None => b.tls(Tls::None),
                    TlsMode::Starttls => b.tls(Tls::Required(tls(&s.host)?)),
                    TlsMode::Tls => b.tls(Tls::Wrapper(tls(&s.host)?)),
                };
                if let Some(user) = &s.user {
                    let password = std::env::var(&s.password_env).map_err(|_| {
                        format!(
                            "[newsletter.smtp] user is set but the environment variable {} (the SMTP password) is not",
                            s.password_env
                        )
                    })?;
                    b = b.credentials(Credentials::new(user.clone(), password));
                }
                let timeout = Duration::from_secs(s.timeout_secs.max(1));
                let smtp = b
                    .timeout(Some(timeout))
                    .pool_config(PoolConfig::new().max_size(s.concurrency.max(1) as u32))
                    .build();
                Ok(Transport::Smtp { smtp, timeout })
            }
        }
    }

    pub fn is_file(&self) -> bool {
        matches!(self, Transport::File { .. })
    }

    /// Sends one message. `name` is a file name for the file transport (deterministic per
    /// issue × recipient, so a re-send after a crash overwrites instead of duplicating).
    pub async fn send(&self, envelope: &Envelope, bytes: &[u8], issue: &str, name: &str) -> Outcome {
        match self {
            Transport::File { dir } => {
                let dir = dir.join(issue);
                let write = || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = dir.join(format!(".{name}.tmp"));
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, dir.join(format!("{name}.eml")))
                };
                match write() {
                    Ok(()) => Outcome::Sent,
                    Err(e) => Outcome::Transient(format!("cannot write to {}: {e}", dir.display())),
                }
            }
            Transport::Smtp { smtp, timeout } => {
                match tokio::time::timeout(*timeout, smtp.send_raw(envelope, bytes)).await {
                    Err(_) => Outcome::Transient(format!("no answer within {} s", timeout.as_secs())),
                    Ok(Ok(_)) => Outcome::Sent,
                    Ok(Err(e)) if e.is_permanent() => Outcome::Permanent(e.to_string()),
                    Ok(Err(e)) => Outcome::Transient(e.to_string()),
                }
            }
        }
    }
}

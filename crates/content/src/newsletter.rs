//! `[newsletter]` in nashr.toml: the sender, the footer facts CASL asks for, the unsubscribe
//! endpoint and the transport. Secrets are never here: only the names of the environment
//! variables that hold them.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterConfig {
    /// The sender's name in `From:` and in the footer (CASL: identify the sender).
    pub from_name: String,
    /// The sender's address in `From:`.
    pub from_address: String,
    /// The mailing address shown in every footer (CASL: contact information).
    pub postal_address: String,
    /// The public https URL of the worker's unsubscribe endpoint (`…/unsubscribe`); the
    /// signed token is added as `?t=…`.
    pub unsubscribe_url: String,
    /// The mailbox for `mailto:` unsubscribes in `List-Unsubscribe` (processed by the
    /// clinic's mail staff or an inbound hook; the https link is the one-click one).
    pub unsubscribe_mailto: String,
    /// The right-hand side of every `Message-ID` (default: the domain of `from_address`).
    pub message_id_domain: Option<String>,
    /// The time zone `newsletter schedule` uses when `--tz` is not given.
    pub timezone: String,
    /// The environment variable holding the unsubscribe-token key.
    pub key_env: String,
    /// Where `nashr worker` serves the unsubscribe endpoint.
    pub listen: String,
    /// `file` (the default: `.eml` files in `outbox`) or `smtp`.
    pub transport: TransportKind,
    /// The file transport's directory, relative to the project.
    pub outbox: String,
    pub smtp: SmtpConfig,
    /// First retry after a 4xx, in seconds; doubled at each further attempt.
    pub retry_base_secs: u64,
    /// Attempts before a temporarily failing address is given up (and reported).
    pub max_attempts: u32,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        NewsletterConfig {
            from_name: "nashr".into(),
            from_address: "newsletter@example.com".into(),
            postal_address: String::new(),
            unsubscribe_url: "https://example.com/unsubscribe".into(),
            unsubscribe_mailto: "unsubscribe@example.com".into(),
            message_id_domain: None,
            timezone: "UTC".into(),
            key_env: "NASHR_NEWSLETTER_KEY".into(),
            listen: "127.0.0.1:8025".into(),
            transport: TransportKind::File,
            outbox: "outbox".into(),
            smtp: SmtpConfig::default(),
            retry_base_secs: 60,
            max_attempts: 8,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    #[default]
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (a local relay or a test server only).
    None,
    /// STARTTLS on the submission port (587), required.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// SMTP user name (the password is read from `password_env`).
    pub user: Option<String>,
    pub password_env: String,
    /// Seconds allowed for one message (connect, TLS and the whole transaction).
    pub timeout_secs: u64,
    /// Messages in flight at once (and pooled connections).
    pub concurrency: usize,
    /// At most this many messages per second (0: no limit).
    pub rate: f64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: 587,
            tls: TlsMode::Starttls,
            user: None,
            password_env: "NASHR_SMTP_PASSWORD".into(),
            timeout_secs: 30,
            concurrency: 4,
            rate: 0.0,
        }
    }
}

//! nashr's newsletter: issues (`content/newsletters/<issue>.md`) rendered per locale into
//! email (HTML with inlined CSS and RTL-safe markup, plain text first), subscribers read from
//! CSV, signed one-click unsubscribe, the `file` and `smtp` transports, and local-time
//! scheduling. Delivery state lives in `nashr-store`; see `deliver`.

pub mod csv;
pub mod email;
pub mod issue;
pub mod preview;
pub mod schedule;
mod token;
mod transport;

pub use email::{LocaleEmail, Recipient, Renderer};
pub use issue::Issue;
pub use token::Key;
pub use transport::{Outcome, Transport};
pub mod deliver;
pub mod server;

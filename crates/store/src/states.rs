//! The closed sets of names the store keeps in text columns: job kinds and states, subscriber
//! statuses and delivery states. Each is written to the database (and shown in `--json`
//! output) by `as_str()`, the exact text the migrations' `CHECK` constraints name; a text read
//! back that is none of them is a [`StoreError::Unknown`], never a panic.

use std::fmt;
use std::str::FromStr;

use crate::StoreError;

/// Defines a text-backed enum: its variants and their database names, `as_str`, `Display`,
/// `FromStr` (an unknown name is an error naming the column) and `ALL`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order of the schema's `CHECK` constraint.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name in the database and in `--json` output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<$name, StoreError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(StoreError::Unknown {
                        what: $what,
                        value: s.to_string(),
                    }),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = StoreError;

            fn try_from(s: &str) -> Result<$name, StoreError> {
                s.parse()
            }
        }
    };
}

text_enum! {
    /// What a job does.
    JobKind, "job kind" {
        /// Queue a newsletter issue for every active subscriber (the target is the issue id).
        Newsletter = "newsletter",
        /// Publish to the targets (the target is `<article slug>@<publish_at in Unix seconds>`).
        Publish = "publish",
    }
}

text_enum! {
    /// Where a job is in its life: scheduled → running → done or failed; scheduled → cancelled.
    JobState, "job state" {
        Scheduled = "scheduled",
        Running = "running",
        Done = "done",
        Cancelled = "cancelled",
        Failed = "failed",
    }
}

text_enum! {
    /// Whether a subscriber gets messages.
    SubscriberStatus, "subscriber status" {
        Active = "active",
        Unsubscribed = "unsubscribed",
        /// A server refused an address permanently (5xx).
        Bounced = "bounced",
    }
}

text_enum! {
    /// One recipient's delivery of one issue (see the delivery ledger in the 0002 migration).
    DeliveryState, "delivery state" {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        /// Refused temporarily (4xx); due again at `next_attempt_at`.
        Retry = "retry",
        Failed = "failed",
        /// Not sent: the subscriber was no longer active.
        Skipped = "skipped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_errors() {
        for k in JobKind::ALL {
            assert_eq!(k.as_str().parse::<JobKind>().unwrap(), *k);
        }
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>().unwrap(), *s);
        }
        for s in SubscriberStatus::ALL {
            assert_eq!(s.to_string().parse::<SubscriberStatus>().unwrap(), *s);
        }
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::try_from(s.as_str()).unwrap(), *s);
        }
        let err = "paused".parse::<SubscriberStatus>().unwrap_err().to_string();
        assert_eq!(err, "state store: unknown subscriber status `paused`");
        assert!("Active".parse::<SubscriberStatus>().is_err(), "names are exact");
    }

    #[test]
    fn the_names_are_the_ones_the_schema_allows() {
        let schema = include_str!("../migrations/sqlite/0002_newsletter.sql");
        let names = |list: &[&str]| format!("('{}')", list.join("', '"));
        let statuses: Vec<&str> = SubscriberStatus::ALL.iter().map(|s| s.as_str()).collect();
        let deliveries: Vec<&str> = DeliveryState::ALL.iter().map(|s| s.as_str()).collect();
        let jobs: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
        for list in [names(&statuses), names(&deliveries), names(&jobs)] {
            assert!(schema.contains(&list), "{list} is not a CHECK list of the schema");
        }
    }
}

//! Local time to an instant: `--at "2026-12-01 09:00" --tz America/Vancouver`, DST-correct.
//!
//! A local time that does not exist (skipped when clocks go forward) is refused with the
//! nearest valid time suggested; one that happens twice (clocks go back) is refused unless
//! the caller picks the earlier or later one, because sending an hour early or late is a
//! choice the editor should make.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime as Zoned};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fold {
    /// Refuse an ambiguous time.
    #[default]
    Refuse,
    Earlier,
    Later,
}

/// The instant `at` (local time, `YYYY-MM-DD HH:MM[:SS]` or with a `T`) in zone `tz`.
pub fn resolve(at: &str, tz: &str, fold: Fold) -> Result<Zoned, String> {
    let zone = TimeZone::get(tz)
        .map_err(|_| format!("`{tz}` is not a time zone; use an IANA name such as America/Vancouver or Asia/Tehran"))?;
    let dt: DateTime = at
        .trim()
        .replacen(' ', "T", 1)
        .parse()
        .map_err(|_| format!("`{at}` is not a local date and time; write e.g. \"2026-12-01 09:00\""))?;
    let amb = zone.to_ambiguous_zoned_datetime(dt);
    if matches!(amb.offset(), jiff::tz::AmbiguousOffset::Gap { .. }) {
        let later = amb.clone().later().map_err(|e| e.to_string())?;
        return Err(format!(
            "{at} does not exist in {tz}: the clocks go forward then; {} is the first time after the change",
            later.strftime("%Y-%m-%d %H:%M")
        ));
    }
    if matches!(amb.offset(), jiff::tz::AmbiguousOffset::Fold { .. }) {
        return match fold {
            Fold::Earlier => amb.earlier().map_err(|e| e.to_string()),
            Fold::Later => amb.later().map_err(|e| e.to_string()),
            Fold::Refuse => {
                let e = amb.clone().earlier().map_err(|e| e.to_string())?;
                let l = amb.later().map_err(|e| e.to_string())?;
                Err(format!(
                    "{at} happens twice in {tz} (the clocks go back): at {} and at {} UTC; add --earlier or --later",
                    e.timestamp().strftime("%H:%M"),
                    l.timestamp().strftime("%H:%M")
                ))
            }
        };
    }
    amb.compatible().map_err(|e| e.to_string())
}

/// `ts` shown in `tz` for messages.
pub fn show(ts: Timestamp, tz: &str) -> String {
    match TimeZone::get(tz) {
        Ok(zone) => ts.to_zoned_datetime(zone).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => ts.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAN: &str = "America/Vancouver";

    #[test]
    fn winter_and_summer_offsets() {
        // 09:00 PST (UTC-8) after the change back on 2026-11-01.
        let z = resolve("2026-12-01 09:00", VAN, Fold::Refuse).unwrap();
        assert_eq!(z.timestamp().to_string(), "2026-12-01T17:00:00Z");
        // 09:00 PDT (UTC-7) before it.
        let z = resolve("2026-10-15 09:00", VAN, Fold::Refuse).unwrap();
        assert_eq!(z.timestamp().to_string(), "2026-10-15T16:00:00Z");
    }

    #[test]
    fn across_the_fall_change_the_same_local_time_is_25_hours_apart() {
        let sat = resolve("2026-10-31 09:00", VAN, Fold::Refuse).unwrap();
        let sun = resolve("2026-11-01 09:00", VAN, Fold::Refuse).unwrap();
        assert_eq!(sun.timestamp().as_second() - sat.timestamp().as_second(), 25 * 3600);
        assert_eq!(sun.timestamp().to_string(), "2026-11-01T17:00:00Z");
    }

    #[test]
    fn across_the_spring_change_the_same_local_time_is_23_hours_apart() {
        let sat = resolve("2027-03-13 09:00", VAN, Fold::Refuse).unwrap();
        let sun = resolve("2027-03-14 09:00", VAN, Fold::Refuse).unwrap();
        assert_eq!(sun.timestamp().as_second() - sat.timestamp().as_second(), 23 * 3600);
        assert_eq!(sun.timestamp().to_string(), "2027-03-14T16:00:00Z");
    }

    #[test]
    fn a_skipped_time_is_refused_with_the_next_valid_one() {
        let e = resolve("2027-03-14 02:30", VAN, Fold::Refuse).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        assert!(e.contains("2027-03-14 03:30"), "{e}");
    }

    #[test]
    fn a_repeated_time_needs_a_choice() {
        let e = resolve("2026-11-01 01:30", VAN, Fold::Refuse).unwrap_err();
        assert!(
            e.contains("happens twice") && e.contains("08:30") && e.contains("09:30"),
            "{e}"
        );
        let early = resolve("2026-11-01 01:30", VAN, Fold::Earlier).unwrap();
        let late = resolve("2026-11-01 01:30", VAN, Fold::Later).unwrap();
        assert_eq!(early.timestamp().to_string(), "2026-11-01T08:30:00Z");
        assert_eq!(late.timestamp().to_string(), "2026-11-01T09:30:00Z");
    }

    #[test]
    fn bad_zone_and_time() {
        assert!(
            resolve("2026-12-01 09:00", "America/Vancover", Fold::Refuse)
                .unwrap_err()
                .contains("not a time zone")
        );
        assert!(
            resolve("tomorrow", VAN, Fold::Refuse)
                .unwrap_err()
                .contains("not a local date")
        );
    }
}

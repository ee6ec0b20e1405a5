//! The one place where numbers and dates become text. Templates (`date`, `number` filters),
//! Fluent messages (numbers in placeables) and reading times all come through here, so a
//! locale's digits and calendar are the same everywhere.

use icu_calendar::Date;
use icu_datetime::DateTimeFormatter;
use icu_datetime::fieldsets::YMD;
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use icu_locale_core::Locale;

/// Formatters for one locale, built once and shared.
pub struct LocaleFormat {
    date: DateTimeFormatter<YMD>,
    number: DecimalFormatter,
}

impl std::fmt::Debug for LocaleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocaleFormat")
    }
}

impl LocaleFormat {
    /// Formatters for `locale` (a BCP 47 tag; `-u-ca-…` and `-u-nu-…` keywords are honoured).
    /// ICU4X's defaults apply otherwise: `fa` gets the Solar Hijri calendar and Persian digits.
    pub fn new(locale: &str) -> Result<LocaleFormat, String> {
        let loc: Locale = locale
            .parse()
            .map_err(|e| format!("`{locale}` is not a locale: {e:?}"))?;
        let date = DateTimeFormatter::try_new((&loc).into(), YMD::long())
            .map_err(|e| format!("no date format for `{locale}`: {e:?}"))?;
        let number = DecimalFormatter::try_new((&loc).into(), Default::default())
            .map_err(|e| format!("no number format for `{locale}`: {e:?}"))?;
        Ok(LocaleFormat { date, number })
    }

    /// A date for readers: "October 14, 2026", "۲۲ مهر ۱۴۰۵".
    pub fn date(&self, date: jiff::civil::Date) -> String {
        match Date::try_new_iso(i32::from(date.year()), date.month() as u8, date.day() as u8) {
            Ok(d) => self.date.format(&d).to_string(),
            Err(_) => date.to_string(),
        }
    }

    /// An integer with the locale's digits and grouping: "1,234", "۱٬۲۳۴".
    pub fn integer(&self, n: i64) -> String {
        self.number.format_to_string(&Decimal::from(n))
    }

    /// A number given as its decimal text ("1234.50"); text that is not a number is returned
    /// unchanged.
    pub fn decimal_str(&self, text: &str) -> String {
        match text.parse::<Decimal>() {
            Ok(d) => self.number.format_to_string(&d),
            Err(_) => text.to_string(),
        }
    }

    pub fn number(&self, n: f64) -> String {
        if n.fract() == 0.0 && n.abs() < 9e15 {
            return self.integer(n as i64);
        }
        self.decimal_str(&n.to_string())
    }
}

/// The decimal formatter alone, for Fluent's number placeables (built per bundle, so kept
/// small).
pub(crate) fn decimal_formatter(locale: &str) -> Result<DecimalFormatter, String> {
    let loc: Locale = locale
        .parse()
        .map_err(|e| format!("`{locale}` is not a locale: {e:?}"))?;
    DecimalFormatter::try_new((&loc).into(), Default::default()).map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_dates_and_digits() {
        let fa = LocaleFormat::new("fa").unwrap();
        let d = jiff::civil::date(2025, 3, 21);
        assert_eq!(fa.date(d), "۱ فروردین ۱۴۰۴");
        assert_eq!(fa.integer(1234), "۱٬۲۳۴");
        let en = LocaleFormat::new("en").unwrap();
        assert_eq!(en.date(d), "March 21, 2025");
        assert_eq!(en.number(1234.5), "1,234.5");
    }
}

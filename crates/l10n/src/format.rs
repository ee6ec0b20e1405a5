//! The one place where numbers and dates become text for readers. The template filters
//! (`date`, `number`), the Fluent functions (`DATETIME`, `NUMBER`), numbers and dates passed
//! to Fluent messages as variables, reading times and page counts all come through
//! [`LocaleFormat`], so a locale's calendar and digits are the same everywhere.
//!
//! Machine-readable dates (`<time datetime>`, Atom, the sitemap) are not formatted here: they
//! stay ISO 8601 / RFC 3339 with ASCII digits.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use fixed_decimal::{SignedRoundingMode, UnsignedRoundingMode};
pub use fluent_bundle::types::FluentNumberOptions;
use fluent_bundle::types::{FluentNumber, FluentNumberStyle, FluentType};
use fluent_bundle::{FluentArgs, FluentValue};
use icu_calendar::{Date, Iso};
use icu_datetime::DateTimeFormatter;
use icu_datetime::fieldsets::builder::{DateFields, FieldSetBuilder};
use icu_datetime::fieldsets::enums::CompositeDateTimeFieldSet;
use icu_datetime::input::{DateTime, Time};
use icu_datetime::options::{Length, TimePrecision};
use icu_decimal::input::Decimal;
use icu_decimal::options::{DecimalFormatterOptions, GroupingStrategy};
use icu_decimal::{DecimalFormatter, DecimalFormatterPreferences};
use icu_locale_core::Locale;
use icu_locale_core::extensions::unicode::{Value, key};
use nashr_content::{Calendar, Digits};

/// Formatters for one locale, built once and shared by every page, message and thread.
pub struct LocaleFormat {
    locale: Locale,
    number: DecimalFormatter,
    number_ungrouped: DecimalFormatter,
    percent_sign: &'static str,
    /// Date formatters by field set, built on first use (a site uses two or three).
    dates: Mutex<Vec<(FieldSetBuilder, Arc<DateTimeFormatter<CompositeDateTimeFieldSet>>)>>,
}

impl std::fmt::Debug for LocaleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocaleFormat({})", self.locale)
    }
}

impl LocaleFormat {
    /// Formatters for `locale` (a BCP 47 tag) with an explicit calendar and digits; `None`
    /// keeps the locale's CLDR default (which for `fa-CA` is the Gregorian calendar, so
    /// callers pass the configured choice, see [`nashr_content::Config::calendar`]).
    pub fn new(locale: &str, calendar: Option<Calendar>, digits: Option<Digits>) -> Result<LocaleFormat, String> {
        let mut loc: Locale = locale
            .parse()
            .map_err(|e| format!("`{locale}` is not a locale: {e:?}"))?;
        // unic-langid (Fluent's language ids) has no -u- extensions; ICU4X's locale does, and
        // it is the only place the calendar and digits need to be.
        if let Some(c) = calendar {
            let v: Value = c.bcp47().parse().map_err(|e| format!("{e:?}"))?;
            loc.extensions.unicode.keywords.set(key!("ca"), v);
        }
        if let Some(d) = digits {
            let v: Value = d.bcp47().parse().map_err(|e| format!("{e:?}"))?;
            loc.extensions.unicode.keywords.set(key!("nu"), v);
        }
        let prefs = DecimalFormatterPreferences::from(&loc);
        let number = DecimalFormatter::try_new(prefs, Default::default())
            .map_err(|e| format!("no number format for `{loc}`: {e:?}"))?;
        let mut ungrouped = DecimalFormatterOptions::default();
        ungrouped.grouping_strategy = Some(GroupingStrategy::Never);
        let number_ungrouped =
            DecimalFormatter::try_new(prefs, ungrouped).map_err(|e| format!("no number format for `{loc}`: {e:?}"))?;
        // ICU4X's percent formatting is still experimental (icu_experimental); the sign
        // follows the digits, after the number, as CLDR has it for en and fa ("25%", "۲۵٪").
        let percent_sign = match number.format_to_string(&Decimal::from(0)).as_str() {
            "۰" | "٠" => "٪",
            _ => "%",
        };
        let format = LocaleFormat {
            locale: loc,
            number,
            number_ungrouped,
            percent_sign,
            dates: Mutex::default(),
        };
        // Fail now, at load, if the calendar has no data for this locale.
        format.date_formatter(&DateTimeOptions::default().builder(Formatted::DateOnly))?;
        Ok(format)
    }

    /// The ICU4X locale used, with its `-u-ca-` and `-u-nu-` keywords.
    pub fn icu_locale(&self) -> String {
        self.locale.to_string()
    }

    /// A date for readers in the default style (long): "March 21, 2025", "۱ فروردین ۱۴۰۴".
    pub fn date(&self, date: jiff::civil::Date) -> String {
        self.datetime(&DateInput::Date(date), &DateTimeOptions::default())
    }

    /// A date, or date and time, for readers. The template filter `date` and the Fluent
    /// function `DATETIME` both end here.
    pub fn datetime(&self, input: &DateInput, options: &DateTimeOptions) -> String {
        let (date, time) = match input {
            DateInput::Date(d) => (*d, None),
            DateInput::Instant(ts) => {
                let zoned = match &options.time_zone {
                    Some(tz) => ts.to_zoned_datetime(tz.clone()),
                    None => ts.to_zoned_datetime(jiff::tz::TimeZone::UTC),
                };
                (zoned.date(), Some(zoned.time()))
            }
            DateInput::Civil(dt) => (dt.date(), Some(dt.time())),
        };
        let builder = options.builder(if time.is_some() {
            Formatted::DateAndTime
        } else {
            Formatted::DateOnly
        });
        let Ok(formatter) = self.date_formatter(&builder) else {
            return date.to_string();
        };
        let Ok(iso) = Date::try_new_iso(i32::from(date.year()), date.month() as u8, date.day() as u8) else {
            return date.to_string();
        };
        let t = time
            .and_then(|t| Time::try_new(t.hour() as u8, t.minute() as u8, t.second() as u8, 0).ok())
            .unwrap_or(Time::start_of_day());
        formatter.format(&DateTime::<Iso> { date: iso, time: t }).to_string()
    }

    fn date_formatter(
        &self,
        builder: &FieldSetBuilder,
    ) -> Result<Arc<DateTimeFormatter<CompositeDateTimeFieldSet>>, String> {
        let mut cache = self.dates.lock().map_err(|_| "formatter cache poisoned".to_string())?;
        if let Some((_, f)) = cache.iter().find(|(b, _)| b == builder) {
            return Ok(f.clone());
        }
        let field_set = builder
            .clone()
            .build_composite_datetime()
            .map_err(|e| format!("{e:?}"))?;
        let f = Arc::new(
            DateTimeFormatter::try_new((&self.locale).into(), field_set)
                .map_err(|e| format!("no date format for `{}`: {e:?}", self.locale))?,
        );
        cache.push((builder.clone(), f.clone()));
        Ok(f)
    }

    /// An integer with the locale's digits and grouping: "1,234", "۱٬۲۳۴".
    pub fn integer(&self, n: i64) -> String {
        self.number.format_to_string(&Decimal::from(n))
    }

    /// A number given as its decimal text ("1234.50"), with the default options; text that
    /// is not a number is returned unchanged.
    pub fn decimal_str(&self, text: &str) -> String {
        self.number_with(text, &FluentNumberOptions::default())
            .unwrap_or_else(|| text.to_string())
    }

    pub fn number(&self, n: f64) -> String {
        self.fluent_number(&FluentNumber::new(n, FluentNumberOptions::default()))
    }

    /// A Fluent number with its options (`NUMBER($n, minimumFractionDigits: 2)`, or a plain
    /// `{ $n }`). The template filter `number` builds the same options from its arguments.
    pub fn fluent_number(&self, n: &FluentNumber) -> String {
        let text = n.as_string();
        self.number_with(&text, &n.options).unwrap_or_else(|| text.into_owned())
    }

    /// Formats decimal `text` with `options`: grouping, minimum integer digits, minimum and
    /// maximum fraction digits (rounding half away from zero, as `Intl.NumberFormat`),
    /// maximum significant digits, percent. Currency is not supported and formats as decimal.
    pub fn number_with(&self, text: &str, options: &FluentNumberOptions) -> Option<String> {
        let mut d: Decimal = text.trim().parse().ok()?;
        let percent = options.style == FluentNumberStyle::Percent;
        if percent {
            d.multiply_pow10(2);
        }
        // "0.25" becomes "025" when multiplied, and "3.50" keeps its zero; the options pad
        // again below, as `Intl.NumberFormat` does.
        d.absolute.trim_start();
        d.absolute.trim_end();
        let half_expand = SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfExpand);
        if let Some(max) = options.maximum_significant_digits.filter(|m| *m > 0) {
            let start = d.absolute.nonzero_magnitude_start();
            d.round_with_mode(start - (max.min(30) as i16 - 1), half_expand);
        }
        if let Some(max) = options.maximum_fraction_digits {
            d.round_with_mode(-(max.min(30) as i16), half_expand);
            d.absolute.trim_end();
        } else if percent {
            d.round_with_mode(0, half_expand);
        }
        if let Some(min) = options.minimum_fraction_digits {
            d.absolute.pad_end(-(min.min(30) as i16));
        }
        if let Some(min) = options.minimum_integer_digits {
            d.absolute.pad_start(min.min(30) as i16);
        }
        let formatter = if options.use_grouping {
            &self.number
        } else {
            &self.number_ungrouped
        };
        let mut out = formatter.format_to_string(&d);
        if percent {
            out.push_str(self.percent_sign);
        }
        Some(out)
    }
}

/// What `DATETIME` and the `date` filter accept: a calendar date (`2025-03-21`), a date and
/// time without zone, or an instant (RFC 3339, `2026-12-01T09:00:00-08:00`).
#[derive(Debug, Clone, PartialEq)]
pub enum DateInput {
    Date(jiff::civil::Date),
    Civil(jiff::civil::DateTime),
    Instant(jiff::Timestamp),
}

impl DateInput {
    /// Reads an ISO 8601 date or RFC 3339 timestamp.
    pub fn parse(text: &str) -> Option<DateInput> {
        let text = text.trim();
        if text.len() == 10 {
            return text.parse().ok().map(DateInput::Date);
        }
        if let Ok(ts) = text.parse::<jiff::Timestamp>() {
            return Some(DateInput::Instant(ts));
        }
        text.parse().ok().map(DateInput::Civil)
    }
}

/// Options of `DATETIME` and the `date` filter, named as in `Intl.DateTimeFormat`:
/// `dateStyle`, `timeStyle` (full, long, medium, short), or the fields `weekday`, `year`,
/// `month`, `day`, `hour`, `minute`, `second`; and `timeZone` (an IANA name such as
/// `America/Vancouver`, `UTC`, or an offset such as `+03:30`). With none, a long date.
#[derive(Debug, Clone, Default)]
pub struct DateTimeOptions {
    date_style: Option<Style>,
    time_style: Option<Style>,
    weekday: bool,
    year: bool,
    month: Option<Length>,
    day: bool,
    time: Option<TimePrecision>,
    time_zone: Option<jiff::tz::TimeZone>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Full,
    Long,
    Medium,
    Short,
}

/// What a value to format holds: a date alone, or a date with its time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Formatted {
    DateOnly,
    DateAndTime,
}

impl DateTimeOptions {
    /// Reads named arguments; an unknown option or value is an error naming it.
    pub fn from_args(args: &FluentArgs) -> Result<DateTimeOptions, String> {
        let mut o = DateTimeOptions::default();
        for (key, value) in args.iter() {
            let value = match value {
                FluentValue::String(s) => s.to_string(),
                FluentValue::Number(n) => n.as_string().into_owned(),
                _ => return Err(format!("option `{key}` needs a value")),
            };
            let style = || match value.as_str() {
                "full" => Ok(Style::Full),
                "long" => Ok(Style::Long),
                "medium" => Ok(Style::Medium),
                "short" => Ok(Style::Short),
                v => Err(format!("`{key}: \"{v}\"` is not a style (full, long, medium, short)")),
            };
            let field = |allowed: &[&str]| {
                if allowed.contains(&value.as_str()) {
                    Ok(())
                } else {
                    Err(format!("`{key}: \"{value}\"`: expected one of {}", allowed.join(", ")))
                }
            };
            match key {
                "dateStyle" => o.date_style = Some(style()?),
                "timeStyle" => o.time_style = Some(style()?),
                "weekday" => {
                    field(&["long", "short", "narrow"])?;
                    o.weekday = true;
                }
                "year" => {
                    field(&["numeric", "2-digit"])?;
                    o.year = true;
                }
                "month" => {
                    field(&["long", "short", "narrow", "numeric", "2-digit"])?;
                    o.month = Some(match value.as_str() {
                        "long" => Length::Long,
                        "short" | "narrow" => Length::Medium,
                        _ => Length::Short,
                    });
                }
                "day" => {
                    field(&["numeric", "2-digit"])?;
                    o.day = true;
                }
                "hour" | "minute" | "second" => {
                    field(&["numeric", "2-digit"])?;
                    let p = match key {
                        "hour" => TimePrecision::Hour,
                        "minute" => TimePrecision::Minute,
                        _ => TimePrecision::Second,
                    };
                    o.time = Some(match (o.time, p) {
                        (Some(TimePrecision::Second), _) | (_, TimePrecision::Second) => TimePrecision::Second,
                        (Some(TimePrecision::Minute), _) | (_, TimePrecision::Minute) => TimePrecision::Minute,
                        _ => TimePrecision::Hour,
                    });
                }
                "timeZone" => o.time_zone = Some(time_zone(&value)?),
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        Ok(o)
    }

    /// The ICU4X field set: a style, or the fields asked for, or a long date. A time is
    /// shown only for a value that has one.
    fn builder(&self, value: Formatted) -> FieldSetBuilder {
        let has_time = value == Formatted::DateAndTime;
        let mut b = FieldSetBuilder::new();
        let fields = match (self.year, self.month.is_some(), self.day, self.weekday) {
            (true, true, true, true) => Some(DateFields::YMDE),
            (true, true, true, false) => Some(DateFields::YMD),
            (false, true, true, true) => Some(DateFields::MDE),
            (false, true, true, false) => Some(DateFields::MD),
            (true, true, false, _) => Some(DateFields::YM),
            (true, false, false, _) => Some(DateFields::Y),
            (false, true, false, _) => Some(DateFields::M),
            (false, false, true, true) => Some(DateFields::DE),
            (false, false, true, false) => Some(DateFields::D),
            (false, false, false, true) => Some(DateFields::E),
            // Day and year without the month say nothing useful: a full date instead.
            (true, false, true, _) => Some(DateFields::YMD),
            (false, false, false, false) => None,
        };
        let any_field = fields.is_some() || self.time.is_some();
        if any_field && self.date_style.is_none() && self.time_style.is_none() {
            b.date_fields = fields;
            b.length = Some(self.month.unwrap_or(Length::Medium));
            b.time_precision = self.time.filter(|_| has_time);
            if b.date_fields.is_none() && b.time_precision.is_none() {
                b.date_fields = Some(DateFields::YMD);
            }
            return b;
        }
        let date_style = match (self.date_style, self.time_style) {
            (None, Some(_)) => None,
            (s, _) => Some(s.unwrap_or(Style::Long)),
        };
        b.date_fields = date_style.map(|s| {
            if s == Style::Full {
                DateFields::YMDE
            } else {
                DateFields::YMD
            }
        });
        b.length = Some(match date_style {
            Some(Style::Full | Style::Long) => Length::Long,
            Some(Style::Short) => Length::Short,
            _ => Length::Medium,
        });
        b.time_precision = match self.time_style.filter(|_| has_time) {
            Some(Style::Short) => Some(TimePrecision::Minute),
            Some(_) => Some(TimePrecision::Second),
            None => None,
        };
        if b.date_fields.is_none() && b.time_precision.is_none() {
            // A time style for a value without a time: show its date.
            b.date_fields = Some(DateFields::YMD);
            b.length = Some(Length::Long);
        }
        b
    }
}

fn time_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    if name.eq_ignore_ascii_case("utc") {
        return Ok(jiff::tz::TimeZone::UTC);
    }
    if let Some(offset) = fixed_offset(name) {
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(name).map_err(|_| {
        format!(
            "`{name}` is not a time zone (use an IANA name such as America/Vancouver, UTC, or an offset such as +03:30)"
        )
    })
}

/// `+03:30`, `-08:00`.
fn fixed_offset(text: &str) -> Option<jiff::tz::Offset> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = text[1..].split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// A date handed to Fluent as a variable (`t("article-published", date=article.date)`):
/// `{ $date }` shows it as the `date` filter would, `{ DATETIME($date, …) }` with options.
#[derive(Debug, Clone, PartialEq)]
pub struct FluentDate {
    pub input: DateInput,
    pub options: FluentDateOptions,
}

/// The options of a [`FluentDate`], kept as given so that the value can be compared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FluentDateOptions(Vec<(String, String)>);

impl FluentDateOptions {
    fn to_options(&self) -> DateTimeOptions {
        let args: FluentArgs = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), FluentValue::from(v.clone())))
            .collect();
        DateTimeOptions::from_args(&args).unwrap_or_default()
    }
}

impl FluentDate {
    pub fn new(input: DateInput) -> FluentDate {
        FluentDate {
            input,
            options: FluentDateOptions::default(),
        }
    }

    fn text(&self) -> String {
        let options = self.options.to_options();
        with_current(|f| f.datetime(&self.input, &options)).unwrap_or_else(|| match &self.input {
            DateInput::Date(d) => d.to_string(),
            DateInput::Civil(d) => d.to_string(),
            DateInput::Instant(t) => t.to_string(),
        })
    }
}

impl FluentType for FluentDate {
    fn duplicate(&self) -> Box<dyn FluentType + Send> {
        Box::new(self.clone())
    }
    fn as_string(&self, _: &intl_memoizer::IntlLangMemoizer) -> Cow<'static, str> {
        self.text().into()
    }
    fn as_string_threadsafe(&self, _: &intl_memoizer::concurrent::IntlLangMemoizer) -> Cow<'static, str> {
        self.text().into()
    }
}

/// `DATETIME(value, option: "…")`: `value` is a date variable or an ISO 8601 / RFC 3339
/// string. Bad options are reported through `warn` and ignored, so readers never see
/// `DATETIME()`.
pub(crate) fn datetime_function<'a>(
    positional: &[FluentValue<'a>],
    named: &FluentArgs,
    warn: &dyn Fn(String),
) -> FluentValue<'a> {
    let input = match positional.first() {
        Some(FluentValue::Custom(c)) => c
            .as_ref()
            .as_any()
            .downcast_ref::<FluentDate>()
            .map(|d| d.input.clone()),
        Some(FluentValue::String(s)) => DateInput::parse(s),
        _ => None,
    };
    let Some(input) = input else {
        warn(format!("DATETIME() needs a date, got {:?}", positional.first()));
        return match positional.first() {
            Some(v) => v.clone(),
            None => FluentValue::None,
        };
    };
    let mut options = Vec::new();
    for (key, value) in named.iter() {
        let one: FluentArgs = [(key, value.clone())].into_iter().collect();
        match DateTimeOptions::from_args(&one) {
            Ok(_) => options.push((key.to_string(), one_text(value))),
            Err(e) => warn(format!("DATETIME(): {e}; the option is ignored")),
        }
    }
    FluentValue::Custom(Box::new(FluentDate {
        input,
        options: FluentDateOptions(options),
    }))
}

fn one_text(v: &FluentValue) -> String {
    match v {
        FluentValue::String(s) => s.to_string(),
        FluentValue::Number(n) => n.as_string().into_owned(),
        _ => String::new(),
    }
}

/// `NUMBER(value, option: …)`: fluent-bundle's own merging of the options (so plural
/// selection behaves as in every Fluent implementation), formatted by [`LocaleFormat`].
/// A number written as a string (`NUMBER("12")`) is read as a number.
pub(crate) fn number_function<'a>(positional: &[FluentValue<'a>], named: &FluentArgs) -> FluentValue<'a> {
    let mut n = match positional.first() {
        Some(FluentValue::Number(n)) => n.clone(),
        Some(FluentValue::String(s)) => match FluentValue::try_number(s.as_ref()) {
            FluentValue::Number(n) => n,
            other => return other.into_owned(),
        },
        Some(other) => return other.clone(),
        None => return FluentValue::None,
    };
    n.options.merge(named);
    FluentValue::Number(n)
}

thread_local! {
    /// The formatter of the bundle being formatted on this thread. fluent-bundle's
    /// `set_formatter` takes a plain `fn` and its memoizer only knows the language id, which
    /// has no calendar or digits (unic-langid drops `-u-` extensions), so the `Localizer` puts
    /// the locale's formatter here for the duration of each `format_pattern` call.
    static CURRENT: RefCell<Option<Arc<LocaleFormat>>> = const { RefCell::new(None) };
}

/// Makes `format` the formatter for Fluent values on this thread until the guard drops.
pub(crate) fn enter(format: &Arc<LocaleFormat>) -> CurrentGuard {
    let previous = CURRENT.with(|c| c.replace(Some(format.clone())));
    CurrentGuard { previous }
}

pub(crate) struct CurrentGuard {
    previous: Option<Arc<LocaleFormat>>,
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

fn with_current<T>(f: impl FnOnce(&LocaleFormat) -> T) -> Option<T> {
    CURRENT.with(|c| c.borrow().as_deref().map(f))
}

/// The bundle formatter (`FluentBundle::set_formatter`): numbers in placeables get the
/// locale's digits, grouping and NUMBER options (fluent-bundle alone always prints ASCII
/// digits, fluent-rs#269). Plural selection still sees the number, not this text.
pub(crate) fn fluent_formatter<M>(value: &FluentValue, _: &M) -> Option<String> {
    match value {
        FluentValue::Number(n) => with_current(|f| f.fluent_number(n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fa() -> LocaleFormat {
        LocaleFormat::new("fa", Some(Calendar::Persian), Some(Digits::Arabext)).unwrap()
    }

    fn en() -> LocaleFormat {
        LocaleFormat::new("en", None, None).unwrap()
    }

    fn opts(pairs: &[(&str, FluentValue<'static>)]) -> FluentNumberOptions {
        let args: FluentArgs = pairs.iter().cloned().collect();
        let mut o = FluentNumberOptions::default();
        o.merge(&args);
        o
    }

    #[test]
    fn nowruz_in_each_calendar() {
        let d = jiff::civil::date(2025, 3, 21);
        assert_eq!(fa().date(d), "۱ فروردین ۱۴۰۴");
        let fa_gregorian = LocaleFormat::new("fa", Some(Calendar::Gregorian), Some(Digits::Arabext)).unwrap();
        assert_eq!(fa_gregorian.date(d), "۲۱ مارس ۲۰۲۵");
        // CLDR's own default for fa-CA is Gregorian; the configured calendar wins.
        let fa_ca = LocaleFormat::new("fa-CA", Some(Calendar::Persian), None).unwrap();
        assert_eq!(fa_ca.date(d), "۱ فروردین ۱۴۰۴");
        let fa_latn = LocaleFormat::new("fa", Some(Calendar::Persian), Some(Digits::Latn)).unwrap();
        assert_eq!(fa_latn.date(d), "1 فروردین 1404");
        assert_eq!(en().date(d), "March 21, 2025");
        let en_persian = LocaleFormat::new("en", Some(Calendar::Persian), None).unwrap();
        assert_eq!(en_persian.date(d), "Farvardin 1, 1404 AP");
        assert_eq!(fa().icu_locale(), "fa-u-ca-persian-nu-arabext");
    }

    #[test]
    fn numbers_in_each_digit_system() {
        assert_eq!(fa().number(1234567.5), "۱٬۲۳۴٬۵۶۷٫۵");
        assert_eq!(en().number(1234567.5), "1,234,567.5");
        // The left-to-right mark keeps the minus sign on the left of the digits in RTL text.
        assert_eq!(fa().number(-42.0), "\u{200e}\u{2212}۴۲");
        assert_eq!(fa().integer(-1234), "\u{200e}\u{2212}۱٬۲۳۴");
        assert_eq!(en().number(-42.0), "-42");
        let fa_latn = LocaleFormat::new("fa", None, Some(Digits::Latn)).unwrap();
        assert_eq!(fa_latn.number(1234567.5), "1,234,567.5");
        let en_arabext = LocaleFormat::new("en", None, Some(Digits::Arabext)).unwrap();
        assert_eq!(en_arabext.integer(1234), "۱,۲۳۴");
    }

    #[test]
    fn number_options() {
        let (fa, en) = (fa(), en());
        let pct = opts(&[("style", "percent".into())]);
        assert_eq!(fa.number_with("0.25", &pct).unwrap(), "۲۵٪");
        assert_eq!(en.number_with("0.256", &pct).unwrap(), "26%");
        let no_grouping = opts(&[("useGrouping", "false".into())]);
        assert_eq!(fa.number_with("1234567", &no_grouping).unwrap(), "۱۲۳۴۵۶۷");
        let fraction = opts(&[("minimumFractionDigits", 2.into())]);
        assert_eq!(en.number_with("3.5", &fraction).unwrap(), "3.50");
        assert_eq!(fa.number_with("3.5", &fraction).unwrap(), "۳٫۵۰");
        let max = opts(&[("maximumFractionDigits", 1.into())]);
        assert_eq!(en.number_with("2.25", &max).unwrap(), "2.3");
        assert_eq!(en.number_with("2.00", &max).unwrap(), "2");
        let int = opts(&[("minimumIntegerDigits", 2.into())]);
        assert_eq!(fa.number_with("7", &int).unwrap(), "۰۷");
        let sig = opts(&[("maximumSignificantDigits", 2.into())]);
        assert_eq!(en.number_with("1234", &sig).unwrap(), "1,200");
        assert_eq!(en.number_with("not a number", &int), None);
        assert_eq!(en.number(0.5), "0.5");
        assert_eq!(fa.number(0.0), "۰");
    }

    #[test]
    fn date_options() {
        let (fa, en) = (fa(), en());
        let args = |pairs: &[(&str, &str)]| {
            let a: FluentArgs = pairs.iter().map(|(k, v)| (*k, FluentValue::from(*v))).collect();
            DateTimeOptions::from_args(&a).unwrap()
        };
        let nowruz = DateInput::parse("2025-03-21").unwrap();
        assert_eq!(
            en.datetime(&nowruz, &args(&[("dateStyle", "full")])),
            "Friday, March 21, 2025"
        );
        assert_eq!(
            fa.datetime(&nowruz, &args(&[("dateStyle", "full")])),
            "جمعه ۱ فروردین ۱۴۰۴"
        );
        assert_eq!(en.datetime(&nowruz, &args(&[("dateStyle", "short")])), "3/21/25");
        assert_eq!(
            en.datetime(&nowruz, &args(&[("month", "long"), ("year", "numeric")])),
            "March 2025"
        );
        // An instant is shown in the time zone asked for (UTC otherwise).
        let instant = DateInput::parse("2026-12-01T17:00:00Z").unwrap();
        let vancouver = args(&[
            ("dateStyle", "long"),
            ("timeStyle", "short"),
            ("timeZone", "America/Vancouver"),
        ]);
        assert_eq!(en.datetime(&instant, &vancouver), "December 1, 2026 at 9:00\u{202f}AM");
        let tehran = args(&[("dateStyle", "long"), ("timeStyle", "short"), ("timeZone", "+03:30")]);
        assert_eq!(fa.datetime(&instant, &tehran), "۱۰ آذر ۱۴۰۵ ساعت ۲۰:۳۰");
        assert_eq!(
            en.datetime(&instant, &args(&[("hour", "numeric"), ("minute", "2-digit")])),
            "5:00\u{202f}PM"
        );
        let bad: FluentArgs = [("dateStyle", FluentValue::from("huge"))].into_iter().collect();
        assert!(DateTimeOptions::from_args(&bad).unwrap_err().contains("huge"));
        let bad: FluentArgs = [("timeZone", FluentValue::from("Mars/Olympus"))].into_iter().collect();
        assert!(DateTimeOptions::from_args(&bad).is_err());
    }
}

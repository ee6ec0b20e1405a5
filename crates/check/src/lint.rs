//! `nashr l10n lint`: every real problem in the translation files, each with a stable code,
//! a level, `path:line:col`, the line itself and a hint written for translators.
//!
//! The checks of [`Origin::CompareLocales`] in [`CHECKS`] report what Mozilla's compare-locales
//! reports for `.ftl` files; the others are nashr's own (variables, functions, plural
//! categories of the locale, Persian script, Markdown and HTML integrity).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use fluent_syntax::ast;
use fluent_syntax::parser::ErrorKind;
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use nashr_content::Error;
use serde::Serialize;

use crate::ftl::{Entry, FtlText, Parsed, PatternInfo, offset_in, variant_key};
use crate::markup;
use crate::script::{self, Orthography};
use crate::status::first_of_each;
use crate::tree::{LocaleTree, Pair};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    /// As reports print it: `error[…]`, `warning[…]`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// The code of a check. Codes are stable: `--json` output, reports and CI configurations
/// name them by [`Code::as_str`], which is also how they serialize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    Syntax,
    NoDefaultVariant,
    DuplicateId,
    MissingValue,
    ObsoleteValue,
    MissingAttribute,
    ObsoleteAttribute,
    DuplicateAttribute,
    DuplicateVariant,
    MissingPluralCategory,
    MissingMessageReference,
    ObsoleteMessageReference,
    MissingTermReference,
    ObsoleteTermReference,
    ReplacementCharacter,
    Stale,
    ReferenceSyntax,
    ReferenceDuplicateId,
    UnknownVariable,
    DroppedVariable,
    UnknownFunction,
    UndefinedReference,
    UnknownPluralCategory,
    OneWithoutNumber,
    ArabicYehKaf,
    ArabicIndicDigits,
    MixedDigits,
    BidiControl,
    ZeroWidth,
    StrayZwnj,
    LinkTarget,
    ImagePath,
    InlineCode,
    UnbalancedEmphasis,
    HtmlNotAllowed,
}

impl Code {
    /// The code as reports, `--json` and the README spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::NoDefaultVariant => "no-default-variant",
            Code::DuplicateId => "duplicate-id",
            Code::MissingValue => "missing-value",
            Code::ObsoleteValue => "obsolete-value",
            Code::MissingAttribute => "missing-attribute",
            Code::ObsoleteAttribute => "obsolete-attribute",
            Code::DuplicateAttribute => "duplicate-attribute",
            Code::DuplicateVariant => "duplicate-variant",
            Code::MissingPluralCategory => "missing-plural-category",
            Code::MissingMessageReference => "missing-message-reference",
            Code::ObsoleteMessageReference => "obsolete-message-reference",
            Code::MissingTermReference => "missing-term-reference",
            Code::ObsoleteTermReference => "obsolete-term-reference",
            Code::ReplacementCharacter => "replacement-character",
            Code::Stale => "stale",
            Code::ReferenceSyntax => "reference-syntax",
            Code::ReferenceDuplicateId => "reference-duplicate-id",
            Code::UnknownVariable => "unknown-variable",
            Code::DroppedVariable => "dropped-variable",
            Code::UnknownFunction => "unknown-function",
            Code::UndefinedReference => "undefined-reference",
            Code::UnknownPluralCategory => "unknown-plural-category",
            Code::OneWithoutNumber => "one-without-number",
            Code::ArabicYehKaf => "arabic-yeh-kaf",
            Code::ArabicIndicDigits => "arabic-indic-digits",
            Code::MixedDigits => "mixed-digits",
            Code::BidiControl => "bidi-control",
            Code::ZeroWidth => "zero-width",
            Code::StrayZwnj => "stray-zwnj",
            Code::LinkTarget => "link-target",
            Code::ImagePath => "image-path",
            Code::InlineCode => "inline-code",
            Code::UnbalancedEmphasis => "unbalanced-emphasis",
            Code::HtmlNotAllowed => "html-not-allowed",
        }
    }

    /// The entry of [`CHECKS`] for this code.
    pub fn check(self) -> &'static Check {
        // CHECKS lists the codes in declaration order; a test holds the two together.
        &CHECKS[self as usize]
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Whose check it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Mozilla's compare-locales reports the same problem.
    CompareLocales,
    /// Only nashr checks it.
    Nashr,
}

/// Whether `nashr l10n lint --fix` can repair a finding of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fixable {
    Yes,
    No,
}

/// A kind of finding.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Check {
    pub code: Code,
    pub level: Level,
    pub origin: Origin,
    pub fixable: Fixable,
    pub summary: &'static str,
}

impl Check {
    /// A check of nashr's own, without a safe fix, reported as an error.
    const fn error(code: Code, summary: &'static str) -> Check {
        Check {
            code,
            level: Level::Error,
            origin: Origin::Nashr,
            fixable: Fixable::No,
            summary,
        }
    }

    /// Like [`Check::error`], reported as a warning.
    const fn warning(code: Code, summary: &'static str) -> Check {
        Check {
            level: Level::Warning,
            ..Check::error(code, summary)
        }
    }

    /// compare-locales reports the same problem.
    const fn shared_with_compare_locales(self) -> Check {
        Check {
            origin: Origin::CompareLocales,
            ..self
        }
    }

    /// `nashr l10n lint --fix` repairs its findings.
    const fn with_safe_fix(self) -> Check {
        Check {
            fixable: Fixable::Yes,
            ..self
        }
    }
}

/// Every check, in the order the README documents them.
pub const CHECKS: &[Check] = &[
    Check::error(Code::Syntax, "a message cannot be read (Fluent syntax error)").shared_with_compare_locales(),
    Check::error(
        Code::NoDefaultVariant,
        "a select expression has no default variant `*[…]`",
    )
    .shared_with_compare_locales(),
    Check::error(Code::DuplicateId, "an id is defined twice in one file").shared_with_compare_locales(),
    Check::error(
        Code::MissingValue,
        "the source has a value, the translation only attributes",
    )
    .shared_with_compare_locales(),
    Check::error(
        Code::ObsoleteValue,
        "the translation has a value the source does not have",
    )
    .shared_with_compare_locales(),
    Check::error(Code::MissingAttribute, "an attribute of the source is not translated").shared_with_compare_locales(),
    Check::error(Code::ObsoleteAttribute, "an attribute the source does not have").shared_with_compare_locales(),
    Check::warning(Code::DuplicateAttribute, "an attribute is defined twice").shared_with_compare_locales(),
    Check::warning(Code::DuplicateVariant, "a variant key appears twice").shared_with_compare_locales(),
    Check::warning(
        Code::MissingPluralCategory,
        "plural variants lack a category the locale uses",
    )
    .shared_with_compare_locales(),
    Check::warning(
        Code::MissingMessageReference,
        "the source references a message the translation does not",
    )
    .shared_with_compare_locales(),
    Check::warning(
        Code::ObsoleteMessageReference,
        "the translation references a message the source does not",
    )
    .shared_with_compare_locales(),
    Check::warning(
        Code::MissingTermReference,
        "the source uses a term the translation does not",
    )
    .shared_with_compare_locales(),
    Check::warning(
        Code::ObsoleteTermReference,
        "the translation uses a term the source does not",
    )
    .shared_with_compare_locales(),
    Check::warning(Code::ReplacementCharacter, "U+FFFD: text damaged by a wrong encoding")
        .shared_with_compare_locales(),
    Check::warning(Code::Stale, "the source changed since this was translated"),
    Check::warning(Code::ReferenceSyntax, "the source file has a syntax error"),
    Check::warning(Code::ReferenceDuplicateId, "the source file defines an id twice").shared_with_compare_locales(),
    Check::error(Code::UnknownVariable, "a variable the source message does not have"),
    Check::warning(
        Code::DroppedVariable,
        "a variable of the source is not used in the translation",
    ),
    Check::error(Code::UnknownFunction, "a function other than NUMBER and DATETIME"),
    Check::error(
        Code::UndefinedReference,
        "a message or term that no file of the locale defines",
    ),
    Check::warning(
        Code::UnknownPluralCategory,
        "a plural category the locale does not have (`[few]` in fa)",
    ),
    Check::warning(
        Code::OneWithoutNumber,
        "`[one]` without the number where `one` also matches 0",
    ),
    Check::error(Code::ArabicYehKaf, "Arabic ي or ك instead of Persian ی or ک").with_safe_fix(),
    Check::warning(Code::ArabicIndicDigits, "Arabic-Indic digits in Persian text").with_safe_fix(),
    Check::warning(Code::MixedDigits, "one number written with digits of two scripts"),
    Check::warning(Code::BidiControl, "invisible direction marks in the text"),
    Check::warning(Code::ZeroWidth, "zero-width space or joiner where a ZWNJ was meant").with_safe_fix(),
    Check::warning(Code::StrayZwnj, "a ZWNJ next to a space or another ZWNJ").with_safe_fix(),
    Check::error(Code::LinkTarget, "a link target differs from the source"),
    Check::error(Code::ImagePath, "an image path differs from the source"),
    Check::warning(Code::InlineCode, "inline code differs from the source"),
    Check::warning(Code::UnbalancedEmphasis, "`*` or `_` that do not pair up"),
    Check::error(
        Code::HtmlNotAllowed,
        "HTML the site would remove from an `-html` message",
    ),
];

/// Functions nashr registers in its Fluent bundles.
pub const FUNCTIONS: &[&str] = &["NUMBER", "DATETIME"];

/// One problem, located.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: Code,
    pub level: Level,
    pub locale: String,
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The message or term it concerns.
    pub id: Option<String>,
    pub message: String,
    pub hint: String,
    /// The line of the file the position is on.
    pub source_line: String,
    pub fixable: bool,
    pub compare_locales: bool,
    /// Characters to underline from `column`.
    #[serde(skip)]
    pub width: usize,
    #[serde(skip)]
    pub fix: Option<Fix>,
}

/// A safe repair: replace a byte range of a file on disk.
#[derive(Debug, Clone)]
pub struct Fix {
    pub file: PathBuf,
    pub range: std::ops::Range<usize>,
    pub replacement: String,
}

/// Plural facts of a locale, as fluent-bundle will select variants.
struct LocaleRules {
    locale: String,
    /// `None` when the plural rules of the locale are unknown.
    categories: Option<BTreeSet<&'static str>>,
    /// `one` matches numbers other than 1 (0 in fa, hi, fr): a `[one]` variant must show the
    /// number.
    one_beyond_1: bool,
    orthography: Orthography,
}

impl LocaleRules {
    fn new(locale: &str) -> LocaleRules {
        let langid: Option<unic_langid::LanguageIdentifier> = locale.parse().ok();
        let rules = langid.as_ref().and_then(|l| {
            PluralRules::create(l.clone(), PluralRuleType::CARDINAL)
                .or_else(|_| {
                    let lang: unic_langid::LanguageIdentifier = l.language.as_str().parse().map_err(|_| "")?;
                    PluralRules::create(lang, PluralRuleType::CARDINAL)
                })
                .ok()
        });
        let (categories, one_beyond_1) = match &rules {
            Some(r) => {
                // intl_pluralrules has no list of categories; these numbers reach every
                // category of every CLDR locale.
                let mut seen = BTreeSet::new();
                let mut samples: Vec<String> = (0..=200).map(|n| n.to_string()).collect();
                samples.extend(
                    [
                        "1000", "10000", "100000", "1000000", "0.5", "1.5", "2.5", "0.0", "1.0", "10.1", "100.1",
                    ]
                    .map(String::from),
                );
                for s in &samples {
                    if let Ok(c) = r.select(s.as_str()) {
                        seen.insert(category_name(c));
                    }
                }
                let one_beyond_1 = r.select(0).is_ok_and(|c| c == PluralCategory::ONE);
                (Some(seen), one_beyond_1)
            }
            None => (None, false),
        };
        let language = langid
            .as_ref()
            .map(|l| l.language.as_str().to_string())
            .unwrap_or_default();
        LocaleRules {
            locale: locale.to_string(),
            categories,
            one_beyond_1,
            orthography: if matches!(language.as_str(), "fa" | "prs") {
                Orthography::Persian
            } else {
                Orthography::Other
            },
        }
    }
}

fn category_name(c: PluralCategory) -> &'static str {
    match c {
        PluralCategory::ZERO => "zero",
        PluralCategory::ONE => "one",
        PluralCategory::TWO => "two",
        PluralCategory::FEW => "few",
        PluralCategory::MANY => "many",
        PluralCategory::OTHER => "other",
    }
}

const PLURAL_NAMES: &[&str] = &["zero", "one", "two", "few", "many"];

/// Lints every translation tree. Findings are sorted by file and position. Stale translations
/// are found through each tree's lock file, which is updated as by `status`.
pub fn lint(trees: &[LocaleTree]) -> Result<Vec<Finding>, Error> {
    let statuses = crate::status::status(trees)?;
    let mut out = Vec::new();
    for (tree, status) in trees.iter().zip(&statuses) {
        let stale: BTreeSet<(&str, &str)> = status.stale().collect();
        lint_tree(tree, &stale, &mut out);
    }
    Ok(out)
}

fn lint_tree(tree: &LocaleTree, stale: &BTreeSet<(&str, &str)>, out: &mut Vec<Finding>) {
    let rules = LocaleRules::new(&tree.locale);
    let parsed: Vec<(&Pair, Option<Parsed<'_>>, Option<Parsed<'_>>)> = tree
        .pairs
        .iter()
        .map(|p| {
            (
                p,
                p.reference.as_ref().map(FtlText::parse),
                p.l10n.as_ref().map(FtlText::parse),
            )
        })
        .collect();
    // Ids any message of the locale can reference (article catalogs see the UI files too).
    let defined: BTreeSet<String> = parsed
        .iter()
        .filter_map(|(_, _, l)| l.as_ref())
        .flat_map(|l| l.ids())
        .collect();
    let mut found = Vec::new();
    for (pair, reference, l10n) in &parsed {
        let mut ctx = Ctx {
            tree,
            rules: &rules,
            pair,
            out: &mut found,
            defined: &defined,
            stale,
        };
        if let Some(r) = reference {
            ctx.reference_file(r);
        }
        if let Some(l) = l10n {
            ctx.l10n_file(l, reference.as_ref());
        }
    }
    // By the code's text, so the order of findings on one column does not follow the enum's.
    found.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.code.as_str()).cmp(&(&b.path, b.line, b.column, b.code.as_str()))
    });
    out.extend(found);
}

struct Ctx<'a> {
    tree: &'a LocaleTree,
    rules: &'a LocaleRules,
    pair: &'a Pair,
    out: &'a mut Vec<Finding>,
    defined: &'a BTreeSet<String>,
    stale: &'a BTreeSet<(&'a str, &'a str)>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        file: &FtlText,
        offset: usize,
        len: usize,
        code: Code,
        id: Option<&str>,
        message: String,
        hint: impl Into<String>,
    ) {
        let (line, column) = nashr_content::diag::line_col(&file.text, offset);
        let source_line = file.text.lines().nth(line - 1).unwrap_or("").to_string();
        let width = file
            .text
            .get(offset..(offset + len).min(file.text.len()))
            .map_or(1, |s| s.chars().count().max(1));
        let check = code.check();
        self.out.push(Finding {
            code,
            level: check.level,
            locale: self.tree.locale.clone(),
            path: file.path.clone(),
            line,
            column,
            id: id.map(str::to_string),
            message,
            hint: hint.into(),
            source_line,
            fixable: false,
            compare_locales: check.origin == Origin::CompareLocales,
            width,
            fix: None,
        });
    }

    fn reference_file(&mut self, r: &Parsed<'_>) {
        for e in &r.errors {
            let start = e.slice.as_ref().map_or(e.pos.start, |s| s.start);
            self.push(
                r.file,
                start,
                1,
                Code::ReferenceSyntax,
                None,
                format!("the source file cannot be read here: {}", e.kind),
                "the messages of this part of the source are not checked until the source is fixed",
            );
        }
        for (id, offsets) in duplicates(&r.entries()) {
            self.push(
                r.file,
                offsets[1],
                id.len(),
                Code::ReferenceDuplicateId,
                Some(&id),
                format!("`{id}` is defined {} times in the source", offsets.len()),
                "only the first definition counts; tell the source's author",
            );
        }
    }

    fn l10n_file(&mut self, l: &Parsed<'_>, reference: Option<&Parsed<'_>>) {
        let file = l.file;
        for e in &l.errors {
            let start = match &e.slice {
                Some(s) if s.start < file.text.len() => s.start,
                _ => e.pos.start.min(file.text.len()),
            };
            let (stop_line, stop_col) = nashr_content::diag::line_col(&file.text, e.pos.start);
            let (code, hint) = syntax_hint(&e.kind);
            let junk_len = e
                .slice
                .as_ref()
                .map_or(1, |s| file.text[start..s.end.min(file.text.len())].trim_end().len());
            self.push(
                file,
                start,
                junk_len.min(file.text[start..].find('\n').unwrap_or(file.text.len() - start)),
                code,
                None,
                format!(
                    "this message cannot be read: {} (at {stop_line}:{stop_col}); the page shows the source text instead",
                    lowercase_first(&e.kind.to_string())
                ),
                hint,
            );
        }
        let entries = l.entries();
        for (id, offsets) in duplicates(&entries) {
            self.push(
                file,
                offsets[1],
                id.len(),
                Code::DuplicateId,
                Some(&id),
                format!("`{id}` is defined {} times in this file", offsets.len()),
                "only the first one is used: keep one translation and delete the others",
            );
        }
        let ref_entries = reference.map(|r| first_of_each(r.entries())).unwrap_or_default();
        let ref_by_id: BTreeMap<&str, &Entry<'_>> = ref_entries.iter().map(|e| (e.id.as_str(), e)).collect();
        for entry in first_of_each(entries) {
            if let Some(r) = ref_by_id.get(entry.id.as_str())
                && self.stale.contains(&(self.pair.rel.as_str(), entry.id.as_str()))
            {
                let mut source: String = r.value.map(|v| PatternInfo::of(v).texts.concat()).unwrap_or_default();
                if source.chars().count() > 160 {
                    source = source.chars().take(160).collect::<String>() + "…";
                }
                self.push(
                    file,
                    entry.offset,
                    entry.id.len(),
                    Code::Stale,
                    Some(&entry.id),
                    format!("the source of `{}` changed since this was translated", entry.id),
                    format!("update the translation to match the source, which now reads: {source}"),
                );
            }
            if !entry.is_term
                && let Some(r) = ref_by_id.get(entry.id.as_str())
            {
                self.compare_message(file, r, &entry);
            }
            self.entry_checks(file, &entry);
        }
    }

    /// compare-locales' per-message checks, then variables and Markdown.
    fn compare_message(&mut self, file: &FtlText, r: &Entry<'_>, l: &Entry<'_>) {
        let id = Some(l.id.as_str());
        match (r.value, l.value) {
            (Some(_), None) => self.push(
                file,
                l.offset,
                l.id.len(),
                Code::MissingValue,
                id,
                format!("`{}` has only attributes here, but the source also has a text", l.id),
                "write the translation after `=` on the first line of the message",
            ),
            (None, Some(v)) => self.push(
                file,
                pattern_offset(&file.text, v).unwrap_or(l.offset),
                1,
                Code::ObsoleteValue,
                id,
                format!("`{}` has a text here, but the source has only attributes", l.id),
                "remove the text after `=` and keep only the attributes (lines starting with `.`)",
            ),
            _ => {}
        }
        let ref_attrs: BTreeMap<&str, &ast::Attribute<&str>> = r.attributes.iter().map(|a| (a.id.name, *a)).collect();
        let mut l_attrs: BTreeMap<&str, &ast::Attribute<&str>> = BTreeMap::new();
        for a in &l.attributes {
            if l_attrs.insert(a.id.name, a).is_some() {
                self.push(
                    file,
                    offset_in(&file.text, a.id.name),
                    a.id.name.len(),
                    Code::DuplicateAttribute,
                    id,
                    format!("the attribute .{} of `{}` is defined twice", a.id.name, l.id),
                    "only one is used: delete the other",
                );
            }
        }
        for name in ref_attrs.keys().filter(|n| !l_attrs.contains_key(*n)) {
            self.push(
                file,
                l.offset,
                l.id.len(),
                Code::MissingAttribute,
                id,
                format!("`{}` lacks the attribute .{name} that the source has", l.id),
                format!("add a line `    .{name} = …` with its translation under the message"),
            );
        }
        for (name, a) in l_attrs.iter().filter(|(n, _)| !ref_attrs.contains_key(*n)) {
            self.push(
                file,
                offset_in(&file.text, a.id.name),
                name.len(),
                Code::ObsoleteAttribute,
                id,
                format!("the attribute .{name} of `{}` is not in the source", l.id),
                "delete this line (the source no longer has it, or it was misspelt)",
            );
        }
        let all_ref_vars: BTreeSet<&str> = std::iter::once(r.value)
            .flatten()
            .chain(r.attributes.iter().map(|a| &a.value))
            .flat_map(|p| PatternInfo::of(p).variables)
            .collect();
        let mut patterns = vec![(r.value, l.value)];
        for (name, a) in &l_attrs {
            if let Some(ra) = ref_attrs.get(name) {
                patterns.push((Some(&ra.value), Some(&a.value)));
            }
        }
        for (rp, lp) in patterns {
            let (Some(rp), Some(lp)) = (rp, lp) else { continue };
            self.compare_pattern(file, l, rp, lp, &all_ref_vars);
        }
    }

    fn compare_pattern(
        &mut self,
        file: &FtlText,
        l: &Entry<'_>,
        rp: &ast::Pattern<&str>,
        lp: &ast::Pattern<&str>,
        all_ref_vars: &BTreeSet<&str>,
    ) {
        let id = Some(l.id.as_str());
        let (ri, li) = (PatternInfo::of(rp), PatternInfo::of(lp));
        let start = pattern_offset(&file.text, lp).unwrap_or(l.offset);
        // Message and term references, as compare-locales compares them.
        let l_msgs: BTreeSet<&str> = li.message_refs.iter().map(|(n, _)| n.as_str()).collect();
        let l_terms: BTreeSet<&str> = li.term_refs.iter().map(|(n, _)| n.as_str()).collect();
        let r_msgs: BTreeSet<&str> = ri.message_refs.iter().map(|(n, _)| n.as_str()).collect();
        let r_terms: BTreeSet<&str> = ri.term_refs.iter().map(|(n, _)| n.as_str()).collect();
        for name in r_msgs.difference(&l_msgs) {
            self.push(
                file,
                start,
                1,
                Code::MissingMessageReference,
                id,
                format!("the source includes the message {{ {name} }} here; the translation does not"),
                format!("add {{ {name} }} where it belongs in your sentence"),
            );
        }
        for name in r_terms.difference(&l_terms) {
            self.push(
                file,
                start,
                1,
                Code::MissingTermReference,
                id,
                format!("the source uses the term {{ {name} }} here; the translation does not"),
                format!("write {{ {name} }} instead of its text, so the name stays the same everywhere"),
            );
        }
        for (name, slice) in &li.message_refs {
            if !r_msgs.contains(name.as_str()) {
                self.push(
                    file,
                    offset_in(&file.text, slice),
                    slice.len(),
                    Code::ObsoleteMessageReference,
                    id,
                    format!("the translation includes {{ {name} }}, which the source does not"),
                    "check whether it still belongs here; the source may have changed",
                );
            }
        }
        for (name, slice) in &li.term_refs {
            if !r_terms.contains(name.as_str()) {
                self.push(
                    file,
                    offset_in(&file.text, slice).saturating_sub(1),
                    slice.len() + 1,
                    Code::ObsoleteTermReference,
                    id,
                    format!("the translation uses the term {{ {name} }}, which the source does not"),
                    "check whether it still belongs here; the source may have changed",
                );
            }
        }
        // Variables: an unknown one is shown to readers as `{$name}`; a dropped one loses
        // information (a count, a date).
        let mut reported = BTreeSet::new();
        for v in &li.variables {
            if !all_ref_vars.contains(v) && reported.insert(*v) {
                let known = if all_ref_vars.is_empty() {
                    "the source message has no variables: write the text without { $… }".to_string()
                } else {
                    format!(
                        "use the source's variable{}: {}",
                        if all_ref_vars.len() > 1 { "s" } else { "" },
                        all_ref_vars
                            .iter()
                            .map(|v| format!("${v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                self.push(
                    file,
                    offset_in(&file.text, v).saturating_sub(1),
                    v.len() + 1,
                    Code::UnknownVariable,
                    id,
                    format!("`${v}` is not a variable of this message; the page would show the source text instead"),
                    known,
                );
            }
        }
        let l_vars = li.variable_set();
        for v in ri.variable_set().difference(&l_vars) {
            self.push(
                file,
                start,
                1,
                Code::DroppedVariable,
                id,
                format!("the source shows {{ ${v} }} here; the translation does not"),
                format!("include {{ ${v} }} in the translation so readers see the value"),
            );
        }
        // Markdown that must survive translation.
        let r_text: String = ri.texts.concat();
        let l_text: String = li.texts.concat();
        if markup::has_markdown(&r_text) || markup::has_markdown(&l_text) {
            let (rm, lm) = (markup::parts(&r_text), markup::parts(&l_text));
            for (code, r_items, l_items) in [
                (Code::LinkTarget, &rm.links, &lm.links),
                (Code::ImagePath, &rm.images, &lm.images),
                (Code::InlineCode, &rm.code, &lm.code),
            ] {
                for item in markup::missing_from(r_items, l_items) {
                    let message = match code {
                        Code::LinkTarget => format!("the source links to ({item}); the translation has no link to it"),
                        Code::ImagePath => format!("the source shows the image ({item}); the translation does not"),
                        _ => format!("the source has the code `{item}`; the translation does not"),
                    };
                    let hint = match code {
                        Code::LinkTarget => {
                            "copy the link from the source: translate the text in [ ], keep the part in ( ) exactly"
                        }
                        Code::ImagePath => {
                            "copy the image from the source: translate the text in ![ ], keep the path in ( ) exactly"
                        }
                        _ => "code between backticks is not translated: copy it exactly, with its backticks",
                    };
                    self.push(file, start, 1, code, id, message, hint);
                }
                for item in markup::missing_from(l_items, r_items) {
                    let at = find_in_texts(&file.text, &li.texts, item).unwrap_or(start);
                    let message = match code {
                        Code::LinkTarget => format!("the translation links to ({item}), which the source does not"),
                        Code::ImagePath => {
                            format!("the translation shows the image ({item}), which the source does not")
                        }
                        _ => format!("the translation has the code `{item}`, which the source does not"),
                    };
                    self.push(
                        file,
                        at,
                        item.len(),
                        code,
                        id,
                        message,
                        "keep links, image paths and code exactly as in the source; check for a typo",
                    );
                }
            }
            if lm.stray_markers > rm.stray_markers {
                let at = li
                    .texts
                    .iter()
                    .find_map(|t| t.find(['*', '_']).map(|i| offset_in(&file.text, t) + i))
                    .unwrap_or(start);
                self.push(
                    file,
                    at,
                    1,
                    Code::UnbalancedEmphasis,
                    id,
                    "a `*` or `_` has no partner, so it will show on the page instead of making text bold or italic"
                        .to_string(),
                    "use the same pairs as the source: *italic* or **bold**, with the markers touching the words",
                );
            }
        }
    }

    /// Checks every message and term of the translation on its own.
    fn entry_checks(&mut self, file: &FtlText, e: &Entry<'_>) {
        let id = Some(e.id.as_str());
        let patterns: Vec<&ast::Pattern<&str>> = e
            .value
            .into_iter()
            .chain(e.attributes.iter().map(|a| &a.value))
            .collect();
        for p in patterns {
            let info = PatternInfo::of(p);
            for f in &info.functions {
                if !FUNCTIONS.contains(f) {
                    self.push(
                        file,
                        offset_in(&file.text, f),
                        f.len(),
                        Code::UnknownFunction,
                        id,
                        format!("`{f}` is not a function nashr knows; the message cannot be shown"),
                        "use NUMBER( $n ) or DATETIME( $date ), or write the text without a function",
                    );
                }
            }
            for (name, slice) in info.message_refs.iter() {
                let base = name.split('.').next().unwrap_or(name);
                if !self.defined.contains(base) {
                    self.push(
                        file,
                        offset_in(&file.text, slice),
                        slice.len(),
                        Code::UndefinedReference,
                        id,
                        format!(
                            "no file of locale {} defines the message `{base}`; this message cannot be shown",
                            self.tree.locale
                        ),
                        "check the spelling, or translate that message too",
                    );
                }
            }
            for (name, slice) in info.term_refs.iter().chain(&info.term_attr_refs) {
                let base = name.split('.').next().unwrap_or(name);
                if !self.defined.contains(base) {
                    self.push(
                        file,
                        offset_in(&file.text, slice).saturating_sub(1),
                        slice.len() + 1,
                        Code::UndefinedReference,
                        id,
                        format!(
                            "no file of locale {} defines the term `{base}`; this message cannot be shown",
                            self.tree.locale
                        ),
                        "check the spelling, or define the term in this locale's files",
                    );
                }
            }
            for select in &info.selects {
                self.select_checks(file, e, select);
            }
            for text in &info.texts {
                let mut chars = Vec::new();
                let base = offset_in(&file.text, text);
                script::check_text(text, base, self.rules.orthography, &mut chars);
                for c in chars {
                    self.push(file, c.offset, c.len, c.code, id, c.message, c.hint);
                    if let Some(replacement) = c.fix
                        && let Some(f) = self.out.last_mut()
                    {
                        f.fixable = true;
                        f.fix = Some(Fix {
                            file: self.tree.dir.join(&self.pair.rel),
                            range: c.offset..c.offset + c.len,
                            replacement,
                        });
                    }
                }
                if e.id.ends_with("-html") {
                    for problem in markup::html_problems(text) {
                        self.push(
                            file,
                            base + problem.offset,
                            1,
                            Code::HtmlNotAllowed,
                            id,
                            format!("{} is not allowed in this message: the site removes it", problem.what),
                            format!(
                                "use only {} and the attributes dir, lang, title (href on <a>)",
                                nashr_l10n::inline_html::TAGS
                                    .iter()
                                    .map(|t| format!("<{t}>"))
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            ),
                        );
                    }
                }
            }
        }
    }

    fn select_checks(&mut self, file: &FtlText, e: &Entry<'_>, select: &crate::ftl::Select<'_>) {
        let id = Some(e.id.as_str());
        let keys: Vec<(&str, usize)> = select
            .variants
            .iter()
            .map(|v| {
                let k = variant_key(&v.key);
                (k, offset_in(&file.text, k))
            })
            .collect();
        let mut seen = BTreeSet::new();
        for (k, at) in &keys {
            if !seen.insert(*k) {
                self.push(
                    file,
                    *at,
                    k.len(),
                    Code::DuplicateVariant,
                    id,
                    format!("the variant [{k}] appears twice; only the first is ever used"),
                    "delete one of them, or change its key",
                );
            }
        }
        let Some(categories) = &self.rules.categories else {
            return;
        };
        let locale = self.rules.locale.clone();
        let list = categories
            .iter()
            .map(|c| format!("[{c}]"))
            .collect::<Vec<_>>()
            .join(" ");
        for (k, at) in &keys {
            if PLURAL_NAMES.contains(k) && !categories.contains(k) {
                self.push(
                    file,
                    *at,
                    k.len(),
                    Code::UnknownPluralCategory,
                    id,
                    format!("[{k}] is never chosen: {locale} has no plural category `{k}`"),
                    format!("{locale} uses {list}; for an exact number write it as the key, such as [0]"),
                );
            }
        }
        let given: BTreeSet<&str> = keys.iter().map(|(k, _)| *k).collect();
        let uses_plurals = categories.iter().any(|c| *c != "other" && given.contains(c));
        let missing: Vec<&str> = categories.iter().copied().filter(|c| !given.contains(c)).collect();
        if uses_plurals && !missing.is_empty() {
            let (k, at) = keys[0];
            self.push(
                file,
                at,
                k.len(),
                Code::MissingPluralCategory,
                id,
                format!(
                    "plural variants for {} are missing",
                    missing.iter().map(|c| format!("[{c}]")).collect::<Vec<_>>().join(" ")
                ),
                format!("{locale} needs {list} (the default `*` variant is used for the missing ones)"),
            );
        }
        if self.rules.one_beyond_1
            && let Some(var) = select.variable
        {
            let zero_first = select
                .variants
                .iter()
                .take_while(|v| variant_key(&v.key) != "one")
                .any(|v| variant_key(&v.key).parse::<f64>() == Ok(0.0));
            for v in &select.variants {
                if variant_key(&v.key) == "one" && !zero_first && !PatternInfo::of(&v.value).variables.contains(&var) {
                    let k = variant_key(&v.key);
                    self.push(
                        file,
                        offset_in(&file.text, k),
                        k.len(),
                        Code::OneWithoutNumber,
                        id,
                        format!("in {locale}, [one] is also chosen for 0, so this text would be shown for zero too"),
                        format!("write {{ ${var} }} in the [one] variant, or add a [0] variant before it"),
                    );
                }
            }
        }
    }
}

fn syntax_hint(kind: &ErrorKind) -> (Code, &'static str) {
    match kind {
        ErrorKind::MissingDefaultVariant => (
            Code::NoDefaultVariant,
            "mark one variant as the default with `*`, usually the last: *[other]",
        ),
        ErrorKind::MultipleDefaultVariants => (Code::Syntax, "only one variant may start with `*`"),
        ErrorKind::ExpectedToken('}') => (Code::Syntax, "a `{` is not closed: add `}` after the variable or term"),
        ErrorKind::UnbalancedClosingBrace => (Code::Syntax, "a `}` has no `{`; to show a brace as text write {\"}\"}"),
        ErrorKind::MissingValue | ErrorKind::ExpectedMessageField { .. } => (
            Code::Syntax,
            "write the translation after `=`; a message cannot be empty",
        ),
        ErrorKind::ExpectedToken('=') | ErrorKind::ExpectedCharRange { .. } => (
            Code::Syntax,
            "each message starts at the beginning of a line with its id and ` = `; indent continuation lines",
        ),
        _ => (
            Code::Syntax,
            "compare the line with the source file; the ids and the parts in { } must stay as they are",
        ),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Ids defined more than once, with the offsets of each definition.
fn duplicates(entries: &[Entry<'_>]) -> Vec<(String, Vec<usize>)> {
    let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for e in entries {
        by_id.entry(&e.id).or_default().push(e.offset);
    }
    by_id
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Offset of the first text or placeable of a pattern.
fn pattern_offset(text: &str, p: &ast::Pattern<&str>) -> Option<usize> {
    PatternInfo::of(p).texts.first().map(|t| offset_in(text, t))
}

fn find_in_texts(file: &str, texts: &[&str], needle: &str) -> Option<usize> {
    texts
        .iter()
        .find_map(|t| t.find(needle).map(|i| offset_in(file, t) + i))
}

/// Applies every safe fix among `findings` to the files on disk. Returns each changed file
/// (as shown) with the number of fixes written.
pub fn apply_fixes(findings: &[Finding]) -> Result<Vec<(PathBuf, usize)>, Error> {
    type Edits = Vec<(std::ops::Range<usize>, String)>;
    let mut by_file: BTreeMap<&PathBuf, (PathBuf, Edits)> = BTreeMap::new();
    for f in findings {
        if let Some(fix) = &f.fix {
            by_file
                .entry(&fix.file)
                .or_insert_with(|| (f.path.clone(), Vec::new()))
                .1
                .push((fix.range.clone(), fix.replacement.clone()));
        }
    }
    let mut changed = Vec::new();
    for (disk, (shown, fixes)) in by_file {
        let text = std::fs::read_to_string(disk).map_err(|e| Error::io(disk, e))?;
        let n = fixes.len();
        let fixed = script::apply(&text, fixes);
        nashr_content::fs::write_if_changed(disk, fixed.as_bytes()).map_err(|e| Error::io(disk, e))?;
        changed.push((shown, n));
    }
    Ok(changed)
}

/// Totals of a lint run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub fixable: usize,
}

pub fn summary(findings: &[Finding]) -> Summary {
    Summary {
        errors: findings.iter().filter(|f| f.level == Level::Error).count(),
        warnings: findings.iter().filter(|f| f.level == Level::Warning).count(),
        fixable: findings.iter().filter(|f| f.fixable).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_listed_in_the_order_of_their_codes() {
        for (i, check) in CHECKS.iter().enumerate() {
            assert_eq!(check.code as usize, i, "{} is out of place in CHECKS", check.code);
            assert_eq!(check.code.check().code, check.code);
        }
    }

    #[test]
    fn codes_serialize_as_their_stable_text() {
        assert_eq!(Code::UnknownVariable.as_str(), "unknown-variable");
        assert_eq!(
            serde_json::to_string(&Code::ArabicYehKaf).expect("json"),
            "\"arabic-yeh-kaf\""
        );
        let texts: BTreeSet<&str> = CHECKS.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(texts.len(), CHECKS.len(), "two checks share a code");
    }

    #[test]
    fn the_table_keeps_levels_origins_and_fixes() {
        let syntax = Code::Syntax.check();
        assert_eq!(
            (syntax.level, syntax.origin, syntax.fixable),
            (Level::Error, Origin::CompareLocales, Fixable::No)
        );
        let zwnj = Code::StrayZwnj.check();
        assert_eq!(
            (zwnj.level, zwnj.origin, zwnj.fixable),
            (Level::Warning, Origin::Nashr, Fixable::Yes)
        );
    }
}

//! A `.ftl` file read for checking: its text, the entries parsed from it, and positions.
//!
//! fluent-syntax's AST has no spans (fluent-rs#270), but parsing a `&str` gives an AST whose
//! strings are slices of that text, so every identifier, text element and variant key knows
//! where it is: [`offset_in`] turns a slice back into a byte offset.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_syntax::ast;
use fluent_syntax::parser::ParserError;
use nashr_l10n::FluentResource;
use nashr_l10n::localizer::FtlFile;

/// One Fluent file: where it is (as shown to the user) and its text.
#[derive(Clone)]
pub struct FtlText {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// The file as the renderer parsed it (its source is `text`): [`FtlText::parse`] reads
    /// its entries instead of parsing the text again.
    parsed: Option<Arc<FluentResource>>,
}

impl std::fmt::Debug for FtlText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtlText")
            .field("path", &self.path)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl FtlText {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FtlText {
        FtlText {
            path: path.into(),
            text: text.into(),
            parsed: None,
        }
    }

    /// A file the renderer has parsed already (`file`), shown as `path`.
    pub fn parsed(path: impl Into<PathBuf>, file: &FtlFile) -> FtlText {
        FtlText {
            path: path.into(),
            text: file.source.clone(),
            parsed: Some(file.resource.clone()),
        }
    }

    pub fn read(path: &Path, shown: PathBuf) -> std::io::Result<FtlText> {
        let text = nashr_content::fs::read_text(path)?;
        Ok(FtlText::new(shown, text))
    }

    /// Parses the file; broken entries become `Junk` and are listed in the errors (not for a
    /// file the renderer parsed: it counts its junk, [`Parsed::syntax_errors`]).
    pub fn parse(&self) -> Parsed<'_> {
        if let Some(parsed) = &self.parsed {
            return Parsed {
                file: self,
                body: Body::Shared(parsed),
                errors: Vec::new(),
            };
        }
        let (resource, errors) = match fluent_syntax::parser::parse(&*self.text) {
            Ok(r) => (r, Vec::new()),
            Err((r, e)) => (r, e),
        };
        Parsed {
            file: self,
            body: Body::Owned(resource),
            errors,
        }
    }
}

/// A parsed file. Entries borrow the file's text.
pub struct Parsed<'s> {
    pub file: &'s FtlText,
    body: Body<'s>,
    pub errors: Vec<ParserError>,
}

/// The entries of a parsed file: parsed here, or by the renderer.
enum Body<'s> {
    Owned(ast::Resource<&'s str>),
    Shared(&'s FluentResource),
}

/// A message or a term, with what the checks need to know about it.
pub struct Entry<'s> {
    /// `id` for messages, `-id` for terms.
    pub id: String,
    pub is_term: bool,
    /// Byte offset of the id in the file (of the `-` for terms).
    pub offset: usize,
    pub value: Option<&'s ast::Pattern<&'s str>>,
    pub attributes: Vec<&'s ast::Attribute<&'s str>>,
}

impl<'s> Parsed<'s> {
    /// The text the entries are slices of.
    pub fn source(&self) -> &'s str {
        match self.body {
            Body::Owned(_) => &self.file.text,
            Body::Shared(parsed) => parsed.source(),
        }
    }

    /// Every entry, junk and comments included, in file order.
    pub fn body(&self) -> Vec<&ast::Entry<&'s str>> {
        match &self.body {
            Body::Owned(resource) => resource.body.iter().collect(),
            Body::Shared(parsed) => parsed.entries().collect(),
        }
    }

    /// How many entries could not be parsed.
    pub fn syntax_errors(&self) -> usize {
        match self.body {
            Body::Owned(_) => self.errors.len(),
            Body::Shared(_) => self
                .body()
                .iter()
                .filter(|e| matches!(e, ast::Entry::Junk { .. }))
                .count(),
        }
    }

    /// Messages and terms in file order (duplicates included).
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let text = self.source();
        self.body()
            .into_iter()
            .filter_map(|e| match e {
                ast::Entry::Message(m) => Some(Entry {
                    id: m.id.name.to_string(),
                    is_term: false,
                    offset: offset_in(text, m.id.name),
                    value: m.value.as_ref(),
                    attributes: m.attributes.iter().collect(),
                }),
                ast::Entry::Term(t) => Some(Entry {
                    id: format!("-{}", t.id.name),
                    is_term: true,
                    offset: offset_in(text, t.id.name).saturating_sub(1),
                    value: Some(&t.value),
                    attributes: t.attributes.iter().collect(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Ids of every message and term defined (terms with their `-`).
    pub fn ids(&self) -> BTreeSet<String> {
        self.entries().into_iter().map(|e| e.id).collect()
    }
}

/// Byte offset of `slice` inside `text`; 0 when it is not a slice of `text`.
pub(crate) fn offset_in(text: &str, slice: &str) -> usize {
    let start = text.as_ptr() as usize;
    let at = slice.as_ptr() as usize;
    if at >= start && at + slice.len() <= start + text.len() {
        at - start
    } else {
        0
    }
}

/// Serialized form of an entry without its comment: two entries are the same text exactly
/// when these are equal. Used for fingerprints and for "identical to the source".
pub(crate) fn canonical(entry: &Entry<'_>) -> String {
    let mut out = String::new();
    canonical_into(entry, &mut out);
    out
}

/// [`canonical`] written at the end of `out`: a check reuses one buffer for every entry.
pub(crate) fn canonical_into(entry: &Entry<'_>, out: &mut String) {
    if let Some(value) = entry.value {
        pattern_into(value, out);
    }
    let mut attrs: Vec<_> = entry.attributes.iter().collect();
    attrs.sort_by_key(|a| a.id.name);
    for a in attrs {
        out.push_str("\n.");
        out.push_str(a.id.name);
        out.push_str(" = ");
        pattern_into(&a.value, out);
    }
}

fn pattern_into(p: &ast::Pattern<&str>, s: &mut String) {
    for el in &p.elements {
        match el {
            ast::PatternElement::TextElement { value } => s.push_str(value),
            ast::PatternElement::Placeable { expression } => {
                s.push('{');
                expression_string(expression, s);
                s.push('}');
            }
        }
    }
}

fn expression_string(e: &ast::Expression<&str>, s: &mut String) {
    match e {
        ast::Expression::Inline(i) => inline_string(i, s),
        ast::Expression::Select { selector, variants } => {
            inline_string(selector, s);
            s.push_str(" ->");
            for v in variants {
                s.push_str(if v.default { " *[" } else { " [" });
                s.push_str(variant_key(&v.key));
                s.push(']');
                pattern_into(&v.value, s);
            }
        }
    }
}

fn inline_string(i: &ast::InlineExpression<&str>, s: &mut String) {
    use ast::InlineExpression as I;
    match i {
        I::StringLiteral { value } => {
            s.push('"');
            s.push_str(value);
            s.push('"');
        }
        I::NumberLiteral { value } => s.push_str(value),
        I::FunctionReference { id, arguments } => {
            s.push_str(id.name);
            call_string(arguments, s);
        }
        I::MessageReference { id, attribute } => {
            s.push_str(id.name);
            if let Some(a) = attribute {
                s.push('.');
                s.push_str(a.name);
            }
        }
        I::TermReference {
            id,
            attribute,
            arguments,
        } => {
            s.push('-');
            s.push_str(id.name);
            if let Some(a) = attribute {
                s.push('.');
                s.push_str(a.name);
            }
            if let Some(args) = arguments {
                call_string(args, s);
            }
        }
        I::VariableReference { id } => {
            s.push('$');
            s.push_str(id.name);
        }
        I::Placeable { expression } => {
            s.push('{');
            expression_string(expression, s);
            s.push('}');
        }
    }
}

fn call_string(args: &ast::CallArguments<&str>, s: &mut String) {
    s.push('(');
    for p in &args.positional {
        inline_string(p, s);
        s.push(',');
    }
    for n in &args.named {
        s.push_str(n.name.name);
        s.push(':');
        inline_string(&n.value, s);
        s.push(',');
    }
    s.push(')');
}

pub(crate) fn variant_key<'s>(key: &ast::VariantKey<&'s str>) -> &'s str {
    match key {
        ast::VariantKey::Identifier { name } => name,
        ast::VariantKey::NumberLiteral { value } => value,
    }
}

/// Everything a check looks at inside one pattern (a value or an attribute), collected in
/// one walk. Strings are slices of the file, so they carry their positions.
#[derive(Default)]
pub(crate) struct PatternInfo<'s> {
    /// Text elements, including those inside select variants.
    pub texts: Vec<&'s str>,
    /// `$name`s (the slice is the name, without `$`).
    pub variables: Vec<&'s str>,
    pub functions: Vec<&'s str>,
    /// `id` or `id.attr`, with the slice of the id.
    pub message_refs: Vec<(String, &'s str)>,
    /// `-id` (without attribute), with the slice of the id; `-id.attr` is in `term_attr_refs`.
    pub term_refs: Vec<(String, &'s str)>,
    pub term_attr_refs: Vec<(String, &'s str)>,
    pub selects: Vec<Select<'s>>,
}

pub(crate) struct Select<'s> {
    /// The variable the selector reads (`$n` or `NUMBER($n)`), if any.
    pub variable: Option<&'s str>,
    pub variants: Vec<&'s ast::Variant<&'s str>>,
}

impl<'s> PatternInfo<'s> {
    pub(crate) fn of(pattern: &'s ast::Pattern<&'s str>) -> PatternInfo<'s> {
        let mut info = PatternInfo::default();
        info.pattern(pattern);
        info
    }

    pub(crate) fn variable_set(&self) -> BTreeSet<&'s str> {
        self.variables.iter().copied().collect()
    }

    fn pattern(&mut self, p: &'s ast::Pattern<&'s str>) {
        for el in &p.elements {
            match el {
                ast::PatternElement::TextElement { value } => self.texts.push(value),
                ast::PatternElement::Placeable { expression } => self.expression(expression),
            }
        }
    }

    fn expression(&mut self, e: &'s ast::Expression<&'s str>) {
        match e {
            ast::Expression::Inline(i) => self.inline(i),
            ast::Expression::Select { selector, variants } => {
                self.inline(selector);
                self.selects.push(Select {
                    variable: selector_variable(selector),
                    variants: variants.iter().collect(),
                });
                for v in variants {
                    self.pattern(&v.value);
                }
            }
        }
    }

    fn inline(&mut self, i: &'s ast::InlineExpression<&'s str>) {
        use ast::InlineExpression as I;
        match i {
            I::StringLiteral { .. } | I::NumberLiteral { .. } => {}
            I::FunctionReference { id, arguments } => {
                self.functions.push(id.name);
                self.call(arguments);
            }
            I::MessageReference { id, attribute } => {
                let name = match attribute {
                    Some(a) => format!("{}.{}", id.name, a.name),
                    None => id.name.to_string(),
                };
                self.message_refs.push((name, id.name));
            }
            I::TermReference {
                id,
                attribute,
                arguments,
            } => {
                match attribute {
                    Some(a) => self.term_attr_refs.push((format!("-{}.{}", id.name, a.name), id.name)),
                    None => self.term_refs.push((format!("-{}", id.name), id.name)),
                }
                if let Some(args) = arguments {
                    self.call(args);
                }
            }
            I::VariableReference { id } => self.variables.push(id.name),
            I::Placeable { expression } => self.expression(expression),
        }
    }

    fn call(&mut self, args: &'s ast::CallArguments<&'s str>) {
        for p in &args.positional {
            self.inline(p);
        }
        for n in &args.named {
            self.inline(&n.value);
        }
    }
}

fn selector_variable<'s>(selector: &'s ast::InlineExpression<&'s str>) -> Option<&'s str> {
    match selector {
        ast::InlineExpression::VariableReference { id } => Some(id.name),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            arguments.positional.iter().find_map(|p| match p {
                ast::InlineExpression::VariableReference { id } => Some(id.name),
                _ => None,
            })
        }
        _ => None,
    }
}

/// Words in a pattern's text, counted as compare-locales does: whitespace-separated runs in
/// the text elements.
pub(crate) fn words(entry: &Entry<'_>) -> usize {
    let mut n = 0;
    let mut count = |p: &ast::Pattern<&str>| {
        n += PatternInfo::of(p)
            .texts
            .iter()
            .map(|t| t.split_whitespace().count())
            .sum::<usize>()
    };
    if let Some(v) = entry.value {
        count(v);
    }
    // Attributes of terms are private and not counted (as in compare-locales).
    if !entry.is_term {
        for a in &entry.attributes {
            count(&a.value);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_come_from_slices() {
        let f = FtlText::new("a.ftl", "hello = Hi { $name }\n-brand = Nashr\n    .gender = x\n");
        let p = f.parse();
        let entries = p.entries();
        assert_eq!(entries[0].id, "hello");
        assert_eq!(entries[0].offset, 0);
        assert_eq!(entries[1].id, "-brand");
        assert_eq!(entries[1].offset, 21);
        let info = PatternInfo::of(entries[0].value.unwrap());
        assert_eq!(offset_in(&f.text, info.variables[0]), 14);
        assert_eq!(words(&entries[0]), 1);
    }

    #[test]
    fn canonical_ignores_comments_and_layout() {
        let a = FtlText::new("a.ftl", "# c\nmsg = A { $n ->\n    [one] x\n   *[other] y\n}\n");
        let b = FtlText::new("b.ftl", "msg = A {$n ->\n        [one] x\n       *[other] y\n    }\n");
        let (pa, pb) = (a.parse(), b.parse());
        assert_eq!(canonical(&pa.entries()[0]), canonical(&pb.entries()[0]));
    }
}

//! Subscriber CSV files (`email,name,locale,consent`), read with exact positions so that every
//! bad row is reported as `file:line:col` with the row shown. RFC 4180 quoting.

use std::ops::Range;
use std::path::Path;

use nashr_content::{Project, SourceError};

/// Consent as CASL knows it.
pub const CONSENTS: &[&str] = &["express", "implied"];

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Lower-cased, trimmed.
    pub email: String,
    pub name: String,
    /// A locale of the site (a preference it lacks falls back to the source locale).
    pub locale: String,
    pub consent: String,
    /// 1-based line of the row.
    pub line: usize,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub errors: Vec<SourceError>,
    /// Warnings (a locale preference the site lacks, a repeated address).
    pub warnings: Vec<String>,
}

struct Field {
    text: String,
    span: Range<usize>,
}

/// A record: its start offset and its fields.
type Record = (usize, Vec<Field>);
/// A syntax error: where, and what.
type SyntaxError = (Range<usize>, String);

/// Splits `text` into records of fields with their byte spans.
fn records(text: &str) -> Result<Vec<Record>, SyntaxError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rec_start = i;
        let mut fields = Vec::new();
        loop {
            let start = i;
            let mut value = String::new();
            if i < b.len() && b[i] == b'"' {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err((start..text.len(), "this quoted field is never closed".into())),
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                            value.push('"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => {
                            let ch = text[i..].chars().next().unwrap_or('\u{FFFD}');
                            value.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                if i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                    return Err((i..i + 1, "unexpected text after a closing quote".into()));
                }
            } else {
                while i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                    i += 1;
                }
                value.push_str(&text[start..i]);
            }
            fields.push(Field {
                text: value,
                span: start..i,
            });
            if i < b.len() && b[i] == b',' {
                i += 1;
                continue;
            }
            break;
        }
        if i < b.len() && b[i] == b'\r' {
            i += 1;
        }
        if i < b.len() && b[i] == b'\n' {
            i += 1;
        }
        let blank = fields.len() == 1 && fields[0].text.trim().is_empty();
        if !blank {
            out.push((rec_start, fields));
        }
    }
    Ok(out)
}

/// Reads a subscriber CSV. `shown` is the path used in messages.
pub fn parse(project: &Project, shown: &Path, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let text_body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let bom = text.len() - text_body.len();
    let err = |span: Range<usize>, msg: String| SourceError::new(shown, text, span, msg);
    let recs = match records(text_body) {
        Ok(r) => r,
        Err((span, msg)) => {
            parsed.errors.push(err(span.start + bom..span.end + bom, msg));
            return parsed;
        }
    };
    let Some(((_, header), rows)) = recs.split_first() else {
        parsed.errors.push(
            err(0..0, "the file is empty".into())
                .with_help("the first line names the columns: email,name,locale,consent"),
        );
        return parsed;
    };
    let names: Vec<String> = header.iter().map(|f| f.text.trim().to_ascii_lowercase()).collect();
    let col = |n: &str| names.iter().position(|c| c == n);
    for (f, name) in header.iter().zip(&names) {
        if !["email", "name", "locale", "consent"].contains(&name.as_str()) {
            parsed.errors.push(
                err(
                    f.span.start + bom..f.span.end + bom,
                    format!("unknown column `{}`", f.text),
                )
                .with_help("the columns are email, name, locale and consent"),
            );
        }
    }
    let (Some(email_col), Some(consent_col)) = (col("email"), col("consent")) else {
        parsed.errors.push(
            err(
                header[0].span.start + bom..header.last().map_or(0, |f| f.span.end) + bom,
                "the header needs the columns `email` and `consent`".into(),
            )
            .with_help("first line: email,name,locale,consent (consent: express or implied, as CASL requires)"),
        );
        return parsed;
    };
    let (name_col, locale_col) = (col("name"), col("locale"));
    let source = &project.config.site.source_locale;
    let mut seen = std::collections::HashMap::new();
    for (start, fields) in rows {
        let line = text[..start + bom].matches('\n').count() + 1;
        let at = |i: usize| {
            fields
                .get(i)
                .map_or(start + bom..start + bom, |f| f.span.start + bom..f.span.end + bom)
        };
        if fields.len() != names.len() {
            parsed.errors.push(err(
                at(0).start..fields.last().map_or(*start, |f| f.span.end) + bom,
                format!("this row has {} fields; the header has {}", fields.len(), names.len()),
            ));
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| fields.get(i)).map_or("", |f| f.text.trim());
        let email = get(Some(email_col)).to_lowercase();
        let mut ok = true;
        if let Err(e) = email.parse::<lettre::Address>() {
            parsed.errors.push(
                err(
                    at(email_col),
                    format!("`{}` is not an email address ({e})", get(Some(email_col))),
                )
                .with_label("here"),
            );
            ok = false;
        }
        let consent = get(Some(consent_col)).to_ascii_lowercase();
        if !CONSENTS.contains(&consent.as_str()) {
            parsed.errors.push(
                err(
                    at(consent_col),
                    format!("consent `{consent}` is not `express` or `implied`"),
                )
                .with_help(
                    "CASL: only people who consented may receive the newsletter; leave them out of the file otherwise",
                ),
            );
            ok = false;
        }
        let wanted = get(locale_col);
        let locale = if wanted.is_empty() {
            source.clone()
        } else {
            let l = crate::email::resolve_locale(project, wanted);
            if !project.config.site.locales.iter().any(|x| x == wanted) && l == *source {
                parsed.warnings.push(format!(
                    "{}:{line}: locale `{wanted}` is not one of the site's ({}); {email} gets `{source}`",
                    shown.display(),
                    project.config.site.locales.join(", ")
                ));
            }
            l
        };
        let name = get(name_col);
        if name.chars().any(|c| c.is_control()) {
            parsed.errors.push(err(
                at(name_col.unwrap_or(0)),
                "the name contains a line break or control character".into(),
            ));
            ok = false;
        }
        if !ok {
            continue;
        }
        if let Some(prev) = seen.insert(email.clone(), line) {
            parsed.warnings.push(format!(
                "{}:{line}: {email} is also on line {prev}; this row wins",
                shown.display()
            ));
            parsed.rows.retain(|r: &Row| r.email != email);
        }
        parsed.rows.push(Row {
            email,
            name: name.to_string(),
            locale,
            consent,
            line,
        });
    }
    parsed
}

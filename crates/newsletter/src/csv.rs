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

/// Splits `text` into records of fields with their byte spans: the `csv` crate reads them,
/// and each field's place in `text` is checked against what it read. `csv` forgives text
/// after a closing quote and a quote never closed; a subscriber file gets an error for both,
/// since either usually means a name with a stray quote swallowed the rows after it.
fn records(text: &str) -> Result<Vec<Record>, SyntaxError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        // Where the reader stands: the end of the previous record, before the line breaks
        // (and blank lines) it skips.
        let mut i = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err((i..i, format!("cannot read the CSV: {e}"))),
        }
        while matches!(b.get(i), Some(b'\r' | b'\n')) {
            i += 1;
        }
        let rec_start = i;
        let mut fields = Vec::with_capacity(record.len());
        for (n, value) in record.iter().enumerate() {
            if n > 0 {
                // The reader split here, so this is the comma.
                i += 1;
            }
            let start = i;
            i = field_end(text, start, value)?;
            fields.push(Field {
                text: value.to_string(),
                span: start..i,
            });
        }
        let blank = fields.len() == 1 && fields[0].text.trim().is_empty();
        if !blank {
            out.push((rec_start, fields));
        }
    }
    Ok(out)
}

/// The end in `text` of the field at `start` whose value the reader read as `value`.
fn field_end(text: &str, start: usize, value: &str) -> Result<usize, SyntaxError> {
    let b = text.as_bytes();
    if b.get(start) != Some(&b'"') {
        // Unquoted: the value is the text as it is.
        return Ok(start + value.len());
    }
    // Quoted: `"`, the value with each `"` doubled, `"`, then a comma, line break or the end.
    let mut i = start + 1;
    for &c in value.as_bytes() {
        let expected: &[u8] = if c == b'"' { b"\"\"" } else { std::slice::from_ref(&c) };
        for &e in expected {
            match b.get(i) {
                None => return Err((start..text.len(), "this quoted field is never closed".into())),
                // The quote that closed the field: the reader took what follows as more value.
                Some(&got) if got != e => return Err((i + 1..i + 2, "unexpected text after a closing quote".into())),
                Some(_) => i += 1,
            }
        }
    }
    match b.get(i) {
        None => Err((start..text.len(), "this quoted field is never closed".into())),
        Some(b'"') if matches!(b.get(i + 1), None | Some(b',' | b'\n' | b'\r')) => Ok(i + 1),
        Some(_) => Err((i + 1..i + 2, "unexpected text after a closing quote".into())),
    }
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
    // Line numbers counted on from the previous row: once over the file, not from its start
    // for every row.
    let (mut counted_to, mut line) = (0, 1);
    for (start, fields) in rows {
        line += text.as_bytes()[counted_to..start + bom]
            .iter()
            .filter(|&&c| c == b'\n')
            .count();
        counted_to = start + bom;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        // The repository root is the sample project (locales en and fa, source en).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Project::load(&root).expect("the sample project loads")
    }

    fn parse_text(text: &str) -> Parsed {
        parse(&project(), Path::new("subs.csv"), text)
    }

    /// `(line, column, message, offending line)` of each error.
    fn errors(p: &Parsed) -> Vec<(usize, usize, String, String)> {
        p.errors
            .iter()
            .map(|e| (e.line, e.column, e.message.clone(), e.line_text().to_string()))
            .collect()
    }

    #[test]
    fn bom_crlf_quotes_and_blank_lines_are_read() {
        let text = "\u{FEFF}Email,Name,Locale,Consent\r\n\
                    A@Example.com,\"Doe, \"\"Jo\"\"\",fa,express\r\n\
                    \r\n   \n\
                    b@example.com,\"B, \"\"the\"\" second\",,Implied\n\
                    c@example.com,Sara,fa-IR,express";
        let p = parse_text(text);
        assert!(p.errors.is_empty(), "{:?}", errors(&p));
        let rows: Vec<(&str, &str, &str, &str, usize)> = p
            .rows
            .iter()
            .map(|r| {
                (
                    r.email.as_str(),
                    r.name.as_str(),
                    r.locale.as_str(),
                    r.consent.as_str(),
                    r.line,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("a@example.com", "Doe, \"Jo\"", "fa", "express", 2),
                ("b@example.com", "B, \"the\" second", "en", "implied", 5),
                ("c@example.com", "Sara", "fa", "express", 6),
            ]
        );
    }

    #[test]
    fn a_name_with_a_line_break_is_refused_at_its_field() {
        let p = parse_text("email,name,consent\nb@example.com,\"two\nlines\",express\n");
        assert_eq!(
            errors(&p),
            [(
                2,
                15,
                "the name contains a line break or control character".to_string(),
                "b@example.com,\"two".to_string()
            )]
        );
    }

    #[test]
    fn bad_rows_are_reported_with_line_column_and_the_row() {
        let text = "email,name,locale,consent\n\
                    ok@example.com,Ok,en,express\n\
                    not-an-address,X,en,express\n\
                    c@example.com,Y,en,maybe\n\
                    d@example.com,too,few\n";
        let p = parse_text(text);
        let e = errors(&p);
        assert_eq!(p.rows.len(), 1);
        assert_eq!((e[0].0, e[0].1, e[0].3.as_str()), (3, 1, "not-an-address,X,en,express"));
        assert!(
            e[0].2.contains("`not-an-address` is not an email address"),
            "{}",
            e[0].2
        );
        assert_eq!(
            e[1],
            (
                4,
                20,
                "consent `maybe` is not `express` or `implied`".to_string(),
                "c@example.com,Y,en,maybe".to_string()
            )
        );
        assert_eq!(
            e[2],
            (
                5,
                1,
                "this row has 3 fields; the header has 4".to_string(),
                "d@example.com,too,few".to_string()
            )
        );
    }

    #[test]
    fn quoting_mistakes_stop_the_file_at_their_place() {
        let after = parse_text("email,consent\n\"a@example.com\"x,express\n");
        assert_eq!(
            errors(&after),
            [(
                2,
                16,
                "unexpected text after a closing quote".to_string(),
                "\"a@example.com\"x,express".to_string()
            )]
        );
        assert!(after.rows.is_empty());
        let open = parse_text(
            "\u{FEFF}email,consent\na@example.com,express\nb@example.com,\"express\nc@example.com,express\n",
        );
        assert_eq!(
            errors(&open),
            [(
                3,
                15,
                "this quoted field is never closed".to_string(),
                "b@example.com,\"express".to_string()
            )]
        );
    }

    #[test]
    fn header_problems_and_empty_files() {
        let empty = parse_text("\u{FEFF}\r\n");
        assert_eq!(errors(&empty)[0].2, "the file is empty");
        let unknown = parse_text("email,consent,phone\n");
        let e = errors(&unknown);
        assert_eq!((e[0].0, e[0].1, e[0].2.as_str()), (1, 15, "unknown column `phone`"));
        let missing = parse_text("email,name\na@example.com,A\n");
        assert_eq!(
            errors(&missing)[0].2,
            "the header needs the columns `email` and `consent`"
        );
    }

    #[test]
    fn a_repeated_address_keeps_the_last_row_and_lines_count_on() {
        let mut text = String::from("email,consent\n");
        for i in 0..2000 {
            text.push_str(&format!("u{i}@example.com,express\n"));
        }
        text.push_str("u7@example.com,implied\n");
        let p = parse_text(&text);
        assert!(p.errors.is_empty());
        assert_eq!(p.rows.len(), 2000);
        let last = p.rows.last().unwrap();
        assert_eq!(
            (last.email.as_str(), last.consent.as_str(), last.line),
            ("u7@example.com", "implied", 2002)
        );
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("subs.csv:2002: u7@example.com is also on line 9"))
        );
    }
}

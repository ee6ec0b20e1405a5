//! Character-level checks of translated text: the Persian mistakes no other tool catches
//! (Arabic yeh and kaf, Arabic-Indic digits), invisible characters where a ZWNJ was meant,
//! direction marks, and the replacement character left by a broken encoding.

use crate::lint::Code;

/// A problem found in one text element, with its position in the file.
#[derive(Debug, Clone)]
pub(crate) struct CharFinding {
    pub code: Code,
    /// Byte offset in the file and byte length of the offending characters.
    pub offset: usize,
    pub len: usize,
    pub message: String,
    pub hint: String,
    /// The replacement `--fix` writes, when the fix is safe.
    pub fix: Option<String>,
}

const ZWNJ: char = '\u{200C}';

/// Whose spelling rules apply on top of the checks every text gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Orthography {
    /// Persian letters and digits are expected (fa, prs).
    Persian,
    Other,
}

/// Checks one text element (never a placeable) that starts at byte `base` of its file.
pub(crate) fn check_text(text: &str, base: usize, orthography: Orthography, out: &mut Vec<CharFinding>) {
    let persian = orthography == Orthography::Persian;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j].1);
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let offset = base + at;
        let len = c.len_utf8();
        let mut push = |code, message: String, hint: &str, fix: Option<String>| {
            out.push(CharFinding {
                code,
                offset,
                len,
                message,
                hint: hint.to_string(),
                fix,
            })
        };
        match c {
            '\u{064A}' | '\u{0649}' if persian => push(
                Code::ArabicYehKaf,
                format!("Arabic letter {} ({}) instead of the Persian ی", c, codepoint(c)),
                "Persian readers and search expect ی (U+06CC); `nashr l10n lint --fix` replaces it",
                Some("\u{06CC}".into()),
            ),
            '\u{0643}' if persian => push(
                Code::ArabicYehKaf,
                format!("Arabic letter ك ({}) instead of the Persian ک", codepoint(c)),
                "Persian readers and search expect ک (U+06A9); `nashr l10n lint --fix` replaces it",
                Some("\u{06A9}".into()),
            ),
            '\u{0660}'..='\u{0669}' if persian => {
                let persian_digit = char::from_u32(c as u32 - 0x0660 + 0x06F0).unwrap_or(c);
                push(
                    Code::ArabicIndicDigits,
                    format!("Arabic-Indic digit {c} ({}) in Persian text", codepoint(c)),
                    "Persian uses the digits ۰۱۲۳۴۵۶۷۸۹ (4, 5 and 6 look different); `--fix` replaces them",
                    Some(persian_digit.to_string()),
                )
            }
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => push(
                Code::BidiControl,
                format!("invisible direction control {} ({})", codepoint(c), bidi_name(c)),
                "delete it: nashr isolates names and numbers inside the text itself, and a stray mark ends up in titles, links and email subjects",
                None,
            ),
            '\u{200B}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {
                let between_letters = prev.is_some_and(is_arabic_letter) && next.is_some_and(is_arabic_letter);
                // A zero-width joiner is also how emoji are composed; only between Arabic
                // letters is it certainly a mistyped ZWNJ.
                if c == '\u{200D}' && !between_letters {
                    continue;
                }
                push(
                    Code::ZeroWidth,
                    format!(
                        "invisible {} ({}) where a zero-width non-joiner (ZWNJ, U+200C) is probably meant",
                        zero_width_name(c),
                        codepoint(c)
                    ),
                    "use ZWNJ (نیم‌فاصله, Shift+Space on the standard Persian keyboard) to keep letters apart, as in می‌شود",
                    between_letters.then(|| ZWNJ.to_string()),
                )
            }
            ZWNJ if at == 0 => {
                // At the start of a text element it follows a placeable (`{ $name }‌ها`):
                // deliberate.
            }
            ZWNJ if next == Some(ZWNJ)
                || prev.is_some_and(char::is_whitespace)
                || next.is_some_and(char::is_whitespace) =>
            {
                push(
                    Code::StrayZwnj,
                    "zero-width non-joiner (ZWNJ) next to a space or another ZWNJ does nothing".to_string(),
                    "remove it; a ZWNJ belongs between two letters, as in می‌شود; `--fix` removes it",
                    Some(String::new()),
                )
            }
            '\u{FFFD}' => push(
                Code::ReplacementCharacter,
                "replacement character � (U+FFFD): some text was lost when the file was converted".to_string(),
                "retype the damaged word; check that your editor saves files as UTF-8",
                None,
            ),
            _ => {}
        }
    }
    mixed_digits(text, base, out);
}

/// A number written with digits of two scripts (`۱2۳`) reads wrong in every locale.
fn mixed_digits(text: &str, base: usize, out: &mut Vec<CharFinding>) {
    let mut run: Option<(usize, usize, u8)> = None; // start, end, scripts seen (bit set)
    let flush = |run: &mut Option<(usize, usize, u8)>, out: &mut Vec<CharFinding>| {
        if let Some((start, end, scripts)) = run.take()
            && scripts.count_ones() > 1
        {
            out.push(CharFinding {
                code: Code::MixedDigits,
                offset: base + start,
                len: end - start,
                message: format!("the number {} mixes digits of different scripts", &text[start..end]),
                hint: "write every digit of a number in one script (۱۲۳ or 123)".to_string(),
                fix: None,
            });
        }
    };
    for (at, c) in text.char_indices() {
        let script = match c {
            '0'..='9' => 1,
            '\u{06F0}'..='\u{06F9}' => 2,
            '\u{0660}'..='\u{0669}' => 4,
            _ => 0,
        };
        if script != 0 {
            let r = run.get_or_insert((at, at, 0));
            r.1 = at + c.len_utf8();
            r.2 |= script;
        } else if !matches!(c, '.' | ',' | '\u{066B}' | '\u{066C}') {
            flush(&mut run, out);
        }
    }
    flush(&mut run, out);
}

/// Letters of the Arabic script (Persian included), which join to their neighbours.
pub(crate) fn is_arabic_letter(c: char) -> bool {
    matches!(c,
        '\u{0620}'..='\u{065F}' | '\u{066E}'..='\u{06D3}' | '\u{06D5}' | '\u{06FA}'..='\u{06FF}'
        | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFC}')
}

fn codepoint(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

fn bidi_name(c: char) -> &'static str {
    match c {
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{061C}' => "Arabic letter mark",
        '\u{202A}' => "left-to-right embedding",
        '\u{202B}' => "right-to-left embedding",
        '\u{202C}' => "pop directional formatting",
        '\u{202D}' => "left-to-right override",
        '\u{202E}' => "right-to-left override",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        _ => "pop directional isolate",
    }
}

fn zero_width_name(c: char) -> &'static str {
    match c {
        '\u{200B}' => "zero-width space",
        '\u{200D}' => "zero-width joiner",
        '\u{2060}' => "word joiner",
        _ => "byte order mark",
    }
}

/// Applies fixes (byte ranges of `text` with replacements, not overlapping) and returns the
/// new text.
pub(crate) fn apply(text: &str, mut fixes: Vec<(std::ops::Range<usize>, String)>) -> String {
    fixes.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, replacement) in fixes {
        if range.start < at || range.end > text.len() {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use Orthography::{Other, Persian};

    fn codes(text: &str, orthography: Orthography) -> Vec<&'static str> {
        let mut out = Vec::new();
        check_text(text, 0, orthography, &mut out);
        out.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn persian_letters_and_digits() {
        assert_eq!(codes("فيزيوتراپی", Persian), ["arabic-yeh-kaf", "arabic-yeh-kaf"]);
        assert_eq!(codes("كمک", Persian), ["arabic-yeh-kaf"]);
        assert!(codes("فيزيو", Other).is_empty(), "only Persian text is checked for yeh");
        assert_eq!(codes("۱۲۳ و ١٢٣", Persian), ["arabic-indic-digits"; 3]);
        assert_eq!(codes("۱2۳", Persian), ["mixed-digits"]);
        assert!(codes("۱٬۲۳۴٫۵ و 2025", Persian).is_empty());
    }

    #[test]
    fn invisible_characters() {
        assert_eq!(codes("می\u{200B}شود", Persian), ["zero-width"]);
        assert!(codes("می\u{200C}شود", Persian).is_empty());
        assert_eq!(codes("می \u{200C}شود", Persian), ["stray-zwnj"]);
        assert_eq!(codes("a\u{200F}b", Other), ["bidi-control"]);
        assert!(
            codes("👩\u{200D}⚕", Other).is_empty(),
            "emoji sequences keep their joiner"
        );
        assert_eq!(codes("caf\u{FFFD}", Other), ["replacement-character"]);
    }

    #[test]
    fn fixes_replace_exact_ranges() {
        let text = "فيزيو كار ١";
        let mut found = Vec::new();
        check_text(text, 0, Persian, &mut found);
        let fixes = found
            .iter()
            .filter_map(|f| f.fix.clone().map(|r| (f.offset..f.offset + f.len, r)))
            .collect();
        assert_eq!(apply(text, fixes), "فیزیو کار ۱");
    }
}

//! URL slugs for titles in any script, without transliteration: `می‌خواهم کتاب‌ها را بخوانم:
//! ۱۴۰۴` becomes `میخواهم-کتابها-را-بخوانم-1404`, not the unreadable `mykhwhm-khtbh-r-bkhwnm-1404`
//! a transliterating slugger makes. Site URLs use the article's directory name; CMS targets
//! (WordPress) use [`slugify`] of the localized title, unless front matter sets `slug`.

use icu_normalizer::ComposingNormalizerBorrowed;

/// Longest slug, in characters; longer ones are cut at a hyphen.
pub(crate) const MAX_SLUG_CHARS: usize = 80;

/// A URL slug for `title`:
///
/// 1. Unicode NFC, so the same title always gives the same bytes;
/// 2. Arabic yeh and kaf (ي ى ك) folded to the Persian ی and ک, the letters Persian keyboards
///    type, so a title fixed later keeps its slug;
/// 3. Persian and Arabic-Indic digits to ASCII digits (`۱۴۰۴` → `1404`);
/// 4. ZWNJ, ZWJ, bidi controls, tatweel and other invisible format characters removed (the
///    letters around a ZWNJ join: `کتاب‌ها` → `کتابها`, still readable);
/// 5. apostrophes removed, every other punctuation mark or symbol and all whitespace turned
///    into single hyphens;
/// 6. lowercase; at most 80 characters (`MAX_SLUG_CHARS`), cut at a hyphen.
///
/// Letters of every script are kept as they are: never transliterated. The result is empty
/// only when the title has no letters or digits at all.
pub fn slugify(title: &str) -> String {
    let nfc = ComposingNormalizerBorrowed::new_nfc().normalize(title);
    let mut out = String::with_capacity(nfc.len());
    let mut pending_hyphen = false;
    for c in nfc.chars() {
        let c = fold(c);
        if is_invisible(c) || matches!(c, '\'' | '\u{2019}' | '\u{02bc}') {
            continue;
        }
        if c.is_alphanumeric() || is_mark(c) {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.extend(c.to_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    cap(out)
}

/// Whether `text` is already a slug as [`slugify`] makes them (what front matter `slug` must be).
pub(crate) fn is_slug(text: &str) -> bool {
    !text.is_empty() && slugify(text) == text
}

fn fold(c: char) -> char {
    match c {
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        '\u{0643}' => '\u{06A9}',
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        c => c,
    }
}

/// Characters that are not seen: joiners, bidi controls, tatweel, soft hyphen, BOM.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0640}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Combining marks of the Arabic script (harakat, hamza above) that `is_alphanumeric` does
/// not count as letters: they belong to the letter before them.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

fn cap(slug: String) -> String {
    if slug.chars().count() <= MAX_SLUG_CHARS {
        return slug;
    }
    let cut: String = slug.chars().take(MAX_SLUG_CHARS).collect();
    match cut.rfind('-') {
        Some(i) if i > 0 => cut[..i].to_string(),
        _ => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_titles_keep_their_letters() {
        assert_eq!(
            slugify("می‌خواهم کتاب‌ها را بخوانم: ۱۴۰۴"),
            "میخواهم-کتابها-را-بخوانم-1404"
        );
        // Arabic yeh and kaf become Persian ones; Arabic-Indic digits become ASCII.
        assert_eq!(slugify("كتاب يك ٢٠٢٥"), "کتاب-یک-2025");
        assert_eq!(slugify("كتاب يك"), slugify("کتاب یک"));
        // Persian punctuation, guillemets and bidi marks go.
        assert_eq!(
            slugify("«فیزیوتراپی» یا ماساژ؟ ‏\u{2068}مقایسه\u{2069}، ساده؛"),
            "فیزیوتراپی-یا-ماساژ-مقایسه-ساده"
        );
        assert_eq!(slugify("مقالهٔ ما"), "مقالهٔ-ما");
    }

    #[test]
    fn nfc_makes_one_slug_of_equivalent_titles() {
        // U+0622 (alef with madda) and its decomposition U+0627 U+0653.
        assert_eq!(slugify("آب"), slugify("\u{0627}\u{0653}ب"));
        assert_eq!(slugify("Cafe\u{0301}"), "café");
    }

    #[test]
    fn latin_titles() {
        assert_eq!(
            slugify("Physiotherapy vs. Massage: What's the Difference?"),
            "physiotherapy-vs-massage-whats-the-difference"
        );
        assert_eq!(slugify("  --A/B  testing--  "), "a-b-testing");
        assert_eq!(slugify("?!"), "");
        let long = "word ".repeat(40);
        let s = slugify(&long);
        assert!(s.chars().count() <= MAX_SLUG_CHARS && s.ends_with("word"), "{s}");
    }

    #[test]
    fn slugs_are_fixed_points() {
        for title in ["می‌خواهم کتاب‌ها", "Physiotherapy vs. Massage", "كتاب ١٢"] {
            let s = slugify(title);
            assert!(is_slug(&s), "{s}");
            assert!(!s.contains('\u{200C}'));
        }
        assert!(!is_slug("Has Spaces"));
        assert!(!is_slug("کتاب‌ها"));
        assert!(!is_slug(""));
    }
}

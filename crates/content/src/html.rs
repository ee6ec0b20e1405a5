//! HTML escaping for every writer of HTML: site templates, the publish folder and WordPress,
//! translation marks, the preview server and email. One function; the [`Escape`] mode keeps
//! the set of characters each output has always escaped, so no output changes by a byte.

use std::fmt::Write;

/// Which characters are escaped. Each mode escapes everything the one before it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// `&`, `<`, `>`: element text where quotes are harmless (WordPress titles, excerpts).
    Text,
    /// Also `"`: text and double-quoted attribute values (image URLs in published HTML).
    DoubleQuoted,
    /// Also `'`: text and attribute values in either quote (templates, pages, email).
    Html,
    /// Also `\`, `` ` `` and `|`: attribute values of inline HTML inside Markdown, where a
    /// backslash or backtick would start an escape or a code span and `|` splits a table cell.
    Markdown,
}

/// The entity of each escaped byte; index 0 means "copy as it is".
const ENTITIES: [&str; 9] = [
    "", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#92;", "&#96;", "&#124;",
];

/// For each mode, byte -> index into [`ENTITIES`]. All escaped characters are ASCII, so a
/// multi-byte UTF-8 sequence is never split.
const TABLES: [[u8; 256]; 4] = [
    table(Escape::Text),
    table(Escape::DoubleQuoted),
    table(Escape::Html),
    table(Escape::Markdown),
];

const fn table(mode: Escape) -> [u8; 256] {
    let mut t = [0u8; 256];
    t[b'&' as usize] = 1;
    t[b'<' as usize] = 2;
    t[b'>' as usize] = 3;
    if !matches!(mode, Escape::Text) {
        t[b'"' as usize] = 4;
    }
    if matches!(mode, Escape::Html | Escape::Markdown) {
        t[b'\'' as usize] = 5;
    }
    if matches!(mode, Escape::Markdown) {
        t[b'\\' as usize] = 6;
        t[b'`' as usize] = 7;
        t[b'|' as usize] = 8;
    }
    t
}

/// `text` with the characters of `mode` replaced by entities.
pub fn escape(text: &str, mode: Escape) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = escape_into(&mut out, text, mode);
    out
}

/// [`escape`] into `out`, copying the runs between escaped characters in one go.
pub fn escape_into(out: &mut impl Write, text: &str, mode: Escape) -> std::fmt::Result {
    let table = &TABLES[mode as usize];
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = table[b as usize];
        if entity == 0 {
            continue;
        }
        out.write_str(&text[start..i])?;
        out.write_str(ENTITIES[entity as usize])?;
        start = i + 1;
    }
    out.write_str(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "a & b <i> \"q\" 'x' \\ ` | می‌شود / é";

    #[test]
    fn each_mode_escapes_its_set_and_keeps_the_rest() {
        assert_eq!(
            escape(SAMPLE, Escape::Text),
            "a &amp; b &lt;i&gt; \"q\" 'x' \\ ` | می‌شود / é"
        );
        assert_eq!(
            escape(SAMPLE, Escape::DoubleQuoted),
            "a &amp; b &lt;i&gt; &quot;q&quot; 'x' \\ ` | می‌شود / é"
        );
        assert_eq!(
            escape(SAMPLE, Escape::Html),
            "a &amp; b &lt;i&gt; &quot;q&quot; &#39;x&#39; \\ ` | می‌شود / é"
        );
        assert_eq!(
            escape(SAMPLE, Escape::Markdown),
            "a &amp; b &lt;i&gt; &quot;q&quot; &#39;x&#39; &#92; &#96; &#124; می‌شود / é"
        );
    }

    #[test]
    fn edges_and_writing_into_a_buffer() {
        for mode in [Escape::Text, Escape::DoubleQuoted, Escape::Html, Escape::Markdown] {
            assert_eq!(escape("", mode), "");
            assert_eq!(escape("&", mode), "&amp;");
            assert_eq!(escape("&&<", mode), "&amp;&amp;&lt;");
            assert_eq!(escape("فارسی", mode), "فارسی");
        }
        let mut out = String::from("x=");
        escape_into(&mut out, "<b>", Escape::Html).unwrap();
        assert_eq!(out, "x=&lt;b&gt;");
    }
}

//! `/_newsletter/<issue>/<locale>`: an issue's email as it will be sent, built by the same
//! code as `nashr newsletter send` (for a sample recipient), then read back from the MIME
//! bytes: the headers, the subject decoded, the text and the HTML part.

use std::sync::Arc;

use base64::Engine;
use nashr_content::{Error, Project};
use nashr_l10n::Localizer;
use nashr_newsletter::{Issue, Key, Recipient, Renderer};

/// The address the preview is built for.
pub(crate) const SAMPLE_RECIPIENT: &str = "preview@example.com";

pub(crate) struct Preview {
    /// Headers as sent (encoded words decoded), in order.
    pub headers: Vec<(String, String)>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: Vec<u8>,
    /// Segments shown from another locale.
    pub fallback: Vec<String>,
}

/// Builds issue `id` for `locale`; `Ok(None)` when there is no such issue or locale.
pub(crate) fn preview(
    project: &Project,
    l10n: Arc<Localizer>,
    id: &str,
    locale: &str,
) -> Result<Option<Preview>, Error> {
    if !nashr_newsletter::issue::issue_ids(project).iter().any(|i| i == id)
        || !project.config.site.locales.iter().any(|l| l == locale)
    {
        return Ok(None);
    }
    let issue = Issue::load(project, id)?;
    let renderer = Renderer::new(project.clone(), l10n)?;
    let email = renderer.render(&issue, locale)?;
    // The key signs the unsubscribe link, exactly as `nashr newsletter render` does; it is
    // never shown (the link carries only a token derived from it).
    let key = Key::from_env(&project.config.newsletter.key_env).unwrap_or_else(Key::development);
    let sample = Recipient {
        email: SAMPLE_RECIPIENT.into(),
        name: String::new(),
        locale: locale.to_string(),
    };
    let built = renderer.build(&email, &sample, &key).map_err(Error::Environment)?;
    let (headers, parts) = parse(&built.bytes);
    let part = |kind: &str| {
        parts
            .iter()
            .find(|(ct, _)| ct.to_ascii_lowercase().starts_with(kind))
            .map(|(_, body)| body.clone())
            .unwrap_or_default()
    };
    let subject = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("subject"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Ok(Some(Preview {
        subject,
        text: part("text/plain"),
        html: part("text/html"),
        headers,
        raw: built.bytes,
        fallback: email.fallback,
    }))
}

/// `(name, value)` header fields in order, or `(content type, text)` parts.
type Pairs = Vec<(String, String)>;

/// Headers (unfolded, encoded words decoded) and the decoded text parts `(content type, text)`.
pub(crate) fn parse(raw: &[u8]) -> (Pairs, Pairs) {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers = parse_headers(head);
    let content_type = header(&headers, "content-type").unwrap_or_default();
    let mut parts = Vec::new();
    match boundary(&content_type) {
        Some(b) => {
            let delimiter = format!("--{b}");
            for chunk in body.split(&delimiter).skip(1) {
                if chunk.starts_with("--") {
                    break;
                }
                let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
                let (h, b) = chunk.split_once("\n\n").unwrap_or((chunk, ""));
                let h = parse_headers(h);
                let ct = header(&h, "content-type").unwrap_or_else(|| "text/plain".into());
                let cte = header(&h, "content-transfer-encoding").unwrap_or_default();
                parts.push((ct, decode_body(b.strip_suffix('\n').unwrap_or(b), &cte)));
            }
        }
        None => {
            let cte = header(&headers, "content-transfer-encoding").unwrap_or_default();
            parts.push((content_type, decode_body(body, &cte)));
        }
    }
    let decoded = headers.into_iter().map(|(k, v)| (k, decode_words(&v))).collect();
    (decoded, parts)
}

fn parse_headers(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.starts_with("multipart/") {
        return None;
    }
    let i = lower.find("boundary=")?;
    let rest = &content_type[i + "boundary=".len()..];
    let value = match rest.strip_prefix('"') {
        Some(q) => q.split('"').next()?,
        None => rest.split(';').next()?.trim(),
    };
    Some(value.to_string())
}

/// A part's text, with the line breaks of the reader's system (MIME sends CRLF).
fn decode_body(body: &str, encoding: &str) -> String {
    decode_transfer(body, encoding).replace("\r\n", "\n")
}

fn decode_transfer(body: &str, encoding: &str) -> String {
    match encoding.trim().to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|_| body.to_string())
        }
        "quoted-printable" => quoted_printable(body, false),
        _ => body.to_string(),
    }
}

/// Quoted-printable (RFC 2045); `underscore_space` for the `Q` encoding of headers (RFC 2047).
fn quoted_printable(s: &str, underscore_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscore_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`); whitespace between two of them goes.
pub(crate) fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let word = &rest[start + 2..];
        let decoded = (|| {
            let (charset, word) = word.split_once('?')?;
            let (enc, word) = word.split_once('?')?;
            let end = word.find("?=")?;
            let text = &word[..end];
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("us-ascii") {
                return None;
            }
            let s = match enc {
                "b" | "B" => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(text).ok()?).ok()?,
                "q" | "Q" => quoted_printable(text, true),
                _ => return None,
            };
            let consumed = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
            Some((s, consumed))
        })();
        match decoded {
            Some((s, consumed)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&s);
                rest = &rest[start + consumed..];
                after_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_and_quoted_printable() {
        assert_eq!(
            decode_words("=?utf-8?b?2LPZhNin2YU=?= =?utf-8?q?_=E2=80=8C_x?= tail"),
            "سلام \u{200c} x tail"
        );
        assert_eq!(decode_words("plain =?bad"), "plain =?bad");
        assert_eq!(quoted_printable("a=3Db=\nc=E2=80=8Cd", false), "a=bc\u{200c}d");
    }

    #[test]
    fn multipart_parts_are_decoded() {
        let raw = b"Subject: =?utf-8?b?2LPZhNin2YU=?=\r\nContent-Type: multipart/alternative;\r\n boundary=\"XyZ\"\r\n\r\n--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhi=E2=80=8Cthere\r\n--XyZ\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+aGk8L3A+\r\n--XyZ--\r\n";
        let (headers, parts) = parse(raw);
        assert_eq!(headers[0], ("Subject".into(), "سلام".into()));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].1, "hi\u{200c}there");
        assert_eq!(parts[1].1, "<p>hi</p>");
    }
}

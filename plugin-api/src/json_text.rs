//! Edits to a JSON document's text that leave every other byte as it was: field order, spacing,
//! number spelling and escapes survive, so a diff of two files shows only the values that changed.
//! The maskers, [`crate::scan::restore`] and the host's edits all go through here.
//!
//! Values are found with serde_json's `RawValue`, which borrows each member's exact source text:
//! where that slice starts in the document is where the value is ([`place`]).

use std::collections::HashMap;
use std::ops::Range;

use serde_json::value::RawValue;

/// Where `raw`, borrowed from `text` by a deserializer, sits in `text`, in bytes.
pub fn place(text: &str, raw: &RawValue) -> Range<usize> {
    let raw = raw.get();
    let start = raw.as_ptr() as usize - text.as_ptr() as usize;
    debug_assert!(start + raw.len() <= text.len(), "a slice of the document");
    start..start + raw.len()
}

/// Where the JSON value at `pointer` (RFC 6901) is in `text`, in bytes.
pub fn span(text: &str, pointer: &str) -> Option<Range<usize>> {
    let root: &RawValue = serde_json::from_str(text).ok()?;
    let mut raw = root;
    if !pointer.is_empty() {
        for segment in pointer.strip_prefix('/')?.split('/') {
            let key = segment.replace("~1", "/").replace("~0", "~");
            raw = match raw.get().as_bytes().first()? {
                b'{' => {
                    let members: HashMap<String, &RawValue> =
                        serde_json::from_str(raw.get()).ok()?;
                    members.get(&key).copied()?
                }
                b'[' => {
                    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).ok()?;
                    items.get(key.parse::<usize>().ok()?).copied()?
                }
                _ => return None,
            };
        }
    }
    Some(place(text, raw))
}

/// The string at `pointer`, decoded, if there is one.
pub fn string_at(text: &str, pointer: &str) -> Option<String> {
    let range = span(text, pointer)?;
    serde_json::from_str::<String>(&text[range]).ok()
}

/// `text` with the strings at these pointers replaced by new values (encoded as JSON strings).
/// A pointer that does not name a string is an error naming it.
pub fn replace_strings(text: &str, edits: &[(String, String)]) -> Result<String, String> {
    let mut ranges = Vec::with_capacity(edits.len());
    let escapes = Escapes::of(text);
    for (pointer, value) in edits {
        let range = span(text, pointer)
            .filter(|r| text[r.clone()].starts_with('"'))
            .ok_or_else(|| format!("the document has no string at {pointer}"))?;
        ranges.push((range, escapes.encode(value)));
    }
    ranges.sort_by_key(|(r, _)| r.start);
    if ranges.windows(2).any(|w| w[0].0.end > w[1].0.start) {
        return Err("two edits of the same string".into());
    }
    Ok(crate::values::replace(text, ranges))
}

/// `value` as a JSON string literal, quotes included.
fn encode(value: &str) -> String {
    serde_json::to_string(value).expect("strings serialize")
}

/// The escapes a document's writer chose where JSON leaves the choice, so that text put into it
/// (a restored secret, say) is spelled as the rest was and a document masked then restored comes
/// back byte for byte. Read from the document being edited:
///
/// - `html`: Go's `encoding/json` (Palette) writes `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`...
///   Assumed unless one of `<`, `>`, `&` appears raw (JSON's own syntax never uses them).
/// - `ascii`: an ASCII-only writer (Python's default) writes every other character as `\uXXXX`.
///   Assumed when the document is ASCII and holds such an escape.
///
/// Decision: a document that shows neither (its only `<` was in the value taken out) is taken for
/// Go's, Palette's writer; a value restored into a serde_json-written document that no longer has
/// any raw `<`, `>` or `&` is then spelled with escapes: the same JSON string, other bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escapes {
    /// `<`, `>` and `&` are written `\u003c`, `\u003e`, `\u0026` (Go's encoder).
    pub html: bool,
    /// Every non-ASCII character is written `\uXXXX` (Python's default).
    pub ascii: bool,
}

impl Escapes {
    /// The escapes `document`'s writer used, as far as its text shows them.
    pub fn of(document: &str) -> Escapes {
        let bytes = document.as_bytes();
        Escapes {
            html: !bytes.iter().any(|b| matches!(b, b'<' | b'>' | b'&')),
            ascii: document.is_ascii() && escapes_non_ascii(document),
        }
    }

    /// `value` as a JSON string literal, quotes included, with these escapes.
    pub fn encode(self, value: &str) -> String {
        let plain = encode(value);
        if !self.html && !self.ascii {
            return plain;
        }
        let mut out = String::with_capacity(plain.len());
        for c in plain.chars() {
            let escape = match c {
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    self.html || self.ascii && !c.is_ascii()
                }
                _ => self.ascii && !c.is_ascii(),
            };
            if !escape {
                out.push(c);
                continue;
            }
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
        out
    }
}

/// One string literal of a document: where it is, and what it says.
pub struct Literal {
    /// The literal, quotes included, in the document's text.
    pub raw: Range<usize>,
    /// Its value, decoded.
    pub text: String,
}

impl Literal {
    /// The string `raw` (borrowed from `document`) holds; `None` when it is not a string.
    pub fn of(document: &str, raw: &RawValue) -> Result<Option<Literal>, String> {
        if !raw.get().starts_with('"') {
            return Ok(None);
        }
        let text = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        Ok(Some(Literal {
            raw: place(document, raw),
            text,
        }))
    }

    /// Edits to the decoded text, as edits to the document's text: only the bytes that change are
    /// rewritten, the rest of the literal keeps its escapes (Go's `\u003c`, say), and new text is
    /// written with the document's [`Escapes`].
    pub fn edits(
        &self,
        document: &str,
        edits: Vec<(Range<usize>, String)>,
    ) -> Vec<(Range<usize>, String)> {
        if edits.is_empty() {
            return edits;
        }
        self.edits_with(Escapes::of(document), document, edits)
    }

    /// [`Literal::edits`] with the document's escapes read once by the caller: reading them costs
    /// a pass over the whole document, which a caller editing many literals pays once.
    pub fn edits_with(
        &self,
        escapes: Escapes,
        document: &str,
        mut edits: Vec<(Range<usize>, String)>,
    ) -> Vec<(Range<usize>, String)> {
        // In order, so one walk of the literal maps them all (a manifest of thousands of
        // documents can have thousands of edits).
        edits.sort_by_key(|(range, _)| range.start);
        let mut offsets = RawOffsets::new(&document[self.raw.clone()]);
        edits
            .into_iter()
            .map(|(range, new)| {
                let start = self.raw.start + offsets.at(range.start);
                let end = self.raw.start + offsets.at(range.end);
                let json = escapes.encode(&new);
                (start..end, json[1..json.len() - 1].to_string())
            })
            .collect()
    }

    /// The edit that replaces the whole value by `new`.
    pub fn replace_all(&self, new: &str) -> (Range<usize>, String) {
        (self.raw.clone(), encode(new))
    }
}

/// Whether `document` holds a `\uXXXX` escape of a non-ASCII character (one that is an escape:
/// `\\u00e9` is a backslash, then text).
fn escapes_non_ascii(document: &str) -> bool {
    let bytes = document.as_bytes();
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|b| *b == b'\\') {
        let escape = i + at;
        if bytes.get(escape + 1) == Some(&b'u')
            && document
                .get(escape + 2..escape + 6)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .is_some_and(|unit| unit >= 0x80)
        {
            return true;
        }
        i = escape + 2;
        if i >= bytes.len() {
            return false;
        }
    }
    false
}

/// Byte offsets in a JSON string literal (quotes included) of decoded byte offsets, asked for in
/// increasing order: a walk that goes on from where the last one stopped. serde_json decodes but
/// says nothing of positions, hence the walk.
struct RawOffsets<'a> {
    literal: &'a str,
    raw: usize,
    out: usize,
}

impl<'a> RawOffsets<'a> {
    fn new(literal: &'a str) -> Self {
        RawOffsets {
            literal,
            raw: 1,
            out: 0,
        }
    }

    /// Where the decoded byte offset `decoded` (not below the last one asked for) falls.
    fn at(&mut self, decoded: usize) -> usize {
        let bytes = self.literal.as_bytes();
        let (mut raw, mut out) = (self.raw, self.out);
        while out < decoded && raw < bytes.len() - 1 {
            if bytes[raw] != b'\\' {
                let len = utf8_len(bytes[raw]);
                raw += len;
                out += len;
                continue;
            }
            if bytes[raw + 1] != b'u' {
                raw += 2;
                out += 1;
                continue;
            }
            let unit = u32::from_str_radix(&self.literal[raw + 2..raw + 6], 16).unwrap_or(0);
            if (0xD800..0xDC00).contains(&unit) {
                // A surrogate pair: two escapes, one 4-byte character.
                raw += 12;
                out += 4;
            } else {
                raw += 6;
                out += char::from_u32(unit).map_or(3, char::len_utf8);
            }
        }
        (self.raw, self.out) = (raw, out);
        raw
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{ \"b\": 1.50, \"a\" : [ \"x\", {\"k~/\": \"v\\n\"} ],\n  \"z\": \"end\" }";

    #[test]
    fn finds_values_by_pointer_in_the_source() {
        assert_eq!(&DOC[span(DOC, "/b").unwrap()], "1.50");
        assert_eq!(&DOC[span(DOC, "/a/0").unwrap()], "\"x\"");
        assert_eq!(string_at(DOC, "/a/1/k~0~1").unwrap(), "v\n");
        assert_eq!(span(DOC, "").unwrap(), 0..DOC.len());
        assert_eq!(span(&format!("  {DOC}\n"), "").unwrap(), 2..DOC.len() + 2);
        assert!(span(DOC, "/a/7").is_none());
        assert!(span(DOC, "/nope").is_none());
        assert!(span(DOC, "/b/0").is_none());
        assert!(span("{oops", "/a").is_none());
    }

    #[test]
    fn replaces_strings_and_nothing_else() {
        let out = replace_strings(
            DOC,
            &[("/z".into(), "E\"".into()), ("/a/0".into(), "y".into())],
        )
        .unwrap();
        assert_eq!(
            out,
            "{ \"b\": 1.50, \"a\" : [ \"y\", {\"k~/\": \"v\\n\"} ],\n  \"z\": \"E\\\"\" }"
        );
        assert!(replace_strings(DOC, &[("/b".into(), "x".into())]).is_err());
    }

    #[test]
    fn new_text_is_escaped_as_the_document_shows() {
        let go = Escapes::of(r#"{"a": "\u003cb\u003e"}"#);
        assert_eq!(go.encode("<é>"), r#""\u003cé\u003e""#);
        let serde = Escapes::of(r#"{"a": "<b> é"}"#);
        assert_eq!(serde.encode("<é>"), r#""<é>""#);
        let python = Escapes::of(r#"{"a": "<b> \u00e9"}"#);
        assert_eq!(python.encode("<é😀>"), r#""<\u00e9\ud83d\ude00>""#);
        // An escaped backslash, then `u00e9`, escapes no character.
        assert!(!Escapes::of(r#"{"a": "<\\u00e9"}"#).ascii);
    }

    #[test]
    fn edits_inside_a_literal_keep_its_other_escapes() {
        let doc = "{\"s\": \"\\u003cb\\u003e \\ud83d\\ude00 p\\u0061ss: x\"}";
        let raw: HashMap<&str, &RawValue> = serde_json::from_str(doc).unwrap();
        let literal = Literal::of(doc, raw["s"]).unwrap().unwrap();
        assert_eq!(literal.text, "<b> 😀 pass: x");
        let at = literal.text.find("x").unwrap();
        let out =
            crate::values::replace(doc, literal.edits(doc, vec![(at..at + 1, "\"y\"".into())]));
        assert_eq!(
            out,
            "{\"s\": \"\\u003cb\\u003e \\ud83d\\ude00 p\\u0061ss: \\\"y\\\"\"}"
        );
        let number: HashMap<&str, &RawValue> = serde_json::from_str("{\"n\": 1}").unwrap();
        assert!(Literal::of("{\"n\": 1}", number["n"]).unwrap().is_none());
    }
}

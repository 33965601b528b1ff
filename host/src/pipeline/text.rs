//! Edits to a document's JSON text that leave every other byte as it was: field order, spacing and
//! number spelling survive, so a diff of two files shows only the values that changed.
//!
//! A string is found by its JSON pointer with serde_json's `RawValue`, which borrows each member's
//! exact source text; its offset in the document is where that slice starts.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::value::RawValue;

/// Where the JSON value at `pointer` (RFC 6901) is in `text`, in bytes.
pub fn span(text: &str, pointer: &str) -> Option<Range<usize>> {
    let mut raw: &str = text;
    if !pointer.is_empty() {
        for segment in pointer.strip_prefix('/')?.split('/') {
            let key = segment.replace("~1", "/").replace("~0", "~");
            let trimmed = raw.trim_start();
            raw = if trimmed.starts_with('{') {
                let members: HashMap<String, &RawValue> = serde_json::from_str(raw).ok()?;
                members.get(&key)?.get()
            } else if trimmed.starts_with('[') {
                let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
                items.get(key.parse::<usize>().ok()?)?.get()
            } else {
                return None;
            };
        }
    }
    let raw = raw.trim();
    let start = raw.as_ptr() as usize - text.as_ptr() as usize;
    Some(start..start + raw.len())
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
    for (pointer, value) in edits {
        let range = span(text, pointer)
            .filter(|r| text[r.clone()].starts_with('"'))
            .ok_or_else(|| format!("the document has no string at {pointer}"))?;
        ranges.push((
            range,
            serde_json::to_string(value).expect("strings serialize"),
        ));
    }
    ranges.sort_by_key(|(r, _)| r.start);
    if ranges.windows(2).any(|w| w[0].0.end > w[1].0.start) {
        return Err("two edits of the same string".into());
    }
    Ok(ferry_plugin_api::values::replace(text, ranges))
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
        assert!(span(DOC, "/a/7").is_none());
        assert!(span(DOC, "/nope").is_none());
        assert!(span(DOC, "/b/0").is_none());
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
}

//! YAML in and out of the sandbox: pack `schema.yaml`/`presets.yaml` and `import/file?format=yaml` are read
//! into JSON values; `export?format=yaml` writes the document as YAML.
//!
//! Reading uses `saphyr-parser` events (anchors and aliases resolve to copies; tags are ignored, scalars
//! resolve by YAML 1.2's core schema). Writing emits plain block YAML as Palette's exports are: keys and
//! strings plain where a reader (YAML 1.1 or 1.2) reads them back as the same string, double-quoted otherwise
//! (JSON string escapes are valid YAML), and literal blocks for multi-line text so pack values stay readable.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// Parses the first document of `text` into a JSON value (an empty document is `null`).
pub fn parse(text: &str) -> Result<Value, String> {
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    // Open collections: (value being built, pending key for maps, anchor id).
    let mut stack: Vec<(Value, Option<String>, usize)> = Vec::new();
    let mut root: Option<Value> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| format!("invalid YAML: {e}"))?;
        let done = match event {
            Event::Scalar(text, style, anchor, _) => Some((scalar(&text, style), anchor)),
            Event::Alias(id) => Some((
                anchors.get(&id).cloned().ok_or_else(|| {
                    format!("invalid YAML: unknown alias at line {}", span.start.line())
                })?,
                0,
            )),
            Event::SequenceStart(anchor, _) => {
                stack.push((Value::Array(Vec::new()), None, anchor));
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push((Value::Object(Map::new()), None, anchor));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, _, anchor) =
                    stack.pop().ok_or("invalid YAML: unbalanced collection")?;
                Some((value, anchor))
            }
            Event::DocumentEnd if root.is_some() => break,
            _ => None,
        };
        let Some((value, anchor)) = done else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, value.clone());
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some((Value::Array(items), _, _)) => items.push(value),
            Some((Value::Object(map), key, _)) => match key.take() {
                None => *key = Some(key_text(value)),
                Some(k) => {
                    map.insert(k, value);
                }
            },
            Some(_) => unreachable!("only collections are stacked"),
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

fn key_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Resolves a scalar by the YAML 1.2 core schema; quoted and block scalars are always strings.
fn scalar(text: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = text.parse::<i64>()
    {
        return Value::Number(n.into());
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(n) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(n.into());
    }
    let looks_float = digits
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_float && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

/// Writes `value` as a YAML document.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            write_inline(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&plain_or_quoted(key));
        out.push(':');
        write_child(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for value in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        write_child(out, value, indent);
    }
}

/// Writes what follows `key:` or `-`: nested collections on the next lines, scalars inline.
fn write_child(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        other => {
            out.push(' ');
            write_inline(out, other, indent + 2);
            out.push('\n');
        }
    }
}

fn write_inline(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => match literal_block(s, indent) {
            Some(block) => out.push_str(&block),
            None => out.push_str(&plain_or_quoted(s)),
        },
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// `s` as a plain scalar when that reads back as this string, else double-quoted (a JSON string is a
/// valid one).
fn plain_or_quoted(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

/// Whether `s` can be written unquoted: no indicator that starts or breaks a plain scalar, and it
/// resolves to a string under the core schema and under YAML 1.1's extra words (yes/no/on/off, dates,
/// sexagesimals), which other readers of an export may use. Numeric-looking text stays plain only when
/// it is a version like 1.2.0.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let chars_ok = s
        .chars()
        .all(|c| c == ' ' || c.is_ascii_graphic() || (!c.is_ascii() && c.is_alphanumeric()));
    let starts_ok = !"-?:,[]{}#&*!|>'\"%@`.+~ ".contains(first);
    let breaks = s.contains(": ") || s.contains(" #") || s.ends_with([':', ' ']);
    let yaml11_word = matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    );
    let numeric_ok = !first.is_ascii_digit() || is_version(s);
    chars_ok
        && starts_ok
        && !breaks
        && !yaml11_word
        && numeric_ok
        && scalar(s, ScalarStyle::Plain) == Value::String(s.to_string())
}

/// `1.2.0`, `0.30.0-rc1`: at least three dot-separated numbers, then an optional `-`/`+` suffix.
fn is_version(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or("");
    let suffix_ok = s[core.len()..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && suffix_ok
}

/// A `|` literal block for multi-line text, when the text survives one unchanged.
fn literal_block(s: &str, indent: usize) -> Option<String> {
    let printable = s
        .chars()
        .all(|c| c == '\n' || (c >= ' ' && c != '\u{7f}') || c == '\t');
    let first_line = s.lines().next().unwrap_or("");
    if !s.contains('\n')
        || s.trim().is_empty()
        || !printable
        || s.contains('\r')
        || first_line.starts_with([' ', '\t'])
        || s.lines().any(|l| l.trim().is_empty() && !l.is_empty())
    {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let chomp = match s.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent.max(1));
    let content = if chomp == "+" {
        &s[..s.len() - 1]
    } else {
        body
    };
    let mut block = format!("|{chomp}");
    for line in content.split('\n') {
        block.push('\n');
        if !line.is_empty() {
            block.push_str(&pad);
            block.push_str(line);
        }
    }
    Some(block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_core_schema_scalars() {
        let v = parse("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: text\ng: [x, y]\n").unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "f": "text", "g": ["x", "y"]})
        );
    }

    #[test]
    fn round_trips_documents_with_multiline_text() {
        let doc = json!({
            "metadata": {"name": "ML Ops", "labels": {"AI": "spectro__tag"}},
            "spec": {"packs": [
                {"values": "pack:\n  namespace: \"x\"\n", "n": 3, "empty": ""},
                {"values": "no trailing newline\n  indented", "list": [], "map": {}},
                {"values": "two trailing\n\n\n", "odd": "  leading spaces\nline"},
                {"values": "blank\n\nline inside\n", "tab": "a\tb\r\nc"}
            ]}
        });
        let text = to_string(&doc);
        assert_eq!(parse(&text).unwrap(), doc, "{text}");
    }

    #[test]
    fn writes_plain_scalars_only_where_they_read_back_as_strings() {
        let doc = json!({
            "name": "ML Ops", "version": "1.2.0", "tag": "0.30.0-rc1", "num": "1", "f": "1.5",
            "yes": "no", "null": "~", "t": "true", "date": "2001-12-14", "colon": "a: b",
            "hash": "a #b", "dash": "- x", "empty": "", "inf": ".inf", "time": "1:20", "uid": "5e20319",
            "x-vendor": "ok", "url": "https://a.b/c?d=e"
        });
        let text = to_string(&doc);
        assert_eq!(parse(&text).unwrap(), doc, "{text}");
        for plain in [
            "name: ML Ops\n",
            "version: 1.2.0\n",
            "tag: 0.30.0-rc1\n",
            "x-vendor: ok\n",
            "url: https://a.b/c?d=e\n",
        ] {
            assert!(text.contains(plain), "{plain:?} in {text}");
        }
        for quoted in [
            "num: \"1\"",
            "f: \"1.5\"",
            "\"yes\": \"no\"",
            "\"null\": \"~\"",
            "t: \"true\"",
            "date: \"2001-12-14\"",
            "colon: \"a: b\"",
            "hash: \"a #b\"",
            "dash: \"- x\"",
            "empty: \"\"",
            "inf: \".inf\"",
            "time: \"1:20\"",
            "uid: \"5e20319\"",
        ] {
            assert!(text.contains(quoted), "{quoted:?} in {text}");
        }
    }
}

//! Export documents on disk: JSON, as Palette and `ferry export` write them, or YAML
//! (`ferry export --format yaml`). Which one a file holds is told by its content, not its name.
//!
//! Inside ferry a document is JSON text. A JSON file is used as it is, byte for byte; a YAML file
//! is read into JSON with the same fields in the same order and the same strings, so the JSON
//! pointers a secrets bundle names (`/spec/template/packs/1/values`) and the places inside each
//! values string find the same values in either form.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context as _;
use ferry_plugin_api::document::Profile;
use ferry_plugin_api::values::{self, MAX_DEPTH};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::export::Format;
use super::hints::with_hint;
use super::user_file;
use crate::pipeline::edit;

/// A profile export read from `path`, as JSON text, and the format it was written in.
pub fn read(path: &Path) -> anyhow::Result<(String, Format)> {
    let (document, format) = read_fields(path)?;
    edit::name_version(&document)
        .with_context(|| format!("{} is not a profile export", path.display()))?;
    Ok((document, format))
}

/// The document at `path` as JSON text, whatever its fields hold: `plugin run` hands plugins
/// any document (`{}`, a pack that is `null`), to see what they make of it.
pub fn read_any(path: &Path) -> anyhow::Result<String> {
    let text = user_file::read(path, "the document")?;
    Ok(parse(&text).map_err(|e| not_an_export(e, path))?.0)
}

/// The document at `path`, its fields of the types Palette gives them.
fn read_fields(path: &Path) -> anyhow::Result<(String, Format)> {
    let text = user_file::read(path, "the document")?;
    parse(&text)
        .and_then(|read| shape(&text, read.1).map(|()| read))
        .map_err(|e| not_an_export(e, path))
}

fn not_an_export(e: anyhow::Error, path: &Path) -> anyhow::Error {
    with_hint(
        e.context(format!("{} is not a profile export", path.display())),
        "give the file `ferry export` wrote (JSON, or YAML with --format yaml), or Palette's own export",
    )
}

/// Whether the fields ferry and its plugins read have the types Palette gives them (`packs` a
/// list, `values` a string, ...): a wrong one is named here, at its line and column in the file,
/// rather than by a plugin that sees the document without its file.
fn shape(text: &str, format: Format) -> anyhow::Result<()> {
    let read = match format {
        Format::Json => serde_json::from_str::<Profile>(text).map_err(|e| e.to_string()),
        Format::Yaml => serde_yaml_ng::from_str::<Profile>(text).map_err(|e| e.to_string()),
    };
    read.map(drop)
        .map_err(|e| anyhow::anyhow!("a field has the wrong type: {e}"))
}

/// The JSON text of a document written as JSON or YAML.
fn parse(text: &str) -> anyhow::Result<(String, Format)> {
    if text.trim_start().starts_with('{') {
        let json = Checked::default().deserialize(&mut serde_json::Deserializer::from_str(text));
        match json {
            Ok(()) => return Ok((text.to_string(), Format::Json)),
            // A YAML flow mapping also starts with `{`; if it is not that either, the JSON error
            // says best what is wrong.
            Err(e) => return from_yaml(text).map_err(|_| anyhow::anyhow!("invalid JSON: {e}")),
        }
    }
    from_yaml(text)
}

fn from_yaml(text: &str) -> anyhow::Result<(String, Format)> {
    let invalid = |e: String| anyhow::anyhow!("neither JSON nor YAML: {e}");
    // The tree builder below takes its time over a deep text, copies what aliases name and keeps
    // the last of two keys; this pass reads it without keeping anything, and says where.
    values::check(text).map_err(|e| match e.starts_with("invalid YAML") {
        true => invalid(e),
        false => anyhow::anyhow!("{e}"),
    })?;
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if !value.is_object() {
        anyhow::bail!(
            "it reads as YAML, but as {} rather than a mapping of fields (metadata, spec)",
            kind(&value)
        );
    }
    Ok((value.to_string(), Format::Yaml))
}

/// Reads a JSON value and keeps nothing, refusing what serde_json would let through (for YAML,
/// [`values::check`] does the same): a key twice in one mapping (which one counts differs between
/// readers: Palette's Go decoder keeps the last, ferry's edits could touch the first, so a secret
/// could stay in clear), and nesting deeper than [`MAX_DEPTH`] (no profile comes close; past it,
/// code that walks the tree runs out of stack).
#[derive(Default, Clone, Copy)]
struct Checked {
    depth: usize,
}

impl Checked {
    fn inner<E: de::Error>(self) -> Result<Checked, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "it nests deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(Checked {
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.inner()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.inner()?;
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if keys.contains(&key) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} appears twice in one mapping"
                )));
            }
            keys.insert(key);
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a line of text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `document` (JSON text) written as `format`.
pub fn write(document: &str, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => document.to_string(),
        Format::Yaml => serde_yaml_ng::to_string(&serde_json::from_str::<Value>(document)?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_file(path: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn yaml_written_by_export_reads_back_as_the_same_document() {
        // Values with comments, block scalars, trailing blank lines, leading spaces, quotes, `#`,
        // numbers and booleans as strings, and Go's escapes in the JSON.
        let tricky = r##"{"metadata":{"name":"p","labels":{"true":"yes","1":"01"}},"spec":{"version":"1.0","template":{"packs":[{"name":"a","values":"# top\nkey: \"v\" # c\n  indented first\n\n\n","z":1.5,"a":[true,null,-3]},{"name":"b","values":"  leading: spaces\ntrailing: space \t\n","manifests":[{"content":"a: 1\n---\nb: '2'\n"}]}]},"variables":[{"name":"v","defaultValue":"\u003cpw\u003e: #x ","isSensitive":true}]}}"##;
        let files = [
            repo_file("examples/web-stack-export.json"),
            repo_file("tests/fixtures/ml-ops-export.json"),
            tricky.to_string(),
        ];
        for json in files {
            let yaml = write(&json, Format::Yaml).unwrap();
            let (back, format) = parse(&yaml).unwrap();
            assert_eq!(format, Format::Yaml);
            let (a, b): (Value, Value) = (
                serde_json::from_str(&json).unwrap(),
                serde_json::from_str(&back).unwrap(),
            );
            assert_eq!(a, b, "{yaml}");
            // Same order of fields, so the same pointers name the same values.
            assert_eq!(a.to_string(), back);
        }
    }

    #[test]
    fn json_is_kept_byte_for_byte_and_the_rest_is_refused_with_a_reason() {
        let json = "{\n  \"metadata\": {\"name\": \"x\"} }\n";
        let (text, format) = parse(json).unwrap();
        assert_eq!(text, json);
        assert_eq!(format, Format::Json);
        let (text, _) = parse("{metadata: {name: x}}").unwrap();
        assert_eq!(text, r#"{"metadata":{"name":"x"}}"#, "a YAML flow mapping");
        let err = parse("{\"metadata\": {\"name\": }")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid JSON: "), "{err}");
        let err = parse("just some words\n").unwrap_err().to_string();
        assert!(err.contains("a line of text"), "{err}");
        let err = parse("a: [1\nb: {").unwrap_err().to_string();
        assert!(err.starts_with("neither JSON nor YAML"), "{err}");
        let err = parse("{\"a\": 1,\n \"b\": {}, \"a\": 2}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the key \"a\" appears twice in one mapping at line 2 column"),
            "{err}"
        );
        let err = parse("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err().to_string();
        assert!(
            err.contains("the key \"c\" appears twice in one mapping (line 4 column 3)"),
            "{err}"
        );
        let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
        let err = parse(&deep).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid JSON: it nests deeper than 100 levels at line 1"),
            "{err}"
        );
        assert!(
            parse("- 1\n- 2\n")
                .unwrap_err()
                .to_string()
                .contains("a list")
        );
    }
}

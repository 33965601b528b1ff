//! Export documents on disk: JSON, as Palette and `ferry export` write them, or YAML
//! (`ferry export --format yaml`). Which one a file holds is told by its content, not its name.
//!
//! Inside ferry a document is JSON text. A JSON file is used as it is, byte for byte; a YAML file
//! is read into JSON with the same fields in the same order and the same strings, so the JSON
//! pointers a secrets bundle names (`/spec/template/packs/1/values`) and the places inside each
//! values string find the same values in either form.

use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use super::export::Format;
use super::hints::with_hint;
use crate::pipeline::edit;

/// A profile export read from `path`, as JSON text, and the format it was written in.
pub fn read(path: &Path) -> anyhow::Result<(String, Format)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let (document, format) = parse(&text).map_err(|e| {
        with_hint(
            e.context(format!("{} is not a profile export", path.display())),
            "give the file `ferry export` wrote (JSON, or YAML with --format yaml), or Palette's own export",
        )
    })?;
    edit::name_version(&document)
        .with_context(|| format!("{} is not a profile export", path.display()))?;
    Ok((document, format))
}

/// The JSON text of a document written as JSON or YAML.
fn parse(text: &str) -> anyhow::Result<(String, Format)> {
    if text.trim_start().starts_with('{') {
        let json = serde_json::from_str::<serde::de::IgnoredAny>(text);
        match json {
            Ok(_) => return Ok((text.to_string(), Format::Json)),
            // A YAML flow mapping also starts with `{`; if it is not that either, the JSON error
            // says best what is wrong.
            Err(e) => return from_yaml(text).map_err(|_| anyhow::anyhow!("invalid JSON: {e}")),
        }
    }
    from_yaml(text)
}

fn from_yaml(text: &str) -> anyhow::Result<(String, Format)> {
    let value: Value =
        serde_yaml_ng::from_str(text).map_err(|e| anyhow::anyhow!("neither JSON nor YAML: {e}"))?;
    if !value.is_object() {
        anyhow::bail!(
            "it reads as YAML, but as {} rather than a mapping of fields (metadata, spec)",
            kind(&value)
        );
    }
    Ok((value.to_string(), Format::Yaml))
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
        assert!(
            parse("- 1\n- 2\n")
                .unwrap_err()
                .to_string()
                .contains("a list")
        );
    }
}

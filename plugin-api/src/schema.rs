//! Palette's pack schema mini-language, as found in a pack's `schema.yaml`:
//!
//! ```yaml
//! charts.akuity-agent.akuityApiKeySecret:
//!   schema: '{{ required | format "${password}" | hints "The API key" }}'
//! ```
//!
//! Constraints are joined with `|`: `required`, `readonly`, `format "${string|number|boolean|
//! ipv4|version|password|list:[A,B]}"`, `hints "..."`, `regex "..."`. Unknown words are ignored so a
//! newer Palette does not break older plugins.

use crate::types::SchemaField;
use crate::values;

/// Parses one constraint text for the field `name`.
pub fn parse_field(name: &str, text: &str) -> SchemaField {
    let mut field = SchemaField {
        name: name.to_string(),
        format: String::new(),
        required: false,
        readonly: false,
        regex: None,
        hints: Vec::new(),
        list_options: Vec::new(),
    };
    let inner = text.trim().trim_start_matches("{{").trim_end_matches("}}");
    for part in split_outside_quotes(inner, '|') {
        let part = part.trim();
        let (word, arg) = match part.split_once(char::is_whitespace) {
            Some((w, rest)) => (w, unquote(rest.trim())),
            None => (part, String::new()),
        };
        match word {
            "required" => field.required = true,
            "readonly" => field.readonly = true,
            "format" => {
                field.list_options = list_options(&arg);
                field.format = arg;
            }
            "hints" => field.hints.push(arg),
            "regex" => field.regex = Some(arg),
            _ => {}
        }
    }
    field
}

/// Parses a whole `schema.yaml` (keys are dotted paths, each with a `schema:` text).
pub fn parse_schema_yaml(yaml: &str) -> Result<Vec<SchemaField>, String> {
    let scalars = values::scalars(yaml)?;
    Ok(scalars
        .iter()
        .filter_map(|s| match s.path.as_slice() {
            [values::Segment::Key(name), values::Segment::Key(k)] if k == "schema" => {
                Some(parse_field(name, &s.value))
            }
            _ => None,
        })
        .collect())
}

/// A field as Palette's API serves it (`v1PackSchema`, from `includePackMeta=schema`). Palette's
/// `type` is left out: `format` says the same and more.
pub fn from_api(item: &serde_json::Value) -> SchemaField {
    use serde_json::Value;
    let text = |k: &str| {
        item.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let flag = |k: &str| item.get(k).and_then(Value::as_bool).unwrap_or(false);
    let list = |k: &str| -> Vec<String> {
        let items = item.get(k).and_then(Value::as_array).map(Vec::as_slice);
        let items = items.unwrap_or_default().iter();
        items
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let format = text("format");
    let mut list_options = list("listOptions");
    if list_options.is_empty() {
        list_options = self::list_options(&format);
    }
    SchemaField {
        name: text("name"),
        format,
        required: flag("required"),
        readonly: flag("readonly"),
        regex: Some(text("regex")).filter(|r| !r.is_empty()),
        hints: list("hints"),
        list_options,
    }
}

/// True when Palette masks this field's value: format `${password}`.
pub fn is_password(field: &SchemaField) -> bool {
    field.format.trim() == "${password}"
}

fn list_options(format: &str) -> Vec<String> {
    format
        .strip_prefix("${list:[")
        .and_then(|rest| rest.strip_suffix("]}"))
        .map(|items| items.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .replace("\\\"", "\"")
}

/// Splits on `sep` where it is not inside double quotes (`format "${a|b}"` holds a `|`).
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut in_quotes, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            c if c == sep && !in_quotes => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_constraint() {
        let f = parse_field(
            "a.b",
            r#"{{ required | readonly | format "${list:[Delete, Retain]}" | hints "Pick one | carefully" }}"#,
        );
        assert!(f.required && f.readonly);
        assert_eq!(f.format, "${list:[Delete, Retain]}");
        assert_eq!(f.list_options, ["Delete", "Retain"]);
        assert_eq!(f.hints, ["Pick one | carefully"]);
        assert!(!is_password(&f));
    }

    #[test]
    fn finds_password_fields_in_a_schema_file() {
        let yaml = "charts.akuity-agent.akuityApiKeySecret:\n  # the key\n  schema: '{{ required | format \"${password}\" }}'\ncharts.akuity-agent.name:\n  schema: '{{ format \"${string}\" }}'\n";
        let fields = parse_schema_yaml(yaml).unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].name, "charts.akuity-agent.akuityApiKeySecret");
        assert!(is_password(&fields[0]) && fields[0].required);
        assert!(!is_password(&fields[1]));
    }

    #[test]
    fn reads_palettes_api_shape() {
        let item = serde_json::json!({"name": "a.b", "type": "list", "format": "${list:[X, Y]}",
            "regex": "", "required": true, "readonly": false, "hints": ["h"], "listOptions": []});
        let f = from_api(&item);
        assert_eq!((f.name.as_str(), f.required, f.regex), ("a.b", true, None));
        assert_eq!(
            f.list_options,
            ["X", "Y"],
            "taken from the format when the list is empty"
        );
        assert_eq!(f.hints, ["h"]);
    }
}

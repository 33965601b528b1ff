//! A pack's metadata as Palette's API serves it, read from the files of a pack folder
//! (`pack.json`, `values.yaml`, `schema.yaml`, `presets.yaml`).
//!
//! `schema.yaml` maps dotted value paths to a constraint in Palette's mini-language, e.g.
//! `charts.x.password: {schema: '{{ required | format "${password}" | hints "..." }}'}`. It becomes a list of
//! `v1PackSchema {name, type, format, regex, required, readonly, hints, listOptions}`; `format` keeps the
//! token as written (`${password}`, `${list:[A,B]}`), `type` is `string`, `number`, `boolean` or `list`.

use serde_json::{Map, Value, json};

use super::yaml;

/// The `format` token that marks a secret.
pub const PASSWORD_FORMAT: &str = "${password}";

/// One pack read from its folder.
#[derive(Debug, Clone)]
pub struct PackFiles {
    /// `pack.json` as written (name, version, layer, displayName, cloudTypes, addonType, annotations...).
    pub meta: Value,
    pub values: String,
    /// `v1PackSchema` items.
    pub schema: Vec<Value>,
    /// `v1PackPreset` items.
    pub presets: Vec<Value>,
}

impl PackFiles {
    /// Reads a pack from its files; `file(name)` returns a file's text when the folder has it.
    pub fn read(folder: &str, file: impl Fn(&str) -> Option<String>) -> Result<PackFiles, String> {
        let meta_text = file("pack.json").ok_or_else(|| format!("{folder}: no pack.json"))?;
        let meta: Value =
            serde_json::from_str(&meta_text).map_err(|e| format!("{folder}/pack.json: {e}"))?;
        for field in ["name", "version", "layer"] {
            if !meta.get(field).is_some_and(Value::is_string) {
                return Err(format!("{folder}/pack.json: `{field}` is missing"));
            }
        }
        let schema = match file("schema.yaml") {
            Some(text) => parse_schema(&text).map_err(|e| format!("{folder}/schema.yaml: {e}"))?,
            None => Vec::new(),
        };
        let presets = match file("presets.yaml") {
            Some(text) => {
                parse_presets(&text).map_err(|e| format!("{folder}/presets.yaml: {e}"))?
            }
            None => Vec::new(),
        };
        Ok(PackFiles {
            meta,
            values: file("values.yaml").unwrap_or_default(),
            schema,
            presets,
        })
    }

    pub fn field(&self, name: &str) -> &str {
        self.meta.get(name).and_then(Value::as_str).unwrap_or("")
    }
}

/// `schema.yaml` → `v1PackSchema` items, in file order.
pub fn parse_schema(text: &str) -> Result<Vec<Value>, String> {
    let doc = yaml::parse(text)?;
    let Some(entries) = doc.as_object() else {
        return Ok(Vec::new());
    };
    Ok(entries
        .iter()
        .filter_map(|(path, entry)| {
            let rule = entry.get("schema").and_then(Value::as_str)?;
            Some(schema_item(path, rule))
        })
        .collect())
}

/// One constraint, e.g. `{{ required | format "${list:[A,B]}" | hints "..." }}`.
fn schema_item(path: &str, rule: &str) -> Value {
    let inner = rule.trim().trim_start_matches("{{").trim_end_matches("}}");
    let (mut required, mut readonly) = (false, false);
    let (mut format, mut regex, mut hints) = (String::new(), String::new(), Vec::new());
    for part in split_pipes(inner) {
        let part = part.trim();
        let (word, rest) = part.split_once(char::is_whitespace).unwrap_or((part, ""));
        let args = quoted_args(rest);
        match word {
            "required" => required = true,
            "readonly" => readonly = true,
            "format" => format = args.into_iter().next().unwrap_or_default(),
            "regex" => regex = args.into_iter().next().unwrap_or_default(),
            "hints" => hints.extend(args),
            _ => {}
        }
    }
    let list_options: Vec<String> = format
        .strip_prefix("${list:[")
        .and_then(|s| s.strip_suffix("]}"))
        .map(|s| s.split(',').map(|o| o.trim().to_string()).collect())
        .unwrap_or_default();
    let kind = match format.as_str() {
        "${number}" => "number",
        "${boolean}" => "boolean",
        _ if !list_options.is_empty() => "list",
        _ => "string",
    };
    let mut item = Map::new();
    item.insert("name".into(), json!(path));
    item.insert("type".into(), json!(kind));
    item.insert("format".into(), json!(format));
    if !regex.is_empty() {
        item.insert("regex".into(), json!(regex));
    }
    item.insert("required".into(), json!(required));
    item.insert("readonly".into(), json!(readonly));
    item.insert("hints".into(), json!(hints));
    item.insert("listOptions".into(), json!(list_options));
    Value::Object(item)
}

/// Splits on `|` outside double quotes.
fn split_pipes(s: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '|' if !quoted => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The double-quoted strings of `s`.
fn quoted_args(s: &str) -> Vec<String> {
    s.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `presets.yaml` (`{presets: [...]}`) → `v1PackPreset` items.
pub fn parse_presets(text: &str) -> Result<Vec<Value>, String> {
    let doc = yaml::parse(text)?;
    let Some(items) = doc.get("presets").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    Ok(items
        .iter()
        .filter_map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let remove: Vec<String> = p
                .get("remove")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let name = text("name");
            (!name.is_empty()).then(|| {
                json!({"name": name, "displayName": text("displayName"), "group": text("group"),
                       "add": text("add"), "remove": remove})
            })
        })
        .collect())
}

/// The dotted value paths a schema marks as passwords.
pub fn password_paths(schema: &[Value]) -> Vec<String> {
    schema
        .iter()
        .filter(|s| s.get("format").and_then(Value::as_str) == Some(PASSWORD_FORMAT))
        .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_constraint_language() {
        let items = parse_schema(
            "a.b:\n  # comment\n  schema: '{{ required | format \"${password}\" | hints \"x | y\" }}'\n\
             c:\n  schema: '{{ format \"${list:[A,B]}\"  | hints \"pick\"}}'\n",
        )
        .unwrap();
        assert_eq!(items[0]["name"], "a.b");
        assert_eq!(items[0]["format"], "${password}");
        assert_eq!(items[0]["required"], true);
        assert_eq!(items[0]["hints"], json!(["x | y"]));
        assert_eq!(items[1]["type"], "list");
        assert_eq!(items[1]["listOptions"], json!(["A", "B"]));
        assert_eq!(password_paths(&items), vec!["a.b".to_string()]);
    }
}

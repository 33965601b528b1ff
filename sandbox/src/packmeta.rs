//! A pack's metadata as Palette's API serves it, read from the files of a pack folder
//! (`pack.json`, `values.yaml`, `schema.yaml`, `presets.yaml`).
//!
//! `schema.yaml` maps dotted value paths to a constraint in Palette's mini-language, e.g.
//! `charts.x.password: {schema: '{{ required | format "${password}" | hints "..." }}'}`. It becomes a list of
//! `v1PackSchema {name, type, format, regex, required, readonly, hints, listOptions}`; `format` keeps the
//! token as written (`${password}`, `${list:[A,B]}`), `type` is `string`, `number`, `boolean` or `list`.
//! The mini-language itself is parsed by `ferry_plugin_api::schema`, the parser ferry's plugins use.

use ferry_plugin_api::schema;
use ferry_plugin_api::types::SchemaField;
use serde_json::{Map, Value, json};

use super::yaml;

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

/// `schema.yaml` → `v1PackSchema` items, in file order (parsed by the shared schema parser).
pub fn parse_schema(text: &str) -> Result<Vec<Value>, String> {
    Ok(schema::parse_schema_yaml(text)?
        .iter()
        .map(to_api)
        .collect())
}

/// A schema field as Palette's API shows it (`v1PackSchema`).
fn to_api(field: &SchemaField) -> Value {
    let kind = match field.format.as_str() {
        "${number}" => "number",
        "${boolean}" => "boolean",
        _ if !field.list_options.is_empty() => "list",
        _ => "string",
    };
    let mut item = Map::new();
    item.insert("name".into(), json!(field.name));
    item.insert("type".into(), json!(kind));
    item.insert("format".into(), json!(field.format));
    if let Some(regex) = &field.regex {
        item.insert("regex".into(), json!(regex));
    }
    item.insert("required".into(), json!(field.required));
    item.insert("readonly".into(), json!(field.readonly));
    item.insert("hints".into(), json!(field.hints));
    item.insert("listOptions".into(), json!(field.list_options));
    Value::Object(item)
}

/// A stored `v1PackSchema` item back as the shared crate's field, for masking and validation.
pub fn from_api(item: &Value) -> SchemaField {
    schema::from_api(item)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_schema_fields_in_palettes_shape_and_back() {
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
        assert!(schema::is_password(&from_api(&items[0])));
        assert_eq!(from_api(&items[1]).list_options, ["A", "B"]);
    }
}

//! Palette's export document (`v1ClusterProfileImportEntity`), as serde types that keep every field
//! they do not name in `extra`, so a document read and written again loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: Spec,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Metadata {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Key-only tags are labels whose value is `spectro__tag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Spec {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub template: Template,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<Variable>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Template {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(rename = "cloudType", default, skip_serializing_if = "Option::is_none")]
    pub cloud_type: Option<String>,
    #[serde(default)]
    pub packs: Vec<Pack>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Pack {
    /// Unique in a profile: a second copy of a pack is named `<display-name>--<pack>`.
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The pack's values, a YAML document as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Vec<Manifest>>,
    /// Optional on manifest packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Variable {
    pub name: String,
    #[serde(
        rename = "defaultValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_value: Option<String>,
    #[serde(
        rename = "isSensitive",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_sensitive: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Profile {
    /// Parses an export document; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Profile, String> {
        serde_json::from_str(text).map_err(|e| format!("not a Palette profile export (JSON): {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a profile always serializes")
    }
}

/// The JSON pointer of the `field` of pack number `index` (`/spec/template/packs/1/values`).
pub fn pack_pointer(index: usize, field: &str) -> String {
    format!("/spec/template/packs/{index}/{}", escape_pointer(field))
}

/// The JSON pointer of the `field` of variable number `index`.
pub fn variable_pointer(index: usize, field: &str) -> String {
    format!("/spec/variables/{index}/{}", escape_pointer(field))
}

/// Escapes one JSON pointer segment (RFC 6901: `~` is `~0`, `/` is `~1`).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = r#"{"metadata":{"name":"p","future":1},"spec":{"version":"1.0.0","template":{"packs":[{"name":"a","values":"x: 1","newField":{"k":[1,2]}}],"extra":true},"variables":[{"name":"v","isSensitive":true,"other":"o"}]},"top":"kept"}"#;
        let profile = Profile::parse(text).unwrap();
        let again: Value = serde_json::from_str(&profile.to_json()).unwrap();
        let original: Value = serde_json::from_str(text).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn a_non_object_is_refused_with_a_reason() {
        let err = Profile::parse("[1]").unwrap_err();
        assert!(err.contains("not a Palette profile export"), "{err}");
    }

    #[test]
    fn pointers_escape_their_segments() {
        assert_eq!(pack_pointer(2, "values"), "/spec/template/packs/2/values");
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
    }
}

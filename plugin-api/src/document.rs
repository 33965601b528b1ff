//! Palette's export document (`v1ClusterProfileImportEntity`), as serde types that keep every field
//! they do not name in `extra`, so a document read and written again loses nothing.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A whole export document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    /// Name, description, labels.
    #[serde(default)]
    pub metadata: Metadata,
    /// Version, packs, variables.
    #[serde(default)]
    pub spec: Spec,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `metadata`: who the profile is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Metadata {
    /// The profile's name.
    #[serde(default)]
    pub name: String,
    /// Its description, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Key-only tags are labels whose value is `spectro__tag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Map<String, Value>>,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec`: what the profile holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Spec {
    /// The profile's version, semver.
    #[serde(default)]
    pub version: String,
    /// Its type, cloud type and packs.
    #[serde(default)]
    pub template: Template,
    /// Profile variables (`{{.spectro.var.NAME}}`), if it declares any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<Variable>>,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec.template`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Template {
    /// `type`: `add-on`, `cluster`, `infra`...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `cloudType`: `all`, `aws`, `edge-native`...
    #[serde(rename = "cloudType", default, skip_serializing_if = "Option::is_none")]
    pub cloud_type: Option<String>,
    /// The packs, in layer order.
    #[serde(default)]
    pub packs: Vec<Pack>,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One pack of the profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Pack {
    /// Unique in a profile: a second copy of a pack is named `<display-name>--<pack>`.
    pub name: String,
    /// `type`: `spectro`, `helm`, `manifest`, `oci`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `os`, `k8s`, `cni`, `csi`, `addon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The pack's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The tag it was picked by (a version, or a wildcard like `1.2.x`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The pack's values, a YAML document as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    /// Manifests attached to the pack (a manifest pack's whole content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Vec<Manifest>>,
    /// Optional on manifest packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Value>,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Kubernetes manifest attached to a pack.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Its name in the pack.
    #[serde(default)]
    pub name: String,
    /// The YAML, as a string (one or more `---` documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A profile variable, `{{.spectro.var.NAME}}` in values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// The value it takes when a cluster gives none.
    #[serde(
        rename = "defaultValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_value: Option<String>,
    /// Whether Palette masks it: its default is a secret.
    #[serde(
        rename = "isSensitive",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_sensitive: Option<bool>,
    /// Every field not named above, kept as it was.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Profile {
    /// Parses an export document; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Profile, String> {
        serde_json::from_str(text).map_err(|e| format!("not a Palette profile export (JSON): {e}"))
    }

    /// The document as compact JSON, with every field it was read with.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a profile always serializes")
    }
}

/// The strings of an export that can hold values to mask, borrowed from its text so that each
/// one's place in it is known ([`crate::json_text::Literal`]), with what a masker decides by:
/// pack names, variables. Reading only these costs far less than parsing a [`Profile`]: the values
/// are neither decoded nor copied until a masker asks for them.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Skim<'a> {
    #[serde(borrow)]
    metadata: Option<SkimMetadata<'a>>,
    #[serde(borrow)]
    spec: Option<SkimSpec<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SkimMetadata<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SkimSpec<'a> {
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    template: Option<SkimTemplate<'a>>,
    #[serde(borrow)]
    variables: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SkimTemplate<'a> {
    #[serde(borrow)]
    packs: Option<Vec<SkimPack<'a>>>,
}

/// A pack's name and the strings that hold its YAML.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SkimPack<'a> {
    /// The pack's name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Its values string, as it is in the text.
    #[serde(borrow)]
    pub values: Option<&'a RawValue>,
    /// Its manifests' content strings.
    #[serde(borrow)]
    pub manifests: Option<Vec<SkimManifest<'a>>>,
}

/// A manifest's content string, borrowed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SkimManifest<'a> {
    /// The YAML string, as it is in the text.
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
}

/// A variable's name and default, borrowed; [`SkimVariable::model`] reads the rest.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SkimVariable<'a> {
    /// The variable's name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Its default string, as it is in the text.
    #[serde(rename = "defaultValue", borrow)]
    pub default_value: Option<&'a RawValue>,
    #[serde(skip)]
    whole: Option<&'a RawValue>,
}

impl SkimVariable<'_> {
    /// The variable as a [`Variable`].
    pub fn model(&self) -> Result<Variable, String> {
        let whole = self.whole.map_or("{}", RawValue::get);
        serde_json::from_str(whole).map_err(|e| format!("variable {:?}: {e}", self.name))
    }
}

impl<'a> Skim<'a> {
    /// Reads `document`; the error says what is wrong and where.
    pub fn parse(document: &'a str) -> Result<Skim<'a>, String> {
        serde_json::from_str(document)
            .map_err(|e| format!("not a Palette profile export (JSON): {e}"))
    }

    /// `metadata.name`, when the document has one.
    pub fn name(&self) -> Option<&str> {
        self.metadata.as_ref()?.name.as_deref()
    }

    /// `spec.version`, when the document has one.
    pub fn version(&self) -> Option<&str> {
        self.spec.as_ref()?.version.as_deref()
    }

    /// The document's packs, in order.
    pub fn packs(&self) -> &[SkimPack<'a>] {
        let packs = self
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref()?.packs.as_ref());
        packs.map_or(&[], Vec::as_slice)
    }

    /// The variables, in order.
    pub fn variables(&self) -> Result<Vec<SkimVariable<'a>>, String> {
        self.spec
            .iter()
            .flat_map(|s| s.variables.iter().flatten())
            .enumerate()
            .map(|(i, raw)| {
                let mut var: SkimVariable<'a> = serde_json::from_str(raw.get())
                    .map_err(|e| format!("/spec/variables/{i}: {e}"))?;
                var.whole = Some(raw);
                Ok(var)
            })
            .collect()
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

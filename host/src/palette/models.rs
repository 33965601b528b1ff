//! The parts of Palette's models that the host's own commands read. Unknown fields are ignored, so
//! fields Palette adds later do no harm.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /v1/users/info` (`v1UserInfo`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    #[serde(default)]
    pub tenant_uid: String,
    #[serde(default)]
    pub user_uid: String,
    #[serde(default)]
    pub org_name: String,
}

/// One project of `GET /v1/dashboard/projects/metadata`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub name: String,
    pub uid: String,
}

/// `v1ObjectEntity` / the part of `v1ObjectMeta` ferry reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `v1ProjectMetadata`.
#[derive(Deserialize)]
pub(crate) struct ProjectItem {
    #[serde(default)]
    pub metadata: ObjectMeta,
}

/// One cluster profile as `ferry profiles list` shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProfileSummary {
    pub name: String,
    pub version: String,
    pub uid: String,
    /// cluster, infra, add-on or system.
    #[serde(rename = "type")]
    pub profile_type: String,
    /// project, tenant or system.
    pub scope: String,
    /// What `ferry migrate --selector KEY=VALUE` matches.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `v1ClusterProfileSummary` of `POST /v1/dashboard/clusterprofiles`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileItem {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec_summary: SpecSummary,
}

#[derive(Default, Deserialize)]
pub(crate) struct SpecSummary {
    #[serde(default)]
    pub version: String,
    pub published: Option<TemplateSummary>,
    pub draft: Option<TemplateSummary>,
}

#[derive(Deserialize)]
pub(crate) struct TemplateSummary {
    #[serde(rename = "type", default)]
    pub profile_type: String,
}

impl From<ProfileItem> for ProfileSummary {
    fn from(item: ProfileItem) -> Self {
        let spec = item.spec_summary;
        // A profile that was never published has only a draft.
        let profile_type = spec
            .published
            .or(spec.draft)
            .map(|t| t.profile_type)
            .unwrap_or_default();
        let mut metadata = item.metadata;
        Self {
            scope: metadata.annotations.remove("scope").unwrap_or_default(),
            name: metadata.name,
            version: spec.version,
            uid: metadata.uid,
            profile_type,
            labels: metadata.labels,
        }
    }
}

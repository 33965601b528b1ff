//! The validate step's logic (the built-in `palette-validate` is this plus the bindings): what
//! would stop an import into the target environment, or import something wrong, found before
//! anything is written. An empty list means clean.
//!
//! Finding codes (stable; scripts and approvers may branch on them):
//!
//! | code | severity | what |
//! | --- | --- | --- |
//! | `name-taken` | error | the profile's name and version exist in the target |
//! | `registry-missing` | error | the target has no registry of the document's registry name and kind |
//! | `pack-missing` | error | `name@version` is not in the matched registry (the message names those that hold it) |
//! | `macro-undefined` | error | a `{{.spectro.macro.X}}` the target defines at no scope; one per macro, at its first use |
//! | `variable-undeclared` | error | a `{{.spectro.var.X}}` not declared in `spec.variables`; one per variable |
//! | `value-masked` | error | a pack value or variable default still `********` |
//! | `values-invalid` | error | a pack's values are not YAML (Palette: `InvalidPackValues`) |
//! | `schema-required` | error | a field the pack schema marks `required` has no value |
//! | `schema-format` | warning | a value that is not of its schema `format` |
//! | `schema-regex` | warning | a value that does not match its schema `regex` |
//!
//! Severity: what Palette refuses, or would store wrongly, is an error. Format and pattern
//! mismatches are warnings: Palette's import API does not enforce them (its UI does, on edit),
//! and a value may be right in a way the mini-language cannot say.
//!
//! A failed call to the target is a plugin error naming what was asked, not a finding: the step
//! could not say whether the document is fine.

mod constraints;
pub mod local;
pub mod target;

pub use constraints::{Problem, Violation, check as check_constraints};

use crate::api::Palette;
use crate::document::Profile;
use crate::refs::Kind;
use crate::types::{Finding, PackMeta, PluginError};

/// The finding codes.
pub mod codes {
    pub const NAME_TAKEN: &str = "name-taken";
    pub const REGISTRY_MISSING: &str = "registry-missing";
    pub const PACK_MISSING: &str = "pack-missing";
    pub const MACRO_UNDEFINED: &str = "macro-undefined";
    pub const VARIABLE_UNDECLARED: &str = "variable-undeclared";
    pub const VALUE_MASKED: &str = "value-masked";
    pub const VALUES_INVALID: &str = "values-invalid";
    pub const SCHEMA_REQUIRED: &str = "schema-required";
    pub const SCHEMA_FORMAT: &str = "schema-format";
    pub const SCHEMA_REGEX: &str = "schema-regex";
}

/// The document's own findings: everything that needs no target.
pub fn document_findings(profile: &Profile, packs: &[PackMeta]) -> Vec<Finding> {
    let texts = local::texts(profile);
    let mut out = local::invalid_values(profile, &texts);
    out.extend(local::undeclared_variables(profile, &texts));
    out.extend(local::masked_values(profile, &texts));
    out.extend(local::schema_violations(profile, &texts, packs));
    out
}

/// The whole step against the environment `env`.
pub fn validate(
    api: &impl Palette,
    env: &str,
    document: &str,
    packs: &[PackMeta],
) -> Result<Vec<Finding>, PluginError> {
    let profile = Profile::parse(document).map_err(PluginError::InvalidInput)?;
    if profile.metadata.name.trim().is_empty() {
        return Err(PluginError::InvalidInput(
            "the document has no metadata.name".into(),
        ));
    }
    let mut out: Vec<Finding> = target::name_taken(api, env, &profile)?
        .into_iter()
        .collect();
    out.extend(target::packs(api, env, &profile)?);
    let macros = local::uses(&local::texts(&profile), Kind::Macro);
    if !macros.is_empty() {
        let defined = target::defined_macros(api, env)?;
        out.extend(local::undefined_macros(&macros, &defined, env));
    }
    out.extend(document_findings(&profile, packs));
    Ok(out)
}

#[cfg(test)]
mod tests;

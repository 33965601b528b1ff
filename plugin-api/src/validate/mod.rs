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

/// The finding codes, and what each means (`ferry plugin explain palette-validate CODE`).
pub mod codes {
    /// The profile's name and version exist in the target.
    pub const NAME_TAKEN: &str = "name-taken";
    /// The target has no registry of the document's registry name and kind.
    pub const REGISTRY_MISSING: &str = "registry-missing";
    /// A pack's `name@version` is not in the matched registry.
    pub const PACK_MISSING: &str = "pack-missing";
    /// A `{{.spectro.macro.X}}` the target defines at no scope.
    pub const MACRO_UNDEFINED: &str = "macro-undefined";
    /// A `{{.spectro.var.X}}` not declared in `spec.variables`.
    pub const VARIABLE_UNDECLARED: &str = "variable-undeclared";
    /// A pack value or variable default still `********`.
    pub const VALUE_MASKED: &str = "value-masked";
    /// A pack's values are not YAML.
    pub const VALUES_INVALID: &str = "values-invalid";
    /// A field the pack schema marks `required` has no value.
    pub const SCHEMA_REQUIRED: &str = "schema-required";
    /// A value that is not of its schema `format`.
    pub const SCHEMA_FORMAT: &str = "schema-format";
    /// A value that does not match its schema `regex`.
    pub const SCHEMA_REGEX: &str = "schema-regex";

    /// Each code with what it means, why it matters and how to resolve it.
    const EXPLAINED: [(&str, &str); 10] = [
        (
            NAME_TAKEN,
            "The target already has a cluster profile of this name and version; Palette refuses a second one (ClusterProfileAlreadyExists). Import under another version or name with --on-conflict bump-patch|bump-minor|rename=NAME, or leave it with --on-conflict skip.",
        ),
        (
            REGISTRY_MISSING,
            "The packs come from a registry the target has no registry of that name and kind for (uids differ between environments, so ferry matches by name). Map it to a target registry that holds the packs: --registry-map 'SRC=DST'.",
        ),
        (
            PACK_MISSING,
            "The pack's name@version is not in the target registry it would be taken from; Palette refuses the import. Take it from a registry that holds it (--pack-map 'PACK@VERSION=REGISTRY'), or add the pack to the registry.",
        ),
        (
            MACRO_UNDEFINED,
            "The profile uses a macro the target defines at no scope (project, tenant or system); an export does not carry macros, and Palette refuses an import that uses an undefined one (MacrosUndefined). Create it in the target, or let ferry: --create-macros --set macro.NAME=VALUE.",
        ),
        (
            VARIABLE_UNDECLARED,
            "A value uses a profile variable that spec.variables does not declare; Palette would leave the reference unresolved. Declare the variable in the profile, or stop using it.",
        ),
        (
            VALUE_MASKED,
            "A pack value or variable default is still the mask ********, so Palette would store the mask as the value. Give the real value: --secrets BUNDLE (sealed by the export), --set PLACE=VALUE, or --allow-masked to type it in Palette after the import.",
        ),
        (
            VALUES_INVALID,
            "A pack's values are not valid YAML; Palette refuses the import (InvalidPackValues). Fix the YAML.",
        ),
        (
            SCHEMA_REQUIRED,
            "The pack's schema marks a field required and it has no value; the cluster would deploy without it. Give it a value (--set PACK:PATH=VALUE).",
        ),
        (
            SCHEMA_FORMAT,
            "A value is not of the format the pack's schema gives it (a warning: Palette's import does not enforce it, its UI does on edit). Give a value of that format.",
        ),
        (
            SCHEMA_REGEX,
            "A value does not match the pattern the pack's schema gives it (a warning, as for schema-format). Give a value that matches.",
        ),
    ];

    /// What `code` means and how to resolve it; none for a code this step never reports.
    pub fn explain(code: &str) -> Option<&'static str> {
        EXPLAINED
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, text)| *text)
    }
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

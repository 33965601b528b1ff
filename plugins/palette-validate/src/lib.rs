//! The built-in validator: checks the document against the run's target environment, and explains
//! its finding codes. The checks and their codes are documented and tested in
//! `ferry_plugin_api::validate`.

use ferry_plugin_api::types::{Context, Finding, PackMeta, PluginError};
use ferry_plugin_api::{
    api, explainer, export_explainer, export_validator, log, validate, validator,
};

struct PaletteValidate;

impl explainer::Guest for PaletteValidate {
    fn explain(code: String) -> Option<String> {
        validate::codes::explain(&code).map(str::to_string)
    }
}

impl validator::Guest for PaletteValidate {
    fn validate(
        cx: Context,
        document: String,
        packs: Vec<PackMeta>,
    ) -> Result<Vec<Finding>, PluginError> {
        let env = cx.target_env.ok_or_else(|| {
            PluginError::InvalidInput(
                "no target environment: palette-validate checks a document against one".into(),
            )
        })?;
        let findings = validate::validate(&api::Host { env: &env }, &env, &document, &packs)?;
        log::log(
            log::Level::Debug,
            &format!("{} finding(s) against {env}", findings.len()),
        );
        Ok(findings)
    }
}

export_validator!(PaletteValidate);
export_explainer!(PaletteValidate);

//! Example organization masker: masks every pack value and variable default that matches one of
//! the regular expressions the policy configures, one per line, each with a name for the report:
//!
//! ```toml
//! [plugins.regex-mask]
//! config = { patterns = """
//! acme-token = ACME-[0-9]{8}
//! employee-id = ^E[0-9]{6}$
//! """ }
//! ```
//!
//! A value that contains a match is masked whole (rule `regex:NAME`). Without patterns the plugin
//! fails rather than mask nothing in silence: a masker that is configured wrong must be seen.

use ferry_plugin_api::types::{Context, MaskOutput, PackMeta, PluginError};
use ferry_plugin_api::{config, export_masker, mask, masker};
use regex_lite::Regex;

struct RegexMask;

/// The configured patterns, by name.
pub fn patterns(config: &str) -> Result<Vec<(String, Regex)>, String> {
    let mut found = Vec::new();
    for (n, line) in config.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, pattern) = line
            .split_once('=')
            .ok_or_else(|| format!("patterns line {}: write NAME = REGEX (got '{line}')", n + 1))?;
        let (name, pattern) = (name.trim(), pattern.trim());
        let regex = Regex::new(pattern).map_err(|e| {
            format!(
                "patterns line {} ('{name}'): not a regular expression: {e}",
                n + 1
            )
        })?;
        found.push((name.to_string(), regex));
    }
    if found.is_empty() {
        return Err(
            "no patterns: set config.patterns under [plugins.regex-mask] in the policy, one NAME = REGEX per line"
                .into(),
        );
    }
    Ok(found)
}

/// The rule that masks `value`, if any.
fn rule_for(patterns: &[(String, Regex)], value: &str) -> Option<String> {
    patterns
        .iter()
        .find(|(_, regex)| regex.is_match(value))
        .map(|(name, _)| format!("regex:{name}"))
}

impl masker::Guest for RegexMask {
    fn mask(
        _cx: Context,
        document: String,
        _packs: Vec<PackMeta>,
    ) -> Result<MaskOutput, PluginError> {
        let patterns =
            patterns(&config::get("patterns").unwrap_or_default()).map_err(PluginError::Failed)?;
        mask::mask_document(
            &document,
            |_pack| true,
            |_pack, scalar| rule_for(&patterns, &scalar.value),
            |variable| rule_for(&patterns, variable.default_value.as_deref()?),
        )
        .map_err(PluginError::InvalidInput)
    }
}

export_masker!(RegexMask);
ferry_plugin_api::single_call_allocator!();

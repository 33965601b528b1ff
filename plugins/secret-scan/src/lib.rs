//! The built-in secret scanner: masks what Palette's own rules miss (see
//! `ferry_plugin_api::scan` for the rules). Runs after `palette-mask`; the policy's
//! `[plugins.secret-scan] config = { allow = "..." }` lists values to leave in clear.

use ferry_plugin_api::types::{Context, MaskOutput, PackMeta, PluginError};
use ferry_plugin_api::{config, export_masker, log, masker, scan};

struct SecretScan;

impl masker::Guest for SecretScan {
    fn mask(
        _cx: Context,
        document: String,
        _packs: Vec<PackMeta>,
    ) -> Result<MaskOutput, PluginError> {
        let allow = scan::AllowList::parse(&config::get("allow").unwrap_or_default());
        let found = scan::scan(&document, &allow).map_err(PluginError::InvalidInput)?;
        // Where and why, never the value: the log is not sealed.
        for m in &found.output.masked {
            log::log(
                log::Level::Debug,
                &format!("masked {} {} ({})", m.pointer, m.key, m.rule),
            );
        }
        for a in &found.allowed {
            log::log(
                log::Level::Debug,
                &format!("allowed by policy: {} {} ({})", a.pointer, a.key, a.rule),
            );
        }
        log::log(
            log::Level::Debug,
            &format!("masked {} value(s)", found.output.masked.len()),
        );
        Ok(found.output)
    }
}

export_masker!(SecretScan);

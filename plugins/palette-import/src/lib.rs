//! The built-in importer: creates the profile in the target environment, published when its
//! config says `publish = "true"`. The logic is `ferry_plugin_api::import`, tested there.

use ferry_plugin_api::types::{Context, ImportOutput, PluginError};
use ferry_plugin_api::{api, config, export_importer, import, importer, log};

struct PaletteImport;

impl importer::Guest for PaletteImport {
    fn import(cx: Context, env: String, document: String) -> Result<ImportOutput, PluginError> {
        let publish = config::get("publish").is_some_and(|v| v.trim() == "true");
        let out = import::import(
            &api::Host { env: &env },
            cx.dry_run,
            &env,
            document,
            publish,
        )?;
        // Debug: the host reports the import to the user itself.
        log::log(
            log::Level::Debug,
            &format!("imported into {env} as {}", out.uid),
        );
        Ok(out)
    }
}

export_importer!(PaletteImport);

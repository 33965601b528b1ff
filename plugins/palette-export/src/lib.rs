//! The built-in exporter: finds the profile (uid, or name and version, else its highest version),
//! returns Palette's export document byte for byte and each pack's schema. The logic is
//! `ferry_plugin_api::export`, tested there.

use ferry_plugin_api::types::{Context, ExportOutput, PluginError, ProfileRef};
use ferry_plugin_api::{api, export, export_exporter, exporter, log};

struct PaletteExport;

impl exporter::Guest for PaletteExport {
    fn export(_cx: Context, env: String, profile: ProfileRef) -> Result<ExportOutput, PluginError> {
        let out = export::export(&api::Host { env: &env }, &profile)?;
        log::log(
            log::Level::Debug,
            &format!(
                "exported {} bytes, {} pack schema(s)",
                out.document.len(),
                out.packs.len()
            ),
        );
        Ok(out)
    }
}

export_exporter!(PaletteExport);

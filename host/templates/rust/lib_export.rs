//! An exporter: reads a profile's export from Palette by uid (needs palette-api:read; ferry adds
//! the credentials, the plugin never sees a key).

use ferry_plugin_api::palette_api::{self, Request};
use ferry_plugin_api::types::{Context, ExportOutput, PluginError, ProfileRef};
use ferry_plugin_api::exporter;

// Built natively for `cargo test`, where the component's exports are left out.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Plugin;

pub fn request(profile: &ProfileRef) -> Result<Request, String> {
    let uid = profile.uid.as_deref().ok_or("this exporter takes the profile by uid: --uid UID")?;
    Ok(Request {
        method: "GET".into(),
        path: format!("/v1/clusterprofiles/{uid}/export"),
        query: vec![("format".into(), "json".into())],
        body: None,
    })
}

impl exporter::Guest for Plugin {
    fn export(_cx: Context, env: String, profile: ProfileRef) -> Result<ExportOutput, PluginError> {
        let req = request(&profile).map_err(PluginError::InvalidInput)?;
        let resp = palette_api::send(&env, &req).map_err(PluginError::Failed)?;
        if resp.status != 200 {
            return Err(PluginError::Failed(format!("Palette answered {}: {}", resp.status, resp.body)));
        }
        Ok(ExportOutput { document: resp.body, packs: vec![] })
    }
}

#[cfg(target_arch = "wasm32")]
ferry_plugin_api::export_exporter!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_profile() {
        let by_uid = ProfileRef { name: String::new(), version: None, uid: Some("abc".into()) };
        assert_eq!(request(&by_uid).unwrap().path, "/v1/clusterprofiles/abc/export");
        let by_name = ProfileRef { name: "web".into(), version: None, uid: None };
        assert!(request(&by_name).is_err());
    }
}

//! The crate a ferry plugin author depends on.
//!
//! - [`bindings`]: the `ferry:plugin` contract, generated once and shared by every step world, with an
//!   export macro per step: [`export_masker!`], [`export_validator!`], [`export_approver!`],
//!   [`export_exporter!`], [`export_importer!`].
//! - [`document`]: a serde model of Palette's export document that keeps fields it does not know.
//! - [`values`]: find scalars in a pack's values YAML by dotted path (`a.b.$[].c`) and edit them in place.
//! - [`schema`]: Palette's pack schema mini-language (`{{ required | format "${password}" }}`).
//! - [`refs`]: `{{.spectro.macro|var|system|pack.NAME}}` references in a text.
//! - [`mask`]: Palette's own masking rules, the logic behind the built-in masker.
//! - [`finding`]: short builders for findings.
//!
//! A masker in Rust:
//!
//! ```ignore
//! use ferry_plugin_api::{export_masker, masker::Guest, types::*};
//! struct Mine;
//! impl Guest for Mine {
//!     fn mask(cx: Context, document: String, packs: Vec<PackMeta>) -> Result<MaskOutput, PluginError> {
//!         /* ... */
//!     }
//! }
//! export_masker!(Mine);
//! ```

pub mod document;
pub mod finding;
pub mod mask;
pub mod refs;
pub mod schema;
pub mod values;

/// The contract version this crate was built from: the `@x.y.z` of `package ferry:plugin`.
pub const CONTRACT_VERSION: &str = "1.0.0";

/// Generated bindings. Host interfaces and shared types come from the `sdk` world; each step
/// world reuses them so a `Finding` is the same type whichever step produced it.
pub mod bindings {
    wit_bindgen::generate!({
        world: "sdk",
        path: "../wit",
        generate_all,
    });

    /// One step world: generates only its export, reusing the shared imports above.
    macro_rules! step_world {
        ($module:ident, $world:literal, $macro_name:literal, $bindings:literal, { $($with:tt)* }) => {
            pub mod $module {
                wit_bindgen::generate!({
                    world: $world,
                    path: "../wit",
                    with: {
                        "ferry:plugin/types@1.0.0": crate::bindings::ferry::plugin::types,
                        "ferry:plugin/log@1.0.0": crate::bindings::ferry::plugin::log,
                        "ferry:plugin/config@1.0.0": crate::bindings::ferry::plugin::config,
                        $($with)*
                    },
                    pub_export_macro: true,
                    export_macro_name: $macro_name,
                    default_bindings_module: $bindings,
                });
            }
        };
    }

    step_world!(
        masker,
        "masker-plugin",
        "export_masker",
        "ferry_plugin_api::bindings::masker",
        {}
    );
    step_world!(validator, "validator-plugin", "export_validator", "ferry_plugin_api::bindings::validator", {
        "ferry:plugin/palette-api@1.0.0": crate::bindings::ferry::plugin::palette_api,
        "ferry:plugin/http@1.0.0": crate::bindings::ferry::plugin::http,
    });
    step_world!(approver, "approver-plugin", "export_approver", "ferry_plugin_api::bindings::approver", {
        "ferry:plugin/http@1.0.0": crate::bindings::ferry::plugin::http,
    });
    step_world!(exporter, "exporter-plugin", "export_exporter", "ferry_plugin_api::bindings::exporter", {
        "ferry:plugin/palette-api@1.0.0": crate::bindings::ferry::plugin::palette_api,
        "ferry:plugin/http@1.0.0": crate::bindings::ferry::plugin::http,
    });
    step_world!(importer, "importer-plugin", "export_importer", "ferry_plugin_api::bindings::importer", {
        "ferry:plugin/palette-api@1.0.0": crate::bindings::ferry::plugin::palette_api,
    });
}

pub use bindings::approver::export_approver;
pub use bindings::exporter::export_exporter;
pub use bindings::ferry::plugin::{config, http, log, palette_api, types};
pub use bindings::importer::export_importer;
pub use bindings::masker::export_masker;
pub use bindings::validator::export_validator;

/// The trait a masker implements.
pub mod masker {
    pub use crate::bindings::masker::exports::ferry::plugin::masker::Guest;
}
/// The trait a validator implements.
pub mod validator {
    pub use crate::bindings::validator::exports::ferry::plugin::validator::Guest;
}
/// The trait an approver implements.
pub mod approver {
    pub use crate::bindings::approver::exports::ferry::plugin::approver::Guest;
}
/// The trait an exporter implements.
pub mod exporter {
    pub use crate::bindings::exporter::exports::ferry::plugin::exporter::Guest;
}
/// The trait an importer implements.
pub mod importer {
    pub use crate::bindings::importer::exports::ferry::plugin::importer::Guest;
}

//! ferry:plugin@1.1.0, the newest contract (`wit/ferry-plugin.wit`): the types every caller of
//! the runtime sees. The shared interfaces come from the `sdk` world; each step world reuses them,
//! so a `Finding` is one type whichever step produced it.

use wasmtime::Store;
use wasmtime::component::InstancePre;

use super::{Call, Pres, StepExports, serving};
use crate::runtime::host::State;
use crate::runtime::manifest::Step;

/// The version of this module's WIT (its `package` line; a test checks they agree).
pub const VERSION: &str = "1.1.0";

wasmtime::component::bindgen!({
    world: "sdk",
    path: "../wit",
});

pub use self::ferry::plugin::{config, http, log, palette_api, types};

pub mod masker {
    wasmtime::component::bindgen!({
        world: "masker-plugin",
        path: "../wit",
        with: {
            "ferry:plugin/types": super::types,
            "ferry:plugin/log": super::log,
            "ferry:plugin/config": super::config,
        },
    });
}

pub mod validator {
    wasmtime::component::bindgen!({
        world: "validator-plugin",
        path: "../wit",
        with: {
            "ferry:plugin/types": super::types,
            "ferry:plugin/log": super::log,
            "ferry:plugin/config": super::config,
            "ferry:plugin/palette-api": super::palette_api,
            "ferry:plugin/http": super::http,
        },
    });
}

/// The optional `explainer` export (a validator's finding codes, explained).
pub mod explainer {
    wasmtime::component::bindgen!({
        world: "explainer-plugin",
        path: "../wit",
    });
}

pub mod approver {
    wasmtime::component::bindgen!({
        world: "approver-plugin",
        path: "../wit",
        with: {
            "ferry:plugin/types": super::types,
            "ferry:plugin/log": super::log,
            "ferry:plugin/config": super::config,
            "ferry:plugin/http": super::http,
        },
    });
}

pub mod exporter {
    wasmtime::component::bindgen!({
        world: "exporter-plugin",
        path: "../wit",
        with: {
            "ferry:plugin/types": super::types,
            "ferry:plugin/log": super::log,
            "ferry:plugin/config": super::config,
            "ferry:plugin/palette-api": super::palette_api,
            "ferry:plugin/http": super::http,
        },
    });
}

pub mod importer {
    wasmtime::component::bindgen!({
        world: "importer-plugin",
        path: "../wit",
        with: {
            "ferry:plugin/types": super::types,
            "ferry:plugin/log": super::log,
            "ferry:plugin/config": super::config,
            "ferry:plugin/palette-api": super::palette_api,
        },
    });
}

/// Each step's typed `InstancePre`.
type StepPres = Pres<
    masker::MaskerPluginPre<State>,
    validator::ValidatorPluginPre<State>,
    approver::ApproverPluginPre<State>,
    exporter::ExporterPluginPre<State>,
    importer::ImporterPluginPre<State>,
>;

/// A 1.1.0 component's step exports: called as they are, no conversion.
pub struct Exports(
    StepPres,
    /// A validator's `explainer`, when it exports one (it is optional).
    Option<explainer::ExplainerPluginPre<State>>,
);

impl Exports {
    pub fn new(steps: &[Step], pre: &InstancePre<State>) -> wasmtime::Result<Exports> {
        let explainer = steps
            .contains(&Step::Validate)
            .then(|| explainer::ExplainerPluginPre::new(pre.clone()).ok())
            .flatten();
        Ok(Exports(
            Pres::new(
                steps,
                pre,
                masker::MaskerPluginPre::new,
                validator::ValidatorPluginPre::new,
                approver::ApproverPluginPre::new,
                exporter::ExporterPluginPre::new,
                importer::ImporterPluginPre::new,
            )?,
            explainer,
        ))
    }
}

impl StepExports for Exports {
    fn version(&self) -> &'static str {
        VERSION
    }

    fn mask(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        document: &str,
        packs: &[types::PackMeta],
    ) -> Call<types::MaskOutput> {
        serving(&self.0.masker, Step::Mask)?
            .instantiate(&mut *store)?
            .ferry_plugin_masker()
            .call_mask(store, cx, document, packs)
    }

    fn validate(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        document: &str,
        packs: &[types::PackMeta],
    ) -> Call<Vec<types::Finding>> {
        serving(&self.0.validator, Step::Validate)?
            .instantiate(&mut *store)?
            .ferry_plugin_validator()
            .call_validate(store, cx, document, packs)
    }

    fn approve(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        document: &str,
        findings: &[types::Finding],
    ) -> Call<types::Decision> {
        serving(&self.0.approver, Step::Approve)?
            .instantiate(&mut *store)?
            .ferry_plugin_approver()
            .call_approve(store, cx, document, findings)
    }

    fn export(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        env: &str,
        profile: &types::ProfileRef,
    ) -> Call<types::ExportOutput> {
        serving(&self.0.exporter, Step::Export)?
            .instantiate(&mut *store)?
            .ferry_plugin_exporter()
            .call_export(store, cx, env, profile)
    }

    fn import(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        env: &str,
        document: &str,
    ) -> Call<types::ImportOutput> {
        serving(&self.0.importer, Step::Import)?
            .instantiate(&mut *store)?
            .ferry_plugin_importer()
            .call_import(store, cx, env, document)
    }

    fn explains(&self) -> Result<(), String> {
        match &self.1 {
            Some(_) => Ok(()),
            None => Err(
                "it does not export ferry:plugin/explainer; a validator that also exports it (world explained-validator-plugin, or `export_explainer!` with the SDK) explains its codes"
                    .into(),
            ),
        }
    }

    fn explain(&self, store: &mut Store<State>, code: &str) -> wasmtime::Result<Option<String>> {
        let pre = self
            .1
            .as_ref()
            .ok_or_else(|| wasmtime::Error::msg(self.explains().unwrap_err()))?;
        pre.instantiate(&mut *store)?
            .ferry_plugin_explainer()
            .call_explain(store, code)
    }
}

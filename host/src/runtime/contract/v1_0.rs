//! ferry:plugin@1.0.0 (`wit/1.0.0/`, frozen): its own bindings, so a 1.0.0 component's exports
//! are type-checked against what it was built for, and conversions between its types and the
//! newest. What it lacks converts to nothing: its findings carry no `fix`.
//!
//! The host interfaces (`log`, `config`, `palette-api`, `http`) are the newest ones: they are
//! unchanged since 1.0.0, and the linker serves `log@1.0.0` from `log@1.1.0`.

use wasmtime::Store;
use wasmtime::component::InstancePre;

use super::newest::types as new;
use super::{Call, Pres, StepExports, serving};
use crate::runtime::host::State;
use crate::runtime::manifest::Step;

/// The version of this module's WIT (its `package` line; a test checks they agree).
pub const VERSION: &str = "1.0.0";

wasmtime::component::bindgen!({
    world: "sdk",
    path: "../wit/1.0.0",
    with: {
        "ferry:plugin/log": super::newest::log,
        "ferry:plugin/config": super::newest::config,
        "ferry:plugin/palette-api": super::newest::palette_api,
        "ferry:plugin/http": super::newest::http,
    },
});

use self::ferry::plugin::types as old;

/// One step world of 1.0.0: its export, with the shared interfaces above.
macro_rules! step_world {
    ($module:ident, $world:literal, { $($with:tt)* }) => {
        pub mod $module {
            wasmtime::component::bindgen!({
                world: $world,
                path: "../wit/1.0.0",
                with: {
                    "ferry:plugin/types": super::ferry::plugin::types,
                    "ferry:plugin/log": super::super::newest::log,
                    "ferry:plugin/config": super::super::newest::config,
                    $($with)*
                },
            });
        }
    };
}

step_world!(masker, "masker-plugin", {});
step_world!(validator, "validator-plugin", {
    "ferry:plugin/palette-api": super::super::newest::palette_api,
    "ferry:plugin/http": super::super::newest::http,
});
step_world!(approver, "approver-plugin", {
    "ferry:plugin/http": super::super::newest::http,
});
step_world!(exporter, "exporter-plugin", {
    "ferry:plugin/palette-api": super::super::newest::palette_api,
    "ferry:plugin/http": super::super::newest::http,
});
step_world!(importer, "importer-plugin", {
    "ferry:plugin/palette-api": super::super::newest::palette_api,
});

/// Each step's typed `InstancePre`.
type StepPres = Pres<
    masker::MaskerPluginPre<State>,
    validator::ValidatorPluginPre<State>,
    approver::ApproverPluginPre<State>,
    exporter::ExporterPluginPre<State>,
    importer::ImporterPluginPre<State>,
>;

/// A 1.0.0 component's step exports, called through the conversions below.
pub struct Exports(StepPres);

impl Exports {
    pub fn new(steps: &[Step], pre: &InstancePre<State>) -> wasmtime::Result<Exports> {
        Ok(Exports(Pres::new(
            steps,
            pre,
            masker::MaskerPluginPre::new,
            validator::ValidatorPluginPre::new,
            approver::ApproverPluginPre::new,
            exporter::ExporterPluginPre::new,
            importer::ImporterPluginPre::new,
        )?))
    }
}

/// A call's answer in the newest types.
fn into_newest<R, N: From<R>>(result: wasmtime::Result<Result<R, old::PluginError>>) -> Call<N> {
    result.map(|r| r.map(N::from).map_err(new::PluginError::from))
}

impl StepExports for Exports {
    fn version(&self) -> &'static str {
        VERSION
    }

    fn mask(
        &self,
        store: &mut Store<State>,
        cx: &new::Context,
        document: &str,
        packs: &[new::PackMeta],
    ) -> Call<new::MaskOutput> {
        let pre = serving(&self.0.masker, Step::Mask)?;
        let packs = packs_of(packs);
        into_newest(
            pre.instantiate(&mut *store)?
                .ferry_plugin_masker()
                .call_mask(store, &context(cx), document, &packs),
        )
    }

    fn validate(
        &self,
        store: &mut Store<State>,
        cx: &new::Context,
        document: &str,
        packs: &[new::PackMeta],
    ) -> Call<Vec<new::Finding>> {
        let pre = serving(&self.0.validator, Step::Validate)?;
        let packs = packs_of(packs);
        let result = pre
            .instantiate(&mut *store)?
            .ferry_plugin_validator()
            .call_validate(store, &context(cx), document, &packs);
        result.map(|r| {
            r.map(|found| found.into_iter().map(new::Finding::from).collect())
                .map_err(new::PluginError::from)
        })
    }

    fn approve(
        &self,
        store: &mut Store<State>,
        cx: &new::Context,
        document: &str,
        findings: &[new::Finding],
    ) -> Call<new::Decision> {
        let pre = serving(&self.0.approver, Step::Approve)?;
        let findings: Vec<old::Finding> = findings.iter().map(finding_of).collect();
        into_newest(
            pre.instantiate(&mut *store)?
                .ferry_plugin_approver()
                .call_approve(store, &context(cx), document, &findings),
        )
    }

    fn export(
        &self,
        store: &mut Store<State>,
        cx: &new::Context,
        env: &str,
        profile: &new::ProfileRef,
    ) -> Call<new::ExportOutput> {
        let pre = serving(&self.0.exporter, Step::Export)?;
        let profile = old::ProfileRef {
            name: profile.name.clone(),
            version: profile.version.clone(),
            uid: profile.uid.clone(),
        };
        into_newest(
            pre.instantiate(&mut *store)?
                .ferry_plugin_exporter()
                .call_export(store, &context(cx), env, &profile),
        )
    }

    fn import(
        &self,
        store: &mut Store<State>,
        cx: &new::Context,
        env: &str,
        document: &str,
    ) -> Call<new::ImportOutput> {
        let pre = serving(&self.0.importer, Step::Import)?;
        into_newest(
            pre.instantiate(&mut *store)?
                .ferry_plugin_importer()
                .call_import(store, &context(cx), env, document),
        )
    }

    fn explains(&self) -> Result<(), String> {
        Err(format!(
            "explaining finding codes is not available before ferry:plugin@1.1.0, and this plugin was built for {VERSION}; rebuild it against ferry:plugin@{} as a validator that also exports `explainer` (docs/PLUGINS.md, Contract versions)",
            super::newest::VERSION
        ))
    }

    fn explain(&self, _store: &mut Store<State>, _code: &str) -> wasmtime::Result<Option<String>> {
        Err(wasmtime::Error::msg(self.explains().unwrap_err()))
    }
}

// Into 1.0.0: what the host passes to a call. Small records, copied per call.

fn context(cx: &new::Context) -> old::Context {
    old::Context {
        run_id: cx.run_id.clone(),
        step: cx.step.clone(),
        source_env: cx.source_env.clone(),
        target_env: cx.target_env.clone(),
        dry_run: cx.dry_run,
    }
}

fn packs_of(packs: &[new::PackMeta]) -> Vec<old::PackMeta> {
    packs
        .iter()
        .map(|p| old::PackMeta {
            name: p.name.clone(),
            tag: p.tag.clone(),
            schema: p
                .schema
                .iter()
                .map(|f| old::SchemaField {
                    name: f.name.clone(),
                    format: f.format.clone(),
                    required: f.required,
                    readonly: f.readonly,
                    regex: f.regex.clone(),
                    hints: f.hints.clone(),
                    list_options: f.list_options.clone(),
                })
                .collect(),
        })
        .collect()
}

/// A finding handed to a 1.0.0 approver: its `fix` has no place there (its hint stays).
fn finding_of(f: &new::Finding) -> old::Finding {
    old::Finding {
        severity: match f.severity {
            new::Severity::Info => old::Severity::Info,
            new::Severity::Warning => old::Severity::Warning,
            new::Severity::Error => old::Severity::Error,
        },
        code: f.code.clone(),
        message: f.message.clone(),
        path: f.path.clone(),
        yaml_path: f.yaml_path.clone(),
        subject: f.subject.as_ref().map(|s| match s {
            new::Subject::Macro(n) => old::Subject::Macro(n.clone()),
            new::Subject::Variable(n) => old::Subject::Variable(n.clone()),
            new::Subject::Pack(n) => old::Subject::Pack(n.clone()),
            new::Subject::Registry(n) => old::Subject::Registry(n.clone()),
            new::Subject::Profile(n) => old::Subject::Profile(n.clone()),
        }),
        hint: f.hint.clone(),
    }
}

// Out of 1.0.0: what a call returns, moved (not copied) into the newest types.

impl From<old::Finding> for new::Finding {
    fn from(f: old::Finding) -> Self {
        new::Finding {
            severity: match f.severity {
                old::Severity::Info => new::Severity::Info,
                old::Severity::Warning => new::Severity::Warning,
                old::Severity::Error => new::Severity::Error,
            },
            code: f.code,
            message: f.message,
            path: f.path,
            yaml_path: f.yaml_path,
            subject: f.subject.map(|s| match s {
                old::Subject::Macro(n) => new::Subject::Macro(n),
                old::Subject::Variable(n) => new::Subject::Variable(n),
                old::Subject::Pack(n) => new::Subject::Pack(n),
                old::Subject::Registry(n) => new::Subject::Registry(n),
                old::Subject::Profile(n) => new::Subject::Profile(n),
            }),
            hint: f.hint,
            // 1.0.0 has no structured fix.
            fix: None,
        }
    }
}

impl From<old::PluginError> for new::PluginError {
    fn from(e: old::PluginError) -> Self {
        match e {
            old::PluginError::InvalidInput(m) => new::PluginError::InvalidInput(m),
            old::PluginError::Denied(m) => new::PluginError::Denied(m),
            old::PluginError::Failed(m) => new::PluginError::Failed(m),
        }
    }
}

impl From<old::Decision> for new::Decision {
    fn from(d: old::Decision) -> Self {
        match d {
            old::Decision::Approve => new::Decision::Approve,
            old::Decision::Deny(m) => new::Decision::Deny(m),
            old::Decision::NeedsReview(m) => new::Decision::NeedsReview(m),
        }
    }
}

impl From<old::MaskOutput> for new::MaskOutput {
    fn from(o: old::MaskOutput) -> Self {
        new::MaskOutput {
            document: o.document,
            masked: o
                .masked
                .into_iter()
                .map(|m| new::MaskedValue {
                    pointer: m.pointer,
                    key: m.key,
                    value: m.value,
                    rule: m.rule,
                })
                .collect(),
        }
    }
}

impl From<old::ExportOutput> for new::ExportOutput {
    fn from(o: old::ExportOutput) -> Self {
        new::ExportOutput {
            document: o.document,
            packs: o
                .packs
                .into_iter()
                .map(|p| new::PackMeta {
                    name: p.name,
                    tag: p.tag,
                    schema: p
                        .schema
                        .into_iter()
                        .map(|f| new::SchemaField {
                            name: f.name,
                            format: f.format,
                            required: f.required,
                            readonly: f.readonly,
                            regex: f.regex,
                            hints: f.hints,
                            list_options: f.list_options,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<old::ImportOutput> for new::ImportOutput {
    fn from(o: old::ImportOutput) -> Self {
        new::ImportOutput {
            uid: o.uid,
            findings: o.findings.into_iter().map(new::Finding::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_crosses_to_1_0_and_back_with_everything_but_its_fix() {
        let finding = new::Finding {
            severity: new::Severity::Error,
            code: "pack-missing".into(),
            message: "istio 1.6.2 is not in dst".into(),
            path: Some("/spec/template/packs/0".into()),
            yaml_path: None,
            subject: Some(new::Subject::Pack("istio@1.6.2".into())),
            hint: Some("take it from the registry that holds it".into()),
            fix: Some(new::Fix {
                args: vec!["--pack-map".into(), "istio@1.6.2=Corp Mirror".into()],
            }),
        };
        let back = new::Finding::from(finding_of(&finding));
        assert!(back.fix.is_none());
        assert_eq!(
            format!("{back:?}"),
            format!(
                "{:?}",
                new::Finding {
                    fix: None,
                    ..finding
                }
            )
        );
    }
}

//! The contract versions this ferry runs, one module each: its own bindings over its frozen WIT
//! (`wit/X.Y.Z/`; the newest is `wit/ferry-plugin.wit`) and its step calls, converted into the
//! newest types. The runtime picks the module from the version of the step interfaces a component
//! exports; everything above it sees only the newest types ([`newest`], re-exported as
//! `runtime::bindings`).
//!
//! wasmtime serves a 1.0.0 component's imports (`log@1.0.0`...) from the newest host interfaces
//! by semver, so those never change within a major; the step interfaces and the records they
//! exchange may grow in a minor, because each version's exports are read with its own bindings.

pub mod v1_0;
pub mod v1_1;

pub use v1_1 as newest;

use semver::Version;
use wasmtime::Store;
use wasmtime::component::InstancePre;

use super::host::State;
use super::manifest::Step;
use newest::types;

/// What a step call returns: a trap or host error, else the plugin's own answer.
pub type Call<R> = wasmtime::Result<Result<R, types::PluginError>>;

/// A component's step exports, called in the newest types whichever version it was built for.
pub trait StepExports: Send + Sync {
    /// The contract version the component was built for.
    fn version(&self) -> &'static str;
    fn mask(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        document: &str,
        packs: &[types::PackMeta],
    ) -> Call<types::MaskOutput>;
    fn validate(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        document: &str,
        packs: &[types::PackMeta],
    ) -> Call<Vec<types::Finding>>;
    fn approve(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        document: &str,
        findings: &[types::Finding],
    ) -> Call<types::Decision>;
    fn export(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        env: &str,
        profile: &types::ProfileRef,
    ) -> Call<types::ExportOutput>;
    fn import(
        &self,
        store: &mut Store<State>,
        cx: &types::Context,
        env: &str,
        document: &str,
    ) -> Call<types::ImportOutput>;
    /// Whether it can explain its finding codes (`explainer`, since 1.1.0), or why not and
    /// what to do.
    fn explains(&self) -> Result<(), String>;
    /// What a finding code means; call only when [`StepExports::explains`].
    fn explain(&self, store: &mut Store<State>, code: &str) -> wasmtime::Result<Option<String>>;
}

/// The typed `InstancePre` of each step a component serves, for one contract version.
pub struct Pres<M, V, A, E, I> {
    pub masker: Option<M>,
    pub validator: Option<V>,
    pub approver: Option<A>,
    pub exporter: Option<E>,
    pub importer: Option<I>,
}

impl<M, V, A, E, I> Pres<M, V, A, E, I> {
    /// Each step in `steps`, made by its constructor from the linked component.
    pub fn new(
        steps: &[Step],
        pre: &InstancePre<State>,
        masker: fn(InstancePre<State>) -> wasmtime::Result<M>,
        validator: fn(InstancePre<State>) -> wasmtime::Result<V>,
        approver: fn(InstancePre<State>) -> wasmtime::Result<A>,
        exporter: fn(InstancePre<State>) -> wasmtime::Result<E>,
        importer: fn(InstancePre<State>) -> wasmtime::Result<I>,
    ) -> wasmtime::Result<Self> {
        let mut pres = Pres {
            masker: None,
            validator: None,
            approver: None,
            exporter: None,
            importer: None,
        };
        for step in steps {
            match step {
                Step::Mask => pres.masker = Some(masker(pre.clone())?),
                Step::Validate => pres.validator = Some(validator(pre.clone())?),
                Step::Approve => pres.approver = Some(approver(pre.clone())?),
                Step::Export => pres.exporter = Some(exporter(pre.clone())?),
                Step::Import => pres.importer = Some(importer(pre.clone())?),
            }
        }
        Ok(pres)
    }
}

/// The `InstancePre` of a step the component serves; the runtime checks that before calling.
pub fn serving<P>(pre: &Option<P>, step: Step) -> wasmtime::Result<&P> {
    pre.as_ref()
        .ok_or_else(|| wasmtime::Error::msg(format!("the component does not serve step '{step}'")))
}

/// The contract version a component was built for: the version of the step interfaces it
/// exports (`ferry:plugin/masker@1.0.0`). Every step its manifest lists must be exported, all
/// of one version.
pub fn of_component(exports: &[String], steps: &[Step]) -> Result<Version, ContractError> {
    let mut found: Option<(Version, &str)> = None;
    for step in steps {
        let export = exports
            .iter()
            .find(|e| e.split('@').next() == Some(step.interface()))
            .ok_or_else(|| ContractError::Missing {
                message: format!(
                    "its manifest says it serves step '{step}', but the component does not export {}; it exports: {}",
                    step.interface(),
                    exports.join(", ")
                ),
            })?;
        let version = export
            .split_once('@')
            .and_then(|(_, v)| Version::parse(v).ok())
            .ok_or_else(|| ContractError::Incompatible {
                message: format!(
                    "it exports {export} without a contract version; rebuild it against ferry's wit/ (package ferry:plugin@{})",
                    newest::VERSION
                ),
            })?;
        match &found {
            Some((first, first_export)) if *first != version => {
                return Err(ContractError::Incompatible {
                    message: format!(
                        "it exports {first_export} and {export}: one component is built against one contract version; rebuild it against ferry:plugin@{}",
                        newest::VERSION
                    ),
                });
            }
            Some(_) => {}
            None => found = Some((version, export)),
        }
    }
    found
        .map(|(version, _)| version)
        .ok_or_else(|| ContractError::Missing {
            message: "its manifest lists no step".into(),
        })
}

/// Why a component's contract cannot be told or is not one this ferry runs.
#[derive(Debug)]
pub enum ContractError {
    /// It does not export what its manifest says.
    Missing { message: String },
    /// A version this ferry does not run, or none.
    Incompatible { message: String },
}

/// The step calls of a component built for `version`, linked as `pre`. `version` has passed
/// [`super::manifest::check_contract`]: same major, a minor this ferry knows.
pub fn step_exports(
    version: &Version,
    steps: &[Step],
    pre: &InstancePre<State>,
) -> wasmtime::Result<Box<dyn StepExports>> {
    match (version.major, version.minor) {
        (1, 0) => Ok(Box::new(v1_0::Exports::new(steps, pre)?)),
        (1, 1) => Ok(Box::new(v1_1::Exports::new(steps, pre)?)),
        _ => Err(wasmtime::Error::msg(format!(
            "no bindings for ferry:plugin@{version} (a check let it through)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The package line of a WIT file.
    fn package_of(wit: &str) -> &str {
        wit.lines()
            .find_map(|l| l.strip_prefix("package ferry:plugin@"))
            .and_then(|l| l.strip_suffix(';'))
            .expect("a package line")
    }

    #[test]
    fn each_module_is_the_version_of_its_wit() {
        assert_eq!(
            package_of(include_str!("../../../../wit/1.0.0/ferry-plugin.wit")),
            v1_0::VERSION
        );
        assert_eq!(
            package_of(include_str!("../../../../wit/ferry-plugin.wit")),
            newest::VERSION
        );
        assert_eq!(newest::VERSION, super::super::manifest::HOST_CONTRACT);
    }

    #[test]
    fn a_published_contract_never_changes() {
        // wit/1.0.0 is what 1.0.0 plugins were built against: editing it would make ferry read
        // their exports with bindings they were not built for. A new version goes beside it.
        let frozen = include_bytes!("../../../../wit/1.0.0/ferry-plugin.wit");
        assert_eq!(
            crate::runtime::catalog::sha256_hex(frozen),
            "ab6456b37d751fb22014cde7e14584ba9e68a5f940ca11e49f9380af45fe46e9",
            "wit/1.0.0/ferry-plugin.wit was edited; put the change in wit/ferry-plugin.wit (the next version)"
        );
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_version_comes_from_the_step_exports() {
        let exports = names(&["ferry:plugin/masker@1.0.0", "wasi:cli/run@0.2.0"]);
        assert_eq!(
            of_component(&exports, &[Step::Mask]).unwrap(),
            Version::new(1, 0, 0)
        );
        let Err(ContractError::Missing { message }) = of_component(&exports, &[Step::Validate])
        else {
            panic!("a step not exported");
        };
        assert!(
            message.contains("does not export ferry:plugin/validator"),
            "{message}"
        );
        let mixed = names(&["ferry:plugin/masker@1.0.0", "ferry:plugin/validator@1.1.0"]);
        let Err(ContractError::Incompatible { message }) =
            of_component(&mixed, &[Step::Mask, Step::Validate])
        else {
            panic!("two versions in one component");
        };
        assert!(message.contains("one contract version"), "{message}");
    }
}

//! A loaded plugin and its calls: one fresh `Store` per call, with the plugin's memory cap,
//! deadline and output cap, and failures turned into [`PluginFailure`]s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, Store, Trap};

use super::Runtime;
use super::bindings::{self, types};
use super::cache::Outcome;
use super::catalog::{Entry, Origin};
use super::contract::{self, Call, ContractError, StepExports};
use super::error::{FailureKind, PluginFailure};
use super::host::{CallInfo, CallSetup, HttpGrant, PaletteGrant, Refusal, Refused, State};
use super::imports;
use super::limits::Limits;
use super::manifest::{self, Capability, Manifest, Step};
use super::palette_access::CallScope;

/// A plugin ready to run: compiled, checked and linked.
pub struct Plugin {
    pub manifest: Manifest,
    pub sha256: String,
    pub origin: Origin,
    pub limits: Limits,
    /// The capabilities it runs with: requested by its manifest and granted.
    pub grants: Vec<Capability>,
    /// Whether loading compiled it or found it in the cache.
    pub outcome: Outcome,
    /// What the component imports and exports, as interface names.
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    engine: Engine,
    slots: Arc<super::pool::CallSlots>,
    setup: CallSetup,
    /// Its step calls, through the bindings of the contract version it was built for.
    steps: Box<dyn StepExports>,
}

fn failure(manifest: &Manifest, step: &str, kind: FailureKind) -> PluginFailure {
    PluginFailure {
        plugin: manifest.id.clone(),
        version: manifest.version.to_string(),
        step: step.to_string(),
        kind,
    }
}

pub(super) fn load(rt: &Runtime, entry: &Entry) -> Result<Plugin, PluginFailure> {
    let m = &entry.manifest;
    let steps: Vec<&str> = m.steps.iter().map(|s| s.name()).collect();
    let step_names = steps.join(",");
    let fail = |kind| failure(m, &step_names, kind);

    // The manifest's word first (when it gives one): refused before anything is read or compiled.
    m.check_contract()
        .map_err(|message| fail(FailureKind::Incompatible { message }))?;
    let wasm = entry.wasm().map_err(|e| {
        fail(FailureKind::Load {
            message: format!("{e:#}"),
        })
    })?;
    // The policy's word before compiling: pins and signature (over the digest just checked).
    rt.policy()
        .admit(entry)
        .map_err(|message| fail(FailureKind::Untrusted { message }))?;
    // Imports ferry will never link, and the contract version, are read from the binary before
    // anything is compiled.
    let (imports, exports) = imports::component_interfaces(&wasm).map_err(|e| {
        fail(FailureKind::Load {
            message: format!("not a WebAssembly component ferry can run: {e:#}"),
        })
    })?;
    imports::check_provided(&imports).map_err(|message| {
        fail(FailureKind::CapabilityDenied {
            capability: unprovided(&imports),
            message,
        })
    })?;
    // The component's own word: the version of the step interfaces it exports picks the
    // bindings it runs with.
    let version = contract::of_component(&exports, &m.steps).map_err(|e| {
        fail(match e {
            ContractError::Missing { message } => FailureKind::Load { message },
            ContractError::Incompatible { message } => FailureKind::Incompatible { message },
        })
    })?;
    manifest::check_contract(&version)
        .map_err(|message| fail(FailureKind::Incompatible { message }))?;
    m.check_claim(&version)
        .map_err(|message| fail(FailureKind::Incompatible { message }))?;
    let (component, outcome) = rt
        .cache()
        .load(
            rt.engine(),
            &wasm,
            &entry.sha256,
            &format!("{} {}", m.id, m.version),
        )
        .map_err(|e| {
            fail(FailureKind::Load {
                message: format!("not a WebAssembly component ferry can run: {e:#}"),
            })
        })?;
    tracing::debug!(
        "plugin {} {}: {}",
        m.id,
        m.version,
        match outcome {
            Outcome::Cached => "loaded from the compiled cache",
            Outcome::Compiled => "compiled",
        }
    );

    let grants = rt.policy().granted(entry);
    let linker = rt.linker().map_err(|e| {
        fail(FailureKind::Load {
            message: format!("{e:#}"),
        })
    })?;
    let pre = linker.instantiate_pre(&component).map_err(|e| {
        fail(FailureKind::Load {
            message: format!("cannot link: {e:#}"),
        })
    })?;
    let steps = contract::step_exports(&version, &m.steps, &pre).map_err(|e| {
        fail(FailureKind::Load {
            message: format!("{e:#}"),
        })
    })?;

    let (limits, ignored) = rt.policy().limits(m);
    if !ignored.is_empty() {
        tracing::warn!(
            "plugin {} {} asks in its manifest for {}: a manifest may only lower limits, so it runs with timeout-ms = {}, memory-mib = {}, output-mib = {}; raise them in the policy under [plugins.{}] limits if you trust it",
            m.id,
            m.version,
            ignored.join(", "),
            limits.timeout_ms,
            limits.memory_mib,
            limits.output_mib,
            m.id
        );
    }
    let setup = CallSetup {
        plugin: m.id.clone(),
        limits,
        config: Arc::new(rt.policy().config_for(&m.id)),
        palette: palette_grant(rt, &grants),
        http: http_grant(&grants),
        refused: refused(m, &grants),
    };
    Ok(Plugin {
        manifest: m.clone(),
        sha256: entry.sha256.clone(),
        origin: entry.origin,
        limits,
        grants,
        outcome,
        imports,
        exports,
        engine: rt.engine().clone(),
        slots: rt.slots.clone(),
        setup,
        steps,
    })
}

/// The capability named in a refusal of imports: the first one ferry does not provide.
fn unprovided(imports: &[String]) -> String {
    imports
        .iter()
        .find(|i| matches!(imports::provision(i), imports::Provision::Never(_)))
        .map(|i| i.split('@').next().unwrap_or(i).to_string())
        .unwrap_or_default()
}

/// WASI, `log`, `config`, `palette-api` and `http`, for every plugin. The last two answer every
/// call of a plugin not granted them with "capability … not granted" (see `host.rs`): Python and
/// JavaScript toolchains import every interface of a world, used or not, and a plugin that never
/// calls them must load without grants.
pub(super) fn linker(engine: &Engine) -> anyhow::Result<Linker<State>> {
    let mut linker = Linker::<State>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    bindings::log::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    bindings::config::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    bindings::palette_api::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    bindings::http::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// The guarded interfaces `m` is not granted, each with what every call of it will be told.
fn refused(m: &Manifest, grants: &[Capability]) -> Refused {
    let refusal = |capability: &str, interface: &str, is: fn(&Capability) -> bool| {
        if grants.iter().any(is) {
            return None;
        }
        let fix = if m.capabilities.iter().any(is) {
            format!(
                "its manifest requests it but the policy does not grant it; add it to `grants` under [plugins.{}] in the policy if you trust this plugin",
                m.id
            )
        } else {
            format!(
                "its manifest does not request it; a plugin must declare the capabilities it uses (`capabilities = [\"{capability}\"]` in ferry-plugin.toml), then the policy grants them"
            )
        };
        Some(Refusal {
            capability: capability.to_string(),
            message: format!(
                "capability {capability} not granted: it called {interface}, and {fix}"
            ),
        })
    };
    Refused {
        palette: refusal(
            "palette-api:read",
            "ferry:plugin/palette-api",
            Capability::is_palette,
        ),
        http: refusal("http", "ferry:plugin/http", Capability::is_http),
    }
}

fn palette_grant(rt: &Runtime, grants: &[Capability]) -> Option<PaletteGrant> {
    let write = grants.contains(&Capability::PaletteWrite);
    let read = write || grants.contains(&Capability::PaletteRead);
    let transport = rt.palette.clone()?;
    read.then_some(PaletteGrant { transport, write })
}

fn http_grant(grants: &[Capability]) -> Option<HttpGrant> {
    let origins: Vec<String> = grants
        .iter()
        .filter_map(|g| match g {
            Capability::Http(origin) => Some(origin.clone()),
            _ => None,
        })
        .collect();
    (!origins.is_empty()).then_some(HttpGrant { origins })
}

impl Plugin {
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    fn failure(&self, step: Step, kind: FailureKind) -> PluginFailure {
        failure(&self.manifest, step.name(), kind)
    }

    fn not_serving(&self, step: Step) -> PluginFailure {
        self.failure(
            step,
            FailureKind::Load {
                message: format!(
                    "it does not serve step '{step}' (its manifest lists: {})",
                    self.manifest
                        .steps
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        )
    }

    /// The contract version it was built for (read from its exports), which it runs with.
    pub fn contract(&self) -> &'static str {
        self.steps.version()
    }

    /// Whether this plugin serves `step`: its manifest lists it (and loading found the export).
    fn serving(&self, step: Step) -> Result<(), PluginFailure> {
        if self.manifest.steps.contains(&step) {
            Ok(())
        } else {
            Err(self.not_serving(step))
        }
    }

    /// Runs one call in a fresh store and turns whatever happens into a result or a failure.
    /// The step is the one being served, whatever `cx.step` says; `cx.dry_run` forbids writes.
    fn call<R>(
        &self,
        step: Step,
        cx: &types::Context,
        f: impl FnOnce(&mut Store<State>) -> Call<R>,
    ) -> Result<R, PluginFailure> {
        self.serving(step)?;
        // A slot of the instance pool first: the deadline counts from when the call can run (and
        // the time charged to plugin steps is the call's, not the wait).
        let _slot = self.slots.acquire();
        crate::timing::timed(crate::timing::Account::Plugin, || {
            self.call_timed(step, cx, f)
        })
    }

    fn call_timed<R>(
        &self,
        step: Step,
        cx: &types::Context,
        f: impl FnOnce(&mut Store<State>) -> Call<R>,
    ) -> Result<R, PluginFailure> {
        let call = CallInfo {
            scope: CallScope {
                step,
                dry_run: cx.dry_run,
            },
            deadline: Instant::now() + Duration::from_millis(self.limits.timeout_ms),
        };
        let mut store = Store::new(&self.engine, State::new(self.setup.clone(), call));
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(self.limits.deadline_ticks());
        store.epoch_deadline_trap();
        // wasmtime counts every byte a guest hands the host in one call (a result, a log line, a
        // request) against this fuel and stops before copying past it: that is the output cap.
        store.set_hostcall_fuel(self.limits.output_bytes());
        let result = f(&mut store);
        store.data().flush_guest_output();
        // A call that failed after being refused an ungranted interface failed for that reason,
        // whatever the guest made of the refusal.
        let refused = |said: String| {
            store
                .data()
                .refusal()
                .map(|r| FailureKind::CapabilityDenied {
                    capability: r.capability.clone(),
                    // The guest often passes the refusal on as its own message: said once.
                    message: if said.contains(&r.message) {
                        r.message.clone()
                    } else {
                        format!("{}; the plugin then failed: {said}", r.message)
                    },
                })
        };
        let kind = match result {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(err)) if store.data().refusal().is_some() => {
                refused(plugin_error_text(&err)).expect("a refusal")
            }
            Ok(Err(err)) => {
                let (error, message) = match err {
                    types::PluginError::InvalidInput(m) => ("invalid-input", m),
                    types::PluginError::Denied(m) => ("denied", m),
                    types::PluginError::Failed(m) => ("failed", m),
                };
                FailureKind::PluginError {
                    error: error.to_string(),
                    message,
                }
            }
            Err(err) if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) => {
                FailureKind::Timeout {
                    limit_ms: self.limits.timeout_ms,
                }
            }
            Err(err) if is_output_cap(&err) => FailureKind::OutputTooLarge {
                limit_mib: self.limits.output_mib,
            },
            Err(_) if store.data().limiter.memory_refused => FailureKind::OutOfMemory {
                limit_mib: self.limits.memory_mib,
            },
            Err(err) => {
                let trap = err
                    .downcast_ref::<Trap>()
                    .map_or_else(|| format!("{err:#}"), |t| t.to_string());
                // The guest's own error first: the trap is the same for every uncaught exception.
                let message = match store.data().last_error_line() {
                    Some(said) => format!("{said}; {trap}"),
                    None => trap,
                };
                refused(message.clone()).unwrap_or(FailureKind::Trap { message })
            }
        };
        Err(self.failure(step, kind))
    }

    pub fn mask(
        &self,
        cx: &types::Context,
        document: &str,
        packs: &[types::PackMeta],
    ) -> Result<types::MaskOutput, PluginFailure> {
        let out = self.call(Step::Mask, cx, |store| {
            self.steps.mask(store, cx, document, packs)
        })?;
        // A value whose place cannot be found again could not be restored at import: refused
        // here rather than lost there.
        if let Some(bad) = out
            .masked
            .iter()
            .find(|m| !ferry_plugin_api::values::is_key(&m.key))
        {
            return Err(self.failure(
                Step::Mask,
                FailureKind::PluginError {
                    error: "invalid-output".into(),
                    message: format!(
                        "it reported a masked value at {} with key '{}': a key is a JSON pointer into the YAML (`/a/b`, `[1]/a/b` in a later document) or empty for the whole string; a dotted path is not one (see masked-value in wit/ferry-plugin.wit)",
                        bad.pointer, bad.key
                    ),
                },
            ));
        }
        Ok(out)
    }

    pub fn validate(
        &self,
        cx: &types::Context,
        document: &str,
        packs: &[types::PackMeta],
    ) -> Result<Vec<types::Finding>, PluginFailure> {
        self.call(Step::Validate, cx, |store| {
            self.steps.validate(store, cx, document, packs)
        })
    }

    pub fn approve(
        &self,
        cx: &types::Context,
        document: &str,
        findings: &[types::Finding],
    ) -> Result<types::Decision, PluginFailure> {
        self.call(Step::Approve, cx, |store| {
            self.steps.approve(store, cx, document, findings)
        })
    }

    pub fn export(
        &self,
        cx: &types::Context,
        env: &str,
        profile: &types::ProfileRef,
    ) -> Result<types::ExportOutput, PluginFailure> {
        self.call(Step::Export, cx, |store| {
            self.steps.export(store, cx, env, profile)
        })
    }

    pub fn import(
        &self,
        cx: &types::Context,
        env: &str,
        document: &str,
    ) -> Result<types::ImportOutput, PluginFailure> {
        self.call(Step::Import, cx, |store| {
            self.steps.import(store, cx, env, document)
        })
    }
}

impl Plugin {
    /// What one of its finding codes means, from a validator that exports `explainer` (since
    /// 1.1.0): none for a code it never reports; refused, with what to do, when it cannot say.
    pub fn explain(&self, code: &str) -> Result<Option<String>, PluginFailure> {
        self.serving(Step::Validate)?;
        self.steps.explains().map_err(|message| {
            self.failure(Step::Validate, FailureKind::Incompatible { message })
        })?;
        // The call runs bounded like any other: it gets a context that names no environment.
        let cx = types::Context {
            run_id: "explain".into(),
            step: Step::Validate.name().into(),
            source_env: None,
            target_env: None,
            dry_run: true,
        };
        self.call(Step::Validate, &cx, |store| {
            self.steps.explain(store, code).map(Ok)
        })
    }
}

fn plugin_error_text(err: &types::PluginError) -> String {
    match err {
        types::PluginError::InvalidInput(m) => format!("invalid-input: {m}"),
        types::PluginError::Denied(m) => format!("denied: {m}"),
        types::PluginError::Failed(m) => format!("failed: {m}"),
    }
}

/// Whether wasmtime stopped a copy from the guest at the hostcall fuel (its error type is private,
/// so its message is what there is to go by).
fn is_output_cap(err: &wasmtime::Error) -> bool {
    err.chain().any(|e| {
        e.to_string()
            .contains("fuel allocated for hostcalls has been exhausted")
    })
}

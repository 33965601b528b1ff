//! What a component imports, read from its binary without compiling it, and whether ferry
//! provides each import. Compiling a 12-18 MB Python or JavaScript component takes seconds; an
//! import ferry will never link is found in milliseconds, at `plugin install` and before a load
//! compiles anything.

use anyhow::Context as _;
use wasmparser::{Parser, Payload};

/// The names of the instances a component imports at its top level (`wasi:io/poll@0.2.12`,
/// `ferry:plugin/log@1.0.0`). Nested modules' and components' imports are satisfied inside it.
pub fn component_imports(wasm: &[u8]) -> anyhow::Result<Vec<String>> {
    Ok(component_interfaces(wasm)?.0)
}

/// A component's top-level (imports, exports). The exports (`ferry:plugin/masker@1.1.0`) say the
/// contract version it was built for, read without compiling it.
pub fn component_interfaces(wasm: &[u8]) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    // parse_all walks nested modules and components too: each opens with a Version payload and
    // closes with End, so depth 1 is the component itself.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.context("not a WebAssembly component")? {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != wasmparser::Encoding::Component {
                    anyhow::bail!(
                        "this is a core WebAssembly module, not a component; build it for a component target (Rust: --target wasm32-wasip2) or wrap it with `wasm-tools component new`"
                    );
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 1 => {
                for import in section {
                    imports.push(import.context("a malformed import")?.name.name.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    exports.push(export.context("a malformed export")?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok((imports, exports))
}

/// How ferry links one import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provision {
    /// Always linked: the contract's own `types`, `log`, `config`, and WASI with nothing in it.
    Always,
    /// Always linked; calls succeed only when this capability is granted (`palette-api`, `http`).
    Guarded(&'static str),
    /// Never linked: the reason, with how to fix the build.
    Never(String),
}

/// WASI interfaces a plugin may import. They are linked, but the context gives no folders, no
/// environment and no network, so files, variables and sockets all come back denied.
const PROVIDED_WASI: [&str; 6] = [
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

pub fn provision(import: &str) -> Provision {
    let interface = import.split('@').next().unwrap_or(import);
    match interface {
        "ferry:plugin/types" | "ferry:plugin/log" | "ferry:plugin/config" => Provision::Always,
        "ferry:plugin/palette-api" => Provision::Guarded("palette-api"),
        "ferry:plugin/http" => Provision::Guarded("http"),
        i if PROVIDED_WASI.iter().any(|p| i.starts_with(p)) => Provision::Always,
        i if i.starts_with("wasi:http/") => Provision::Never(format!(
            "it imports {import}, which ferry does not provide to plugins: outbound HTTP goes through ferry:plugin/http, granted per origin. A JavaScript plugin built with componentize-js imports wasi:http unless it is built with `-d http fetch-event` (`ferry plugin build` passes them); a Python plugin must not use wasi:http or urllib/requests"
        )),
        _ => Provision::Never(format!(
            "it imports {import}, which ferry does not provide to plugins (a plugin may import the ferry:plugin interfaces of its step's world and WASI's cli, io, clocks, random, filesystem and sockets, which see nothing); rebuild it against ferry's wit/ without that dependency"
        )),
    }
}

/// The first import ferry will never link, as a message saying how to fix it.
pub fn check_provided(imports: &[String]) -> Result<(), String> {
    imports
        .iter()
        .find_map(|i| match provision(i) {
            Provision::Never(why) => Some(why),
            _ => None,
        })
        .map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_sorted_into_always_guarded_and_never() {
        assert_eq!(provision("ferry:plugin/log@1.0.0"), Provision::Always);
        assert_eq!(provision("wasi:io/poll@0.2.12"), Provision::Always);
        assert_eq!(
            provision("ferry:plugin/http@1.0.0"),
            Provision::Guarded("http")
        );
        let Provision::Never(why) = provision("wasi:http/outgoing-handler@0.2.10") else {
            panic!("wasi:http is never linked");
        };
        assert!(why.contains("-d http fetch-event"), "{why}");
        assert!(
            check_provided(&["wasi:cli/stdout@0.2.0".into(), "acme:db/query".into()])
                .unwrap_err()
                .contains("acme:db/query")
        );
    }

    #[test]
    fn a_core_module_or_garbage_is_not_a_component() {
        // The 8-byte preamble of a core module: magic, version 1.
        let core = b"\0asm\x01\0\0\0";
        let err = component_imports(core).unwrap_err().to_string();
        assert!(err.contains("not a component"), "{err}");
        assert!(component_imports(b"not wasm").is_err());
    }
}

//! The contract version comes from one place, the `package ferry:plugin@X.Y.Z;` line of
//! `wit/ferry-plugin.wit`: this writes it as `CONTRACT_VERSION` and into the bindings' `with:`
//! keys (wit-bindgen matches them with the version), so no literal can drift from the WIT.

use std::path::PathBuf;

fn main() {
    let wit =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../wit/ferry-plugin.wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let text = std::fs::read_to_string(&wit)
        .unwrap_or_else(|e| panic!("cannot read the contract {}: {e}", wit.display()));
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("package ferry:plugin@"))
        .and_then(|v| v.strip_suffix(';'))
        .unwrap_or_else(|| {
            panic!(
                "{} has no `package ferry:plugin@X.Y.Z;` line",
                wit.display()
            )
        });
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "{}: '{version}' is not a version like 1.2.0",
        wit.display()
    );

    // Each step world reuses the shared interfaces of the `sdk` world (one `Finding` type for
    // every step); `step_world!` is defined in lib.rs.
    let key = |interface: &str, module: &str| {
        format!("\"ferry:plugin/{interface}@{version}\": crate::bindings::ferry::plugin::{module},")
    };
    let shared = [
        key("types", "types"),
        key("log", "log"),
        key("config", "config"),
    ]
    .join(" ");
    let palette = key("palette-api", "palette_api");
    let http = key("http", "http");
    // (module and export macro suffix, world, the interfaces it uses): `explainer-plugin` uses
    // none (wit-bindgen refuses a `with:` key the world does not reference).
    let worlds: [(&str, &str, Vec<&String>); 6] = [
        ("masker", "masker-plugin", vec![&shared]),
        (
            "validator",
            "validator-plugin",
            vec![&shared, &palette, &http],
        ),
        ("explainer", "explainer-plugin", vec![]),
        ("approver", "approver-plugin", vec![&shared, &http]),
        (
            "exporter",
            "exporter-plugin",
            vec![&shared, &palette, &http],
        ),
        ("importer", "importer-plugin", vec![&shared, &palette]),
    ];
    let mut src = String::new();
    for (module, world, with) in worlds {
        src.push_str(&format!(
            "step_world!({module}, \"{world}\", \"export_{module}\", \"ferry_plugin_api::bindings::{module}\", {{ {} }});\n",
            with.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
        ));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("step_worlds.rs"), src).unwrap();
    println!("cargo:rustc-env=FERRY_CONTRACT_VERSION={version}");
}

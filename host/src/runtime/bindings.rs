//! Host-side bindings of the contract in `wit/`. The shared interfaces come from the `sdk` world;
//! each step world reuses them, so a `Finding` is one type whichever step produced it.

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

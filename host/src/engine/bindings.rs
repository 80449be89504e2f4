//! The one place that runs `bindgen!` over `wit/`. Everything else converts at the edge.

wasmtime::component::bindgen!({
    world: "experiment",
    path: "../wit",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "faaslab:host/platform.function": crate::capabilities::platform::FunctionHandle,
    },
});

pub use self::faaslab::host::{clock, log, platform, random, results, storage, types};

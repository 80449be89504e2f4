//! The one place that runs `bindgen!` over `wit/`. Everything else converts at the edge.

wasmtime::component::bindgen!({
    world: "experiment",
    path: "../wit",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "faaslab:host/platform.function": crate::capabilities::platform::FunctionHandle,
        "faaslab:host/network.udp-endpoint": crate::capabilities::network::UdpEndpointHandle,
    },
});

pub use self::faaslab::host::{clock, log, network, platform, random, results, storage, types};

//! Hostile fixture: after one log line, `run` panics; with `panic = "abort"` that is a
//! wasm `unreachable` trap.

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

use faaslab::host::log::{Level, log};

struct Trap;
export!(Trap);

impl Guest for Trap {
    fn run(config: String) -> Result<String, String> {
        log(Level::Info, "trap: panicking now");
        panic!(
            "trap fixture: panicking on purpose (config was {} bytes)",
            config.len()
        )
    }
}

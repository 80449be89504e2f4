//! Hostile fixture: after one log line, `run` computes forever and never calls the host
//! again, so only epoch interruption (or the outer wall-clock timeout) can stop it.

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

use faaslab::host::log::{Level, log};
use std::hint::black_box;

struct Spin;
export!(Spin);

impl Guest for Spin {
    fn run(_config: String) -> Result<String, String> {
        log(Level::Info, "spin: computing forever, no more host calls");
        let mut x = 1u64;
        loop {
            // black_box: the loop must stay a real computation, not be folded away.
            x = black_box(
                x.wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407),
            );
        }
    }
}

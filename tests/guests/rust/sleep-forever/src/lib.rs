//! Hostile fixture: `run` sleeps host-side 1 s at a time, forever. It is blocked in the
//! host most of the time, so only the host's wall-clock timeout can stop it. Errors from
//! `sleep-us` (cap, budget) are ignored: the loop goes on regardless.

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

use faaslab::host::clock::sleep_us;

struct SleepForever;
export!(SleepForever);

impl Guest for SleepForever {
    fn run(_config: String) -> Result<String, String> {
        loop {
            let _ = sleep_us(1_000_000);
        }
    }
}

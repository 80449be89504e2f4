//! Benchmark fixture: `run` makes `experiment.calls` cheap host calls
//! (`clock::monotonic-now-us`) and returns how many it made. The host times the run;
//! the difference between two call counts is the cost of a guest→host call.

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

use faaslab::host::clock::monotonic_now_us;

struct HostCalls;
export!(HostCalls);

/// `"calls": N` from the config's experiment section (no JSON library: keep it tiny).
fn calls(config: &str) -> u64 {
    config
        .split("\"calls\":")
        .nth(1)
        .map(|rest| {
            rest.trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl Guest for HostCalls {
    fn run(config: String) -> Result<String, String> {
        let n = calls(&config);
        let mut last = 0;
        for _ in 0..n {
            last = monotonic_now_us();
        }
        Ok(format!("{{\"calls\":{n},\"last_us\":{last}}}"))
    }
}

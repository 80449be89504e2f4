//! Hostile policy fixture: a `sampler` whose every call panics (a wasm trap).

wit_bindgen::generate!({ path: "../../../../wit", world: "sampler" });

struct TrapSampler;
export!(TrapSampler);

impl Guest for TrapSampler {
    fn sample(summary: SeriesSummary) -> SampleDecision {
        panic!("trap-sampler: panicking on purpose at {} invocations", summary.invocations)
    }
}

//! Declare what an experiment script needs, in its component: the JSON goes into the
//! custom section `faaslab:manifest`, which `faaslab script inspect` prints and the
//! host intersects with what the run grants (see docs/sandbox.md in the repository).
//!
//! ```ignore
//! faaslab_manifest::declare!(r#"{"benchmarks": ["110.dynamic-html"], "buckets": []}"#);
//! ```
#![no_std]

/// Place `$json` (a string literal) in the custom section `faaslab:manifest`.
/// Use it once per script crate.
#[macro_export]
macro_rules! declare {
    ($json:literal) => {
        #[used]
        #[unsafe(link_section = "faaslab:manifest")]
        static FAASLAB_MANIFEST: [u8; $json.len()] = {
            let bytes = $json.as_bytes();
            let mut out = [0u8; $json.len()];
            let mut i = 0;
            while i < bytes.len() {
                out[i] = bytes[i];
                i += 1;
            }
            out
        };
    };
}

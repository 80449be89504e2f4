//! Guest scripts as untrusted artifacts: what they declare they need
//! (`faaslab:manifest`), and inspecting them without running them.

pub mod inspect;
pub mod manifest;

pub use inspect::{Inspection, inspect};
pub use manifest::{Declared, ManifestError, ScriptManifest, read_declared, sidecar_path};

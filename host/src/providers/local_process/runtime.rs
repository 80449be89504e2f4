//! The languages the local platforms run, and what differs between them: the instance
//! server shipped into the package, how it is started, and how the function memory
//! becomes a process limit. Everything else (protocol, pool, timeouts) is shared.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::benchmarks::Benchmark;
use crate::packaging::WrapperFile;
use crate::providers::{ProviderError, ProviderResult};

/// Languages a function may be written in on the local platforms
/// (`function.language`, `languages` of a benchmark's config.json).
pub const LANGUAGES: &[&str] = &["python", "nodejs"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `faaslab_server.py` on CPython 3.
    Python,
    /// `faaslab_server.js` on Node.js (18 or later).
    Nodejs,
}

/// The Python runtime's files in every package (server and function-side clients).
const PYTHON_WRAPPER: &[WrapperFile] = &[
    WrapperFile {
        name: "faaslab_server.py",
        content: include_bytes!("server.py"),
    },
    crate::storage::FUNCTION_CLIENT,
    crate::storage::FUNCTION_CLIENT_S3,
    crate::storage::FUNCTION_CLIENT_GCS,
    crate::nosql::FUNCTION_CLIENT,
];

/// The Node.js runtime's files: the server, and the storage client under
/// `node_modules/` so a handler in `function/` finds it with `require("faaslab_storage")`.
const NODEJS_WRAPPER: &[WrapperFile] = &[
    WrapperFile {
        name: "faaslab_server.js",
        content: include_bytes!("server.js"),
    },
    WrapperFile {
        name: "node_modules/faaslab_storage.js",
        content: include_bytes!("../../storage/faaslab_storage.js"),
    },
];

/// What the memory limit of a local-process instance is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryRlimit {
    /// RLIMIT_AS: all address space (CPython reserves little it does not use).
    AddressSpace,
    /// RLIMIT_DATA: private writable memory. V8 reserves far more address space than
    /// it uses (about 700 MB at start), so for Node the data limit is the one that
    /// matches the function memory; the V8 heap is capped at the same size.
    Data,
}

impl Runtime {
    /// The runtime of a language, or None if the local platforms have none.
    pub fn of(language: &str) -> Option<Runtime> {
        match language {
            "python" => Some(Runtime::Python),
            "nodejs" => Some(Runtime::Nodejs),
            _ => None,
        }
    }

    pub fn language(self) -> &'static str {
        match self {
            Runtime::Python => "python",
            Runtime::Nodejs => "nodejs",
        }
    }

    /// Files the platform adds to every package of this language.
    pub fn wrapper(self) -> &'static [WrapperFile] {
        match self {
            Runtime::Python => PYTHON_WRAPPER,
            Runtime::Nodejs => NODEJS_WRAPPER,
        }
    }

    /// The instance server, at the top of the package.
    pub fn server_file(self) -> &'static str {
        self.wrapper()[0].name
    }

    /// The interpreter's name inside a container of the run image.
    pub fn container_program(self) -> &'static str {
        match self {
            Runtime::Python => "python3",
            Runtime::Nodejs => "node",
        }
    }

    /// Interpreter arguments that start the server of the package in `package_dir`.
    pub fn server_args(self, package_dir: &Path, memory_mb: u32) -> Vec<OsString> {
        let server = package_dir.join(self.server_file()).into_os_string();
        match self {
            // `-S`: no `site` — a function sees the standard library and its own `deps/`,
            // not the interpreter's site-packages, and does not pay for their `.pth` files.
            Runtime::Python => vec!["-S".into(), "-u".into(), server],
            Runtime::Nodejs => vec![format!("--max-old-space-size={memory_mb}").into(), server],
        }
    }

    /// Environment the interpreter needs besides the protocol's variables.
    pub fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Runtime::Python => &[("PYTHONDONTWRITEBYTECODE", "1")],
            Runtime::Nodejs => &[],
        }
    }

    pub fn memory_rlimit(self) -> MemoryRlimit {
        match self {
            Runtime::Python => MemoryRlimit::AddressSpace,
            Runtime::Nodejs => MemoryRlimit::Data,
        }
    }
}

/// The runtime of `language` and the files of `benchmark`'s package in it (its code
/// directory and the shared files its config names).
pub fn code_of(
    benchmark: &Benchmark,
    language: &str,
) -> ProviderResult<(Runtime, Vec<(String, PathBuf)>)> {
    let runtime = Runtime::of(language).ok_or_else(|| {
        ProviderError::Invalid(format!(
            "function.language: no local runtime for `{language}` (supported: {})",
            LANGUAGES.join(", ")
        ))
    })?;
    let code_dir = benchmark.code_dir(language);
    if !code_dir.is_dir() {
        return Err(ProviderError::NotFound(format!(
            "{} has no {language} implementation ({} is missing)",
            benchmark.id,
            code_dir.display()
        )));
    }
    Ok((
        runtime,
        crate::packaging::package_sources(benchmark, language)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_runtime_and_back() {
        for lang in LANGUAGES {
            assert_eq!(Runtime::of(lang).unwrap().language(), *lang);
        }
        assert_eq!(Runtime::of("ruby"), None);
    }

    #[test]
    fn servers_differ_and_start_the_packaged_file() {
        let dir = Path::new("/pkg");
        let py = Runtime::Python.server_args(dir, 128);
        let js = Runtime::Nodejs.server_args(dir, 128);
        assert_eq!(py.last().unwrap(), "/pkg/faaslab_server.py");
        assert_eq!(js.last().unwrap(), "/pkg/faaslab_server.js");
        assert_eq!(js[0], "--max-old-space-size=128");
    }
}

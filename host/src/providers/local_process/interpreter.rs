//! Which Python binary runs function instances. Instances run with a cleared
//! environment, so wrappers such as pyenv shims cannot be used: the configured
//! `platforms.local-process.python` is resolved to the real interpreter once.
//!
//! Resolution without spawning anything when the configured program is itself an
//! executable binary (e.g. `/usr/bin/python3`, a venv's `python`); otherwise (a wrapper
//! script) the program is asked for `sys.executable`, and the answer is cached in
//! `<cache>/interpreters/` under a key made of everything a wrapper's choice can depend
//! on (the program and its bytes, PATH, the working directory, PYENV_*/VIRTUAL_ENV/
//! CONDA_PREFIX, and pyenv's version files). Asking costs a process start (0.1–0.4 s
//! through a pyenv shim); an unchanged re-run does not pay it.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cache::write_atomic;
use crate::providers::{ProviderError, ProviderResult};

const FIELD: &str = "platforms.local-process.python";

/// The interpreter to start instances with.
pub async fn resolve_python(python: &str, cache_root: Option<&Path>) -> ProviderResult<PathBuf> {
    let program = find_program(python).ok_or_else(|| {
        ProviderError::Failed(format!("`{python}` ({FIELD}) was not found on PATH"))
    })?;
    if is_native_binary(&program) {
        return Ok(program);
    }
    let entry = cache_root.map(|root| {
        root.join("interpreters")
            .join(format!("{}.path", wrapper_key(python, &program)))
    });
    if let Some(path) = entry.as_deref().and_then(read_cached) {
        return Ok(path);
    }
    let resolved = ask_interpreter(python).await?;
    if let Some(entry) = &entry
        && let Err(e) = write_atomic(entry, resolved.as_os_str().as_encoded_bytes())
    {
        tracing::warn!("cannot cache the interpreter in {}: {e}", entry.display());
    }
    Ok(resolved)
}

/// The Node.js binary for nodejs instances (`platforms.local-process.node`), found now;
/// a missing one is an error only when a nodejs instance is started.
pub fn find_node(node: &str) -> Result<PathBuf, String> {
    let program = find_program(node).ok_or_else(|| {
        format!("`{node}` (platforms.local-process.node) was not found on PATH; install nodejs")
    })?;
    Ok(std::fs::canonicalize(&program).unwrap_or(program))
}

/// `python` as a path, or found on PATH like a shell would.
fn find_program(python: &str) -> Option<PathBuf> {
    if python.contains('/') {
        let p = PathBuf::from(python);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(python))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// An ELF executable (following symlinks), not a script.
fn is_native_binary(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == *b"\x7fELF")
}

fn read_cached(entry: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(entry).ok()?;
    let path = PathBuf::from(String::from_utf8(bytes).ok()?);
    (path.is_absolute() && is_executable(&path) && is_native_binary(&path)).then_some(path)
}

/// Everything a wrapper script's choice of interpreter can depend on.
fn wrapper_key(python: &str, program: &Path) -> String {
    let mut h = Sha256::new();
    let mut part = |label: &str, bytes: &[u8]| {
        h.update(label.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part("python", python.as_bytes());
    part("program", program.as_os_str().as_encoded_bytes());
    part("program-bytes", &std::fs::read(program).unwrap_or_default());
    let cwd = std::env::current_dir().unwrap_or_default();
    part("cwd", cwd.as_os_str().as_encoded_bytes());
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            k == "PATH" || k == "VIRTUAL_ENV" || k == "CONDA_PREFIX" || k.starts_with("PYENV")
        })
        .collect();
    vars.sort();
    for (k, v) in &vars {
        part(k, v.as_bytes());
    }
    // pyenv: `.python-version` in the working directory or any parent, then the global file.
    for dir in cwd.ancestors() {
        if let Ok(text) = std::fs::read(dir.join(".python-version")) {
            part("local-version", &text);
            break;
        }
    }
    let pyenv_root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    if let Some(root) = pyenv_root {
        part(
            "global-version",
            &std::fs::read(root.join("version")).unwrap_or_default(),
        );
    }
    hex::encode(&h.finalize()[..12])
}

async fn ask_interpreter(python: &str) -> ProviderResult<PathBuf> {
    let out = tokio::process::Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .await
        .map_err(|e| ProviderError::io(format!("running `{python}` ({FIELD})"), e))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || path.is_empty() {
        return Err(ProviderError::Failed(format!(
            "`{python}` ({FIELD}) is not a working Python 3"
        )));
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("faaslab-interp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[tokio::test]
    async fn a_native_binary_is_used_as_it_is() {
        let sh = find_program("sh").expect("sh on PATH");
        let sh = std::fs::canonicalize(sh).unwrap();
        assert!(is_native_binary(&sh));
        let got = resolve_python(sh.to_str().unwrap(), None).await.unwrap();
        assert_eq!(got, sh);
    }

    #[tokio::test]
    async fn a_wrapper_is_asked_once_then_cached() {
        let dir = tempdir("wrapper");
        let real = std::fs::canonicalize(find_program("python3").unwrap()).unwrap();
        let real = resolve_python(real.to_str().unwrap(), None).await.unwrap();
        let counter = dir.join("asked");
        let wrapper = script(
            &dir,
            "py-wrapper",
            &format!(
                "#!/bin/sh\necho x >> {}\nexec {} \"$@\"\n",
                counter.display(),
                real.display()
            ),
        );
        let cache = dir.join("cache");
        let w = wrapper.to_str().unwrap();
        let first = resolve_python(w, Some(&cache)).await.unwrap();
        let second = resolve_python(w, Some(&cache)).await.unwrap();
        assert_eq!(first, second);
        assert!(
            is_native_binary(&first),
            "{first:?} is the real interpreter"
        );
        let asked = std::fs::read_to_string(&counter).unwrap().lines().count();
        assert_eq!(asked, 1, "the second resolution came from the cache");
        // A changed wrapper is asked again.
        std::fs::write(&counter, "").unwrap();
        script(
            &dir,
            "py-wrapper",
            &format!(
                "#!/bin/sh\n# v2\necho x >> {}\nexec {} \"$@\"\n",
                counter.display(),
                real.display()
            ),
        );
        resolve_python(w, Some(&cache)).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap().lines().count(),
            1
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_missing_program_names_the_field() {
        let e = resolve_python("no-such-python-xyz", None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains(FIELD), "{e}");
    }
}

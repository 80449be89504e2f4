//! A real S3-compatible server for the storage tests: moto's server mode, from the
//! project venv (`scripts/install-toolchain.sh` installs `moto[server]`), on a free
//! loopback port, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use super::listening::spawn_on_free_port;
use super::repo_root;

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

/// Credentials moto accepts (it accepts any); written to a file the config names.
pub const ACCESS_KEY_ID: &str = "faaslab-test-key";
pub const SECRET_ACCESS_KEY: &str = "faaslab-test-secret-8c1f7e2b";

impl Moto {
    pub fn start() -> Moto {
        Self::start_with("127.0.0.1", &[])
    }

    /// Listening on `bind` (e.g. "0.0.0.0" so Docker containers reach it through the
    /// bridge gateway); the endpoint is still the loopback address.
    pub fn start_bound(bind: &str) -> Moto {
        Self::start_with(bind, &[])
    }

    /// Started with extra environment (e.g. moto's `MOTO_DOCKER_LAMBDA_IMAGE`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        Self::start_with("127.0.0.1", env)
    }

    fn start_with(bind: &str, env: &[(&str, &str)]) -> Moto {
        let bin = repo_root().join(".toolchain/venv/bin/moto_server");
        assert!(
            bin.is_file(),
            "{} is missing: run `bash scripts/install-toolchain.sh` (installs moto[server] \
             into .toolchain/venv); the S3 tests need a real S3-compatible server",
            bin.display()
        );
        let (child, port) = spawn_on_free_port(
            &bin,
            |port| vec!["-H".into(), bind.into(), "-p".into(), port.to_string()],
            env,
            Duration::from_secs(60),
        );
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A credentials file for `storage.s3.credentials_file`.
    pub fn credentials_file(dir: &Path) -> PathBuf {
        let p = dir.join("s3-credentials.json");
        std::fs::write(
            &p,
            serde_json::json!({
                "access_key_id": ACCESS_KEY_ID,
                "secret_access_key": SECRET_ACCESS_KEY,
            })
            .to_string(),
        )
        .unwrap();
        p
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! One function instance: a server process (Python or Node.js, `runtime`) holding a
//! listening socket the host created (so there is no port race and readiness is one request), with its logs in
//! the run directory and its memory read from /proc.

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::runtime::{MemoryRlimit, Runtime};
use crate::providers::http_client::{HttpConnection, HttpError, HttpReply};

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("cannot start instance: {0}")]
    Spawn(std::io::Error),
    #[error("instance {id} did not become ready within {timeout_s} s{tail}")]
    NotReady {
        id: String,
        timeout_s: u64,
        tail: String,
    },
    #[error("instance {id} failed its readiness probe ({reason}){tail}")]
    ProbeFailed {
        id: String,
        reason: String,
        tail: String,
    },
}

/// What an instance needs to start.
pub struct InstanceSpec<'a> {
    pub id: String,
    pub runtime: Runtime,
    /// The runtime's interpreter (python3 / node).
    pub program: &'a Path,
    pub package_dir: &'a Path,
    pub memory_mb: u32,
    pub log_path: PathBuf,
    pub ready_timeout: Duration,
    /// Extra environment (storage endpoint and credentials).
    pub env: &'a [(String, String)],
}

pub struct Instance {
    pub id: String,
    pub pid: u32,
    child: tokio::process::Child,
    conn: HttpConnection,
    log_path: PathBuf,
    /// Spawn → ready (readiness probe answered).
    pub init_time_us: u64,
    /// TCP connect of the host's keep-alive connection.
    pub connect_time_us: u64,
    /// Bumped by the function on cold-start enforcement and redeploys.
    pub generation: u64,
    pub last_used: Instant,
    pub served: u64,
}

impl Instance {
    pub async fn start(spec: InstanceSpec<'_>, generation: u64) -> Result<Instance, InstanceError> {
        let t0 = Instant::now();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(InstanceError::Spawn)?;
        let addr: SocketAddr = listener.local_addr().map_err(InstanceError::Spawn)?;
        if let Some(dir) = spec.log_path.parent() {
            std::fs::create_dir_all(dir).map_err(InstanceError::Spawn)?;
        }
        let log = std::fs::File::create(&spec.log_path).map_err(InstanceError::Spawn)?;
        let log_err = log.try_clone().map_err(InstanceError::Spawn)?;
        // The process runs in the package: a relative path (a relative --cache-dir)
        // would be resolved twice.
        let package_dir = std::path::absolute(spec.package_dir).map_err(InstanceError::Spawn)?;
        let package_dir = package_dir.as_path();
        let mut cmd = tokio::process::Command::new(spec.program);
        cmd.args(spec.runtime.server_args(package_dir, spec.memory_mb))
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .envs(spec.runtime.env().iter().copied())
            .env("FAASLAB_INSTANCE_ID", &spec.id)
            .env("FAASLAB_CODE_DIR", package_dir)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .current_dir(package_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        let fd = listener.as_raw_fd();
        let memory_bytes = u64::from(spec.memory_mb) * 1024 * 1024;
        let resource = match spec.runtime.memory_rlimit() {
            MemoryRlimit::AddressSpace => libc::RLIMIT_AS,
            MemoryRlimit::Data => libc::RLIMIT_DATA,
        };
        // SAFETY: only async-signal-safe syscalls run between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // dup2 onto itself keeps close-on-exec: when the listener already is
                // descriptor 3, clear the flag instead, or the instance gets no socket.
                let passed = if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, 3)
                };
                if passed < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let limit = libc::rlimit {
                    rlim_cur: memory_bytes,
                    rlim_max: memory_bytes,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The instance dies with the host, even on kill -9.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(InstanceError::Spawn)?;
        drop(listener);
        let pid = child.id().unwrap_or(0);
        let probe = async {
            let (mut conn, connect) = HttpConnection::connect(addr).await?;
            let reply = conn
                .request(hyper::Method::GET, "/health", &[], Bytes::new())
                .await?;
            Ok::<_, HttpError>((conn, connect, reply))
        };
        let outcome = tokio::time::timeout(spec.ready_timeout, probe).await;
        let tail = || {
            format!(
                "; log {}: {}",
                spec.log_path.display(),
                log_tail(&spec.log_path)
            )
        };
        let (conn, connect) = match outcome {
            Err(_) => {
                return Err(InstanceError::NotReady {
                    id: spec.id,
                    timeout_s: spec.ready_timeout.as_secs(),
                    tail: tail(),
                });
            }
            Ok(Err(e)) => {
                return Err(InstanceError::ProbeFailed {
                    id: spec.id,
                    reason: e.to_string(),
                    tail: tail(),
                });
            }
            Ok(Ok((conn, connect, reply))) if reply.status == 200 => (conn, connect),
            Ok(Ok((_, _, reply))) => {
                return Err(InstanceError::ProbeFailed {
                    id: spec.id,
                    reason: format!("status {}", reply.status),
                    tail: tail(),
                });
            }
        };
        Ok(Instance {
            id: spec.id,
            pid,
            child,
            conn,
            log_path: spec.log_path,
            init_time_us: t0.elapsed().as_micros() as u64,
            connect_time_us: connect.as_micros() as u64,
            generation,
            last_used: Instant::now(),
            served: 0,
        })
    }

    /// POST one invocation over the instance's keep-alive connection.
    pub async fn call(&mut self, request_id: &str, payload: Bytes) -> Result<HttpReply, HttpError> {
        self.served += 1;
        self.conn.invoke(request_id, payload).await
    }

    /// Peak resident memory of the instance so far (VmHWM), KiB.
    pub fn memory_peak_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Why the process is gone, if it is.
    pub fn exit_status(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }

    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path)
    }

    /// Kill the process; it is reaped in the background.
    pub fn kill(mut self) {
        let _ = self.child.start_kill();
        tokio::spawn(async move {
            let _ = self.child.wait().await;
        });
    }
}

/// Last non-empty lines of a log file, on one line.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    let tail = lines[start..].join(" | ");
    if tail.is_empty() {
        "(empty)".into()
    } else {
        tail
    }
}

//! Starting a test server on a free loopback port: pick a port, start the server with
//! it, wait until it accepts connections; another port if it lost the race for it.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `bin` started with the arguments `args(port)` gives (output discarded) and `env`,
/// listening on 127.0.0.1:<port>; waits up to `patience` per try.
pub fn spawn_on_free_port(
    bin: &Path,
    args: impl Fn(u16) -> Vec<String>,
    env: &[(&str, &str)],
    patience: Duration,
) -> (Child, u16) {
    for _attempt in 0..3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(bin)
            .args(args(port))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let t0 = Instant::now();
        while t0.elapsed() < patience {
            if let Ok(Some(_)) = child.try_wait() {
                break; // port taken meanwhile: try another
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("{} did not start listening on 127.0.0.1", bin.display());
}

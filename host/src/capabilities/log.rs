//! `log`: guest lines into the host's tracing output (control characters stripped).

use super::HostState;
use crate::engine::bindings::log::{self, Level};

/// Remove ANSI escapes and other control characters a guest could use to forge output.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip a CSI sequence: ESC [ params final-byte.
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        if c.is_control() && c != '\t' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

impl log::Host for HostState {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.check_arg("message", message.len())?;
        let m = sanitize(&message);
        match level {
            Level::Trace => tracing::trace!(target: "guest", "{m}"),
            Level::Debug => tracing::debug!(target: "guest", "{m}"),
            Level::Info => tracing::info!(target: "guest", "{m}"),
            Level::Warn => tracing::warn!(target: "guest", "{m}"),
            Level::Error => tracing::error!(target: "guest", "{m}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn escapes_and_controls_are_removed() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m\nb"), "ared b");
    }
}

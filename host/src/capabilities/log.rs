//! `log`: guest lines into the host's tracing output (control characters stripped).

use super::HostState;
use crate::engine::bindings::log::{self, Level};

/// Remove ANSI escapes and other control characters a guest could use to forge output.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' || c == '\u{9b}' {
            match (c, chars.peek()) {
                // CSI: ESC [ params final-byte (or the 8-bit CSI).
                ('\u{9b}', _) | (_, Some('[')) => {
                    if c == '\u{1b}' {
                        chars.next();
                    }
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC (e.g. set the terminal title): ESC ] … BEL or ESC \.
                (_, Some(']')) => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {
                    chars.next();
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
        // The log budget: lines past it are dropped (counted); `log` has no error to
        // return, so the first drop is an event and the manifest records the budget.
        let cap = self.ctx.config.limits.max_log_kib.saturating_mul(1024);
        let before = self.log_bytes;
        self.log_bytes = before.saturating_add(message.len() as u64);
        if self.log_bytes > cap {
            if before <= cap {
                let hit = crate::driver::Exhausted {
                    budget: "max_log_kib",
                    used: self.log_bytes as f64,
                    limit: cap as f64,
                    detail: format!(
                        "the guest's log lines passed {cap} bytes (limits.max_log_kib); later lines are dropped"
                    ),
                };
                tracing::warn!(target: "guest", "{}", hit.detail);
                let _ = self.exhausted(&hit);
            }
            return Ok(());
        }
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
        assert_eq!(sanitize("x\u{1b}]0;pwned\u{7}y\u{1b}]2;t\u{1b}\\z"), "xyz");
        assert_eq!(sanitize("\u{9b}2Jclear\u{1b}Mup"), "clearup");
    }
}

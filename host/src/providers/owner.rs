//! Which process owns a platform session, so that what a killed run left behind (its
//! containers) can be told apart from what a live run is using. A session of a run is
//! named `run-<pid>-<start time>-<id>`; the start time (from /proc) tells a live owner
//! from a later process that reused its pid.

/// Prefix of session names that carry their owner.
pub const RUN_PREFIX: &str = "run-";

/// Start time of process `pid` in clock ticks since boot (/proc/<pid>/stat field 22).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// A new session name owned by this process.
pub fn new_session() -> String {
    let pid = std::process::id();
    format!(
        "{RUN_PREFIX}{pid}-{}-{}",
        start_time(pid).unwrap_or(0),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Whether `session` belongs to a run whose process is gone. Sessions in any other
/// form (e.g. `faaslab local start`'s, meant to outlive it) are never abandoned.
pub fn is_abandoned(session: &str) -> bool {
    let Some(rest) = session.strip_prefix(RUN_PREFIX) else {
        return false;
    };
    let mut parts = rest.splitn(3, '-');
    let (Some(pid), Some(started)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) else {
        return false;
    };
    start_time(pid) != Some(started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_owns_its_sessions_and_dead_ones_are_abandoned() {
        let mine = new_session();
        assert!(!is_abandoned(&mine), "{mine}");
        let pid = std::process::id();
        assert!(is_abandoned(&format!("run-{pid}-1-abc")), "pid reused");
        assert!(is_abandoned("run-4000000000-5-abc"));
        assert!(!is_abandoned("3f2a9c"), "other forms are left alone");
        assert!(!is_abandoned("run-x-y-z"));
    }
}

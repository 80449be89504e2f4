//! Append-only JSON-lines files. Each record is one `write` of one complete line on a
//! file opened with O_APPEND, so a record is durable against `kill -9` as soon as
//! `append` returns, and concurrent writers never interleave lines.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

pub struct JsonlWriter {
    path: PathBuf,
    file: Mutex<File>,
}

impl JsonlWriter {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append<T: Serialize>(&self, value: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&line)
    }
}

/// Cut a torn last line (a crash in the middle of a write) so appends start on a line
/// of their own. Returns how many bytes were cut.
pub fn truncate_torn_tail(path: &Path) -> std::io::Result<u64> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let cut = (bytes.len() - keep) as u64;
    if cut > 0 {
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(keep as u64)?;
    }
    Ok(cut)
}

/// Read every complete line of a JSONL file; a torn last line (a crash mid-write) is
/// skipped with a warning, never an error.
pub fn read_all<T: serde::de::DeserializeOwned>(path: &Path) -> std::io::Result<Vec<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(v) => out.push(v),
            Err(e) => tracing::warn!(
                "{}:{}: skipping unreadable line ({e})",
                path.display(),
                i + 1
            ),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_lines_read_back_and_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        let w = JsonlWriter::open(&p).unwrap();
        w.append(&serde_json::json!({"a": 1})).unwrap();
        w.append(&serde_json::json!({"a": 2})).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"a\": 3")
            .unwrap();
        let v: Vec<serde_json::Value> = read_all(&p).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1]["a"], 2);
        assert_eq!(truncate_torn_tail(&p).unwrap(), 7);
        w.append(&serde_json::json!({"a": 4})).unwrap();
        let v: Vec<serde_json::Value> = read_all(&p).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2]["a"], 4);
    }
}

//! Streaming JSONL reader: one line in memory at a time, so summarising a run of
//! millions of invocations needs memory for the statistics, not for the records.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Iterator over the values of a JSONL file, read line by line. Like
/// [`read_all`](super::read_all), blank lines are ignored and unreadable lines (a torn
/// last line after a crash) are skipped with a warning; I/O errors are returned.
pub struct JsonlStream<T> {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    line: String,
    line_no: usize,
    _t: PhantomData<T>,
}

impl<T: DeserializeOwned> JsonlStream<T> {
    /// Opens `path`; a missing file streams nothing (as `read_all` returns nothing).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let reader = match File::open(path) {
            Ok(f) => Some(BufReader::with_capacity(1 << 16, f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            line: String::new(),
            line_no: 0,
            _t: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Iterator for JsonlStream<T> {
    type Item = std::io::Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        let reader = self.reader.as_mut()?;
        loop {
            self.line.clear();
            match reader.read_line(&mut self.line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
            self.line_no += 1;
            let line = self.line.trim();
            if line.is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(v) => return Some(Ok(v)),
                Err(e) => tracing::warn!(
                    "{}:{}: skipping unreadable line ({e})",
                    self.path.display(),
                    self.line_no
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::measure::JsonlWriter;

    #[test]
    fn streams_lines_and_skips_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        let w = JsonlWriter::open(&p).unwrap();
        for a in 1..=3 {
            w.append(&serde_json::json!({ "a": a })).unwrap();
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"\n{\"a\": 4")
            .unwrap();
        let v: Vec<serde_json::Value> = JsonlStream::open(&p)
            .unwrap()
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2]["a"], 3);
        let none: Vec<serde_json::Value> = JsonlStream::open(&dir.path().join("missing"))
            .unwrap()
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert!(none.is_empty());
    }
}

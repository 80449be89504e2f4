//! Guest stdout/stderr: kept in memory up to a cap; writes past it are accepted and
//! dropped (counted), so a flooding guest neither traps nor grows the host's memory.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

#[derive(Default)]
struct Buffer {
    kept: BytesMut,
    dropped: u64,
}

/// A capped, shared in-memory output stream.
#[derive(Clone)]
pub struct CappedOutput {
    cap: usize,
    buffer: Arc<Mutex<Buffer>>,
}

impl CappedOutput {
    pub fn new(cap_bytes: usize) -> Self {
        Self {
            cap: cap_bytes,
            buffer: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keep what fits, count the rest.
    fn push(&self, data: &[u8]) {
        let mut b = self.lock();
        let room = self.cap.saturating_sub(b.kept.len());
        let keep = room.min(data.len());
        b.kept.extend_from_slice(&data[..keep]);
        b.dropped += (data.len() - keep) as u64;
    }

    pub fn contents(&self) -> Bytes {
        self.lock().kept.clone().freeze()
    }

    /// Bytes written past the cap.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    pub fn cap(&self) -> usize {
        self.cap
    }
}

/// Most a single write may carry (what `check-write` grants).
const WRITE_PERMIT: usize = 64 * 1024;

#[async_trait::async_trait]
impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for CappedOutput {
    async fn ready(&mut self) {}
}

impl AsyncWrite for CappedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_past_the_cap_are_dropped_and_counted() {
        let mut out = CappedOutput::new(10);
        out.write(Bytes::from_static(b"0123456")).unwrap();
        out.write(Bytes::from_static(b"789abcdef")).unwrap();
        assert_eq!(&out.contents()[..], b"0123456789");
        assert_eq!(out.dropped(), 6);
        assert_eq!(out.check_write().unwrap(), WRITE_PERMIT);
    }
}

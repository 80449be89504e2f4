//! A minimal keep-alive HTTP/1.1 client connection (hyper), one per function instance.
//!
//! The connection's I/O is driven inside the request's own task (not a spawned one):
//! requests on a connection are sequential anyway, and one task per request instead
//! of two saves a cross-task wake-up on every send and every reply.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("connect to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("bad request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("HTTP: connection closed by the server")]
    Closed,
}

type Io = Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// An open connection; requests on it are sequential.
pub struct HttpConnection {
    sender: SendRequest<Full<Bytes>>,
    /// Polled only while a request is in flight; `None` once it has ended.
    io: Option<Pin<Box<Io>>>,
    authority: String,
}

/// Reply status and body.
pub struct HttpReply {
    pub status: u16,
    pub body: Bytes,
}

impl HttpConnection {
    /// Connect and return the connection with how long the connect took.
    pub async fn connect(addr: SocketAddr) -> Result<(Self, Duration), HttpError> {
        let t0 = Instant::now();
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| HttpError::Connect(addr, e))?;
        let _ = stream.set_nodelay(true);
        let (sender, io) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        Ok((
            Self {
                sender,
                io: Some(Box::pin(io)),
                authority: addr.to_string(),
            },
            t0.elapsed(),
        ))
    }

    /// Send one request and read the whole reply.
    pub async fn request(
        &mut self,
        method: hyper::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<HttpReply, HttpError> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body))?;
        let sender = &mut self.sender;
        let exchange = async move {
            sender.ready().await?;
            let resp = sender.send_request(req).await?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, HttpError>(HttpReply { status, body })
        };
        let Some(io) = self.io.as_mut() else {
            return Err(HttpError::Closed);
        };
        tokio::select! {
            biased;
            reply = exchange => reply,
            ended = io => {
                // The connection ended before the reply was complete.
                self.io = None;
                ended?;
                Err(HttpError::Closed)
            }
        }
    }
}

impl HttpConnection {
    /// POST one invocation (docs/handler-protocol.md) and read the whole reply.
    pub async fn invoke(
        &mut self,
        request_id: &str,
        payload: Bytes,
    ) -> Result<HttpReply, HttpError> {
        self.request(
            hyper::Method::POST,
            "/",
            &[("x-faaslab-request-id", request_id)],
            payload,
        )
        .await
    }
}

//! An existing HTTP endpoint as a function: POSTs payloads to a fixed address over a
//! pool of keep-alive connections. Used to measure the driver against a plain server
//! (wrk-style) and for endpoints faaslab did not deploy. The endpoint reports nothing,
//! so only client and connection times are measured; `cold` is always false.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use super::http_client::HttpConnection;
use super::{Function, FunctionConfig, Invocation, InvocationRequest, Trigger, TriggerKind};

pub struct HttpEndpoint {
    name: String,
    addr: SocketAddr,
    path: String,
    config: FunctionConfig,
    idle: Mutex<Vec<HttpConnection>>,
}

impl HttpEndpoint {
    pub fn new(name: &str, addr: SocketAddr, path: &str) -> Self {
        Self {
            name: name.to_string(),
            addr,
            path: path.to_string(),
            config: FunctionConfig::default(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<HttpConnection> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    fn give_back(&self, conn: HttpConnection) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
    }
}

impl Function for HttpEndpoint {
    fn name(&self) -> &str {
        &self.name
    }
    fn benchmark(&self) -> &str {
        "http-endpoint"
    }
    fn config(&self) -> FunctionConfig {
        self.config.clone()
    }
    fn code_hash(&self) -> String {
        String::new()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[async_trait]
impl Trigger for HttpEndpoint {
    fn kind(&self) -> TriggerKind {
        TriggerKind::Http
    }

    async fn invoke(&self, request: InvocationRequest) -> Invocation {
        let mut inv = Invocation {
            request_id: request.request_id.clone(),
            instance_id: self.addr.to_string(),
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut conn = match self.take() {
            Some(c) => c,
            None => match HttpConnection::connect(self.addr).await {
                Ok((c, took)) => {
                    inv.connection_time_us = took.as_micros() as u64;
                    c
                }
                Err(e) => {
                    inv.client_time_us = t0.elapsed().as_micros() as u64;
                    inv.failure = Some(e.to_string());
                    return inv;
                }
            },
        };
        let reply = conn
            .request(
                hyper::Method::POST,
                &self.path,
                &[("x-faaslab-request-id", &request.request_id)],
                request.payload,
            )
            .await;
        inv.client_time_us = t0.elapsed().as_micros() as u64;
        match reply {
            Ok(r) => {
                inv.output = String::from_utf8_lossy(&r.body).into_owned();
                if r.status >= 400 {
                    inv.failure = Some(format!("HTTP status {}", r.status));
                }
                self.give_back(conn);
            }
            Err(e) => inv.failure = Some(e.to_string()),
        }
        inv
    }
}

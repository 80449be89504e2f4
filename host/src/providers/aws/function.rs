//! A deployed Lambda function and its two triggers: the SDK (Lambda Invoke, the
//! "library" trigger) and the Function URL (HTTP). Every invocation remembers Lambda's
//! request id next to faaslab's, so REPORT lines found later in CloudWatch Logs merge
//! into the right result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use base64::Engine as _;
use serde::Deserialize;

use super::report::reports_in;
use crate::providers::{
    Function, FunctionConfig, Invocation, InvocationRequest, Trigger, TriggerKind,
};

/// What the function knows about itself between calls.
#[derive(Debug, Clone)]
pub struct FunctionState {
    pub config: FunctionConfig,
    pub code_hash: String,
    /// The environment the function was last configured with.
    pub env: HashMap<String, String>,
}

pub struct AwsFunction {
    name: String,
    benchmark: String,
    state: Mutex<FunctionState>,
    /// faaslab request id → Lambda request id.
    aws_ids: Mutex<HashMap<String, String>>,
}

impl AwsFunction {
    pub fn new(name: String, benchmark: String, state: FunctionState) -> Self {
        Self {
            name,
            benchmark,
            state: Mutex::new(state),
            aws_ids: Mutex::new(HashMap::new()),
        }
    }

    pub fn state(&self) -> FunctionState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn update(&self, f: impl FnOnce(&mut FunctionState)) {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Lambda's id of a faaslab request (an unknown id is taken as Lambda's own).
    pub fn aws_request_id(&self, request_id: &str) -> String {
        self.aws_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(request_id)
            .cloned()
            .unwrap_or_else(|| request_id.to_string())
    }

    fn remember(&self, request_id: &str, aws_id: &str) {
        if !aws_id.is_empty() {
            self.aws_ids
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(request_id.to_string(), aws_id.to_string());
        }
    }
}

impl Function for AwsFunction {
    fn name(&self) -> &str {
        &self.name
    }
    fn benchmark(&self) -> &str {
        &self.benchmark
    }
    fn config(&self) -> FunctionConfig {
        self.state().config
    }
    fn code_hash(&self) -> String {
        self.state().code_hash
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The reply of `faaslab_lambda.handler`.
#[derive(Deserialize)]
struct Reply {
    request_id: String,
    #[serde(default)]
    aws_request_id: String,
    instance_id: String,
    is_cold: bool,
    begin_us: u64,
    end_us: u64,
    exec_time_us: u64,
    #[serde(default)]
    output: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    failure: Option<String>,
}

/// The event both triggers send: faaslab's request id around the benchmark input.
fn envelope(request: &InvocationRequest) -> Result<Vec<u8>, String> {
    let event: &serde_json::value::RawValue = if request.payload.is_empty() {
        serde_json::from_str("{}").map_err(|e| e.to_string())?
    } else {
        serde_json::from_slice(&request.payload).map_err(|e| format!("payload is not JSON: {e}"))?
    };
    serde_json::to_vec(&serde_json::json!({
        "faaslab_request_id": request.request_id,
        "event": event,
    }))
    .map_err(|e| e.to_string())
}

/// The invocation record and the event body of a request (None, with the failure in
/// the record, when the payload is not JSON).
fn begin(request: &InvocationRequest) -> (Invocation, Option<Vec<u8>>) {
    let mut inv = Invocation {
        request_id: request.request_id.clone(),
        ..Default::default()
    };
    match envelope(request) {
        Ok(body) => (inv, Some(body)),
        Err(e) => {
            inv.failure = Some(e);
            (inv, None)
        }
    }
}

/// Fill an invocation from the handler's reply; returns Lambda's request id.
fn fill(inv: &mut Invocation, body: &[u8]) -> String {
    match serde_json::from_slice::<Reply>(body) {
        Ok(r) if r.request_id != inv.request_id => {
            inv.failure = Some(format!("reply for request {} instead", r.request_id));
            r.aws_request_id
        }
        Ok(r) => {
            inv.reported_cold = Some(r.is_cold);
            inv.cold = r.is_cold;
            inv.instance_id = r.instance_id;
            inv.begin_us = Some(r.begin_us);
            inv.end_us = Some(r.end_us);
            inv.exec_time_us = r.exec_time_us;
            inv.output = r.output.map(|o| o.get().to_string()).unwrap_or_default();
            inv.failure = r.failure;
            r.aws_request_id
        }
        Err(e) => {
            let text = String::from_utf8_lossy(body);
            inv.failure = Some(format!(
                "malformed reply ({e}): {}",
                text.chars().take(300).collect::<String>()
            ));
            String::new()
        }
    }
}

/// Lambda Invoke through the SDK (RequestResponse, with the log tail, whose REPORT
/// line gives duration, init duration and memory at once).
pub struct SdkTrigger {
    pub function: Arc<AwsFunction>,
    pub lambda: aws_sdk_lambda::Client,
}

#[async_trait]
impl Trigger for SdkTrigger {
    fn kind(&self) -> TriggerKind {
        TriggerKind::Library
    }

    async fn invoke(&self, request: InvocationRequest) -> Invocation {
        let (mut inv, body) = begin(&request);
        let Some(body) = body else {
            return inv;
        };
        let t0 = Instant::now();
        let result = self
            .lambda
            .invoke()
            .function_name(self.function.name())
            .log_type(aws_sdk_lambda::types::LogType::Tail)
            .payload(aws_sdk_lambda::primitives::Blob::new(body))
            .send()
            .await;
        inv.client_time_us = t0.elapsed().as_micros() as u64;
        let out = match result {
            Ok(o) => o,
            Err(e) => {
                inv.failure = Some(super::clients::sdk_failure("Lambda Invoke", e).to_string());
                return inv;
            }
        };
        let payload = out.payload.as_ref().map(|b| b.as_ref()).unwrap_or_default();
        let mut aws_id = fill(&mut inv, payload);
        if let Some(error) = &out.function_error {
            inv.failure = Some(format!(
                "function error ({error}): {}",
                String::from_utf8_lossy(payload)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
        if let Some(tail) = out
            .log_result
            .as_deref()
            .and_then(|t| base64::engine::general_purpose::STANDARD.decode(t).ok())
        {
            let text = String::from_utf8_lossy(&tail);
            let report = reports_in(&text).into_iter().next();
            if let Some(r) = report {
                if aws_id.is_empty() {
                    aws_id = r.request_id.clone();
                }
                inv.provider_time_us = r.duration_us;
                inv.init_time_us = r.init_duration_us;
                inv.memory_peak_kib = Some(u64::from(r.max_memory_used_mb) * 1024);
                if r.status.as_deref() == Some("timeout") && inv.failure.is_none() {
                    inv.failure = Some("timeout: the function ran past its timeout".into());
                }
            }
        }
        self.function.remember(&inv.request_id, &aws_id);
        inv
    }
}

/// The Function URL (auth type NONE), called over HTTPS like any web client would.
pub struct UrlTrigger {
    pub function: Arc<AwsFunction>,
    pub url: String,
    pub http: reqwest::Client,
}

#[async_trait]
impl Trigger for UrlTrigger {
    fn kind(&self) -> TriggerKind {
        TriggerKind::Http
    }

    async fn invoke(&self, request: InvocationRequest) -> Invocation {
        let (mut inv, body) = begin(&request);
        let Some(body) = body else {
            return inv;
        };
        let t0 = Instant::now();
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let (status, header_id, bytes) = match response {
            Ok(r) => {
                let status = r.status();
                let id = r
                    .headers()
                    .get("x-amzn-requestid")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                (status, id, r.bytes().await)
            }
            Err(e) => {
                inv.client_time_us = t0.elapsed().as_micros() as u64;
                inv.failure = Some(format!("Function URL request: {}", e.without_url()));
                return inv;
            }
        };
        inv.client_time_us = t0.elapsed().as_micros() as u64;
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                inv.failure = Some(format!("Function URL reply: {}", e.without_url()));
                return inv;
            }
        };
        let mut aws_id = fill(&mut inv, &bytes);
        if aws_id.is_empty() {
            aws_id = header_id;
        }
        if !status.is_success() && inv.failure.is_none() {
            inv.failure = Some(format!("Function URL answered HTTP {status}"));
        }
        self.function.remember(&inv.request_id, &aws_id);
        inv
    }
}

//! `http-endpoint`: a platform whose only "function" is an existing HTTP endpoint at a
//! fixed URL (`platforms.http-endpoint.url`). Deploying any benchmark gives that
//! endpoint; nothing is packaged or started. For measuring the host itself (open-loop
//! schedule precision against a no-op server) and for servers faaslab did not deploy.
//! The endpoint reports nothing: only client and connection times are measured.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::http_endpoint::HttpEndpoint;
use super::{
    Function, FunctionConfig, Provider, ProviderError, ProviderMetrics, ProviderResult, Resources,
    Trigger, TriggerKind, sanitize_name,
};
use crate::benchmarks::Benchmark;
use crate::cache::{Cache, FunctionRecord};
use crate::packaging::CodePackage;

pub const NAME: &str = "http-endpoint";

/// `platforms.http-endpoint` of a run config.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpEndpointConfig {
    /// `http://host:port/path` every invocation is POSTed to.
    #[serde(default)]
    pub url: Option<String>,
}

/// A parsed `http://host:port/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    pub addr: SocketAddr,
    pub path: String,
}

/// Parse an `http://` URL with an explicit or default port; the host is resolved once.
pub fn parse_url(url: &str) -> Result<EndpointUrl, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}`: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("`{url}`: no host"));
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("`{url}`: cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("`{url}`: {authority} has no address"))?;
    Ok(EndpointUrl {
        addr,
        path: path.to_string(),
    })
}

pub struct HttpEndpointProvider {
    url: String,
    endpoint: EndpointUrl,
}

impl HttpEndpointProvider {
    pub fn new(config: &HttpEndpointConfig) -> ProviderResult<Self> {
        let url = config.url.clone().ok_or_else(|| {
            ProviderError::Invalid(
                "platforms.http-endpoint.url: missing (the endpoint's URL)".into(),
            )
        })?;
        let endpoint = parse_url(&url)
            .map_err(|e| ProviderError::Invalid(format!("platforms.http-endpoint.url: {e}")))?;
        Ok(Self { url, endpoint })
    }

    fn function(&self, name: &str) -> Arc<HttpEndpoint> {
        Arc::new(HttpEndpoint::new(
            name,
            self.endpoint.addr,
            &self.endpoint.path,
        ))
    }
}

#[async_trait]
impl Provider for HttpEndpointProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(&self, _resources: &Resources) -> ProviderResult<()> {
        Ok(())
    }

    fn storage(&self) -> Option<Arc<crate::storage::Storage>> {
        None
    }

    /// Nothing to build: the "package" is the URL.
    async fn package_code(
        &self,
        benchmark: &Benchmark,
        _config: &FunctionConfig,
        _cache: &Cache,
        _force_rebuild: bool,
    ) -> ProviderResult<CodePackage> {
        Ok(CodePackage {
            benchmark: benchmark.id.clone(),
            hash: hex::encode(Sha256::digest(self.url.as_bytes())),
            location: PathBuf::new(),
            built: false,
        })
    }

    async fn create_function(
        &self,
        _package: &CodePackage,
        name: &str,
        _config: &FunctionConfig,
    ) -> ProviderResult<Arc<dyn Function>> {
        Ok(self.function(name))
    }

    async fn cached_function(&self, record: &FunctionRecord) -> ProviderResult<Arc<dyn Function>> {
        Ok(self.function(&record.name))
    }

    async fn update_function_code(
        &self,
        _function: &Arc<dyn Function>,
        _package: &CodePackage,
    ) -> ProviderResult<()> {
        Ok(())
    }

    async fn update_function_configuration(
        &self,
        _function: &Arc<dyn Function>,
        _config: &FunctionConfig,
    ) -> ProviderResult<()> {
        Err(ProviderError::Unsupported(
            "an http-endpoint's configuration is not faaslab's to change".into(),
        ))
    }

    fn is_configuration_changed(&self, _cached: &FunctionConfig, _wanted: &FunctionConfig) -> bool {
        false
    }

    fn default_function_name(
        &self,
        resources: &Resources,
        benchmark: &Benchmark,
        _config: &FunctionConfig,
    ) -> String {
        sanitize_name(&format!(
            "faaslab-{}-{}-http-endpoint",
            resources.resource_id, benchmark.id
        ))
    }

    async fn enforce_cold_start(&self, _functions: &[Arc<dyn Function>]) -> ProviderResult<()> {
        Err(ProviderError::Unsupported(
            "an http-endpoint cannot be made cold".into(),
        ))
    }

    async fn download_metrics(
        &self,
        _function: &Arc<dyn Function>,
        _start_us: u64,
        _end_us: u64,
        _request_ids: &[String],
    ) -> ProviderResult<Vec<ProviderMetrics>> {
        Ok(Vec::new())
    }

    async fn create_trigger(
        &self,
        function: &Arc<dyn Function>,
        kind: TriggerKind,
    ) -> ProviderResult<Arc<dyn Trigger>> {
        match kind {
            TriggerKind::Http => Ok(self.function(function.name())),
            TriggerKind::Library => Err(ProviderError::Unsupported(
                "an http-endpoint has only an HTTP trigger".into(),
            )),
        }
    }

    async fn shutdown(&self) -> ProviderResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn urls_are_parsed_or_rejected_with_the_reason() {
        let u = parse_url("http://127.0.0.1:8080/run?x=1").unwrap();
        assert_eq!(u.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(u.path, "/run?x=1");
        assert_eq!(parse_url("http://127.0.0.1").unwrap().addr.port(), 80);
        assert_eq!(parse_url("http://127.0.0.1:9").unwrap().path, "/");
        assert!(
            parse_url("https://127.0.0.1/")
                .unwrap_err()
                .contains("only http://")
        );
        assert!(parse_url("http:///x").unwrap_err().contains("no host"));
    }
}

//! WIT ⇄ domain conversions, in one place.

use crate::engine::bindings::types as wit;
use crate::measure::ExecutionRecord;
use crate::providers::{Architecture, FunctionConfig, ProviderError};

pub fn config_to_wit(c: &FunctionConfig) -> wit::FunctionConfig {
    wit::FunctionConfig {
        memory_mb: c.memory_mb,
        timeout_s: c.timeout_s,
        language: c.language.clone(),
        language_version: c.language_version.clone(),
        architecture: match c.architecture {
            Architecture::X86_64 => wit::Architecture::X8664,
            Architecture::Arm64 => wit::Architecture::Arm64,
        },
    }
}

pub fn config_from_wit(c: wit::FunctionConfig) -> FunctionConfig {
    FunctionConfig {
        memory_mb: c.memory_mb,
        timeout_s: c.timeout_s,
        language: c.language,
        language_version: c.language_version,
        architecture: match c.architecture {
            wit::Architecture::X8664 => Architecture::X86_64,
            wit::Architecture::Arm64 => Architecture::Arm64,
        },
    }
}

pub fn result_to_wit(r: ExecutionRecord) -> wit::ExecutionResult {
    wit::ExecutionResult {
        request_id: r.request_id,
        series: r.series,
        cold: r.cold,
        instance_id: r.instance_id,
        send_time_us: r.send_time_us,
        intended_send_time_us: r.intended_send_time_us,
        client_time_us: r.client_time_us,
        exec_time_us: r.exec_time_us,
        provider_time_us: r.provider_time_us,
        connection_time_us: r.connection_time_us,
        init_time_us: r.init_time_us,
        memory_peak_kib: r.memory_peak_kib,
        output: r.output,
        failure: r.failure,
    }
}

pub fn error_to_wit(e: ProviderError) -> wit::Error {
    match e {
        ProviderError::NotFound(m) => wit::Error::NotFound(m),
        ProviderError::Invalid(m) => wit::Error::Invalid(m),
        ProviderError::Timeout(m) => wit::Error::Timeout(m),
        ProviderError::Unsupported(m) => wit::Error::Denied(m),
        other => wit::Error::Provider(other.to_string()),
    }
}

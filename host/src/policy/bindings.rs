//! `bindgen!` of the three policy worlds (wit/policies.wit). They import nothing of
//! the host; a component may import WASI, which the policy linker provides, empty.

pub mod retry {
    wasmtime::component::bindgen!({
        world: "retry-policy",
        path: "../wit",
        exports: { default: async },
    });
}

pub mod sampler {
    wasmtime::component::bindgen!({
        world: "sampler",
        path: "../wit",
        exports: { default: async },
    });
}

pub mod cold_start {
    wasmtime::component::bindgen!({
        world: "cold-start-policy",
        path: "../wit",
        exports: { default: async },
    });
    pub use self::faaslab::host::policy_types::{ColdStartOutcome, ColdStartStrategy};
}

use wasmtime::Store;
use wasmtime::component::InstancePre;

use super::sandbox::{BoxFuture, PolicyState, PolicyWorld};

impl PolicyWorld for retry::RetryPolicy {
    type Pre = retry::RetryPolicyPre<PolicyState>;
    const WORLD: &'static str = "retry-policy";
    fn pre(pre: InstancePre<PolicyState>) -> wasmtime::Result<Self::Pre> {
        retry::RetryPolicyPre::new(pre)
    }
    fn instantiate<'a>(
        pre: &'a Self::Pre,
        store: &'a mut Store<PolicyState>,
    ) -> BoxFuture<'a, wasmtime::Result<Self>> {
        Box::pin(pre.instantiate_async(store))
    }
}

impl PolicyWorld for sampler::Sampler {
    type Pre = sampler::SamplerPre<PolicyState>;
    const WORLD: &'static str = "sampler";
    fn pre(pre: InstancePre<PolicyState>) -> wasmtime::Result<Self::Pre> {
        sampler::SamplerPre::new(pre)
    }
    fn instantiate<'a>(
        pre: &'a Self::Pre,
        store: &'a mut Store<PolicyState>,
    ) -> BoxFuture<'a, wasmtime::Result<Self>> {
        Box::pin(pre.instantiate_async(store))
    }
}

impl PolicyWorld for cold_start::ColdStartPolicy {
    type Pre = cold_start::ColdStartPolicyPre<PolicyState>;
    const WORLD: &'static str = "cold-start-policy";
    fn pre(pre: InstancePre<PolicyState>) -> wasmtime::Result<Self::Pre> {
        cold_start::ColdStartPolicyPre::new(pre)
    }
    fn instantiate<'a>(
        pre: &'a Self::Pre,
        store: &'a mut Store<PolicyState>,
    ) -> BoxFuture<'a, wasmtime::Result<Self>> {
        Box::pin(pre.instantiate_async(store))
    }
}

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

/// `PolicyWorld` for a bindgen world type, its `…Pre` and its WIT name.
macro_rules! policy_world {
    ($world:ty, $pre:ident, $name:literal) => {
        impl PolicyWorld for $world {
            type Pre = $pre<PolicyState>;
            const WORLD: &'static str = $name;
            fn pre(pre: InstancePre<PolicyState>) -> wasmtime::Result<Self::Pre> {
                $pre::new(pre)
            }
            fn instantiate<'a>(
                pre: &'a Self::Pre,
                store: &'a mut Store<PolicyState>,
            ) -> BoxFuture<'a, wasmtime::Result<Self>> {
                Box::pin(pre.instantiate_async(store))
            }
        }
    };
}

use cold_start::ColdStartPolicyPre;
use retry::RetryPolicyPre;
use sampler::SamplerPre;

policy_world!(retry::RetryPolicy, RetryPolicyPre, "retry-policy");
policy_world!(sampler::Sampler, SamplerPre, "sampler");
policy_world!(
    cold_start::ColdStartPolicy,
    ColdStartPolicyPre,
    "cold-start-policy"
);

//! cold-start: a `cold-start-policy`. Forces cold starts with a configuration update;
//! when the first invocation after one was still warm, falls back to a fresh copy of
//! the function, and from there to the platform's own way. What works is kept.

wit_bindgen::generate!({ path: "../../../wit", world: "cold-start-policy" });

use faaslab::host::policy_types::ColdStartStrategy;

struct ColdStart;
export!(ColdStart);

impl Guest for ColdStart {
    fn plan_cold_start(request: ColdStartRequest) -> ColdStartPlan {
        decide(&request)
    }
}

fn decide(r: &ColdStartRequest) -> ColdStartPlan {
    let Some(previous) = &r.previous else {
        return ColdStartPlan::ConfigUpdate;
    };
    let worked = previous.cold != Some(false);
    match (previous.strategy, worked) {
        (ColdStartStrategy::ConfigUpdate, true) => ColdStartPlan::ConfigUpdate,
        (ColdStartStrategy::ConfigUpdate, false) => ColdStartPlan::FreshCopy,
        (ColdStartStrategy::FreshCopy, true) => ColdStartPlan::FreshCopy,
        (ColdStartStrategy::WaitEviction, true) => ColdStartPlan::WaitEvictionUs(previous.wait_us),
        (ColdStartStrategy::WaitEviction, false) => ColdStartPlan::ConfigUpdate,
        _ => ColdStartPlan::Platform,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faaslab::host::policy_types::ColdStartOutcome;

    fn after(strategy: ColdStartStrategy, cold: Option<bool>) -> ColdStartRequest {
        ColdStartRequest {
            function: "f".into(),
            platform: "local-process".into(),
            enforced: 1,
            previous: Some(ColdStartOutcome {
                strategy,
                wait_us: 0,
                cold,
            }),
        }
    }

    #[test]
    fn config_update_first_then_falls_back() {
        let first = ColdStartRequest {
            function: "f".into(),
            platform: "p".into(),
            enforced: 0,
            previous: None,
        };
        assert!(matches!(decide(&first), ColdStartPlan::ConfigUpdate));
        assert!(matches!(
            decide(&after(ColdStartStrategy::ConfigUpdate, Some(true))),
            ColdStartPlan::ConfigUpdate
        ));
        assert!(matches!(
            decide(&after(ColdStartStrategy::ConfigUpdate, None)),
            ColdStartPlan::ConfigUpdate
        ));
        assert!(matches!(
            decide(&after(ColdStartStrategy::ConfigUpdate, Some(false))),
            ColdStartPlan::FreshCopy
        ));
        assert!(matches!(
            decide(&after(ColdStartStrategy::FreshCopy, Some(false))),
            ColdStartPlan::Platform
        ));
    }
}

//! Policy fixture: a `cold-start-policy` that uses every strategy in turn — fresh copy,
//! wait 300 ms for eviction, the platform's way, configuration update — so a test sees
//! the host execute each.

wit_bindgen::generate!({ path: "../../../../wit", world: "cold-start-policy" });

struct Cycle;
export!(Cycle);

impl Guest for Cycle {
    fn plan_cold_start(request: ColdStartRequest) -> ColdStartPlan {
        match request.enforced % 4 {
            0 => ColdStartPlan::FreshCopy,
            1 => ColdStartPlan::WaitEvictionUs(300_000),
            2 => ColdStartPlan::Platform,
            _ => ColdStartPlan::ConfigUpdate,
        }
    }
}

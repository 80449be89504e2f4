//! backoff: a `retry-policy`. A failed invocation is sent again after 10 ms, 20 ms,
//! 40 ms, … (doubling, at most 1 s); after `MAX_ATTEMPTS` attempts it gives up.

wit_bindgen::generate!({ path: "../../../wit", world: "retry-policy" });

pub const MAX_ATTEMPTS: u32 = 5;
pub const FIRST_DELAY_US: u64 = 10_000;
pub const MAX_DELAY_US: u64 = 1_000_000;

struct Backoff;
export!(Backoff);

impl Guest for Backoff {
    fn retry(attempt: FailedAttempt) -> RetryDecision {
        decide(&attempt)
    }
}

fn decide(a: &FailedAttempt) -> RetryDecision {
    if a.attempt >= MAX_ATTEMPTS {
        return RetryDecision::GiveUp(format!(
            "gave up after {} attempts ({} ms): {}",
            a.attempt,
            a.elapsed_us / 1000,
            a.failure
        ));
    }
    let doublings = a.attempt.saturating_sub(1).min(20);
    RetryDecision::RetryAfterUs((FIRST_DELAY_US << doublings).min(MAX_DELAY_US))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(attempt: u32) -> FailedAttempt {
        FailedAttempt {
            series: "s".into(),
            function: "f".into(),
            attempt,
            failure: "RuntimeError: boom".into(),
            elapsed_us: 1234,
        }
    }

    #[test]
    fn doubles_then_gives_up() {
        let delays: Vec<_> = (1..MAX_ATTEMPTS)
            .map(|a| match decide(&failed(a)) {
                RetryDecision::RetryAfterUs(us) => us,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(delays, [10_000, 20_000, 40_000, 80_000]);
        assert!(
            matches!(decide(&failed(MAX_ATTEMPTS)), RetryDecision::GiveUp(r) if r.contains("boom"))
        );
    }
}

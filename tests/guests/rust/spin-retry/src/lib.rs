//! Hostile policy fixture: a `retry-policy` that never answers (computes forever).

wit_bindgen::generate!({ path: "../../../../wit", world: "retry-policy" });

struct SpinRetry;
export!(SpinRetry);

impl Guest for SpinRetry {
    fn retry(attempt: FailedAttempt) -> RetryDecision {
        let mut x = u64::from(attempt.attempt);
        loop {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            if x == 0 {
                return RetryDecision::RetryAfterUs(x);
            }
        }
    }
}

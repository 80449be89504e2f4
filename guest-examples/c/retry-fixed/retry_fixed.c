// retry-fixed: a `retry-policy` in C (world `retry-policy`, wit/policies.wit).
//
// A failed invocation is sent again after a fixed 5 ms, up to MAX_ATTEMPTS attempts in
// all; then it gives up, saying why. Bindings: `wit-bindgen c` (scripts/build-guests.sh).

#include <stdio.h>
#include <string.h>

#include "retry_policy.h"

#define MAX_ATTEMPTS 3
#define DELAY_US 5000

void exports_retry_policy_retry(retry_policy_failed_attempt_t *attempt,
                                retry_policy_retry_decision_t *ret) {
    if (attempt->attempt < MAX_ATTEMPTS) {
        ret->tag = FAASLAB_HOST_POLICY_TYPES_RETRY_DECISION_RETRY_AFTER_US;
        ret->val.retry_after_us = DELAY_US;
    } else {
        char reason[160];
        int n = snprintf(reason, sizeof reason, "retry-fixed: gave up after %u attempts: ",
                         (unsigned)attempt->attempt);
        size_t keep = attempt->failure.len;
        if (n < 0) {
            n = 0;
        }
        if (keep > sizeof reason - 1 - (size_t)n) {
            keep = sizeof reason - 1 - (size_t)n;
        }
        memcpy(reason + n, attempt->failure.ptr, keep);
        ret->tag = FAASLAB_HOST_POLICY_TYPES_RETRY_DECISION_GIVE_UP;
        retry_policy_string_dup_n(&ret->val.give_up, reason, (size_t)n + keep);
    }
    // The callee owns its arguments.
    retry_policy_failed_attempt_free(attempt);
}

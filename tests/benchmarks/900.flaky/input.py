"""Inputs and output validation of 900.flaky (a test benchmark)."""


def generate_input(size, seed):
    return {"succeed_every": 3}


def validate_output(payload, output):
    if not isinstance(output, dict) or "attempts" not in output:
        return False, "output has no `attempts`"
    return True, "ok"


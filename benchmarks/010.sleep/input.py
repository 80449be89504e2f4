"""Inputs and output validation of 010.sleep."""

SIZES = {"test": 1.0, "small": 10.0, "large": 100.0}


def generate_input(size, seed):
    return {"sleep": SIZES[size]}


def validate_output(payload, output):
    if not isinstance(output, dict) or "slept_s" not in output:
        return False, "output has no `slept_s`"
    if abs(float(output["slept_s"]) - float(payload["sleep"])) > 1e-9:
        return False, f"slept {output['slept_s']} s, asked for {payload['sleep']} s"
    return True, "ok"

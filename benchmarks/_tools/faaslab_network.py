"""Checks shared by the validators of the UDP benchmarks (020, 030)."""

# Datagrams to a host endpoint on the same machine are rarely lost; more lost than this
# share means the endpoint was not reached properly.
MAX_LOST_SHARE = 0.1


def is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_exchanges(payload, output, field, what):
    """Why `output[field]` (the answered exchanges, a list) and `output["lost"]` cannot
    be a run of the payload's `repetitions`, or None."""
    repetitions = payload["repetitions"]
    answered = output.get(field)
    if not isinstance(answered, list):
        return f"output has no list `{field}`"
    lost = output.get("lost")
    if not is_count(lost):
        return "output has no non-negative integer `lost`"
    if len(answered) + lost != repetitions:
        return f"{len(answered)} {what} + {lost} lost != {repetitions} repetitions"
    if not answered:
        return f"all {repetitions} exchanges were lost"
    if lost > MAX_LOST_SHARE * repetitions:
        return f"{lost} of {repetitions} exchanges lost (more than {MAX_LOST_SHARE:.0%})"
    return None

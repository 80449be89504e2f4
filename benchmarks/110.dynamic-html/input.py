"""Inputs and output validation of 110.dynamic-html."""

import hashlib

SIZES = {"test": 10, "small": 1000, "large": 100000}


def generate_input(size, seed):
    return {"username": "faaslab-user", "random_len": SIZES[size], "seed": seed}


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    if output.get("rows") != payload["random_len"]:
        return False, f"rendered {output.get('rows')} rows, expected {payload['random_len']}"
    if not isinstance(output.get("html_bytes"), int) or output["html_bytes"] <= 0:
        return False, "html_bytes missing or not positive"
    html = output.get("html")
    if html is not None:
        if len(html.encode()) != output["html_bytes"]:
            return False, "html length differs from html_bytes"
        if hashlib.sha256(html.encode()).hexdigest() != output.get("sha256"):
            return False, "html does not match its sha256"
        if html.count("<li>") != payload["random_len"]:
            return False, "html row count differs from random_len"
        if payload["username"] not in html:
            return False, "username missing from the page"
    return True, "ok"

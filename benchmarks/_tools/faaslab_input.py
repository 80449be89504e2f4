"""Runs a benchmark's input generator or output validator for the faaslab host.

usage: faaslab_input.py generate <benchmark-dir> <size> <seed>
       faaslab_input.py validate <benchmark-dir> <payload-json-file> <output-json-file>
Prints one JSON document on stdout.
"""

import importlib.util
import json
import sys


def load(bench_dir):
    spec = importlib.util.spec_from_file_location("faaslab_benchmark_input", f"{bench_dir}/input.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv):
    if len(argv) != 5 or argv[1] not in ("generate", "validate"):
        print(__doc__, file=sys.stderr)
        return 2
    module = load(argv[2])
    if argv[1] == "generate":
        print(json.dumps(module.generate_input(argv[3], int(argv[4]))))
    else:
        with open(argv[3]) as f:
            payload = json.load(f)
        with open(argv[4]) as f:
            output = json.load(f)
        ok, reason = module.validate_output(payload, output)
        print(json.dumps({"valid": bool(ok), "reason": str(reason)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

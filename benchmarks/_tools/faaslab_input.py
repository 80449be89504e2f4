"""Runs a benchmark's input generator or output validator for the faaslab host.

usage: faaslab_input.py generate <benchmark-dir> <size> <seed>
       faaslab_input.py generate <benchmark-dir> <size> <seed> <storage-json> <staging-dir>
       faaslab_input.py validate <benchmark-dir> <payload-json-file> <output-json-file>
Prints one JSON document on stdout.

Benchmarks that declare `storage` in config.json get a third argument: an object with
`bucket`, `inputs`, `outputs` (prefixes) and `upload(input_index, key, data)`. Uploads
are staged as files; the host uploads them (skipping objects already present) and the
tool prints {"payload": ..., "uploads": [{"input": i, "key": k, "file": path}]}.
"""

import importlib.util
import json
import os
import sys


def load(bench_dir):
    spec = importlib.util.spec_from_file_location("faaslab_benchmark_input", f"{bench_dir}/input.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class StagedStorage:
    def __init__(self, spec, staging):
        self.bucket = spec["bucket"]
        self.inputs = spec["inputs"]
        self.outputs = spec["outputs"]
        self.staging = staging
        self.uploads = []

    def upload(self, input_index, key, data):
        if not 0 <= input_index < len(self.inputs):
            raise ValueError(f"input prefix {input_index} is not declared in config.json")
        path = os.path.join(self.staging, f"{len(self.uploads)}.bin")
        with open(path, "wb") as f:
            f.write(data)
        self.uploads.append({"input": input_index, "key": key, "file": path})


def main(argv):
    if len(argv) not in (5, 7) or argv[1] not in ("generate", "validate"):
        print(__doc__, file=sys.stderr)
        return 2
    module = load(argv[2])
    if argv[1] == "generate" and len(argv) == 7:
        storage = StagedStorage(json.loads(argv[5]), argv[6])
        payload = module.generate_input(argv[3], int(argv[4]), storage)
        print(json.dumps({"payload": payload, "uploads": storage.uploads}))
    elif argv[1] == "generate":
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

//! Hostile fixture: after one log line, `run` allocates 1 MiB blocks and writes to every
//! 4 KiB page of each, without bound, until the host's memory limit makes an allocation
//! fail (which traps).

wit_bindgen::generate!({ path: "../../../../wit", world: "experiment" });

use faaslab::host::log::{Level, log};
use std::hint::black_box;

const MIB: usize = 1 << 20;
const PAGE: usize = 4 << 10;

struct MemoryBomb;
export!(MemoryBomb);

impl Guest for MemoryBomb {
    fn run(_config: String) -> Result<String, String> {
        log(Level::Info, "memory-bomb: allocating 1 MiB blocks forever");
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut block = vec![0u8; MIB];
            for (i, byte) in block.iter_mut().step_by(PAGE).enumerate() {
                *byte = i as u8 | 1;
            }
            blocks.push(black_box(block));
        }
    }
}

//! `faaslab cache list|clean`.

use std::process::ExitCode;

use super::{CacheCommand, CommonArgs};
use crate::cache::{Cache, CleanFilter};
use crate::config::default_cache_dir;

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

pub fn run(common: &CommonArgs, command: CacheCommand) -> anyhow::Result<ExitCode> {
    let root = common.cache_dir.clone().unwrap_or_else(default_cache_dir);
    match command {
        CacheCommand::List { json } => {
            let listing = Cache::inspect(&root).listing();
            if json {
                println!("{}", serde_json::to_string_pretty(&listing)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("cache: {}", root.display());
            println!("functions ({})", listing.functions.len());
            for f in &listing.functions {
                match &f.record {
                    Some(r) => println!(
                        "  {:<14} {:<48} {:<20} {:>5} MB  code {}",
                        f.platform,
                        f.name,
                        r.benchmark,
                        r.config.memory_mb,
                        &r.code_hash[..r.code_hash.len().min(12)]
                    ),
                    None => println!(
                        "  {:<14} {:<48} CORRUPT (rebuilt on next use): {}",
                        f.platform,
                        f.name,
                        f.error.as_deref().unwrap_or("")
                    ),
                }
            }
            println!("packages ({})", listing.packages.len());
            for p in &listing.packages {
                println!(
                    "  {:<14} {:<20} {}  {}",
                    p.platform,
                    p.benchmark,
                    &p.code_hash[..p.code_hash.len().min(12)],
                    kib(p.bytes)
                );
            }
            println!("inputs ({})", listing.inputs.len());
            for i in &listing.inputs {
                println!("  {:<20} {}  {}", i.benchmark, i.file, kib(i.bytes));
            }
            let component_bytes: u64 = listing.components.iter().map(|c| c.bytes).sum();
            println!(
                "compiled guests ({}, {})",
                listing.components.len(),
                kib(component_bytes)
            );
            Ok(ExitCode::SUCCESS)
        }
        CacheCommand::Clean {
            benchmark,
            platform,
        } => {
            let Some(cache) = Cache::open_exclusive(&root)? else {
                anyhow::bail!(
                    "the cache {} is in use by another faaslab process; try again when it has finished",
                    root.display()
                );
            };
            let report = cache.clean(&CleanFilter {
                benchmark,
                platform,
            })?;
            println!(
                "removed {} functions, {} packages, {} inputs, {} compiled guests ({})",
                report.functions,
                report.packages,
                report.inputs,
                report.components,
                kib(report.bytes)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

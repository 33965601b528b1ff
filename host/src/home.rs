//! ferry's home folder: `~/.ferry`, or `FERRY_HOME`.

use std::path::PathBuf;

/// The folder where ferry keeps its config, installed plugins and caches.
pub fn dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("FERRY_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| anyhow::anyhow!("cannot find ferry's home: set FERRY_HOME or HOME"))?;
    Ok(PathBuf::from(home).join(".ferry"))
}

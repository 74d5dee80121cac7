//! What the two benchmark programs share: the deterministic random numbers their generators draw
//! from, and building the release `ddf` binary they time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// splitmix64: the same seed gives the same numbers, so the same corpus, byte for byte.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    /// The next number.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `len` hexadecimal digits.
    pub(crate) fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next_u64());
        }
        s.truncate(len);
        s
    }
}

/// Runs `cargo build --release --bin ddf` and returns the binary next to the benchmark program
/// (so `CARGO_TARGET_DIR` is honoured).
pub(crate) fn build_ddf() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building ddf: cargo build --release --bin ddf");
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "ddf"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build --release --bin ddf failed".into());
    }
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the bench executable: {e}"))?;
    // target/release/deps/<bench>-HASH -> target/release/ddf
    let release = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected bench executable location")?;
    let ddf = release.join(format!("ddf{}", std::env::consts::EXE_SUFFIX));
    if !ddf.is_file() {
        return Err(format!("{} not found after the build", ddf.display()));
    }
    Ok(ddf)
}

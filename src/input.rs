//! Reading an input file with a size cap, so that `/dev/zero`, a huge file or an endless pipe
//! named as input costs at most the cap, then a clear error naming it. Used by
//! `simulate --input`, `--sslrootcert`, and meant for every other file a user names (the
//! config file). Pipes and devices are read (process substitution `<(...)` is a pipe); only
//! the amount is bounded.

use std::io::Read;
use std::path::Path;

/// Largest `simulate --input` file (a batch of requests; 1 MB holds thousands).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads at most `cap` bytes of `path`; more is an error naming the cap. The error text does
/// not repeat the path (callers put it in front).
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read ({e})"))?;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > cap
    {
        return Err(too_large(cap));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read ({e})"))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

/// Like [`read_capped`], as UTF-8 text.
pub fn read_capped_text(path: &Path, cap: u64) -> Result<String, String> {
    String::from_utf8(read_capped(path, cap)?)
        .map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

fn too_large(cap: u64) -> String {
    format!(
        "larger than the input cap of {} (see README \"Bounds\")",
        human_bytes(cap)
    )
}

/// "4 MiB", "64 MiB", "512 KiB", "100 bytes".
pub fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_stops_at_the_cap() {
        let err = read_capped(Path::new("/dev/zero"), 1024).err();
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("input cap of 1 KiB")),
            "{err:?}"
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("rdsiam-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("big.json");
        std::fs::write(&path, vec![b' '; 2048]).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_capped(&path, 1024).is_err());
        assert_eq!(
            read_capped(&path, 2048).map(|b| b.len()).ok(),
            Some(2048),
            "exactly the cap is allowed"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! Writing files so that a crash leaves the old file or the new one, never a mix: a temporary file
//! in the same folder (mode 0600), fsync, rename over the target, fsync the folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::Rng;

use super::crash_hook::crash_point;

/// Creates `dir` if needed and makes it private to its owner (0700).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// Replaces `path` with `bytes` atomically; the file is private to its owner (0600).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    stage(path, bytes)?.commit()
}

/// A file written whole beside the file it will replace, not yet in its place: several can be
/// staged, then committed, so that a failure to write any of them leaves none.
pub struct Staged {
    temp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
}

/// Writes `bytes` to a temporary file beside `path` (mode 0600) and syncs it.
pub fn stage(path: &Path, bytes: &[u8]) -> io::Result<Staged> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let staged = Staged {
        temp: dir.join(format!(
            ".{name}.tmp-{}-{:08x}",
            std::process::id(),
            rand::thread_rng().r#gen::<u32>()
        )),
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staged.temp)?;
    // From here on, dropping `staged` on an error removes the temporary file.
    file.write_all(bytes)?;
    file.sync_all()?;
    crash_point("write:temp-synced");
    Ok(staged)
}

impl Staged {
    /// Renames the file over its target and syncs the folder.
    pub fn commit(self) -> io::Result<()> {
        fs::rename(&self.temp, &self.path)?;
        crash_point("write:renamed");
        File::open(&self.dir)?.sync_all()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Once committed there is nothing by that name any more.
        let _ = fs::remove_file(&self.temp);
    }
}

/// Removes temporary files a crashed writer of `path` left behind (they hold only sealed values).
pub fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_with_private_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        ensure_private_dir(&home).unwrap();
        let path = home.join("config.yaml");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&home).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let names: Vec<_> = fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["config.yaml"], "no temporary file is left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.yaml");
        write_atomic(&path, b"old").unwrap();
        // Renaming a file over a non-empty folder fails after the temporary file was written.
        let blocked = tmp.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("x"), b"x").unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "the temporary file was removed: {names:?}");
    }
}

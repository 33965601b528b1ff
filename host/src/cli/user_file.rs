//! Files the user names on the command line, read and written the one way every command does.
//!
//! Only a regular file is read: a FIFO would leave ferry waiting for a writer that may never come,
//! and a folder or a device holds no document. At most [`MAX_MIB`] of it, since ferry holds a
//! document (and each plugin a copy) in memory; as UTF-8, a bad byte named by line and column.
//! An output goes where a regular file is or can be, written whole or not at all (a temporary
//! file renamed over it), so a failed run leaves the old file or none, never half of one.

use std::fs::{self, File, FileType};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use super::hints::with_hint;
use crate::config::atomic::stage;

/// The largest file ferry reads. Palette's exports are kilobytes to a few MiB; this leaves room for
/// a profile with big manifests, and is fixed: a plugin's memory (`limits.memory-mib`, 256 MiB by
/// default) has to hold several copies of a document.
pub const MAX_MIB: u64 = 64;

/// The text of the file at `path`; `what` names it in errors ("the document").
pub fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    let fail = |why: String| anyhow::anyhow!("cannot read {what} {}: {why}", path.display());
    // `metadata` does not open the file: opening a FIFO would wait for a writer.
    let meta = fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(with_hint(
            fail(format!("it is {}, not a file", kind(meta.file_type()))),
            "give the path of a regular file (ferry reads a file whole: a FIFO or a device would leave it waiting)",
        ));
    }
    let limit = MAX_MIB * 1024 * 1024;
    let too_big = |size: u64| {
        with_hint(
            fail(format!(
                "it is {:.1} MiB, over the {MAX_MIB} MiB ferry reads of one file",
                size as f64 / (1024.0 * 1024.0)
            )),
            "a profile export is rarely over a few MiB: is it the right file? (the limit is fixed)",
        )
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte past the limit tells a file that grew since `metadata` from one that did not.
    File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let (line, column) = line_column(&bytes[..at]);
        with_hint(
            fail(format!(
                "it is not UTF-8 text: byte 0x{:02x} at line {line} column {column}",
                bytes[at]
            )),
            "save it as UTF-8, as Palette and `ferry export` write documents",
        )
    })
}

/// The line and column (both from 1, the column in characters) just after `before`, valid UTF-8.
fn line_column(before: &[u8]) -> (usize, usize) {
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Refuses a place a file cannot be written whole: something there that is not a regular file
/// (renaming over a FIFO would quietly replace it), or a folder that does not exist. Checked
/// before anything is written, so that a run that fails here leaves nothing behind.
pub fn check_destination(path: &Path) -> anyhow::Result<()> {
    let fail = |why: String| anyhow::anyhow!("cannot write {}: {why}", path.display());
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() || meta.is_symlink() && path.is_file() => Ok(()),
        Ok(meta) => Err(with_hint(
            fail(format!("it is {}, not a file", kind(meta.file_type()))),
            "give the path of a file to create or replace",
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if dir.is_dir() {
                return Ok(());
            }
            Err(with_hint(
                fail(format!("the folder {} does not exist", dir.display())),
                "create the folder first, or give a path in one that exists",
            ))
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// Writes each file whole, or (if any cannot be written) none of them: all are checked, then
/// written beside their places, then renamed into them.
pub fn write_all(files: &[(PathBuf, Vec<u8>)]) -> anyhow::Result<()> {
    for (path, _) in files {
        check_destination(path)?;
    }
    let staged = files
        .iter()
        .map(|(path, bytes)| stage(path, bytes).map_err(|e| cannot_write(path, e)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (staged, (path, _)) in staged.into_iter().zip(files) {
        staged.commit().map_err(|e| cannot_write(path, e))?;
    }
    Ok(())
}

fn cannot_write(path: &Path, e: std::io::Error) -> anyhow::Error {
    let err = anyhow::anyhow!("cannot write {}: {e}", path.display());
    if matches!(
        e.kind(),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
    ) {
        return with_hint(
            err,
            "ferry writes a temporary file beside it, then renames it over the file: give a path in a folder you can write to",
        );
    }
    err
}

fn kind(t: FileType) -> &'static str {
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_symlink() {
        "a link to nothing that is a file"
    } else {
        "something else"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_named_by_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.json");
        fs::write(&path, b"{\n  \"n\": \"h\xc3\xa9\xff\"\n}").unwrap();
        let err = format!("{:#}", read(&path, "the document").unwrap_err());
        assert!(
            err.contains("byte 0xff at line 2 column 11") && err.contains("doc.json"),
            "{err}"
        );
    }

    #[test]
    fn only_regular_files_are_read_or_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let err = format!("{:#}", read(dir.path(), "the document").unwrap_err());
        assert!(err.contains("it is a folder, not a file"), "{err}");
        let err = format!("{:#}", check_destination(dir.path()).unwrap_err());
        assert!(err.contains("it is a folder, not a file"), "{err}");
        let missing = dir.path().join("no/such/out.json");
        let err = format!("{:#}", check_destination(&missing).unwrap_err());
        assert!(err.contains("does not exist"), "{err}");
        let file = dir.path().join("out.json");
        write_all(&[(file.clone(), b"x".to_vec())]).unwrap();
        // One place that cannot take a file: none is written.
        let both = [(file.clone(), b"y".to_vec()), (missing, b"z".to_vec())];
        assert!(write_all(&both).is_err());
        assert_eq!(read(&file, "the document").unwrap(), "x");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.json"], "no temporary file is left");
    }
}

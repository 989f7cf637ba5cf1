//! Durable, private file output: the one atomic-write helper every writer
//! uses (store files, the store manifest, exports, reports, monitor
//! checkpoints), the file modes personal data is created with, and the small
//! file-system seam (`Vfs`) through which the store does all its file
//! operations, so tests can inject faults at every step (SQLite's VFS idea).
//!
//! Atomic write: the bytes go to a temporary file in the *same* directory
//! (reserved name `.tf-tmp-<pid>-<n>-<name>`, never a user's path), which is
//! fsynced and renamed over the target; the directory is then fsynced. A
//! crash leaves either the old file or the new one, never a torn one; a
//! failure removes the temporary file and names the target path.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// The prefix of every temporary file trailfence writes. Files with it are
/// never data: the next writer of a store removes any it finds.
pub const TEMP_PREFIX: &str = ".tf-tmp-";

/// Unix permission bits for files and directories trailfence creates.
/// Trail data is criminal-offence personal data: the default is owner-only
/// (`0o600` files, `0o700` directories), whatever the process umask. Ignored
/// on platforms without Unix modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileModes {
    /// Mode of new files (default `0o600`).
    pub file: u32,
    /// Mode of new directories (default `0o700`).
    pub dir: u32,
}

impl Default for FileModes {
    fn default() -> Self {
        FileModes {
            file: 0o600,
            dir: 0o700,
        }
    }
}

/// A file being written through a [`Vfs`].
pub(crate) trait VfsFile: Write + Send {
    /// Flushes data and metadata to stable storage.
    fn sync_all(&mut self) -> io::Result<()>;
}

/// The file operations of the store and of atomic writes. The operating
/// system's ([`OsFs`]) in production; tests substitute one that fails at a
/// chosen step.
pub(crate) trait Vfs: Send + Sync + fmt::Debug {
    /// Creates `path` (which must not exist) for writing with `mode`.
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<Box<dyn VfsFile>>;
    /// Renames `from` over `to` (atomic on POSIX file systems).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Creates a directory and its missing parents with `mode`.
    fn create_dir_all(&self, path: &Path, mode: u32) -> io::Result<()>;
    /// Fsyncs a directory (so renames and creations in it are durable).
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Reads a whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// The operating system's file operations.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OsFs;

impl VfsFile for File {
    fn sync_all(&mut self) -> io::Result<()> {
        File::sync_all(self)
    }
}

impl Vfs for OsFs {
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<Box<dyn VfsFile>> {
        Ok(Box::new(open_new(path, mode)?))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
    fn create_dir_all(&self, path: &Path, mode: u32) -> io::Result<()> {
        create_dir_all_mode(path, mode)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }
}

#[cfg(unix)]
fn set_file_mode(o: &mut OpenOptions, mode: u32) {
    use std::os::unix::fs::OpenOptionsExt;
    o.mode(mode);
}

#[cfg(not(unix))]
fn set_file_mode(_: &mut OpenOptions, _: u32) {}

/// Sets the exact mode (the umask may have removed bits a caller asked for).
#[cfg(unix)]
fn chmod(f: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn chmod(_: &File, _: u32) -> io::Result<()> {
    Ok(())
}

/// Opens a new file for writing with exactly `mode`.
fn open_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    set_file_mode(&mut o, mode);
    let f = o.open(path)?;
    chmod(&f, mode)?;
    Ok(f)
}

/// Creates a directory and its missing parents, each new one with `mode`
/// (existing directories keep theirs), fsyncing each new directory's parent
/// so the new entry is durable.
pub(crate) fn create_dir_all_mode(path: &Path, mode: u32) -> io::Result<()> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        create_dir_all_mode(parent, mode)?;
    }
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(mode);
    }
    match b.create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => return Ok(()),
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(d) = File::open(parent) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary path beside `path` (same directory, reserved prefix).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = format!("{TEMP_PREFIX}{}-{n}-{name}", std::process::id());
    match path.parent() {
        Some(p) => p.join(tmp),
        None => PathBuf::from(tmp),
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` atomically through `vfs` (see the module docs).
///
/// # Errors
/// [`Error::Io`] naming `path` and the step that failed; the temporary file
/// is removed and `path` is unchanged.
pub(crate) fn write_atomic_with(vfs: &dyn Vfs, path: &Path, bytes: &[u8], modes: FileModes) -> Result<(), Error> {
    let tmp = temp_path(path);
    let fail = |step: &str, e: io::Error| {
        let _ = vfs.remove_file(&tmp);
        Error::io(
            path.display(),
            io::Error::new(e.kind(), format!("{step}: {e} (nothing was changed)")),
        )
    };
    let mut f = vfs
        .create_new(&tmp, modes.file)
        .map_err(|e| fail("creating a temporary file", e))?;
    f.write_all(bytes).map_err(|e| fail("writing", e))?;
    f.sync_all().map_err(|e| fail("syncing to disk", e))?;
    drop(f);
    vfs.rename(&tmp, path).map_err(|e| fail("renaming into place", e))?;
    vfs.sync_dir(parent_dir(path)).map_err(|e| {
        Error::io(
            path.display(),
            io::Error::new(e.kind(), format!("syncing its directory: {e}")),
        )
    })?;
    Ok(())
}

/// Writes `bytes` to `path` atomically, the file created with
/// `modes.file` (see the module docs).
///
/// # Errors
/// [`Error::Io`] naming `path`; `path` is unchanged on failure.
pub fn write_atomic(path: &Path, bytes: &[u8], modes: FileModes) -> Result<(), Error> {
    write_atomic_with(&OsFs, path, bytes, modes)
}

/// A file written in a stream and published atomically by
/// [`AtomicFile::commit`]: until then the data lives under a temporary name
/// in the target's directory; dropped without a commit (an error, a closed
/// pipe, a panic), the temporary file is removed and the target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `path` (created with `modes.file`).
    ///
    /// # Errors
    /// [`Error::Io`] naming `path` when its directory is not writable.
    pub fn create(path: &Path, modes: FileModes) -> Result<Self, Error> {
        let tmp = temp_path(path);
        let f = open_new(&tmp, modes.file).map_err(|e| Error::io(path.display(), e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 16, f)),
        })
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, fsyncs and renames the data into place, then fsyncs the
    /// directory.
    ///
    /// # Errors
    /// [`Error::Io`] naming the target path; the target is unchanged.
    pub fn commit(mut self) -> Result<(), Error> {
        let out = self.out.take().expect("committed once");
        let named = |e: io::Error| Error::io(self.path.display(), e);
        let f = out.into_inner().map_err(|e| named(e.into_error()))?;
        f.sync_all().map_err(named)?;
        drop(f);
        fs::rename(&self.tmp, &self.path).map_err(named)?;
        let _ = OsFs.sync_dir(parent_dir(&self.path));
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.as_mut().map_or(Ok(0), |o| o.write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().map_or(Ok(()), |o| o.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tf-durable-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_and_the_target_untouched() {
        let d = dir("uncommitted");
        let target = d.join("out.csv");
        fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target, FileModes::default()).unwrap();
            f.write_all(b"new, half written").unwrap();
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        let mut f = AtomicFile::create(&target, FileModes::default()).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn files_and_directories_are_owner_only_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir("modes");
        let sub = d.join("a/b");
        create_dir_all_mode(&sub, FileModes::default().dir).unwrap();
        write_atomic(&sub.join("x"), b"1", FileModes::default()).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&sub.join("x")), 0o600);
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&d.join("a")), 0o700);
        let mut f = AtomicFile::create(
            &d.join("y"),
            FileModes {
                file: 0o640,
                dir: 0o750,
            },
        )
        .unwrap();
        f.write_all(b"2").unwrap();
        f.commit().unwrap();
        assert_eq!(mode(&d.join("y")), 0o640);
    }
}

//! Confined file access: the one reader for every file a DDF names, and the one way to join a
//! file name to an output folder.
//!
//! A pull request is untrusted input, and a DDF names files in many places: the records below
//! the records folder, the SBOMs a release lists, the template overrides, `ddf.yaml` itself. A
//! hostile one can make any of them a symbolic link to `/proc/self/environ` (the CI's secrets
//! would be published on the site), a path into `.git` (remote URLs with tokens), or a FIFO that
//! blocks the first `open` forever. [`read`] refuses all of these before it opens anything: the
//! file must be a regular file whose real path stays inside the repository, outside `.git`, and
//! no larger than the caller's bound. [`join`] is the writers' half: a name that is not one
//! plain path component never becomes a path.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The path is absolute or climbs out with `..`.
    #[error("the path is not inside the DDF root, so it is not read")]
    NotRelative,
    /// The path, or the real path a link leads to, is inside `.git`.
    #[error("the path leads into `.git`, which holds Git's own files, so it is not read")]
    GitDir,
    /// A symbolic link whose target is outside the repository, or that leads nowhere.
    #[error("the symbolic link leads outside the repository (or nowhere), so it is not read")]
    Outside,
    /// A FIFO, socket, device or folder where a file was expected.
    #[error("it is {0}, not a regular file, so it is not read")]
    NotRegular(&'static str),
    /// A symbolic link stored in a Git revision.
    #[error("it is a symbolic link in Git, which ddf does not follow")]
    GitLink,
    /// Larger than the caller reads.
    #[error("the file is {size} bytes, more than the {max} bytes ddf reads")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The bound.
        max: u64,
    },
    /// The operating system's error.
    #[error("cannot read the file: {0}")]
    Io(String),
}

impl Refusal {
    /// How to fix it.
    pub fn hint(&self) -> &'static str {
        match self {
            Refusal::NotRelative => "name the file by its path relative to the DDF root, without `..`",
            Refusal::GitDir => "name a file of the working tree, not one of Git's own files",
            Refusal::Outside => {
                "keep the file itself in the repository, where Git keeps its history, instead of a link"
            }
            Refusal::NotRegular(_) | Refusal::GitLink => {
                "replace it with the file itself"
            }
            Refusal::TooLarge { .. } => "keep the file smaller, or outside the DDF",
            Refusal::Io(_) => "check the file's permissions",
        }
    }
}

/// Whether `name` is `.git` as a file system may spell it (case-insensitive file systems open
/// `.GIT/config` too).
fn is_git(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.eq_ignore_ascii_case(".git"))
}

/// Checks a path a DDF names, relative to the DDF root, before it is joined to anything: only
/// plain components (and `.`), none of them `.git`.
pub fn check_relative(rel: &str) -> Result<(), Refusal> {
    // `\` separates folders on Windows; refuse it everywhere so a path means the same on all.
    if rel.contains('\\') || rel.contains('\0') {
        return Err(Refusal::NotRelative);
    }
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(n) if is_git(n) => return Err(Refusal::GitDir),
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(Refusal::NotRelative)
            }
        }
    }
    Ok(())
}

/// What a non-regular file is, for messages.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Reads the file at `rel` below `root`, confined to `fence` (the repository's top, or the DDF
/// root outside Git; both canonical): `Ok(None)` when nothing is there. Refused: a path that is
/// not relative or goes into `.git`, a link whose real path leaves `fence` or enters `.git`,
/// anything but a regular file, and a file over `max` bytes. Nothing is opened before the checks
/// pass, and the open cannot block, so a FIFO never hangs ddf.
pub fn read(fence: &Path, root: &Path, rel: &str, max: u64) -> Result<Option<Vec<u8>>, Refusal> {
    check_relative(rel)?;
    read_path(fence, &root.join(rel), max, false)
}

/// [`read`] of a path below the DDF root, whose name need not be UTF-8. `listed`: the records
/// walk found it by listing real folders (it follows no folder link) from one already checked to
/// be inside `fence`, so unless the file itself is a link only its type needs checking; this
/// spares resolving the whole path of every record of a large DDF.
pub(crate) fn read_path(
    fence: &Path,
    path: &Path,
    max: u64,
    listed: bool,
) -> Result<Option<Vec<u8>>, Refusal> {
    let io = |e: std::io::Error| Refusal::Io(e.to_string());
    let link = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        // A component of the path that is a file, not a folder: nothing is there either.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(io(e)),
    };
    let (real, meta) = if listed && !link.file_type().is_symlink() {
        (std::borrow::Cow::Borrowed(path), link)
    } else {
        let real = match path.canonicalize() {
            Ok(p) => p,
            Err(_) if link.file_type().is_symlink() => return Err(Refusal::Outside),
            Err(e) => return Err(io(e)),
        };
        let inside = real.strip_prefix(fence).map_err(|_| Refusal::Outside)?;
        if inside.components().any(|c| is_git(c.as_os_str())) {
            return Err(Refusal::GitDir);
        }
        let meta = std::fs::metadata(&real).map_err(io)?;
        (std::borrow::Cow::Owned(real), meta)
    };
    if !meta.is_file() {
        return Err(Refusal::NotRegular(kind(&meta)));
    }
    if meta.len() > max {
        return Err(Refusal::TooLarge {
            size: meta.len(),
            max,
        });
    }
    let mut file = open_nonblocking(&real).map_err(io)?;
    // The file may have been swapped between the checks and the open: check the open handle.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular(kind(&meta)));
    }
    let mut buf = Vec::with_capacity(meta.len().min(max) as usize + 1);
    // Read one byte past the bound, so a file that grew since the check is refused, not cut.
    (&mut file)
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > max {
        return Err(Refusal::TooLarge {
            size: buf.len() as u64,
            max,
        });
    }
    Ok(Some(buf))
}

/// Opens for reading without blocking on a FIFO and without following a final symbolic link
/// (the path is canonical or was no link when checked, so a link there was put in place after
/// the checks).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    opts.open(path)
}

/// A file name that may not be joined to an output folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a plain file name, so ddf does not write it")]
pub struct BadName(pub String);

/// `dir/name`, where `name` must be one plain path component: not empty, not `.` or `..`, no
/// `/` or `\`, no control character, and not `.git`. Every writer that makes a file name from
/// what a DDF says (a type name, say) joins through this, so no name writes outside `dir`.
pub fn join(dir: &Path, name: &str) -> Result<PathBuf, BadName> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
        || is_git(std::ffi::OsStr::new(name));
    let mut parts = Path::new(name).components();
    let single = matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    );
    if bad || !single {
        return Err(BadName(name.to_string()));
    }
    Ok(dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 1024;

    fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let top = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(top.join("records")).expect("mkdir");
        (dir, top)
    }

    #[test]
    fn reads_a_regular_file_and_says_none_when_absent() {
        let (_d, top) = repo();
        std::fs::write(top.join("records/a.md"), "x").expect("write");
        assert_eq!(
            read(&top, &top, "records/a.md", MAX),
            Ok(Some(b"x".to_vec()))
        );
        assert_eq!(read(&top, &top, "records/b.md", MAX), Ok(None));
        assert_eq!(read(&top, &top, "records/a.md/x", MAX), Ok(None));
    }

    #[test]
    fn refuses_paths_that_leave_or_enter_git() {
        let (_d, top) = repo();
        std::fs::create_dir_all(top.join(".git")).expect("mkdir");
        std::fs::write(top.join(".git/config"), "[remote]").expect("write");
        assert_eq!(read(&top, &top, ".git/config", MAX), Err(Refusal::GitDir));
        assert_eq!(
            read(&top, &top, "records/../.GIT/config", MAX),
            Err(Refusal::NotRelative)
        );
        assert_eq!(read(&top, &top, ".GIT/config", MAX), Err(Refusal::GitDir));
        assert_eq!(
            read(&top, &top, "/etc/passwd", MAX),
            Err(Refusal::NotRelative)
        );
        assert_eq!(read(&top, &top, "..\\x", MAX), Err(Refusal::NotRelative));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_links_out_of_the_repository_and_into_git() {
        let (_d, top) = repo();
        let outside = tempfile::tempdir().expect("tmp");
        std::fs::write(outside.path().join("secret"), "token").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret"), top.join("out.json"))
            .expect("link");
        std::os::unix::fs::symlink("/proc/self/environ", top.join("env.json")).expect("link");
        std::os::unix::fs::symlink(top.join("nowhere"), top.join("dangling.json")).expect("link");
        std::fs::create_dir_all(top.join(".git")).expect("mkdir");
        std::fs::write(top.join(".git/config"), "[remote]").expect("write");
        std::os::unix::fs::symlink(".git/config", top.join("cfg.json")).expect("link");
        std::os::unix::fs::symlink(".git", top.join("g")).expect("link");
        for (rel, want) in [
            ("out.json", Refusal::Outside),
            ("env.json", Refusal::Outside),
            ("dangling.json", Refusal::Outside),
            ("cfg.json", Refusal::GitDir),
            ("g/config", Refusal::GitDir),
        ] {
            assert_eq!(read(&top, &top, rel, MAX), Err(want), "{rel}");
        }
        // A link that stays inside is read.
        std::fs::write(top.join("records/a.md"), "x").expect("write");
        std::os::unix::fs::symlink("records/a.md", top.join("in.md")).expect("link");
        assert_eq!(read(&top, &top, "in.md", MAX), Ok(Some(b"x".to_vec())));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_d, top) = repo();
        let fifo = top.join("records/DI-905.md");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert_eq!(
            read(&top, &top, "records/DI-905.md", MAX),
            Err(Refusal::NotRegular("a FIFO (named pipe)"))
        );
        assert_eq!(
            read(&top, &top, "records", MAX),
            Err(Refusal::NotRegular("a folder"))
        );
    }

    #[test]
    fn bounds_the_size() {
        let (_d, top) = repo();
        std::fs::write(top.join("big"), vec![b'x'; 2000]).expect("write");
        assert_eq!(
            read(&top, &top, "big", MAX),
            Err(Refusal::TooLarge {
                size: 2000,
                max: MAX
            })
        );
    }

    #[test]
    fn join_takes_one_plain_name() {
        let dir = Path::new("out");
        assert_eq!(
            join(dir, "design-input.schema.json"),
            Ok(PathBuf::from("out/design-input.schema.json"))
        );
        for bad in [
            "", ".", "..", "../x", "a/b", "a\\b", "/etc/x", ".git", "a\nb",
        ] {
            assert!(join(dir, bad).is_err(), "{bad:?}");
        }
    }
}

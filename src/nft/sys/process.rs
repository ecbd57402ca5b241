//! The process's own system calls, apart from netlink: the start-up of a
//! binary that begins at C `main`, the mapped input of a restore and the
//! heap's free pages. Like all of rxtables' `unsafe`, under `nft::sys`.

use super::last_errno;
use std::os::raw::c_int;

// ---------------------------------------------------------------------------
// Memory of a large restore
// ---------------------------------------------------------------------------

/// A regular file mapped read-only (the input of `iptables-restore <
/// FILE`), whose pages can be given back at any time ([`Self::release`]):
/// they are read again from the file when next used. A restore keeps most
/// rules as their place in the input and reads them again while the batch
/// is written, so the input needs not stay in memory beside the batch.
pub struct MappedFile {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and never moved; `bytes` only reads it
// and `release` (madvise) may run beside readers, who fault the same bytes
// back in from the file. So threads may share and move it.
unsafe impl Sync for MappedFile {}
unsafe impl Send for MappedFile {}

impl MappedFile {
    /// Map the file open as `fd`, if it is a non-empty regular file read
    /// from its start (`None` otherwise: a pipe, a terminal, a file whose
    /// first bytes were already read by someone else).
    pub fn new(fd: c_int) -> Option<MappedFile> {
        // SAFETY: fstat and lseek write only into `st` / read the fd.
        let (size, pos) = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd, &mut st) != 0 || (st.st_mode & libc::S_IFMT) != libc::S_IFREG {
                return None;
            }
            (st.st_size, libc::lseek(fd, 0, libc::SEEK_CUR))
        };
        let len = usize::try_from(size).ok().filter(|l| *l > 0)?;
        if pos != 0 {
            return None;
        }
        // SAFETY: a fresh private read-only mapping of `len` bytes of a
        // regular file; nothing else refers to it.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                fd,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(MappedFile { ptr, len })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for the life of `self`.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    /// Give the pages back: a private read-only file mapping reads them
    /// from the file again when they are next touched, with the same
    /// bytes (as long as nobody rewrites the file meanwhile, the condition
    /// of every mapped input).
    pub fn release(&self) {
        // SAFETY: the range is this mapping; MADV_DONTNEED on a private
        // file mapping that was never written only drops clean pages.
        unsafe {
            libc::madvise(self.ptr, self.len, libc::MADV_DONTNEED);
        }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

/// What the Rust runtime's start would do that rxtables relies on, for a
/// binary that starts at C `main` without it (`#![no_main]`: the runtime
/// also reads `/proc/self/maps` and sets up a signal stack, a good part of
/// the start of a program that runs for a millisecond): SIGPIPE ignored,
/// so that a closed pipe is an error to write (`iptables -S | head`), not
/// the end of the process; and file descriptors 0-2 open (on `/dev/null`
/// if they were closed), so that a socket never becomes the standard
/// output.
pub fn process_start() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no handler to
    // run; poll and open only read `fds` and a constant path.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        });
        loop {
            if libc::poll(fds.as_mut_ptr(), 3, 0) >= 0 {
                break;
            }
            if last_errno() != libc::EINTR {
                // as the Rust runtime: check each one instead
                for p in &mut fds {
                    if libc::fcntl(p.fd, libc::F_GETFD) == -1 && last_errno() == libc::EBADF {
                        p.revents = libc::POLLNVAL;
                    }
                }
                break;
            }
        }
        for p in &fds {
            if p.revents & libc::POLLNVAL != 0
                && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) == -1
            {
                libc::abort();
            }
        }
    }
}

/// Return the heap's free pages to the kernel (glibc's `malloc_trim`):
/// the planner's temporary memory, freed, stays resident otherwise and
/// adds to the peak when the batch is built next to it.
pub fn trim_heap() {
    // SAFETY: malloc_trim only reorganises the allocator's free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

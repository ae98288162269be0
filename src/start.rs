//! What the process sets up before it reads its command line, where it starts in its own `main`
//! rather than the standard library's (see src/main.rs): the parts of the standard library's
//! start-up that jwtctl relies on.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Whether the process started with stdout closed (`>&-`): see [`stdout_was_closed`].
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether the process started with stdout closed. Its descriptor is then /dev/null (see
/// [`prepare`]), where output would vanish with every write reported done: a command that has
/// something to write says it cannot instead. Known only where the process starts in its own
/// `main` (Linux with glibc); elsewhere the standard library reopens the stream unseen.
pub fn stdout_was_closed() -> bool {
    STDOUT_CLOSED.load(Relaxed)
}

/// Closed standard streams reopened on /dev/null, so that no file the command opens takes their
/// place; SIGPIPE ignored, so that a closed pipe is a write error the command ends on quietly.
pub fn prepare() {
    reopen_closed_standard_streams();
    // SAFETY: setting a signal's disposition to SIG_IGN runs no code of ours in a handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    at_most_four_malloc_arenas();
}

/// At most four malloc arenas. glibc gives each thread an arena of its own (up to eight a
/// core), and each keeps what its thread held at its peak: on a machine with many cores,
/// streaming grew by ~0.5 MiB a worker (sixteen workers, 24-byte tokens from a file: 19.9 MiB,
/// 12.9 in four arenas; from a pipe 13.7 and 8.7). Four are as many as two workers and the
/// calling thread use, so two cores see no change; more threads share them. (One arena for all
/// made the text view, which allocates ~60 times a token, 1.7x slower on two threads.)
fn at_most_four_malloc_arenas() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt sets a tunable of the allocator; it is called before any other thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}

/// With two workers or more, a fixed mmap threshold of 128 KiB: glibc otherwise raises the
/// threshold each time it frees a larger mapped buffer (up to 32 MiB), after which blocks and
/// their reports come out of the arenas' heaps, which the threads' interleaved frees leave in
/// pieces no trim gives back. Four workers (a build that took its core count from the
/// environment, the static build, `decode --json`, three runs): 24-byte tokens 8.3–9.1 ->
/// 6.1–6.3 MiB, 69-byte tokens 7.8–8.0 -> 6.1–6.3, the HS256 corpus 6.1–6.7 -> 5.5–5.8, the
/// most of any input 9.1 -> 7.8; eight workers 11.5 -> 10.1; sixteen about the same. Two
/// workers (the dynamic build, 2M 24-byte tokens from a file, twenty runs): 5.5–7.3 -> 5.0–6.3
/// MiB, the time the same within the noise.
pub fn fixed_mmap_threshold() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt sets a tunable of the allocator under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn reopen_closed_standard_streams() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is three pollfd structs, and a zero timeout does not wait.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } != -1;
    for pfd in fds {
        let closed = if polled {
            pfd.revents & libc::POLLNVAL != 0
        } else {
            // SAFETY: F_GETFD only reads the descriptor's flags.
            let flags = unsafe { libc::fcntl(pfd.fd, libc::F_GETFD) };
            flags == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
        };
        if closed && pfd.fd == 1 {
            STDOUT_CLOSED.store(true, Relaxed);
        }
        // SAFETY: a NUL-terminated path; open returns the lowest free descriptor, this one.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
            // What the standard library's start-up does when it cannot either.
            std::process::abort();
        }
    }
}

/// The CPU the calling thread runs on, where the system tells it (Linux).
pub fn this_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu reads the calling thread's CPU number and takes no argument.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Run first by a thread that a busy thread on `parent` (its CPU, see [`this_cpu`]) has just
/// spawned: if this thread starts on that same CPU, it moves to another one it may run on, then
/// may run anywhere again. Linux often puts a new thread of a young process beside its parent
/// (the process's load is not yet counted), where it waits until the parent's time slice ends
/// or a load balance moves it. On a two-vCPU VM its first instruction came 2.3–4.1 ms after
/// the spawn in half of a test program's runs, and 1.8–7.7 ms after in six of eight of
/// jwtctl's two-thread runs; within ~0.1 ms once it moves itself (see [`let_spawned_start`]).
pub fn move_off(parent: Option<usize>) {
    #[cfg(target_os = "linux")]
    {
        let Some(parent) = parent else { return };
        if this_cpu() != Some(parent) || parent >= libc::CPU_SETSIZE as usize {
            return;
        }
        // SAFETY: cpu_set_t is plain bits; sched_getaffinity and sched_setaffinity read and
        // write the calling thread's CPU mask from and to a set of the size given.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
                return;
            }
            let mut others = allowed;
            libc::CPU_CLR(parent, &mut others);
            if libc::CPU_COUNT(&others) == 0 {
                return;
            }
            // The move happens before this call returns; the mask as it was then lets the
            // scheduler place the thread as it will.
            if libc::sched_setaffinity(0, size, &others) == 0 {
                libc::sched_setaffinity(0, size, &allowed);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
}

/// Run by a thread right after it spawned others: it gives up its CPU for a moment, so that a
/// new thread placed beside it starts now and moves away (see [`move_off`]) instead of waiting
/// for this one's time slice to end. Where no thread waits for the CPU it returns at once.
pub fn let_spawned_start() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_yield takes no argument and only asks the scheduler to run another thread.
    unsafe {
        libc::sched_yield();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The CPUs the calling thread may run on, as a list.
    fn allowed() -> Vec<usize> {
        // SAFETY: cpu_set_t is plain bits; sched_getaffinity fills a set of the size given.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect()
        }
    }

    #[test]
    fn a_thread_moves_off_its_parents_cpu_and_keeps_its_allowed_cpus() {
        std::thread::spawn(|| {
            let before = allowed();
            let here = this_cpu().expect("Linux tells a thread its CPU");
            assert!(before.contains(&here));
            move_off(Some(here));
            let now = this_cpu().unwrap();
            // (The scheduler may move a thread at any time; right after the call it runs
            // elsewhere.)
            if before.len() > 1 {
                assert_ne!(now, here, "allowed on {before:?}");
            } else {
                assert_eq!(now, here);
            }
            assert_eq!(allowed(), before, "the allowed CPUs are given back");
            // Another CPU than the thread's own asks for nothing.
            move_off(Some(now + 1));
            move_off(None);
            assert_eq!(allowed(), before);
        })
        .join()
        .unwrap();
        let_spawned_start();
    }
}

//! Glue from command-line options to reports: the input pipeline the commands share, and the
//! inspection (parse, judge, header warnings) every command starts from. Commands build, never print.

pub mod check_expiry;
pub mod decode;
pub mod encode;
pub mod verify;

use crate::claims::{self, Judgement, Status, Warning};
use crate::exit::Exit;
use crate::input::{self, Cutter, Event, Input, Scanner, Source, Within, word_candidate};
use crate::render::{Output, Problem, Render};
use crate::report::{Report, Signature};
use crate::token::{self, Kind, Payload};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, BufReader, IsTerminal};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, mpsc};

/// A command that cannot run at all: its message, a hint, and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>, hint: Option<String>) -> Self {
        Failure {
            exit,
            error: error.into(),
            hint,
        }
    }
}

/// What every command needs to judge time, decided once in main.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now: i64,
    pub leeway: i64,
}

/// The global settings every batch command (decode, verify, check-expiry) shares.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    pub clock: Clock,
    /// The largest token accepted (`--max-token-size`).
    pub max_token: usize,
    /// Worker threads (`--threads`); None: one per core, counted only if a pool starts.
    pub threads: Option<usize>,
}

/// Tokens found in the first this-many bytes of an input wait for a `Date:` header that may
/// follow them (curl -v prints the request's Authorization before the response's Date).
const DATE_WINDOW: u64 = 64 * 1024;

/// The most tokens in a row a command judges together (see [`Judge::together`]).
pub const TOGETHER: usize = 16;

/// Tokens judged together: a batch goes to one worker thread.
const BATCH: usize = 128;

/// A batch is sent early once its tokens hold this many bytes, so that memory stays bounded
/// whatever the size of the tokens.
const BATCH_BYTES: usize = 128 * 1024;

/// A regular file is read in blocks of whole lines of at most about this size (smaller for
/// small tokens: see [`BLOCK_JOBS`])…
const BLOCK_BYTES: usize = 128 * 1024;
/// …the first block read this much at a time (the others as much as they take)…
const READ_BYTES: usize = 128 * 1024;
/// …and a line longer than this is scanned as a stream instead (that line alone).
const MAX_BLOCK_BYTES: usize = 256 * 1024;

/// The blocks of [`Run::parallel_blocks`] are at most this size: each thread holds one,
/// scanned and rendered, and more are read than written (with more than two threads, they are
/// cut smaller: see [`IN_FLIGHT`]). 32 KiB blocks cost ~4% more time on two threads.
const PARALLEL_BLOCK_BYTES: usize = 64 * 1024;

/// The threads of [`Run::parallel_blocks`] read no further block while the blocks read and not
/// yet written hold this many bytes of input: blocks are cut at line ends, and a line of
/// thousands of tokens is a block of its own however large (lines of 8,000 tokens, 200 KB each:
/// sixteen workers held seventeen of them).
const IN_FLIGHT_BLOCK_BYTES: usize = 256 * 1024;

/// A block's reports are held until their turn to be written, and a report takes up to ~1 KiB
/// whatever the size of its token (a 24-byte token's warnings take 800 bytes of JSON): a block
/// that yields more tokens than this is not rendered as one; the thread that writes it scans it
/// as a stream and judges its tokens in batches, in its place (see [`Done::Crowded`]), so that
/// what is held stays bounded…
const MAX_BLOCK_JOBS: usize = 512;
/// …and blocks are cut to hold about this many, going by the tokens the blocks before them
/// held: a file of small tokens is read in small blocks.
const BLOCK_JOBS: usize = 384;
/// A block is not cut smaller than this with up to [`SIZED_FOR`] blocks in flight, and never
/// smaller than [`LEAST_BLOCK_BYTES`].
const MIN_BLOCK_BYTES: usize = 2 * 1024;
/// The smallest block, however many are in flight.
const LEAST_BLOCK_BYTES: usize = 512;

/// A piece of a long line ends at the first place past the bytes it is cut for where no token
/// is cut in two (see [`Cutter::cut`]): reads for it look this much further.
const PIECE_LOOK_BYTES: usize = 4096;

/// A file is asked to be read from storage this far ahead of its reads…
const READ_AHEAD_BYTES: u64 = 8 * 1024 * 1024;
/// …this much at a time (see [`FileBlocks::read_ahead`]).
const READ_AHEAD_STEP: u64 = 2 * 1024 * 1024;

/// A file is read at least this much at a time, however small the blocks cut from it.
const READ_PIECE: usize = 16 * 1024;

/// What is pending is moved to a buffer of the thread reading when it is no more than this
/// (see [`FileBlocks::own_pending`]).
const OWN_COPY_BYTES: usize = 4096;

/// Batches or blocks in flight at once: one a worker and one more (set by [`Run::workers`]).
/// [`BATCH`], [`BLOCK_JOBS`] and [`MAX_BLOCK_JOBS`] are for two workers; with more, each
/// batch and block is cut for fewer tokens in proportion (see [`share`]), so that the reports
/// held in flight stay about the same on any number of cores (large tokens' blocks are cut by
/// their bytes in the same proportion: see [`block_bytes`], which cuts blocks smaller again).
/// Streaming 24-byte tokens from a file, sixteen workers held 35 MiB with blocks of the same
/// size, 12–14 MiB with blocks cut once, 6–7 MiB now (with at most four malloc arenas: see
/// `start.rs`); as a hint, it sizes blocks, never what they yield.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(SIZED_FOR);

/// The batches or blocks in flight the sizes are for.
const SIZED_FOR: usize = 3;

/// The fewest tokens a batch or block is cut for, however many are in flight.
const MIN_SHARE: usize = 16;

/// The tokens a batch or block may hold when `in_flight` are, for `jobs` when [`SIZED_FOR`]
/// are: as many up to that, fewer in proportion beyond (at least [`MIN_SHARE`]).
fn share_of(jobs: usize, in_flight: usize) -> usize {
    part_of(jobs, in_flight, MIN_SHARE)
}

/// What each of `in_flight` batches or blocks may hold of `whole`, sized for [`SIZED_FOR`]: all
/// of it up to that many, a part in proportion beyond (at least `least`).
fn part_of(whole: usize, in_flight: usize, least: usize) -> usize {
    if in_flight <= SIZED_FOR {
        whole
    } else {
        (whole.saturating_mul(SIZED_FOR) / in_flight).max(least)
    }
}

/// [`share_of`] for the run's workers.
fn share(jobs: usize) -> usize {
    share_of(jobs, IN_FLIGHT.load(Relaxed))
}

/// The bytes of input each token took in the last block scanned: a hint that sizes blocks (see
/// [`BLOCK_JOBS`]), never what they yield.
static BYTES_PER_JOB: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Records that `bytes` of input held `jobs` tokens (see [`BYTES_PER_JOB`]).
fn scanned(bytes: usize, jobs: usize) {
    BYTES_PER_JOB.store(bytes / jobs.max(1), Relaxed);
}

/// The size of the next block to cut, at most `limit` (see [`BLOCK_JOBS`]). With more than
/// [`SIZED_FOR`] blocks in flight, it is cut smaller twice over: for the share of the tokens
/// in flight (see [`IN_FLIGHT`]), and in the same proportion again, for what each further thread
/// holds whatever its blocks (its own allocator caches and spare buffers): streaming small
/// tokens from a file, eight workers peaked at 9.4–10.9 MiB with blocks cut once, sixteen at
/// 10.8–13.1. Large tokens' blocks are cut by their bytes, once (their reports are a smaller
/// part of them).
fn block_bytes(limit: usize) -> usize {
    block_size(BYTES_PER_JOB.load(Relaxed), IN_FLIGHT.load(Relaxed), limit)
}

/// [`block_bytes`] after blocks of `bytes_per_job` a token, `in_flight` blocks at once.
fn block_size(bytes_per_job: usize, in_flight: usize, limit: usize) -> usize {
    let least = part_of(MIN_BLOCK_BYTES, in_flight, LEAST_BLOCK_BYTES);
    bytes_per_job
        .saturating_mul(block_jobs(in_flight))
        .clamp(least, part_of(limit, in_flight, least))
}

/// The tokens a block is cut for when `in_flight` are (see [`block_bytes`]).
fn block_jobs(in_flight: usize) -> usize {
    share_of(share_of(BLOCK_JOBS, in_flight), in_flight)
}

/// The most lines a block is cut to hold: tokens are mostly a line each, and the size hint
/// comes from the block before (where small tokens follow large ones, a block cut for the large
/// held many times the tokens it was for).
fn block_lines() -> usize {
    block_jobs(IN_FLIGHT.load(Relaxed))
}

/// The bytes of output the last block rendered made of each 64 bytes of its input, and of each
/// of its reports: hints that size output buffers (never the output). JSON lines start at about
/// three times their tokens.
static OUTPUT_PER_64: AtomicUsize = AtomicUsize::new(3 * 64);
static OUTPUT_PER_REPORT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The output bytes `reports` reports of tokens taking `input` bytes are expected to become:
/// the smaller of the two hints' estimates (see [`OUTPUT_PER_64`]). Where large tokens follow
/// small ones, the bytes' hint alone expects ~30 times the input (a 64 KiB block of 400-byte
/// tokens reserved 2 MiB for its ~300 KiB); where small follow large, the reports' hint alone
/// expects ~2 KiB a report. A buffer that turns out too small grows.
fn expected_output(input: usize, reports: usize) -> usize {
    estimate(
        input,
        reports,
        OUTPUT_PER_64.load(Relaxed),
        OUTPUT_PER_REPORT.load(Relaxed),
    )
}

/// [`expected_output`] from the hints `per_64` and `per_report`.
fn estimate(input: usize, reports: usize, per_64: usize, per_report: usize) -> usize {
    (input.saturating_mul(per_64) / 64).min(reports.saturating_mul(per_report))
}

/// Records that `input` bytes of tokens made `reports` reports of `output` bytes (see
/// [`OUTPUT_PER_64`]).
fn rendered_output(input: usize, reports: usize, output: usize) {
    if let Some(per_64) = output.saturating_mul(64).checked_div(input) {
        OUTPUT_PER_64.store(per_64, Relaxed);
    }
    if let Some(per_report) = output.checked_div(reports) {
        OUTPUT_PER_REPORT.store(per_report, Relaxed);
    }
}

/// Token bytes in flight to the workers at most (beyond one batch), so that big tokens do not
/// pile up in memory.
const IN_FLIGHT_BYTES: usize = 1024 * 1024;

/// A batch holding this many bytes (one huge token: blocks are smaller) is judged on the
/// calling thread.
const INLINE_BYTES: usize = 512 * 1024;

/// Buffers a thread is done with, kept for the next block instead of freed: a block's memory is
/// made on one thread and finished with on another, and the allocator gives a block freed by
/// another thread back to the system only after a delay, so that a stream of new blocks would
/// grow the process while the old ones wait. Each buffer is kept with the thread that last
/// wrote into it, and a thread takes its own first: a buffer last written on another core has
/// every line it is written over fetched from that core's cache first (on two threads decode
/// took ~7% longer, check-expiry ~12%, when buffers went to whichever thread asked).
struct Spare<T>(Mutex<Vec<(std::thread::ThreadId, Vec<T>)>>);

/// Buffers kept at most by each [`Spare`]: the blocks in flight and a few more.
const SPARE_BUFFERS: usize = 8;

/// A buffer larger than this is freed, not kept.
const SPARE_MAX_BYTES: usize = 1024 * 1024;

impl<T> Spare<T> {
    const fn new() -> Self {
        Spare(Mutex::new(Vec::new()))
    }

    /// An empty buffer: one this thread wrote last if there is one, else one kept by another.
    fn take(&self) -> Vec<T> {
        let mut kept = lock(&self.0);
        Self::own(&mut kept)
            .or_else(|| kept.pop().map(|(_, b)| b))
            .unwrap_or_default()
    }

    /// An empty buffer this thread wrote last, if one is kept.
    fn take_own(&self) -> Option<Vec<T>> {
        Self::own(&mut lock(&self.0))
    }

    /// Removes from `kept` the buffer this thread wrote last, if there is one.
    fn own(kept: &mut Vec<(std::thread::ThreadId, Vec<T>)>) -> Option<Vec<T>> {
        let me = std::thread::current().id();
        let i = kept.iter().rposition(|(t, _)| *t == me)?;
        Some(kept.swap_remove(i).1)
    }

    /// Keeps `buffer`, last written by this thread, for a later [`Spare::take`], or frees it.
    fn give(&self, buffer: Vec<T>) {
        self.give_to(std::thread::current().id(), buffer);
    }

    /// Keeps `buffer`, last written by thread `by`, for a later [`Spare::take`], or frees it.
    fn give_to(&self, by: std::thread::ThreadId, mut buffer: Vec<T>) {
        let bytes = buffer.capacity() * std::mem::size_of::<T>();
        if bytes == 0 || bytes > SPARE_MAX_BYTES {
            return;
        }
        buffer.clear();
        let mut kept = lock(&self.0);
        if kept.len() < SPARE_BUFFERS {
            kept.push((by, buffer));
        }
    }
}

/// Blocks of input, read on the calling thread and scanned by a worker.
static SPARE_INPUT: Spare<u8> = Spare::new();
/// Blocks of reports, rendered by a worker and written on the calling thread…
static SPARE_OUTPUT: Spare<u8> = Spare::new();
/// …and where each report ends.
static SPARE_ENDS: Spare<Unnumbered> = Spare::new();
/// The jobs found in a block.
static SPARE_JOBS: Spare<Job> = Spare::new();

/// How each token becomes a report; shared by the worker threads. Every command starts from
/// the token read ([`inspect`] at [`Judge::clock`]); the worker makes that report where it
/// stays until it is rendered (a report is large: moving it costs more than much of the work)
/// and the command judges it there.
pub trait Judge: Sync {
    fn clock(&self) -> Clock;

    /// The command's judgement of a token's report, once read.
    fn judge(&self, report: &mut Report);

    /// How many tokens in a row [`Judge::judge_together`] takes (at most [`TOGETHER`]); 1 when
    /// it gains nothing, and a block's tokens are judged one at a time.
    fn together(&self) -> usize {
        1
    }

    /// The reports in [`Judge::together`] slots (each holds one) judged, each exactly as
    /// [`Judge::judge`] judges it alone. A command whose checks go faster several at a time
    /// (verify's HS256 HMACs) does them together.
    fn judge_together(&self, reports: &mut [Option<Report>]) {
        for r in reports.iter_mut().flatten() {
            self.judge(r);
        }
    }
}

/// A command whose judgement is a function of the read report.
pub struct Judged<F> {
    pub clock: Clock,
    pub judge: F,
}

impl<F: Fn(&mut Report) + Sync> Judge for Judged<F> {
    fn clock(&self) -> Clock {
        self.clock
    }

    fn judge(&self, report: &mut Report) {
        (self.judge)(report);
    }
}

pub type Build<'a> = &'a dyn Judge;

/// Reads every input in order, builds a report for each token with `build` on up to `threads`
/// threads, and writes each to `out` in input order as soon as it can. Returns the most severe
/// exit code.
///
/// With more than one thread, the calling thread scans the input and writes reports while the
/// workers judge and render batches; the pool starts with the first full batch, so a few tokens
/// never pay for threads. The plain blocks of a regular file, or of stdin's pipe while it keeps
/// coming, are instead read, judged and written by all the threads in turn (see
/// [`Run::parallel_blocks`]).
pub fn each_token(
    args: &[String],
    batch: Batch,
    build: Build,
    out: &mut Output,
) -> Result<Exit, Failure> {
    let Batch {
        clock,
        max_token,
        threads,
    } = batch;
    let mut inputs = Input::from_args(args);
    if inputs.is_empty() {
        if io::stdin().is_terminal() {
            return Err(Failure::new(
                Exit::Usage,
                anyhow::anyhow!("no token given"),
                Some(
                    "pass a token or text holding tokens as an argument, `-` or `@FILE`, or pipe it in: \
                     `curl -si URL | jwtctl decode`"
                        .into(),
                ),
            ));
        }
        inputs.push(Input::Stdin);
    }
    let view = out.view();
    let queue = Mutex::new(None);
    std::thread::scope(|scope| {
        let mut run = Run {
            clock,
            out,
            jobs: Vec::new(),
            job_bytes: 0,
            index: 0,
            worst: Exit::Ok,
            inline: Worker { view, build },
            found: false,
            retired: false,
            hold_pool: false,
            threads,
            cores: None,
            pool: Pool::Later {
                scope,
                queue: &queue,
            },
        };
        for input in &inputs {
            let flow = match input {
                Input::Argument(i, text) => {
                    let name = format!("argument {i}");
                    if let Some(word) = word_candidate(text) {
                        let source = Source {
                            input: input::intern(&name),
                            line: None,
                            header: None,
                            key: None,
                        };
                        // The limit the scanner holds every other token to.
                        run.push(if word.len() > max_token {
                            too_large(word.len(), max_token, source)
                        } else {
                            Job::token(word.to_string(), None, source, None)
                        })
                    } else {
                        run.scan(
                            Scanner::new(
                                text.as_bytes(),
                                input::intern(&name),
                                text.contains('\n'),
                                max_token,
                            ),
                            Blocking::Never,
                        )
                    }
                }
                Input::Stdin => match Blocking::stdin() {
                    blocking @ (Blocking::Never | Blocking::Pipe(_)) => {
                        run.scan_file(io::stdin(), "stdin".into(), max_token, blocking)
                    }
                    blocking => {
                        let reader = BufReader::with_capacity(64 * 1024, io::stdin());
                        run.scan(Scanner::new(reader, "stdin", true, max_token), blocking)
                    }
                },
                Input::File(_, path) => run.scan_path(path, max_token),
            };
            match flow {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(run.worst),
                Err(e) => return Err(write_failure(e)),
            }
        }
        match run.drain().and_then(|()| run.out.flush()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(write_failure(e)),
            _ => Ok(run.worst),
        }
    })
}

fn write_failure(e: io::Error) -> Failure {
    Failure::new(
        Exit::BadInput,
        anyhow::anyhow!("cannot write output: {e}"),
        None,
    )
}

/// An input that could not be read, said as an error in its place among the reports.
fn read_problem(name: &str, e: &io::Error) -> Problem {
    Problem {
        message: format!(
            "cannot read {}: {}",
            crate::escape::text(name),
            io_reason(e)
        ),
        hint: None,
        exit: Exit::BadInput,
    }
}

/// All of `from` if it holds at most `most` bytes, else None (having read one byte more): a
/// key, secret or claims file, a JWKS response, read without letting `/dev/zero` fill memory.
pub fn read_at_most(from: impl io::Read, most: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut from.take(most.saturating_add(1)), &mut bytes)?;
    Ok((bytes.len() as u64 <= most).then_some(bytes))
}

/// An OS error without Rust's "(os error 2)" suffix.
pub fn io_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Whether reading an input may wait for a writer: then what is ready is written first, so a
/// person watching a slow stream sees each report as soon as it is made.
#[derive(Clone, Copy)]
enum Blocking {
    /// In memory, or a regular file.
    Never,
    /// A pipe or terminal on stdin, or a FIFO named by @PATH (this descriptor): asked before
    /// each read whether data is ready.
    #[cfg_attr(not(unix), allow(dead_code))]
    Pipe(i32),
    /// Anything else (a device named by @PATH): assumed to block.
    Maybe,
}

impl Blocking {
    fn stdin() -> Blocking {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            let fd = io::stdin();
            let Ok(owned) = fd.as_fd().try_clone_to_owned() else {
                return Blocking::Maybe;
            };
            match std::fs::File::from(owned).metadata() {
                Ok(m) if m.is_file() => Blocking::Never,
                _ => Blocking::Pipe(libc::STDIN_FILENO),
            }
        }
        #[cfg(not(unix))]
        {
            Blocking::Maybe
        }
    }

    /// Whether the next read may wait, after waiting up to `ms` milliseconds for data.
    fn within(self, ms: i32) -> bool {
        match self {
            Blocking::Never => false,
            Blocking::Maybe => true,
            Blocking::Pipe(fd) => !ready(fd, ms),
        }
    }
}

/// Whether descriptor `fd` has data (or its end) ready within `ms` milliseconds.
#[cfg(unix)]
fn ready(fd: i32, ms: i32) -> bool {
    let mut fds = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd; poll only writes its revents.
    let n = unsafe { libc::poll(&mut fds, 1, ms) };
    n == 1 && fds.revents != 0
}

#[cfg(not(unix))]
fn ready(_fd: i32, _ms: i32) -> bool {
    false
}

/// What a pipe read by threads is widened to: Linux's most for an unprivileged process by
/// default (`/proc/sys/fs/pipe-max-size`).
#[cfg(target_os = "linux")]
const PIPE_BYTES: libc::c_int = 1024 * 1024;

/// Asks for a wider pipe (stdin's, a FIFO's), so that its writer (`cat`, `zcat`) is woken to fill it about
/// once a megabyte instead of every 64 KiB: on two cores it shares them with the threads, and
/// with the default pipe the thread reading waited for it at every block (`cat` of 200,000
/// tokens into `decode --json` on two threads: ~1.07x the speed of one thread with the default
/// pipe, ~1.6x with the wider one). A pipe holds its bytes in the kernel, not in this process.
/// Not a pipe, or over the user's limit: nothing changes.
#[cfg(target_os = "linux")]
fn widen_pipe(fd: i32) {
    // SAFETY: fcntl on an open descriptor with an int argument; it fails harmlessly on anything
    // but a pipe.
    unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BYTES) };
}

#[cfg(not(target_os = "linux"))]
fn widen_pipe(_fd: i32) {}

/// A pipe that stays empty this long is a pause, not a writer between two writes: what is
/// ready is written before the read waits.
const FLUSH_PAUSE_MS: i32 = 10;

/// How long tokens in the Date window wait for more input when it pauses (curl -v waiting for
/// the response) before they are shown without a `Date:` to judge skew by.
const DATE_PAUSE_MS: i32 = 1500;

/// The clock_skew warning of an input's last `Date:`, shared by the jobs of the tokens after it
/// (a job is moved at least twice on its way: kept small, it is moved without a call).
type Skew = Option<std::sync::Arc<Warning>>;

/// A block's own copy of its input's clock_skew warning, which its jobs share: blocks judged
/// on different threads do not raise and lower one count of holders from every core.
fn block_copy(skew: &Skew) -> Skew {
    skew.as_deref().map(|w| std::sync::Arc::new(w.clone()))
}

/// What waits to be judged and written, in input order.
enum Job {
    /// A token candidate.
    Token(Found),
    /// A report made without judging (a refused token).
    Ready(Box<Report>),
    /// An error about an input as a whole, kept in its place among the reports.
    Problem(Problem),
    /// A block of whole lines to scan for tokens.
    Scan(Block),
}

/// A token candidate, its dots' places if the scanner found them (see [`Event::Token`]),
/// where it was found, and the clock_skew warning of its input.
struct Found {
    text: String,
    dots: Option<token::Dots>,
    source: Source,
    skew: Skew,
}

/// A block of whole lines, with the scanner's state at its start; or a piece of a line too long
/// for a block (see [`FileBlocks::next_piece`]), with the state of the line where it starts.
struct Block {
    bytes: Vec<u8>,
    name: &'static str,
    line: u64,
    http: bool,
    skew: Skew,
    max_token: usize,
    within: Option<Box<Within>>,
}

impl Job {
    fn token(text: String, dots: Option<token::Dots>, source: Source, skew: Skew) -> Job {
        Job::Token(Found {
            text,
            dots,
            source,
            skew,
        })
    }

    /// The input bytes a job holds: what batches and the work in flight are measured by.
    fn bytes(&self) -> usize {
        match self {
            Job::Token(found) => found.text.len(),
            Job::Scan(block) => block.bytes.len(),
            Job::Ready(_) | Job::Problem(_) => 0,
        }
    }
}

/// How a scan ended.
struct ScanEnd {
    /// The tokens and refusals found.
    jobs: usize,
    /// A read failed (and was reported).
    failed: bool,
    skew: Skew,
    http: bool,
}

/// The job for a candidate over the size limit.
fn too_large(len: usize, max_token: usize, source: Source) -> Job {
    Job::Ready(Box::new(Report::malformed(
        source,
        format!("token of {len} bytes is over the {max_token} byte limit (--max-token-size)"),
    )))
}

/// A job judged and rendered, ready to be written: only what the writer needs, so that the
/// report itself is freed on the thread that made it.
enum Done {
    Report {
        exit: Exit,
        /// The line said on stderr about a malformed token.
        complaint: Option<String>,
        bytes: Vec<u8>,
    },
    Problem(Problem),
    /// A block found to hold more tokens than [`MAX_BLOCK_JOBS`], left to the writer to scan
    /// as a stream and judge in batches, in its place.
    Crowded(Block),
    /// Tokens numbered in advance and lost to an internal error: their numbers are skipped.
    Skipped(usize),
    /// The reports of a [`Job::Scan`]'s tokens, judged and rendered one after another into
    /// `bytes` where the block was scanned; numbered as they are written.
    Unnumbered {
        bytes: Vec<u8>,
        reports: Vec<Unnumbered>,
        /// The thread that rendered them.
        by: std::thread::ThreadId,
    },
}

/// A report rendered before its index was known: the bytes of the block's buffer up to `end`,
/// from the previous report's end.
struct Unnumbered {
    exit: Exit,
    complaint: Option<String>,
    end: usize,
    /// Where the index's digits go, counted from the report's start, if the view shows it.
    hole: Option<usize>,
}

/// Done with a rendered report: its token's buffers and its source's names are kept for the
/// thread's next tokens ([`crate::spare`]), and the report itself for the next token made in its
/// slot.
fn recycle(slot: &mut Option<Report>) {
    if let Some(report) = slot {
        token::Token::recycle(&mut report.token);
        report.source.recycle();
    }
}

/// A token's report made in `slot`: in the report already there, if any (see [`inspect_in`]),
/// else in a new one; and the clock_skew warning of its input, which the caller adds once the
/// command has judged it.
fn made_in(slot: &mut Option<Report>, found: Found, clock: Clock) -> (&mut Report, Skew) {
    let Found {
        text,
        dots,
        source,
        skew,
    } = found;
    let report = match slot {
        Some(report) => {
            report.source = source;
            report
        }
        None => slot.insert(Report::malformed(source, String::new())),
    };
    inspect_in(report, text, dots, clock);
    (report, skew)
}

/// Judges and renders numbered jobs: what each thread runs.
#[derive(Clone, Copy)]
struct Worker<'a> {
    view: &'a dyn Render,
    build: Build<'a>,
}

impl Worker<'_> {
    fn work(self, batch: Vec<(usize, Job)>) -> Vec<Done> {
        let mut slot = None;
        batch
            .into_iter()
            .map(|(index, job)| {
                let report = match job {
                    Job::Token(found) => self.judge_in(&mut slot, found),
                    Job::Ready(r) => slot.insert(*r),
                    Job::Problem(p) => return Done::Problem(p),
                    Job::Scan(block) => {
                        let Ok(jobs) = scan_block(&block) else {
                            return Done::Crowded(block);
                        };
                        SPARE_INPUT.give(block.bytes);
                        // Judged here, numbered already when the index of the first is known.
                        return self.rendered(jobs, (index > 0).then_some(index));
                    }
                };
                report.index = index;
                let mut bytes = Vec::with_capacity(1024);
                self.view.render(report, &mut bytes);
                let done = Done::Report {
                    exit: report.exit,
                    complaint: crate::render::complaint(report),
                    bytes,
                };
                recycle(&mut slot);
                done
            })
            .collect()
    }

    /// One token's report, with the clock_skew warning of its input, made in `slot` (see
    /// [`made_in`]), where it stays until it is rendered.
    fn judge_in(self, slot: &mut Option<Report>, found: Found) -> &mut Report {
        let (r, skew) = made_in(slot, found, self.build.clock());
        self.build.judge(r);
        r.warnings.extend(skew.map(std::sync::Arc::unwrap_or_clone));
        r
    }

    /// A token or refusal of a scanned block, judged and rendered at the end of the block's
    /// `bytes`: numbered `index`, if known, else without its index. The report is made in
    /// `slot` and stays there, without its token, for the next one made in it.
    fn unnumbered(
        self,
        job: Job,
        bytes: &mut Vec<u8>,
        index: Option<usize>,
        slot: &mut Option<Report>,
    ) -> Option<Unnumbered> {
        let report = match job {
            Job::Token(found) => self.judge_in(slot, found),
            Job::Ready(r) => slot.insert(*r),
            Job::Problem(_) | Job::Scan(_) => return None,
        };
        let done = self.render_unnumbered(report, bytes, index);
        recycle(slot);
        Some(done)
    }

    /// A report rendered at the end of `bytes` (see [`Worker::unnumbered`]).
    fn render_unnumbered(
        self,
        report: &mut Report,
        bytes: &mut Vec<u8>,
        index: Option<usize>,
    ) -> Unnumbered {
        let hole = match index {
            Some(i) => {
                report.index = i;
                self.view.render(report, bytes);
                None
            }
            None => self.view.render_unnumbered(report, bytes),
        };
        Unnumbered {
            exit: report.exit,
            complaint: crate::render::complaint(report),
            end: bytes.len(),
            hole,
        }
    }

    /// The tokens and refusals of a scanned block, judged and rendered one after another into
    /// one buffer (JSON lines are about three times as long as their tokens): numbered from
    /// `first` if it is known, else left for the writer to number.
    fn rendered(self, mut jobs: Vec<Job>, mut first: Option<usize>) -> Done {
        let mut bytes = SPARE_OUTPUT.take();
        let input = jobs.iter().map(Job::bytes).sum::<usize>();
        // With an eighth to spare: growing a buffer leaves the smaller one to the allocator.
        let expected = expected_output(input, jobs.len());
        bytes.reserve(expected + expected / 8 + 1024);
        let mut reports = SPARE_ENDS.take();
        let mut judged: [Option<Report>; TOGETHER] = Default::default();
        let together = self.build.together().clamp(1, TOGETHER);
        let mut rest = jobs.drain(..);
        loop {
            // Tokens `together` at a time while that many come in a row, then the next job
            // alone.
            let group = together > 1
                && rest
                    .as_slice()
                    .get(..together)
                    .is_some_and(|next| next.iter().all(|job| matches!(job, Job::Token(..))));
            if group {
                // Each token's report, made in its slot; its input's skew warning.
                let mut skews: [Skew; TOGETHER] = Default::default();
                for (slot, skew) in judged[..together].iter_mut().zip(&mut skews) {
                    // `together` tokens were seen just above.
                    let Some(Job::Token(found)) = rest.next() else {
                        unreachable!("the tokens in a row")
                    };
                    *skew = made_in(slot, found, self.build.clock()).1;
                }
                self.build.judge_together(&mut judged[..together]);
                for (slot, skew) in judged[..together].iter_mut().zip(skews) {
                    let report = slot.as_mut().expect("a report made just above");
                    report
                        .warnings
                        .extend(skew.map(std::sync::Arc::unwrap_or_clone));
                    reports.push(self.render_unnumbered(report, &mut bytes, first));
                    first = first.map(|i| i + 1);
                }
                judged[..together].iter_mut().for_each(recycle);
                continue;
            }
            let Some(job) = rest.next() else { break };
            if let Some(r) = self.unnumbered(job, &mut bytes, first, &mut judged[0]) {
                reports.push(r);
                first = first.map(|i| i + 1);
            }
        }
        drop(rest);
        SPARE_JOBS.give(jobs);
        rendered_output(input, reports.len(), bytes.len());
        Done::Unnumbered {
            bytes,
            reports,
            by: std::thread::current().id(),
        }
    }

    /// A plain block of a file (see [`Run::parallel_blocks`]): scanned, then its tokens judged
    /// and rendered into one buffer. `first` is told how many reports the block makes and
    /// answers the index of the first if it is known by then; if not, they are rendered
    /// unnumbered. A panic (a bug) becomes an error in the block's place; once counted, its
    /// tokens' numbers are skipped.
    fn block(self, block: Block, first: impl FnOnce(usize) -> Option<usize>) -> Vec<Done> {
        let (name, line) = (block.name, block.line);
        let counted = std::cell::Cell::new(0);
        let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // A block yields tokens and refusals only: one report each.
            match scan_block(&block) {
                Ok(jobs) => {
                    SPARE_INPUT.give(block.bytes);
                    let first = first(jobs.len());
                    // Counted: the blocks after it are numbered past these.
                    counted.set(jobs.len());
                    self.rendered(jobs, first)
                }
                Err(count) => {
                    first(count);
                    counted.set(count);
                    Done::Crowded(block)
                }
            }
        }));
        judged.map_or_else(
            |_| {
                vec![
                    Done::Problem(Problem {
                        message: format!(
                            "internal error while judging the tokens from line {line} of {}: please report it",
                            crate::escape::text(name)
                        ),
                        hint: None,
                        exit: Exit::BadInput,
                    }),
                    Done::Skipped(counted.get()),
                ]
            },
            |done| vec![done],
        )
    }

    /// [`Worker::work`], with a panic (a bug) turned into an error in the batch's place.
    fn work_or_report(self, batch: Vec<(usize, Job)>) -> Vec<Done> {
        let first = batch.iter().map(|(i, _)| *i).find(|i| *i > 0);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.work(batch))).unwrap_or_else(
            |_| {
                vec![Done::Problem(Problem {
                    message: format!(
                        "internal error while judging the tokens from number {}: please report it",
                        first.unwrap_or(0)
                    ),
                    hint: None,
                    exit: Exit::BadInput,
                })]
            },
        )
    }
}

/// The jobs of a block that [`input::survey`] found plain: tokens and refusals only. Err: the
/// block holds more than [`MAX_BLOCK_JOBS`], this many.
fn scan_block(block: &Block) -> Result<Vec<Job>, usize> {
    let mut jobs = SPARE_JOBS.take();
    let mut crowded = 0;
    let mut scanner = block_scanner(block);
    // Reading memory cannot fail.
    while let Ok(Some(event)) = scanner.next_event() {
        if crowded > 0 {
            // Only counted (see MAX_BLOCK_JOBS).
            crowded += usize::from(!matches!(event, Event::Date(_)));
            continue;
        }
        jobs.extend(block_job(block, event));
        if jobs.len() > share(MAX_BLOCK_JOBS) {
            crowded = jobs.len();
            jobs.clear();
        }
    }
    keep_run(scanner);
    scanned(block.bytes.len(), jobs.len().max(crowded));
    if crowded > 0 {
        SPARE_JOBS.give(jobs);
        return Err(crowded);
    }
    Ok(jobs)
}

/// A scanner over `block`, in the state its start was read in.
fn block_scanner(block: &Block) -> Scanner<&[u8]> {
    let run = SPARE_RUN.try_with(Cell::take).unwrap_or_default();
    Scanner::resume(
        &block.bytes[..],
        block.name,
        block.max_token,
        block.line,
        block.http,
    )
    .with_run(run)
    .within(block.within.as_deref())
}

thread_local! {
    /// The buffer this thread's last block scanner collected tokens' bytes in (see
    /// [`keep_run`]).
    static SPARE_RUN: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A run buffer larger than this is freed, not kept.
const SPARE_RUN_BYTES: usize = 1024 * 1024;

/// Keeps a block scanner's run buffer for this thread's next: a block's scanner that met a run
/// of hundreds of KB (a line of base64url letters) grew a new one, mapped and unmapped by the
/// allocator each time; with two threads the unmapping stops the other CPU (bench/run.sh's
/// hostile log, two threads: ~0.14 s without, ~0.09 s with).
fn keep_run(scanner: Scanner<&[u8]>) {
    let run = scanner.into_run();
    if run.capacity() <= SPARE_RUN_BYTES {
        let _ = SPARE_RUN.try_with(|s| s.set(run));
    }
}

/// The job of an event of a plain block's scanner.
fn block_job(block: &Block, event: Event) -> Option<Job> {
    match event {
        Event::Token { text, source, dots } => {
            Some(Job::token(text, dots, source, block.skew.clone()))
        }
        Event::TooLarge { len, source } => Some(too_large(len, block.max_token, source)),
        // A plain block has no Date line.
        Event::Date(_) => None,
    }
}

/// How [`FileBlocks`] reads: onto the end of a buffer, into its spare room. A file on Unix is
/// read there as it is; any other reader is given the room zeroed first (zeroing it before every
/// read of a file was ~1% of a batch).
trait ReadOnto: io::Read {
    /// Reads once, up to `size` bytes, onto the end of `buf`: how many it read.
    fn read_onto(&mut self, buf: &mut Vec<u8>, size: usize) -> io::Result<usize> {
        let len = buf.len();
        buf.resize(len + size, 0);
        let read = self.read(&mut buf[len..]);
        buf.truncate(len + read.as_ref().map_or(0, |n| *n));
        read
    }

    /// Asks for the `len` bytes at `offset` to be read from storage now, for reads to come.
    fn read_ahead(&self, _offset: u64, _len: u64) {}
}

impl ReadOnto for io::Stdin {}

#[cfg(test)]
impl<T: AsRef<[u8]>> ReadOnto for io::Cursor<T> {}

impl ReadOnto for std::fs::File {
    #[cfg(unix)]
    fn read_onto(&mut self, buf: &mut Vec<u8>, size: usize) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        buf.reserve(size);
        let room = &mut buf.spare_capacity_mut()[..size];
        // SAFETY: `room` is `size` bytes that may be written; read(2) writes at most that many.
        let n = unsafe { libc::read(self.as_raw_fd(), room.as_mut_ptr().cast(), size) };
        // (On failure, -1: the error is read before anything else can change it.)
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        // SAFETY: read(2) wrote the first `n` bytes of `room`, which follow `buf`'s.
        unsafe { buf.set_len(buf.len() + n) };
        Ok(n)
    }

    #[cfg(target_os = "linux")]
    fn read_ahead(&self, offset: u64, len: u64) {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return;
        };
        // Advice: a system that takes none reads the file as it comes.
        // SAFETY: posix_fadvise reads nothing of this process's memory.
        unsafe { libc::posix_fadvise(self.as_raw_fd(), offset, len, libc::POSIX_FADV_WILLNEED) };
    }
}

/// A file read in blocks of whole lines, and the scanner's state where what is pending starts:
/// shared by [`Run::scan_file`] and the threads of [`Run::parallel_blocks`].
struct FileBlocks<R> {
    reader: R,
    name: &'static str,
    max_token: usize,
    /// Read: what is not yet taken starts at `start` (see [`FileBlocks::take`]).
    pending: Vec<u8>,
    start: usize,
    /// The thread that last wrote into `pending` (see [`FileBlocks::own_pending`]).
    written_by: Option<std::thread::ThreadId>,
    /// The bytes of a regular file read so far, and how far reading ahead was asked for (see
    /// [`FileBlocks::read_ahead`]).
    offset: u64,
    ahead: u64,
    eof: bool,
    line: u64,
    http: bool,
    skew: Skew,
    /// Whether reads may wait for a writer (a pipe or terminal): then read once at a time, and
    /// [`FileBlocks::next_plain`] declines when the input pauses.
    blocking: Blocking,
    /// The time a `Date:` read here is compared with (see [`FileBlocks::read_context_line`]).
    now: i64,
    /// Set when [`FileBlocks::next_plain`] declines: what is pending is left to
    /// [`Run::scan_file`], with the read error met, if any.
    declined: bool,
    /// Set with `declined` when a pipe paused: [`Run::scan_file`] writes what is ready at once.
    paused: bool,
    failed: Option<io::Error>,
    /// Cutting a line too long for a block into pieces (see [`FileBlocks::next_piece`]); left
    /// here when a piece could not be cut, for [`Run::scan_file`] to scan the rest of the line.
    cutter: Option<Cutter>,
    /// Whether its pipe was widened for threads (see [`Run::parallel`]).
    widened: bool,
}

/// See [`FileBlocks::idle`].
enum Idle {
    Lines,
    Paused,
}

impl<R: ReadOnto> FileBlocks<R> {
    /// What is read and not yet taken.
    fn rest(&self) -> &[u8] {
        &self.pending[self.start..]
    }

    /// Moves what is not yet taken to the start of `pending`.
    fn compact(&mut self) {
        if self.start > 0 {
            self.pending.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads up to `size` bytes more onto `pending` (from a pipe or terminal, an interrupted
    /// read reads nothing); from a file, at least [`READ_PIECE`].
    fn read_more(&mut self, size: usize) -> io::Result<()> {
        self.compact();
        self.own_pending(&SPARE_INPUT);
        if matches!(self.blocking, Blocking::Never) {
            // One read of the whole size (a file gives less than asked only at its end).
            // Reading into the room as it is, std's read_to_end reads a bounded piece in
            // growing steps (8, 16, 32 KiB...): four or five system calls a block, made under
            // the lock the threads of `parallel_blocks` read by in turn (futex calls 2,114 ->
            // 338 in a two-thread decode of 200,000 tokens with one read).
            let size = size.max(READ_PIECE);
            let mut n = 0;
            while n < size {
                match self.reader.read_onto(&mut self.pending, size - n) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.eof = n < size;
            self.offset += n as u64;
            self.read_ahead();
            return Ok(());
        }
        match self.reader.read_onto(&mut self.pending, size) {
            Ok(0) => self.eof = true,
            Err(e) if e.kind() != io::ErrorKind::Interrupted => return Err(e),
            _ => {}
        }
        Ok(())
    }

    /// Reads until `target` bytes are pending, or `size` more if they are. A block ends at the
    /// last line end of the bytes it is cut for (a piece of a long line a little past them):
    /// read up to there, what is left after the cut is less than a line, copied out of the way
    /// at once (see [`FileBlocks::take`]) and moved to the next reader's own buffer (see
    /// [`FileBlocks::own_pending`]). Reading a block's bytes more each time, what was left grew
    /// by half a line a block, to half a block on average (a one-line dump's pieces: a block):
    /// it was copied at each cut, under the lock the threads of [`Run::parallel_blocks`] read
    /// by, and read again from the other core's cache by the thread cutting the next block.
    fn read_towards(&mut self, target: usize, size: usize) -> io::Result<()> {
        let pending = self.rest().len();
        self.read_more(if pending < target {
            target - pending
        } else {
            size
        })
    }

    /// Asks for the next [`READ_AHEAD_BYTES`] of a file to be read from storage, a
    /// [`READ_AHEAD_STEP`] at a time as reading goes on. The system reads ahead of a file read
    /// in order by itself, but not past pages already in memory: a file partly in memory (its
    /// pages left there by an earlier reader, some of them reclaimed since) was read a hole at a
    /// time as each was met, the reading thread waiting and the others soon with it. Decoding
    /// 200,000 tokens from a file 70-85% in memory on 2 threads took 1.3-1.5x the time of the
    /// file all in memory; with this, 1.04-1.2x (and 1.004x with it all in memory).
    fn read_ahead(&mut self) {
        let want = self.offset + READ_AHEAD_BYTES;
        if self.eof || self.ahead >= want.saturating_sub(READ_AHEAD_STEP) {
            return;
        }
        let from = self.ahead.max(self.offset);
        self.reader.read_ahead(from, want - from);
        self.ahead = want;
    }

    /// Moves what is pending, if little, to a buffer this thread wrote last, when another thread
    /// wrote the one it is in: every line of a buffer a read writes over is fetched from the
    /// cache of the core that wrote it last. The threads of [`Run::parallel_blocks`] read in
    /// turn, and the rest of a line after a block's cut is left in a buffer of the thread that
    /// cut it.
    fn own_pending(&mut self, spare: &Spare<u8>) {
        let me = std::thread::current().id();
        let by = self.written_by.replace(me);
        if let Some(by) = by
            && by != me
            && self.pending.len() <= OWN_COPY_BYTES
            && let Some(mut mine) = spare.take_own()
        {
            mine.extend_from_slice(&self.pending);
            spare.give_to(by, std::mem::replace(&mut self.pending, mine));
        }
    }

    /// What a pipe with nothing more to read at once holds: whole lines to judge now, or none
    /// after [`FLUSH_PAUSE_MS`] of waiting (a pause: what is ready is written before a read
    /// waits). None when more can be read, and always for a file.
    fn idle(&self) -> Option<Idle> {
        if !self.blocking.within(0) {
            return None;
        }
        if crate::bytes::rfind(b'\n', self.rest()).is_some() {
            return Some(Idle::Lines);
        }
        self.blocking.within(FLUSH_PAUSE_MS).then_some(Idle::Paused)
    }

    /// Whether `pending` holds a block of `want` bytes or more, or cannot grow into one.
    fn has_block(&self, want: usize) -> bool {
        let rest = self.rest();
        self.eof
            || rest.len() >= MAX_BLOCK_BYTES
            || (rest.len() >= want && crate::bytes::rfind(b'\n', rest).is_some())
    }

    /// Where the next block ends: after the last line end in its first `want` bytes, or else
    /// after the last line end pending, or at the end of the input. None: a line longer than a
    /// block.
    fn cut(&self, want: usize) -> Option<usize> {
        let rest = self.rest();
        if rest.len() > want
            && let Some(p) = crate::bytes::rfind(b'\n', &rest[..want])
        {
            return Some(p + 1);
        }
        if self.eof {
            return Some(rest.len());
        }
        crate::bytes::rfind(b'\n', rest).map(|p| p + 1)
    }

    /// The block ending at `cut` or sooner, after `most` lines: where it ends, its lines and
    /// where its first line that changes how later lines are read starts (see
    /// [`input::survey`]).
    fn survey(&self, cut: usize, most: usize) -> (usize, u64, Option<usize>) {
        input::survey(&self.rest()[..cut], self.http, most as u64)
    }

    /// Where the next block ends, at `cut` or sooner (see [`FileBlocks::survey`]), and its
    /// lines: before the first line that changes how later lines are read, unless the block
    /// starts with one (true: the block goes on past it).
    fn next_cut(&self, cut: usize, most: usize) -> (usize, u64, bool) {
        match self.survey(cut, most) {
            (_, _, Some(at)) if at > 0 => {
                let lines = crate::bytes::count(b'\n', &self.rest()[..at]) as u64;
                (at, lines, false)
            }
            (cut, lines, change) => (cut, lines, change.is_some()),
        }
    }

    /// The first `cut` bytes not yet taken, as a block of their own: whichever is smaller is
    /// copied, the block or what follows it (a piece read holds many small blocks: the rest of
    /// it is not copied at every cut).
    fn take(&mut self, cut: usize) -> Vec<u8> {
        let end = self.start + cut;
        if self.start == 0 && self.pending.len() - end <= cut {
            let mut rest = SPARE_INPUT.take();
            rest.extend_from_slice(&self.pending[end..]);
            self.written_by = Some(std::thread::current().id());
            self.pending.truncate(end);
            return std::mem::replace(&mut self.pending, rest);
        }
        let mut block = SPARE_INPUT.take();
        block.extend_from_slice(&self.pending[self.start..end]);
        self.skip(cut);
        block
    }

    /// Drops the first `n` bytes not yet taken.
    fn skip(&mut self, n: usize) {
        self.start += n;
        if self.start == self.pending.len() {
            self.pending.clear();
            self.start = 0;
        }
    }

    /// The next block, if it is plain (see [`input::survey`]): its bytes, the line it starts on
    /// and the state it is read in (HTTP or not, the last `Date:`'s skew). A block is cut before
    /// a line that changes that state; such a line is read here if it holds no token (see
    /// [`FileBlocks::read_context_line`]). Otherwise declines, now and until reset: a line that
    /// changes the state and holds a token, a line longer than a block, a read error, the end
    /// and a pause of a pipe are left to [`Run::scan_file`].
    fn next_plain(&mut self) -> Option<Block> {
        loop {
            if self.cutter.is_some() {
                return self.next_piece();
            }
            let want = block_bytes(PARALLEL_BLOCK_BYTES);
            // Read until a block can be cut, or the line pending is found long: a byte past the
            // block, and no line end before it (then cut into pieces, as far as they are read).
            while !self.declined && !self.has_block(want) && !self.long_line(want) {
                // A pipe with nothing more ready: its whole lines are a block now, as in
                // `Run::scan_file`. One that has paused stops the threads, so that what is ready
                // is written before a read waits (see `FileBlocks::paused`).
                match self.idle() {
                    Some(Idle::Lines) => break,
                    Some(Idle::Paused) => {
                        self.paused = true;
                        self.declined = true;
                        break;
                    }
                    None => {}
                }
                if let Err(e) = self.read_towards(want + 1, want) {
                    self.failed = Some(e);
                    self.declined = true;
                }
            }
            if !self.declined && self.long_line(want) {
                // Its tokens would be one crowded block, or a stream on one thread.
                self.cutter = Some(Cutter::new(self.max_token));
                continue;
            }
            let plain = match self.cut(want) {
                Some(cut) if cut > 0 && !self.declined => match self.next_cut(cut, block_lines()) {
                    (cut, lines, false) => Some((cut, lines)),
                    (_, _, true) if self.read_context_line() => continue,
                    (_, _, true) => None,
                },
                _ => None,
            };
            let Some((cut, lines)) = plain else {
                self.declined = true;
                return None;
            };
            let line = self.line;
            self.line += lines;
            let bytes = self.take(cut);
            return Some(self.block(bytes, line));
        }
    }

    /// Whether what is pending starts with a line longer than `want` bytes that changes nothing
    /// of how later lines are read (see [`input::plain_line`]): one to cut into pieces.
    fn long_line(&self, want: usize) -> bool {
        let rest = self.rest();
        rest.len() > want
            && crate::bytes::find(b'\n', &rest[..want]).is_none()
            && input::plain_line(rest, self.http)
    }

    /// The first piece of the line pending (the cutter at its start), if it is long (see
    /// [`FileBlocks::long_line`]) and a piece can be cut; else None, and the line is left to
    /// [`Run::scan_file`] with the cutter.
    fn first_piece(&mut self, want: usize) -> Option<Block> {
        if !self.long_line(want) {
            return None;
        }
        self.declined = false;
        self.next_piece()
    }

    /// Ends cutting a line into pieces, if it was: the scanner's state where the rest of the
    /// line starts.
    fn take_within(&mut self) -> Option<Within> {
        self.cutter.take().map(Cutter::into_start)
    }

    /// The next piece of a line too long for a block, for a thread of [`Run::parallel_blocks`]
    /// or, with one thread, for [`Run::scan_file`] to scan as a block: its tokens would be one
    /// crowded block (see [`MAX_BLOCK_JOBS`]) or, over [`MAX_BLOCK_BYTES`], scanned as a stream
    /// on one thread. A piece ends after a byte that ends no token once it holds a block's bytes
    /// or tokens (see [`Cutter::cut`]); the last one with the line. Declines where none can be
    /// cut: a run of token bytes longer than a block, a read error, a pipe that paused; the
    /// cutter is left for [`Run::scan_file`], which scans the rest of the line from where the
    /// last piece ended.
    fn next_piece(&mut self) -> Option<Block> {
        let want = block_bytes(PARALLEL_BLOCK_BYTES);
        let (cut, ended) = loop {
            let cutter = self.cutter.as_mut()?;
            let rest = &self.pending[self.start..];
            if let Some(cut) = cutter.cut(rest, want, block_lines()) {
                break cut;
            }
            if self.eof {
                // The line ends with the input.
                break (rest.len(), true);
            }
            if self.declined || rest.len() >= MAX_BLOCK_BYTES {
                self.declined = true;
                return None;
            }
            // (Nothing pending holds a line end: the cut would have found it.)
            if let Some(Idle::Paused) = self.idle() {
                self.paused = true;
                self.declined = true;
                return None;
            }
            if let Err(e) = self.read_towards(want + PIECE_LOOK_BYTES, want) {
                self.failed = Some(e);
                self.declined = true;
                return None;
            }
        };
        let within = self.cutter.as_mut().map(Cutter::piece_start)?;
        let line = self.line;
        if ended {
            self.cutter = None;
            self.line += 1;
        }
        let bytes = self.take(cut);
        let mut block = self.block(bytes, line);
        block.within = Some(Box::new(within));
        Some(block)
    }

    /// `bytes`, starting on `line`, as a block read in the state the file is in now (its name,
    /// token limit, HTTP state and its own copy of the last `Date:`'s skew warning).
    fn block(&self, bytes: Vec<u8>, line: u64) -> Block {
        Block {
            bytes,
            name: self.name,
            line,
            http: self.http,
            skew: block_copy(&self.skew),
            max_token: self.max_token,
            within: None,
        }
    }

    /// Reads the first line pending, a line that changes how later lines are read (a `Date:`,
    /// an HTTP request or status), here, under the lock the threads of [`Run::parallel_blocks`]
    /// read by: the blocks after it are read in the state it leaves (see [`Block`]) and need
    /// not wait for those before it to be written (with a `Date:` every 400 lines, two threads
    /// took longer than one). A line holding a token is left (false), as is a last line with
    /// no line end. Past the Date window, a `Date:` applies to the tokens after it alone.
    fn read_context_line(&mut self) -> bool {
        let rest = self.rest();
        let Some(end) = crate::bytes::find(b'\n', rest) else {
            return false;
        };
        let mut scanner = Scanner::resume(
            &rest[..=end],
            self.name,
            self.max_token,
            self.line,
            self.http,
        );
        let mut date = None;
        // Reading memory cannot fail.
        while let Ok(Some(event)) = scanner.next_event() {
            match event {
                Event::Date(d) => date = Some(d),
                Event::Token { .. } | Event::TooLarge { .. } => return false,
            }
        }
        self.http = scanner.http();
        if let Some(d) = date {
            self.skew = claims::clock_skew(d, self.now).map(std::sync::Arc::new);
        }
        self.line += 1;
        self.skip(end + 1);
        true
    }
}

/// What is pending and what follows it, read as a stream (see [`Scanner::line_only`]).
impl<R: ReadOnto> io::Read for FileBlocks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = io::BufRead::fill_buf(self)?;
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.skip(n);
        Ok(n)
    }
}

impl<R: ReadOnto> io::BufRead for FileBlocks<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.rest().is_empty() && !self.eof {
            self.read_more(READ_BYTES)?;
        }
        Ok(self.rest())
    }

    fn consume(&mut self, n: usize) {
        self.skip(n);
    }
}

/// The blocks of [`Run::parallel_blocks`] done and waiting for their turn to be written.
struct Order {
    /// Each block's reports, and the bytes of input it was.
    finished: BTreeMap<u64, (Vec<Done>, usize)>,
    /// The next block to write.
    next: u64,
    /// Whether a thread is writing: it takes the blocks that finish meanwhile.
    writing: bool,
    /// No more blocks are to be read: the file declined one, or writing failed.
    stop: bool,
    /// Threads waiting for room to read another block.
    waiting: usize,
    error: Option<io::Error>,
}

/// Stops the threads of [`Run::parallel_blocks`] when the thread holding it panics.
struct StopOnPanic<'a>(&'a Mutex<Order>, &'a std::sync::Condvar);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).stop = true;
            self.1.notify_all();
        }
    }
}

/// How far the blocks of [`Run::parallel_blocks`] are counted: the next block to count, the
/// last index given before it, and the counts of blocks scanned ahead of it.
struct Numbering {
    next: u64,
    index: usize,
    counts: BTreeMap<u64, usize>,
}

/// A mutex's guard, also after a thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How long a thread waiting for [`lock_soon`]'s mutex spins before it sleeps.
const SPIN: std::time::Duration = std::time::Duration::from_micros(200);

/// A mutex's guard, waited for by spinning a while before sleeping: for a lock held a few tens
/// of microseconds by a thread on another core, longer than the standard mutex spins. A thread
/// put to sleep waits for its wake-up besides (on a virtual machine, that of its idle core).
/// The read lock of [`Run::parallel_blocks`], held for a read and a block's cut: two threads
/// decoding 200,000 tokens made ~280 futex calls, ~17 spinning, in ~3.5% less time.
fn lock_soon<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    let mut since = None;
    loop {
        match m.try_lock() {
            Ok(guard) => return guard,
            Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        let start = *since.get_or_insert_with(std::time::Instant::now);
        if start.elapsed() >= SPIN {
            return lock(m);
        }
        for _ in 0..16 {
            std::hint::spin_loop();
        }
    }
}

type Numbered = Vec<(usize, Job)>;
type Queue = Mutex<Option<mpsc::Receiver<(u64, Numbered)>>>;

/// The worker threads, started with the first full batch.
enum Pool<'scope, 'env> {
    Later {
        scope: &'scope std::thread::Scope<'scope, 'env>,
        queue: &'env Queue,
    },
    Running {
        scope: &'scope std::thread::Scope<'scope, 'env>,
        queue: &'env Queue,
        /// The worker threads, joined when the pool retires (see [`Run::retire_pool`]).
        threads: Vec<std::thread::ScopedJoinHandle<'scope, ()>>,
        work: mpsc::Sender<(u64, Numbered)>,
        done: mpsc::Receiver<(u64, Vec<Done>)>,
        /// Batches sent, and the next one to write.
        sent: u64,
        next: u64,
        finished: BTreeMap<u64, Vec<Done>>,
        /// Batches in flight at most: bounds memory, keeps every worker busy.
        limit: u64,
        /// The token bytes of each batch in flight, oldest first.
        flying: std::collections::VecDeque<usize>,
    },
    Inline,
}

struct Run<'a, 'o, 'scope, 'env> {
    clock: Clock,
    out: &'a mut Output<'o>,
    jobs: Vec<Job>,
    job_bytes: usize,
    index: usize,
    worst: Exit,
    inline: Worker<'env>,
    /// `--threads`, or the number of cores once counted.
    threads: Option<usize>,
    /// The number of cores, once counted.
    cores: Option<usize>,
    pool: Pool<'scope, 'env>,
    /// Whether a block scanned by a worker found a token (for "no token found").
    found: bool,
    /// Whether the pool was ended already, and not to be ended again (see [`Run::retire_pool`]).
    retired: bool,
    /// Whether a full batch is judged here instead of starting the pool: the Date window of
    /// a file whose plain blocks get threads of their own (see [`Run::scan_file`]).
    hold_pool: bool,
}

impl<'scope, 'env> Run<'_, '_, 'scope, 'env> {
    fn push(&mut self, job: Job) -> io::Result<()> {
        self.job_bytes += job.bytes();
        self.jobs.push(job);
        if self.jobs.len() >= share(BATCH) || self.job_bytes >= BATCH_BYTES {
            self.dispatch(true)?;
        }
        Ok(())
    }

    fn problem(&mut self, p: Problem) -> io::Result<()> {
        self.push(Job::Problem(p))
    }

    /// Numbers the waiting jobs in input order and hands them to the workers in batches (or
    /// judges them here when there is no pool); a block to scan goes alone. `full`: a whole
    /// batch, worth starting the pool for.
    fn dispatch(&mut self, full: bool) -> io::Result<()> {
        if self.jobs.is_empty() {
            return Ok(());
        }
        if full
            && !self.hold_pool
            && let Pool::Later { .. } = self.pool
        {
            self.start_pool();
        }
        let jobs = std::mem::take(&mut self.jobs);
        self.job_bytes = 0;
        let batch_jobs = share(BATCH);
        let mut batch = Vec::with_capacity(jobs.len().min(batch_jobs));
        let mut bytes = 0;
        for job in jobs {
            match job {
                Job::Scan(_) => {
                    let len = job.bytes();
                    self.send(std::mem::take(&mut batch), std::mem::take(&mut bytes))?;
                    self.send(vec![(0, job)], len)?;
                }
                Job::Problem(_) => batch.push((0, job)),
                _ => {
                    bytes += job.bytes();
                    self.index += 1;
                    batch.push((self.index, job));
                    if batch.len() >= batch_jobs || bytes >= BATCH_BYTES {
                        self.send(std::mem::take(&mut batch), std::mem::take(&mut bytes))?;
                    }
                }
            }
        }
        self.send(batch, bytes)
    }

    /// Hands one numbered batch to the workers, waiting while too much is in flight; without a
    /// pool, judges it here and writes it.
    fn send(&mut self, numbered: Numbered, bytes: usize) -> io::Result<()> {
        if numbered.is_empty() {
            return Ok(());
        }
        if bytes >= INLINE_BYTES {
            // A huge token is judged here once the workers are done: one at a time, freed by
            // the thread that read it, so that memory stays within one such token.
            while let Pool::Running { sent, next, .. } = &self.pool
                && sent > next
            {
                self.receive()?;
            }
        }
        if bytes >= INLINE_BYTES || !matches!(self.pool, Pool::Running { .. }) {
            let mut numbered = numbered;
            if let [(index, Job::Scan(_))] = &mut numbered[..] {
                // Everything before is written: the block's tokens are numbered as they are
                // rendered, and its reports written in one piece.
                *index = self.index + 1;
            }
            let done = self.inline.work_or_report(numbered);
            return self.write(done);
        }
        while let Pool::Running {
            sent,
            next,
            limit,
            flying,
            ..
        } = &self.pool
            && sent > next
            && (sent - next >= *limit || flying.iter().sum::<usize>() + bytes > IN_FLIGHT_BYTES)
        {
            self.receive()?;
        }
        if let Pool::Running {
            work, sent, flying, ..
        } = &mut self.pool
        {
            // The workers outlive the sender: a send cannot fail.
            let _ = work.send((*sent, numbered));
            *sent += 1;
            flying.push_back(bytes);
        }
        Ok(())
    }

    fn start_pool(&mut self) {
        let Pool::Later { scope, queue } = self.pool else {
            return;
        };
        let threads = self.workers();
        crate::token::batch_started();
        if threads < 2 {
            self.pool = Pool::Inline;
            return;
        }
        let (work, jobs) = mpsc::channel::<(u64, Numbered)>();
        let (finished, done) = mpsc::channel::<(u64, Vec<Done>)>();
        *queue.lock().unwrap_or_else(|e| e.into_inner()) = Some(jobs);
        let worker = self.inline;
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let finished = finished.clone();
            handles.push(scope.spawn(move || {
                loop {
                    let next = {
                        let q = queue.lock().unwrap_or_else(|e| e.into_inner());
                        match q.as_ref().map(mpsc::Receiver::recv) {
                            Some(Ok(batch)) => batch,
                            _ => return,
                        }
                    };
                    let (seq, batch) = next;
                    if finished.send((seq, worker.work_or_report(batch))).is_err() {
                        return;
                    }
                }
            }));
        }
        self.pool = Pool::Running {
            scope,
            queue,
            threads: handles,
            work,
            done,
            sent: 0,
            next: 0,
            finished: BTreeMap::new(),
            limit: threads as u64 + 1,
            flying: std::collections::VecDeque::new(),
        };
    }

    /// Ends the worker threads, which have nothing left to do (everything sent is written), the
    /// first time a file's blocks get threads of their own (see [`Run::parallel_blocks`]):
    /// workers that waited for the rest of the run kept what they held, their allocator caches
    /// and an arena the new threads could not share (sixteen workers streaming a file: ~0.5
    /// MiB). A later full batch starts new ones, which stay: a file with a `Date:` every few
    /// hundred lines starts them again after every stretch of blocks, and ending them each time
    /// cost it ~8% more CPU time on two threads. (A line longer than a block makes the next
    /// stretch end them again: see [`Run::scan_file`].)
    fn retire_pool(&mut self) {
        if self.retired {
            return;
        }
        let Pool::Running {
            scope,
            queue,
            threads,
            sent,
            next,
            ..
        } = &mut self.pool
        else {
            return;
        };
        debug_assert_eq!(sent, next, "batches in flight");
        self.retired = true;
        let (scope, queue, threads) = (*scope, *queue, std::mem::take(threads));
        // The work channel closes: each worker returns from its wait.
        self.pool = Pool::Later { scope, queue };
        for t in threads {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
        *queue.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Waits for one batch from the workers and writes every batch now next in order.
    fn receive(&mut self) -> io::Result<()> {
        let Pool::Running {
            done,
            next,
            finished,
            flying,
            ..
        } = &mut self.pool
        else {
            return Ok(());
        };
        let Ok((seq, batch)) = done.recv() else {
            return Err(io::Error::other("the worker threads stopped"));
        };
        finished.insert(seq, batch);
        let mut ready = Vec::new();
        while let Some(batch) = finished.remove(next) {
            ready.push(batch);
            flying.pop_front();
            *next += 1;
        }
        for batch in ready {
            self.write(batch)?;
        }
        Ok(())
    }

    fn write(&mut self, done: Vec<Done>) -> io::Result<()> {
        for d in done {
            match d {
                Done::Report {
                    exit,
                    complaint,
                    bytes,
                } => {
                    self.worst = self.worst.worst(exit);
                    self.out.emit(complaint.as_deref(), &bytes)?;
                }
                Done::Problem(p) => {
                    self.worst = self.worst.worst(p.exit);
                    self.out.problem(&p)?;
                }
                Done::Unnumbered {
                    bytes,
                    mut reports,
                    by,
                } => {
                    self.found |= !reports.is_empty();
                    // Reports before `start` are rendered; those before `written` are written.
                    // Numbered reports without a complaint are written together.
                    let (mut start, mut written) = (0, 0);
                    for r in reports.drain(..) {
                        // Numbered in writing order, which is input order.
                        self.index += 1;
                        self.worst = self.worst.worst(r.exit);
                        if r.hole.is_none() && r.complaint.is_none() {
                            start = r.end;
                            continue;
                        }
                        self.out.emit(None, &bytes[written..start])?;
                        let rendered = &bytes[start..r.end];
                        (start, written) = (r.end, r.end);
                        match r.hole {
                            Some(hole) => self.out.emit_numbered(
                                r.complaint.as_deref(),
                                rendered,
                                hole,
                                self.index,
                            )?,
                            None => self.out.emit(r.complaint.as_deref(), rendered)?,
                        }
                    }
                    self.out.emit(None, &bytes[written..start])?;
                    SPARE_OUTPUT.give_to(by, bytes);
                    SPARE_ENDS.give_to(by, reports);
                }
                Done::Skipped(n) => self.index += n,
                // Everything before it is written.
                Done::Crowded(block) => self.stream_here(block)?,
            }
        }
        Ok(())
    }

    /// Scans `block` here as a stream, and judges and writes its tokens here in batches: the
    /// reports of a block with more tokens than [`MAX_BLOCK_JOBS`], never all held at once.
    /// Everything before it must be written.
    fn stream_here(&mut self, block: Block) -> io::Result<()> {
        {
            let mut scanner = block_scanner(&block);
            // Reading memory cannot fail.
            let mut jobs = std::iter::from_fn(|| scanner.next_event().ok().flatten())
                .filter_map(|event| block_job(&block, event))
                .peekable();
            while jobs.peek().is_some() {
                self.found = true;
                let batch = jobs
                    .by_ref()
                    .take(share(BATCH))
                    .map(|job| {
                        self.index += 1;
                        (self.index, job)
                    })
                    .collect();
                let done = self.inline.work_or_report(batch);
                self.write(done)?;
            }
        }
        SPARE_INPUT.give(block.bytes);
        Ok(())
    }

    /// Judges every waiting job and writes every report, in order.
    fn drain(&mut self) -> io::Result<()> {
        loop {
            self.dispatch(false)?;
            if let Pool::Running { sent, next, .. } = &self.pool
                && next < sent
            {
                // Its results may be scanned blocks, whose tokens are queued again.
                self.receive()?;
            } else if self.jobs.is_empty() {
                return Ok(());
            }
        }
    }

    /// Scans a whole input on this thread: the path for pipes and terminals, whose reads may
    /// pause.
    fn scan<R: io::BufRead>(&mut self, scanner: Scanner<R>, blocking: Blocking) -> io::Result<()> {
        let name = scanner.name().to_string();
        let end = self.scan_events(scanner, blocking, None, true)?;
        if !end.failed && end.jobs == 0 {
            self.no_token(&name)?;
        }
        Ok(())
    }

    /// Scans the input @PATH names: a regular file or a named pipe in blocks, anything else (a
    /// device) as a stream. Opening a named pipe waits for its writer: the reports before it
    /// are written first.
    fn scan_path(&mut self, path: &str, max_token: usize) -> io::Result<()> {
        self.drain()?;
        self.out.flush()?;
        let f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return self.problem(read_problem(path, &e)),
        };
        match f.metadata() {
            Ok(m) if m.is_file() => self.scan_file(f, path.into(), max_token, Blocking::Never),
            #[cfg(unix)]
            Ok(m) if std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()) => {
                // Read in blocks as stdin's pipe is (`@<(zcat app.log.gz)`).
                let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
                self.scan_file(f, path.into(), max_token, Blocking::Pipe(fd))
            }
            _ => {
                let reader = BufReader::with_capacity(64 * 1024, f);
                let s = Scanner::new(reader, input::intern(path), true, max_token);
                self.scan(s, Blocking::Maybe)
            }
        }
    }

    fn no_token(&mut self, name: &str) -> io::Result<()> {
        let message = format!(
            "no token found in {}: looked for a JWS (three base64url segments, the first starting with eyJ) \
             or a JWE (five segments)",
            crate::escape::text(name)
        );
        self.problem(Problem {
            message,
            hint: None,
            exit: Exit::BadInput,
        })
    }

    /// Scans a regular file, or stdin: read in blocks of whole lines; a block that cannot change
    /// how later lines are read (no `Date:`, no first HTTP line) is scanned by a worker, the
    /// others here, in order. The first block (the Date window, at least 64 KiB) is always
    /// scanned here. With one thread the blocks are scanned in the same way, so the output does
    /// not depend on the thread count. A regular file's plain blocks (stdin's too when it is
    /// one, or a pipe) go to [`Run::parallel_blocks`] when there are threads.
    fn scan_file<R: ReadOnto + Send>(
        &mut self,
        reader: R,
        name: String,
        max_token: usize,
        blocking: Blocking,
    ) -> io::Result<()> {
        let name = input::intern(&name);
        let mut file = FileBlocks {
            reader,
            name,
            max_token,
            pending: Vec::new(),
            start: 0,
            written_by: None,
            offset: 0,
            ahead: 0,
            eof: false,
            line: 1,
            http: false,
            skew: None,
            blocking,
            now: self.clock.now,
            declined: false,
            paused: false,
            failed: None,
            cutter: None,
            widened: false,
        };
        // Set by the blocks scanned here and by those the workers scanned (see `write`).
        self.found = false;
        let mut first = true;
        loop {
            if file.failed.is_none()
                && let Some(within) = file.take_within()
            {
                // A line longer than a block, or the rest of one the threads took in pieces
                // until one could not be cut: scanned here as a stream from where the last piece
                // ended, to its end, before any read waits (what is pending of it is judged and
                // written first); the blocks go on after it.
                if !self.scan_line(&mut file, &within, blocking, first)? {
                    return Ok(());
                }
                first = false;
                continue;
            }
            // (The Date window is scanned here as a stream: it is cut where reading stopped.)
            let (want, read, cut_at) = if first {
                (DATE_WINDOW as usize, READ_BYTES, usize::MAX)
            } else {
                let want = block_bytes(BLOCK_BYTES);
                (want, want, want)
            };
            while file.failed.is_none() && !file.has_block(want) {
                // A pipe that pauses: what has come is judged and written before the read
                // waits, as the streaming scanner does. The Date window first waits a moment
                // for the Date that may follow (curl -v prints the request, then waits).
                match file.idle() {
                    Some(Idle::Lines) if !first || blocking.within(DATE_PAUSE_MS) => break,
                    // Inside a line longer than a block: cut into pieces below as far as it
                    // has come, and the rest streamed, instead of waiting for the line's end.
                    Some(Idle::Paused) if file.long_line(want) => break,
                    Some(Idle::Paused) => {
                        self.drain()?;
                        self.out.flush()?;
                    }
                    _ => {}
                }
                if let Err(e) = file.read_towards(read, read) {
                    file.failed = Some(e);
                }
            }
            if let Some(e) = file.failed.take() {
                self.drain()?;
                // What was read before the error is still scanned (from where the last piece
                // of a line ended, if the threads were taking one in pieces).
                let within = file.take_within();
                let s = Scanner::resume(file.rest(), name, max_token, file.line, file.http)
                    .within(within.as_ref());
                self.scan_events(s, Blocking::Never, file.skew.clone(), first)?;
                return self.problem(read_problem(name, &e));
            }
            if file.rest().is_empty() {
                break;
            }
            let Some(cut) = file.cut(cut_at) else {
                // A line longer than a block: cut into pieces as far as it can be, for the
                // threads or scanned here as blocks; the rest of it is scanned above. (Tokens
                // in the first line wait for no `Date:`: the window closes within it.) A device
                // named by @PATH, which cannot be asked whether data is ready, is streamed.
                file.cutter = Some(Cutter::new(max_token));
                let threads = self.parallel(&mut file);
                if !matches!(blocking, Blocking::Maybe)
                    && let Some(block) = file.first_piece(want)
                {
                    if let Some(threads) = threads {
                        self.parallel_blocks(threads, &mut file, block)?;
                    } else {
                        // One thread: each piece is scanned and judged as a plain block is,
                        // its reports rendered into one buffer (the one-line dump: ~10% less
                        // time than the stream's per-token buffers).
                        let mut piece = Some(block);
                        while let Some(block) = piece {
                            self.push(Job::Scan(block))?;
                            self.dispatch(true)?;
                            piece = file.next_piece();
                        }
                    }
                    first = false;
                }
                if std::mem::take(&mut file.paused) {
                    self.out.flush()?;
                }
                continue;
            };
            let (cut, lines, changes) = if first {
                // The Date window is scanned here whole.
                let (cut, lines, change) = file.survey(cut, usize::MAX);
                (cut, lines, change.is_some())
            } else {
                // The lines before one that changes how later lines are read are a plain block.
                // A block starting with such a line is scanned here whole: cut after that line
                // alone, a file whose every line held a token and an `HTTP/` that is no request
                // line was scanned a line at a time (three times slower).
                file.next_cut(cut, block_lines())
            };
            let block = file.take(cut);
            let line = file.line;
            file.line += lines;
            if first || changes {
                // Tokens scanned by workers come first: wait for them.
                self.drain()?;
                let s = Scanner::resume(&block[..], name, max_token, line, file.http);
                // The Date window of a file or stdin read in blocks is judged here: the pool's
                // threads would serve it alone before the blocks after it get threads of their
                // own (two threads, 300 tokens: 17% less time; 2,000 tokens: 6%).
                self.hold_pool = first && !matches!(blocking, Blocking::Maybe);
                let end = self.scan_events(s, Blocking::Never, file.skew.clone(), first);
                self.hold_pool = false;
                let end = end?;
                if end.jobs > 0 {
                    // (A line read alone, a `Date:`, says nothing of the tokens' size.)
                    scanned(block.len(), end.jobs);
                }
                SPARE_INPUT.give(block);
                self.found |= end.jobs > 0;
                (file.http, file.skew) = (end.http, end.skew);
            } else if let Some(threads) = self.parallel(&mut file) {
                let block = file.block(block, line);
                self.parallel_blocks(threads, &mut file, block)?;
                if std::mem::take(&mut file.paused) {
                    // Written before the read waits, as a pause of one thread's input is.
                    self.out.flush()?;
                }
            } else {
                self.push(Job::Scan(file.block(block, line)))?;
                self.dispatch(true)?;
            }
            first = false;
        }
        self.drain()?;
        if !self.found {
            self.no_token(name)?;
        }
        Ok(())
    }

    /// Scans the rest of the line `file` has pending here as a stream, to its end: a line longer
    /// than a block, from its start or from where the last piece the threads took ended
    /// (`within`). False: a read failed (reported). (Scanning the rest of the input as a stream
    /// instead, a log with such lines here and there peaked ~1.3 MiB higher: bench/run.sh's
    /// hostile log.)
    fn scan_line<R: ReadOnto + Send>(
        &mut self,
        file: &mut FileBlocks<R>,
        within: &Within,
        blocking: Blocking,
        window: bool,
    ) -> io::Result<bool> {
        self.drain()?;
        let (name, max_token, line, http) = (file.name, file.max_token, file.line, file.http);
        let skew = file.skew.clone();
        let s = Scanner::resume(&mut *file, name, max_token, line, http)
            .line_only()
            .within(Some(within));
        let end = self.scan_events(s, blocking, skew, window)?;
        self.found |= end.jobs > 0;
        if end.failed {
            return Ok(false);
        }
        file.line += 1;
        (file.http, file.skew) = (end.http, end.skew);
        // A pool started for this line's tokens ends when blocks get threads again (lines of
        // 700 tokens between stretches of blocks: its idle threads held ~0.7 MiB more at the
        // peak).
        self.retired = false;
        Ok(true)
    }

    /// The threads to read `file`'s plain blocks with, if more than one: `--threads`, at most
    /// one per core. Also a pipe (stdin's, a FIFO's) while it keeps coming, widened for them
    /// first (see [`widen_pipe`]): a pause ends the threads' run (see
    /// [`FileBlocks::next_plain`]). Not another input that may wait (a device named by @PATH),
    /// which cannot be asked whether data is ready.
    fn parallel<R: ReadOnto>(&mut self, file: &mut FileBlocks<R>) -> Option<usize> {
        if matches!(file.blocking, Blocking::Maybe) {
            return None;
        }
        let threads = self.workers();
        if threads > 1
            && let Blocking::Pipe(fd) = file.blocking
            && !std::mem::replace(&mut file.widened, true)
        {
            widen_pipe(fd);
        }
        (threads > 1).then_some(threads)
    }

    /// The threads to judge with: `--threads`, at most one per core. Each holds blocks or
    /// batches of its own, and the work is all CPU: threads beyond the cores would only hold
    /// more memory (`--threads 16` on two cores held 28 MiB streaming small tokens from a pipe).
    fn workers(&mut self) -> usize {
        let cores = *self
            .cores
            .get_or_insert_with(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let workers = self.thread_count().min(cores);
        IN_FLIGHT.store(workers + 1, Relaxed);
        #[cfg(unix)]
        if workers > 1 {
            static FIXED: std::sync::Once = std::sync::Once::new();
            FIXED.call_once(crate::start::fixed_mmap_threshold);
        }
        workers
    }

    /// `--threads`, or the number of cores, counted once.
    fn thread_count(&mut self) -> usize {
        // Counting the cores reads cgroup files: a run of a few tokens never does.
        *self
            .threads
            .get_or_insert_with(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Scans, judges and writes `block` (starting on `line`) and the plain blocks of `file` after
    /// it on `threads` threads, this one among them, until `file` declines a block (see
    /// [`FileBlocks::next_plain`]). Each thread reads a block, then scans and renders it where
    /// its bytes are still in cache; whichever thread finishes the block next in order writes it
    /// and those that waited for it, so that no thread is left only to read and write. A thread
    /// waits before reading while `threads + 1` blocks are read and not yet written, or while
    /// those hold [`IN_FLIGHT_BLOCK_BYTES`] of input.
    fn parallel_blocks<R: ReadOnto + Send>(
        &mut self,
        threads: usize,
        file: &mut FileBlocks<R>,
        block: Block,
    ) -> io::Result<()> {
        // What came before is written first.
        self.drain()?;
        self.retire_pool();
        crate::token::batch_started();
        file.declined = false;
        let worker = self.inline;
        // Blocks are numbered in advance when they can be: a block's count of reports, once
        // scanned, gives the next block its first index. A block whose count comes before its
        // predecessor's is rendered unnumbered and numbered as it is written instead.
        let numbering = Mutex::new(Numbering {
            next: 0,
            index: self.index,
            counts: BTreeMap::new(),
        });
        let first = |seq: u64, count: usize| {
            let mut n = lock(&numbering);
            let first = (n.next == seq).then_some(n.index + 1);
            n.counts.insert(seq, count);
            while let Some(count) = {
                let next = n.next;
                n.counts.remove(&next)
            } {
                n.index += count;
                n.next += 1;
            }
            first
        };
        let limit = threads as u64 + 1;
        // The file and the next block's number; the blocks read so far, and the bytes of input
        // of those not yet written (see IN_FLIGHT_BLOCK_BYTES).
        let reading = Mutex::new((&mut *file, 1u64));
        let read = std::sync::atomic::AtomicU64::new(1);
        let held = AtomicUsize::new(block.bytes.len());
        let full = || held.load(Relaxed) >= IN_FLIGHT_BLOCK_BYTES;
        let order = Mutex::new(Order {
            finished: BTreeMap::new(),
            next: 0,
            writing: false,
            stop: false,
            waiting: 0,
            error: None,
        });
        let room = std::sync::Condvar::new();
        let run = Mutex::new(&mut *self);
        let work = |mut given: Option<(u64, Block)>| {
            // A thread that panics (a bug) stops the others instead of leaving them waiting for
            // its block; the panic is raised again when the scope ends.
            let _stop = StopOnPanic(&order, &room);
            loop {
                let (seq, block) = match given.take() {
                    Some(first) => first,
                    None => loop {
                        let mut o = lock(&order);
                        while !o.stop && (read.load(Relaxed) >= o.next + limit || full()) {
                            o.waiting += 1;
                            o = room.wait(o).unwrap_or_else(|e| e.into_inner());
                            o.waiting -= 1;
                        }
                        if o.stop {
                            return;
                        }
                        drop(o);
                        let mut r = lock_soon(&reading);
                        if full() {
                            // Another thread read a block meanwhile: wait again.
                            continue;
                        }
                        let Some(block) = r.0.next_plain() else {
                            drop(r);
                            let mut o = lock(&order);
                            o.stop = true;
                            room.notify_all();
                            return;
                        };
                        held.fetch_add(block.bytes.len(), Relaxed);
                        let seq = r.1;
                        r.1 += 1;
                        read.store(r.1, Relaxed);
                        break (seq, block);
                    },
                };
                let bytes = block.bytes.len();
                let done = worker.block(block, |count| first(seq, count));
                let mut o = lock(&order);
                o.finished.insert(seq, (done, bytes));
                if o.writing {
                    // The thread writing takes it when its turn comes.
                    continue;
                }
                o.writing = true;
                loop {
                    let mut ready = Vec::new();
                    while let Some((done, bytes)) = {
                        let next = o.next;
                        o.finished.remove(&next)
                    } {
                        ready.push(done);
                        o.next += 1;
                        // Before any thread waiting for room is told.
                        held.fetch_sub(bytes, Relaxed);
                    }
                    if ready.is_empty() || o.error.is_some() {
                        o.writing = false;
                        break;
                    }
                    // A thread for each block written, not all: the others would find no room
                    // and wait again (sixteen threads switched twice as often). A notification
                    // is a system call even when no thread waits.
                    for _ in 0..ready.len().min(o.waiting) {
                        room.notify_one();
                    }
                    drop(o);
                    let written = {
                        let mut run = lock(&run);
                        ready.into_iter().try_for_each(|done| run.write(done))
                    };
                    o = lock(&order);
                    if let Err(e) = written {
                        o.error = Some(e);
                        o.stop = true;
                        room.notify_all();
                    }
                }
            }
        };
        std::thread::scope(|s| {
            // A new thread that Linux put beside this one moves to another CPU at once (see
            // `start::move_off`): waiting there for a load balance cost 2–8 ms of two threads'
            // work in most runs on a two-vCPU VM (20,000 tokens: 11% of the run).
            let cpu = crate::start::this_cpu();
            for _ in 1..threads {
                s.spawn(move || {
                    crate::start::move_off(cpu);
                    work(None)
                });
            }
            crate::start::let_spawned_start();
            work(Some((0, block)));
        });
        match order.into_inner().unwrap_or_else(|e| e.into_inner()).error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reports every event of `scanner` in order. `skew`: the clock_skew known before it;
    /// `window`: whether its first 64 KiB are the input's Date window.
    fn scan_events<R: io::BufRead>(
        &mut self,
        mut scanner: Scanner<R>,
        blocking: Blocking,
        mut skew: Skew,
        window: bool,
    ) -> io::Result<ScanEnd> {
        // Until the Date window closes, this input's tokens wait here for a clock_skew verdict.
        let mut waiting: Option<Vec<Job>> = window.then(Vec::new);
        let mut jobs = 0;
        loop {
            if !scanner.has_pending() {
                // The next read may block: write what is ready so a person sees it now. Tokens
                // in the Date window first wait a moment for the Date that may follow them.
                if waiting.is_none() && blocking.within(FLUSH_PAUSE_MS) {
                    self.drain()?;
                    self.out.flush()?;
                } else if waiting.is_some()
                    && matches!(blocking, Blocking::Pipe(_))
                    && blocking.within(DATE_PAUSE_MS)
                {
                    self.release(&mut waiting, &skew)?;
                    self.drain()?;
                    self.out.flush()?;
                }
            }
            let event = match scanner.next_event() {
                Ok(e) => e,
                Err(e) => {
                    self.release(&mut waiting, &skew)?;
                    self.problem(read_problem(scanner.name(), &e))?;
                    return Ok(ScanEnd {
                        jobs,
                        failed: true,
                        skew,
                        http: scanner.http(),
                    });
                }
            };
            let Some(event) = event else { break };
            match event {
                Event::Date(date) => {
                    skew = claims::clock_skew(date, self.clock.now).map(std::sync::Arc::new);
                    self.release(&mut waiting, &skew)?;
                }
                Event::Token { text, source, dots } => {
                    jobs += 1;
                    let job = Job::token(text, dots, source, skew.clone());
                    match &mut waiting {
                        Some(w) => w.push(job),
                        None => self.push(job)?,
                    }
                }
                Event::TooLarge { len, source } => {
                    jobs += 1;
                    let job = too_large(len, scanner.max_token(), source);
                    match &mut waiting {
                        Some(w) => w.push(job),
                        None => self.push(job)?,
                    }
                }
            }
            if waiting.is_some() && scanner.offset() >= DATE_WINDOW {
                self.release(&mut waiting, &skew)?;
            }
        }
        self.release(&mut waiting, &skew)?;
        Ok(ScanEnd {
            jobs,
            failed: false,
            skew,
            http: scanner.http(),
        })
    }

    /// Closes the Date window: the tokens that waited get the skew known now.
    fn release(&mut self, waiting: &mut Option<Vec<Job>>, skew: &Skew) -> io::Result<()> {
        for mut job in waiting.take().unwrap_or_default() {
            if let Job::Token(found) = &mut job {
                found.skew.clone_from(skew);
            }
            self.push(job)?;
        }
        Ok(())
    }
}

/// Adds the security lint's warnings (decode; check-expiry is about time only, and verify runs
/// the lint itself around the signature check).
pub fn add_lint(r: &mut Report, weak: &crate::lint::WeakSecrets) {
    if let Some(t) = &r.token {
        r.warnings.extend(crate::lint::lint(t, weak));
    }
}

/// Parses and judges one token: the report every command starts from. Its exit code is left
/// for the command to decide, except for a malformed token (3).
pub fn inspect(text: String, source: Source, clock: Clock) -> Report {
    let mut report = Report::malformed(source, String::new());
    inspect_in(&mut report, text, None, clock);
    report
}

/// [`inspect`] into `report`, whose source is already the token's: a batch's worker keeps a few
/// reports and makes each token's in one of them, instead of moving a new report (hundreds of
/// bytes) into place, and their warning lists keep their room between tokens. `dots`: the
/// places of the token's two dots, if the scanner found them (see [`token::parse_placed`]).
pub fn inspect_in(report: &mut Report, text: String, dots: Option<token::Dots>, clock: Clock) {
    report.index = 0;
    report.signature = Signature::default();
    claims::recycle(&mut report.warnings);
    report.reasons.clear();
    // The token goes into its place in the report at once, and is read there.
    let t = match token::parse_placed(text, dots) {
        Ok(t) => &*report.token.insert(t),
        Err(e) => {
            report.token = None;
            report.judgement = None;
            report.error = Some(e.message);
            report.status = Status::Malformed;
            report.exit = Exit::BadInput;
            return;
        }
    };
    let warnings = &mut report.warnings;
    if t.kind == Kind::Unsecured {
        warnings.push(Warning::new(
            "alg_none",
            "alg is \"none\": the token has no signature and anyone can forge it. Never accept it; \
             jwtctl verify always refuses it.",
        ));
    }
    // Judged once per header (see `lint::header_lints`).
    let [_, _, embedded] = crate::lint::header_lints(t);
    warnings.extend(embedded.clone());
    let (status, error) = match &t.payload {
        Payload::Claims(c) => {
            // Judged where the report keeps its judgement: nothing that size is moved.
            let j = report.judgement.get_or_insert_with(Judgement::default);
            claims::judge_into(c, clock.now, clock.leeway, j);
            warnings.append(&mut j.warnings);
            let error = (j.status == Status::Invalid)
                .then(|| {
                    warnings
                        .iter()
                        .find(|w| w.code == "invalid_time_claim")
                        .map(|w| w.message.clone())
                })
                .flatten();
            (j.status, error)
        }
        Payload::NotClaims(why) => {
            report.judgement = None;
            (Status::Malformed, Some(format!("not a JWT: {why}")))
        }
        Payload::Encrypted => {
            warnings.push(Warning::new(
                "jwe_not_decrypted",
                "this is an encrypted JWE: only its header can be read. Its claims need the recipient's \
                 private key; jwtctl does not decrypt.",
            ));
            report.judgement = None;
            (Status::Encrypted, None)
        }
    };
    report.exit = if status == Status::Malformed {
        Exit::BadInput
    } else {
        Exit::Ok
    };
    report.error = error;
    report.status = status;
}

/// Where keys come from, as the user named them.
pub enum KeySource {
    File(String),
    Jwks(String),
    Oidc(String),
    Secret {
        bytes: Vec<u8>,
        base64: bool,
        origin: String,
        /// A `--secret` text that names a file (see [`secret_names_a_file`]).
        names_a_file: bool,
    },
}

/// The key source among `--key` and the `--secret…` flags, if one was given.
pub fn key_source(k: &crate::cli::KeyArgs) -> Result<Option<KeySource>, Failure> {
    use crate::escape;
    let secret = |bytes: Vec<u8>, origin: String, names_a_file: bool| KeySource::Secret {
        bytes,
        base64: k.secret_base64,
        origin,
        names_a_file,
    };
    if let Some(p) = &k.key {
        return Ok(Some(KeySource::File(p.clone())));
    }
    if let Some(path) = &k.secret_file {
        let mut bytes = crate::keys::read_bounded(path, "secret file")
            .map_err(|e| Failure::new(Exit::KeyProblem, e, None))?;
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        return Ok(Some(secret(
            bytes,
            format!("--secret-file {}", escape::text(path)),
            false,
        )));
    }
    if let Some(name) = &k.secret_env {
        let value = std::env::var_os(name).ok_or_else(|| {
            Failure::new(
                Exit::KeyProblem,
                anyhow::anyhow!("environment variable {} is not set", escape::text(name)),
                Some(format!(
                    "export {}=… first, or use --secret-file",
                    escape::text(name)
                )),
            )
        })?;
        return Ok(Some(secret(
            value.into_encoded_bytes(),
            format!("--secret-env {}", escape::text(name)),
            false,
        )));
    }
    Ok(k.secret.as_ref().map(|t| {
        let names_a_file = secret_names_a_file(t);
        let origin = if names_a_file {
            format!("--secret ({AT_FILE})")
        } else {
            "--secret".into()
        };
        secret(t.as_bytes().to_vec(), origin, names_a_file)
    }))
}

/// Whether a `--secret` text looks like `@PATH` naming a file, which some tools read as the
/// secret's file; jwtctl takes the text itself, and says so (see [`AT_FILE`]) wherever the key
/// is named, without the text.
fn secret_names_a_file(text: &str) -> bool {
    text.strip_prefix('@')
        .is_some_and(|path| std::path::Path::new(path).is_file())
}

/// What is said of a `--secret` text that names a file (see [`secret_names_a_file`]).
const AT_FILE: &str = "the secret is the text given, which starts with '@' and names a file: \
                       to read a secret from a file, use --secret-file PATH";

/// Loads the keys of a source; any failure is a key problem (exit 6).
pub fn load_keys(
    source: KeySource,
    how: &crate::keys::Fetch,
) -> Result<Vec<crate::keys::Key>, Failure> {
    use crate::keys;
    let loaded = match source {
        KeySource::File(path) => keys::load_key_file(&path),
        KeySource::Jwks(src) => keys::load_jwks(&src, how),
        KeySource::Oidc(url) => keys::load_oidc(&url, how),
        KeySource::Secret {
            bytes,
            base64,
            origin,
            ..
        } => keys::secret_key(bytes, base64, &origin).map(|k| vec![k]),
    };
    loaded.map_err(|e| Failure::new(Exit::KeyProblem, e, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lock_soon` gives the lock once its holder lets it go, whether that is while it spins
    /// or after it has gone to sleep, and a lock whose holder panicked.
    #[test]
    fn lock_soon_waits_for_the_holder() {
        for hold in [std::time::Duration::ZERO, SPIN / 4, SPIN * 5] {
            let m = Mutex::new(0);
            let (held, told) = mpsc::channel();
            std::thread::scope(|s| {
                s.spawn(|| {
                    let mut g = m.lock().unwrap();
                    held.send(()).unwrap();
                    std::thread::sleep(hold);
                    *g = 1;
                });
                told.recv().unwrap();
                let mut g = lock_soon(&m);
                assert_eq!(*g, 1, "taken while held ({hold:?})");
                *g = 2;
            });
            assert_eq!(*m.lock().unwrap(), 2);
        }
        let m = Mutex::new(7);
        let _ = std::thread::scope(|s| {
            s.spawn(|| {
                let _g = m.lock().unwrap();
                panic!("poisons the lock");
            })
            .join()
        });
        assert!(m.is_poisoned());
        assert_eq!(*lock_soon(&m), 7);
    }

    /// A job moves from the scanner to a batch or block and to the thread that judges it: at
    /// 144 bytes (the dots' places as two words) jobs were moved by calls to the C library's
    /// `memmove`, ~15% of a verify run's samples against ~8% at 128.
    #[test]
    fn a_job_stays_within_128_bytes() {
        assert!(
            std::mem::size_of::<Job>() <= 128,
            "{}",
            std::mem::size_of::<Job>()
        );
    }

    /// A file is read onto the end of a buffer as other readers are: its bytes after those
    /// already there, in reads of any size, however much room the buffer has; then nothing.
    #[test]
    fn a_file_is_read_onto_a_buffer_as_any_reader_is() {
        use std::io::Write as _;
        let text: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&text).unwrap();
        for sizes in [[1, 4096, 65_536], [100_000, 7, 200_000], [300_001, 1, 1]] {
            io::Seek::rewind(&mut f).unwrap();
            let mut cursor = io::Cursor::new(&text);
            // Room left by earlier bytes, which are not taken for the file's.
            let mut read = vec![0xAA; 70_000];
            read.truncate(3);
            let mut given = read.clone();
            for size in sizes.into_iter().cycle().take(40) {
                let n = f.read_onto(&mut read, size).unwrap();
                assert!(n <= size);
                let m = cursor.read_onto(&mut given, n).unwrap();
                assert_eq!(m, n);
                assert_eq!(read, given);
            }
            assert_eq!(read.len(), 3 + text.len());
            assert_eq!(read[3..], text[..]);
            assert_eq!(f.read_onto(&mut read, 10).unwrap(), 0);
            assert_eq!(read.len(), 3 + text.len());
        }
        // A read that fails adds nothing and says why (a directory cannot be read).
        #[cfg(unix)]
        {
            let mut dir = std::fs::File::open(std::env::temp_dir()).unwrap();
            let mut read = b"abc".to_vec();
            let e = dir.read_onto(&mut read, 100).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
            assert_eq!(read, b"abc");
        }
    }

    /// A bug that panics while a block's tokens are judged costs that block, not the run: the
    /// block becomes one error naming where it starts, and its tokens, once counted, keep
    /// their numbers (skipped) so that the blocks after it are numbered as if it had not
    /// failed. (No input makes a judge panic; this one does it on purpose.)
    #[test]
    fn a_panic_while_judging_a_block_becomes_an_error_in_its_place() {
        let panics = Judged {
            clock: Clock {
                now: 1_800_000_000,
                leeway: 0,
            },
            judge: |_: &mut Report| panic!("a bug in a judge"),
        };
        let worker = Worker {
            view: &crate::render::json::JsonLines,
            build: &panics,
        };
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln";
        let block = Block {
            bytes: format!("{token}\nno token here\n{token}\n").into_bytes(),
            name: "tokens.txt",
            line: 41,
            http: false,
            skew: None,
            max_token: input::DEFAULT_MAX_TOKEN,
            within: None,
        };
        let mut told = None;
        let done = worker.block(block, |count| {
            told = Some(count);
            Some(7)
        });
        assert_eq!(told, Some(2), "the block's two tokens are counted first");
        match &done[..] {
            [Done::Problem(p), Done::Skipped(2)] => {
                assert_eq!(
                    p.message,
                    "internal error while judging the tokens from line 41 of tokens.txt: please report it"
                );
                assert_eq!(p.exit, Exit::BadInput);
            }
            _ => panic!("not an error and two skipped numbers"),
        }
    }

    /// A block of more tokens than MAX_BLOCK_JOBS is not held as jobs: it is counted, and
    /// left to be scanned as a stream.
    #[test]
    fn a_crowded_block_is_counted_not_held() {
        let token = "eyJhbGciOiJub25lIn0.e30.";
        let block = |lines: &[usize]| Block {
            bytes: lines
                .iter()
                .map(|&n| format!("{}\n", [token; 1000][..n].join(" ")))
                .collect::<String>()
                .into_bytes(),
            name: "t",
            line: 1,
            http: false,
            skew: None,
            max_token: input::DEFAULT_MAX_TOKEN,
            within: None,
        };
        let fits = scan_block(&block(&[200, MAX_BLOCK_JOBS - 200])).map(|jobs| jobs.len());
        assert_eq!(fits, Ok(MAX_BLOCK_JOBS));
        assert_eq!(
            scan_block(&block(&[MAX_BLOCK_JOBS + 1])).map(|j| j.len()),
            Err(513)
        );
        assert_eq!(
            scan_block(&block(&[300, 400, 1000])).map(|j| j.len()),
            Err(1700)
        );
    }

    /// Blocks are cut to hold about BLOCK_JOBS tokens of the size the last block's were, within
    /// bounds; a cut falls after a line end within the size when there is one.
    #[test]
    fn blocks_are_cut_for_the_tokens_they_hold() {
        // Two workers: three blocks in flight.
        let cut = |bytes_per_job, limit| block_size(bytes_per_job, SIZED_FOR, limit);
        assert_eq!(cut(400, PARALLEL_BLOCK_BYTES), PARALLEL_BLOCK_BYTES);
        assert_eq!(cut(69, PARALLEL_BLOCK_BYTES), 69 * BLOCK_JOBS);
        assert_eq!(cut(1, BLOCK_BYTES), MIN_BLOCK_BYTES);
        assert_eq!(cut(usize::MAX, BLOCK_BYTES), BLOCK_BYTES);
        // Eight workers: 384 small tokens cut to 128 for the share, then to 42.
        assert_eq!(block_size(69, 9, PARALLEL_BLOCK_BYTES), 69 * 42);
        // Sixteen: the fewest tokens, MIN_SHARE, never below LEAST_BLOCK_BYTES; large tokens by
        // a part of the bytes (cut once).
        assert_eq!(block_size(69, 17, PARALLEL_BLOCK_BYTES), 69 * MIN_SHARE);
        assert_eq!(block_size(24, 17, PARALLEL_BLOCK_BYTES), LEAST_BLOCK_BYTES);
        assert_eq!(block_size(400, 17, PARALLEL_BLOCK_BYTES), 400 * MIN_SHARE);
        assert_eq!(
            block_size(4000, 17, PARALLEL_BLOCK_BYTES),
            PARALLEL_BLOCK_BYTES * 3 / 17
        );
        assert_eq!(block_size(1, 5, BLOCK_BYTES), MIN_BLOCK_BYTES * 3 / 5);
        assert_eq!(
            part_of(PARALLEL_BLOCK_BYTES, SIZED_FOR, 1),
            PARALLEL_BLOCK_BYTES
        );
        assert_eq!(
            part_of(PARALLEL_BLOCK_BYTES, 1000, MIN_BLOCK_BYTES),
            MIN_BLOCK_BYTES
        );
        let lines = b"aaaa\nbbbb\ncccc\ndddd".as_slice();
        assert_eq!(file(lines, false).cut(12), Some(10));
        assert_eq!(file(lines, false).cut(10), Some(10));
        assert_eq!(file(lines, false).cut(9), Some(5));
        // No line end within the size: the last line end there is, or the end of the input.
        assert_eq!(file(lines, false).cut(3), Some(15));
        assert_eq!(file(lines, true).cut(100), Some(19));
        assert_eq!(file(b"aaaa", false).cut(2), None);
        // At most so many lines, however many bytes.
        assert_eq!(file(lines, false).survey(10, 1), (5, 1, None));
        assert_eq!(file(lines, false).survey(10, 2), (10, 2, None));
        assert_eq!(file(lines, true).survey(19, 3), (15, 3, None));
        assert_eq!(file(lines, true).survey(19, 4), (19, 3, None));
        // Cut before a line that changes how later lines are read, or past it if it is first.
        let date = b"a\nDate: x\nb\n".as_slice();
        assert_eq!(file(date, true).next_cut(12, usize::MAX), (2, 1, false));
        assert_eq!(
            file(&date[2..], true).next_cut(10, usize::MAX),
            (10, 2, true)
        );
        assert_eq!(
            file(&date[10..], true).next_cut(2, usize::MAX),
            (2, 1, false)
        );
        // Blocks smaller than what was read are copied out, the rest left where it is…
        let mut f = file(b"aaaa\nbbbb\ncccc\ndddd\n", true);
        let at = f.pending.as_ptr();
        assert_eq!(f.take(5), b"aaaa\n");
        assert_eq!(
            (f.rest(), f.pending.as_ptr()),
            (&b"bbbb\ncccc\ndddd\n"[..], at)
        );
        assert_eq!(f.cut(10), Some(10));
        assert_eq!(f.take(10), b"bbbb\ncccc\n");
        assert_eq!(f.take(5), b"dddd\n");
        assert!(f.rest().is_empty() && f.start == 0);
        // …moved to the front before more is read; a block larger than what follows it is the
        // buffer itself, and what follows is copied.
        let mut f = file(b"aaaa\nbbbb\ncc", false);
        assert_eq!(f.take(5), b"aaaa\n");
        f.compact();
        assert_eq!((&f.pending[..], f.start), (&b"bbbb\ncc"[..], 0));
        let at = f.pending.as_ptr();
        let block = f.take(5);
        assert_eq!((&block[..], block.as_ptr()), (&b"bbbb\n"[..], at));
        assert_eq!(f.rest(), b"cc");
        // A file is read a piece at a time however small the blocks: every byte once, in order.
        let input: Vec<u8> = (0..5000)
            .flat_map(|i| format!("token{i}\n").into_bytes())
            .collect();
        let mut f = file(b"", false);
        f.reader = io::Cursor::new(input.clone());
        let mut read = Vec::new();
        while !(f.eof && f.rest().is_empty()) {
            if !f.has_block(600) {
                f.read_more(600).unwrap();
                assert!(f.eof || f.rest().len() >= READ_PIECE);
                continue;
            }
            let (cut, lines, _) = f.survey(f.cut(600).unwrap(), 7);
            assert!(lines <= 7 && crate::bytes::count(b'\n', &f.rest()[..cut]) == lines as usize);
            read.extend(f.take(cut));
        }
        assert_eq!(read, input);
        // A Date line, an HTTP status line: read by the reader, the blocks around them handed
        // out in the state each leaves; a line that changes the state and holds a token is not.
        let blocks = |text: &str, http| {
            let mut f = file(b"", false);
            f.reader = io::Cursor::new(text.as_bytes().to_vec());
            // Two minutes before the Date.
            f.now = 1_800_000_000;
            f.http = http;
            let mut blocks = Vec::new();
            while let Some(p) = f.next_plain() {
                let text = String::from_utf8(p.bytes).unwrap();
                blocks.push((text, p.line, p.http, p.skew.is_some()));
            }
            (
                blocks,
                f.line,
                String::from_utf8(f.rest().to_vec()).unwrap(),
            )
        };
        let text = "a\nb\nDate: Fri, 15 Jan 2027 08:02:00 GMT\nc\n\
                    GET /?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln HTTP/1.1\nd\n";
        let (got, line, rest) = blocks(text, false);
        let a = ("a\nb\n".to_string(), 1, false, false);
        assert_eq!(got, [a.clone(), ("c\n".into(), 4, false, true)]);
        assert_eq!((line, &rest[..8]), (5, "GET /?t="));
        // Once HTTP, the request line changes nothing.
        let (got, line, rest) = blocks(text, true);
        let c = "c\nGET /?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln HTTP/1.1\nd\n";
        assert_eq!(got, [(a.0, 1, true, false), (c.into(), 4, true, true)]);
        assert_eq!((line, rest.as_str()), (7, ""));
        let (got, line, _) = blocks("x\nHTTP/1.1 200 OK\ny\n", false);
        let y = ("y\n".to_string(), 3, true, false);
        assert_eq!(got, [("x\n".to_string(), 1, false, false), y]);
        assert_eq!(line, 4);
    }

    /// A file whose first bytes, `pending`, are read (all of it if `eof`), the rest in `reader`.
    fn file(pending: &[u8], eof: bool) -> FileBlocks<io::Cursor<Vec<u8>>> {
        file_in(io::Cursor::new(Vec::new()), pending, eof)
    }

    /// [`file`] read from `reader`.
    fn file_in<R>(reader: R, pending: &[u8], eof: bool) -> FileBlocks<R> {
        FileBlocks {
            reader,
            name: "t",
            max_token: input::DEFAULT_MAX_TOKEN,
            pending: pending.to_vec(),
            start: 0,
            written_by: None,
            offset: 0,
            ahead: 0,
            eof,
            line: 1,
            http: false,
            skew: None,
            blocking: Blocking::Never,
            now: 0,
            declined: false,
            paused: false,
            failed: None,
            cutter: None,
            widened: false,
        }
    }

    /// What is pending goes into a buffer this thread wrote last when another thread wrote
    /// the one it is in (the rest of a line after a cut), before a read onto it; the other
    /// buffer is kept for the thread that wrote it. A buffer this thread wrote stays.
    #[test]
    fn a_read_goes_into_a_buffer_of_the_thread_reading() {
        let spare = Spare::new();
        let me = std::thread::current().id();
        let other = std::thread::spawn(|| std::thread::current().id())
            .join()
            .unwrap();
        let mut f = file(b"eyJhbGciOi", false);
        f.reader = io::Cursor::new(b"JIUzI1NiJ9\n".to_vec());
        f.written_by = Some(other);
        let theirs = f.pending.as_ptr();
        let mut mine = Vec::with_capacity(64 * 1024);
        mine.push(b'x');
        let at = mine.as_ptr();
        spare.give(mine);
        f.own_pending(&spare);
        assert_eq!(f.pending.as_ptr(), at);
        assert_eq!(f.written_by, Some(me));
        // The other thread's buffer is kept for it: this one takes none of its own.
        assert!(spare.take_own().is_none());
        assert!(
            matches!(&spare.0.lock().unwrap()[..], [(t, b)] if *t == other && b.as_ptr() == theirs)
        );
        // The read goes on after what was pending.
        f.read_more(READ_PIECE).unwrap();
        assert_eq!(f.rest(), b"eyJhbGciOiJIUzI1NiJ9\n");
        // Now this thread's buffer: it stays, though one of its own is kept.
        spare.give(Vec::with_capacity(64));
        let before = f.pending.as_ptr();
        f.own_pending(&spare);
        assert_eq!(f.pending.as_ptr(), before);
        // More than a line's rest is not moved.
        let mut f = file(&[b'a'; OWN_COPY_BYTES + 1], false);
        f.written_by = Some(other);
        let before = f.pending.as_ptr();
        f.own_pending(&spare);
        assert_eq!(f.pending.as_ptr(), before);
        assert!(spare.take_own().is_some());
    }

    /// A block scanner's run buffer, grown by a long run, is the next block scanner's on the
    /// same thread; one grown past SPARE_RUN_BYTES is freed.
    #[test]
    fn a_block_scanners_run_buffer_is_kept_for_the_next() {
        let block = |run: usize| Block {
            bytes: format!("{}\n", "x".repeat(run)).into_bytes(),
            name: "t",
            line: 1,
            http: false,
            skew: None,
            max_token: 4 * SPARE_RUN_BYTES,
            within: None,
        };
        std::thread::spawn(move || {
            assert_eq!(scan_block(&block(200_000)).map(|j| j.len()), Ok(0));
            let kept = block_scanner(&block(0)).into_run();
            assert!(kept.capacity() >= 200_000 && kept.is_empty());
            assert_eq!(
                scan_block(&block(2 * SPARE_RUN_BYTES)).map(|j| j.len()),
                Ok(0)
            );
            assert_eq!(block_scanner(&block(0)).into_run().capacity(), 0);
        })
        .join()
        .unwrap();
    }

    /// A line longer than a block is read as a stream to its end, from what is pending and
    /// then the file; the lines after it are blocks again, numbered on.
    #[test]
    fn after_a_line_longer_than_a_block_come_blocks() {
        let token = "eyJhbGciOiJub25lIn0.e30.";
        let long = format!("{} {token}\n", "x".repeat(MAX_BLOCK_BYTES + READ_BYTES));
        let after: String = (0..100).map(|i| format!("line {i} {token}\n")).collect();
        let input = format!("{long}{after}");
        let mut f = file(b"", false);
        f.reader = io::Cursor::new(input.into_bytes());
        f.line = 5;
        while !f.has_block(MAX_BLOCK_BYTES) {
            f.read_more(READ_BYTES).unwrap();
        }
        assert_eq!(f.cut(BLOCK_BYTES), None, "no line end read yet");
        let mut s = Scanner::resume(&mut f, "t", 1000, 5, false).line_only();
        let mut lines = Vec::new();
        while let Some(Event::Token { source, .. }) = s.next_event().unwrap() {
            lines.push(source.line);
        }
        assert_eq!(lines, [Some(5)]);
        f.line += 1;
        assert!(f.rest().starts_with(b"line 0 "));
        let mut blocks = String::new();
        while let Some(b) = f.next_plain() {
            assert_eq!(b.line, 6 + blocks.lines().count() as u64);
            blocks.push_str(std::str::from_utf8(&b.bytes).unwrap());
        }
        assert_eq!(blocks, after);
        assert!(f.eof && f.rest().is_empty());
    }

    /// A reader of bytes that records what it is asked to read ahead.
    struct Ahead {
        bytes: io::Cursor<Vec<u8>>,
        asked: std::cell::RefCell<Vec<(u64, u64)>>,
    }

    impl io::Read for Ahead {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.bytes.read(buf)
        }
    }

    impl ReadOnto for Ahead {
        fn read_ahead(&self, offset: u64, len: u64) {
            self.asked.borrow_mut().push((offset, len));
        }
    }

    /// A file is asked to be read from storage ahead of its reads: from where the first read
    /// ended, at least READ_AHEAD_BYTES - READ_AHEAD_STEP ahead of every read after, each
    /// asking where the last ended, none after its end.
    #[test]
    fn a_file_is_read_ahead_of_its_reads() {
        let size = 3 * READ_AHEAD_BYTES as usize + 12345;
        let reader = Ahead {
            bytes: io::Cursor::new(vec![b'x'; size]),
            asked: Default::default(),
        };
        let mut f = file_in(reader, b"", false);
        let mut offset = 0;
        while !f.eof {
            let before = f.reader.asked.borrow().len();
            f.read_more(1 << 20).unwrap();
            offset += f.pending.len() as u64;
            f.pending.clear();
            let asked = f.reader.asked.borrow();
            let end = asked.last().map(|(at, len)| at + len).unwrap();
            if f.eof {
                // Not asked again once the reads reached the end.
                assert_eq!(asked.len(), before);
            } else {
                assert!(
                    end >= offset + READ_AHEAD_BYTES - READ_AHEAD_STEP,
                    "{asked:?}"
                );
            }
        }
        assert_eq!(offset, size as u64);
        let asked = f.reader.asked.into_inner();
        assert_eq!(asked[0], (1 << 20, READ_AHEAD_BYTES));
        for pair in asked.windows(2) {
            assert_eq!(pair[1].0, pair[0].0 + pair[0].1, "{asked:?}");
        }
    }

    /// A read fills what is pending up to the block it is for, not a block more; once that is
    /// pending, it reads the size asked for (a file at least READ_PIECE).
    #[test]
    fn a_read_fills_what_is_pending_up_to_the_block() {
        let mut f = file(&[b'a'; 100], false);
        f.reader = io::Cursor::new(vec![b'b'; 200_000]);
        let target = 100 + READ_PIECE + 5000;
        f.read_towards(target, 7).unwrap();
        assert_eq!(f.rest().len(), target);
        f.read_towards(target, 7).unwrap();
        assert_eq!(f.rest().len(), target + READ_PIECE);
        f.read_towards(target + READ_PIECE + 20_000, 7).unwrap();
        assert_eq!(f.rest().len(), target + READ_PIECE + 20_000);
    }

    /// After each cut, little is left: less than a line and what a read past a small block
    /// brings (READ_PIECE), or, cutting a long line into pieces, the look past a piece's end and
    /// that. Reading a block more each time, what was left grew by about half a line a block,
    /// to half a block (a block's lines are the same however much was read past them).
    #[test]
    fn what_is_left_after_a_cut_is_less_than_a_line() {
        let token = |i: usize| {
            format!(
                "eyJhbGciOiJIUzI1NiJ9.{}.{i:040}",
                "eyJzdWIiOiJ4In0".repeat(20)
            )
        };
        // (Blocks are cut by hints other tests also set: see block_bytes.)
        let lines: String = (0..3000).map(|i| token(i) + "\n").collect();
        let longest = lines.lines().map(str::len).max().unwrap() + 1;
        let mut f = file(b"", false);
        f.reader = io::Cursor::new(lines.clone().into_bytes());
        let mut blocks = String::new();
        while let Some(b) = f.next_plain() {
            blocks.push_str(std::str::from_utf8(&b.bytes).unwrap());
            let left = f.rest().len();
            assert!(left < longest.max(READ_PIECE), "{left} left");
        }
        assert_eq!(blocks, lines);
        assert!(f.eof && f.rest().is_empty());
        // One line of JSON holding them all, as a dump is: cut into pieces.
        let dump = format!(
            "[{}]\n",
            (0..3000)
                .map(|i| format!(r#"{{"access_token":"{}","n":{i}}}"#, token(i)))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut f = file(b"", false);
        f.reader = io::Cursor::new(dump.clone().into_bytes());
        let mut pieces = String::new();
        while let Some(b) = f.next_plain() {
            assert!(b.within.is_some(), "a piece of the line");
            let left = f.rest().len();
            assert!(left <= READ_PIECE + PIECE_LOOK_BYTES, "{left} left");
            pieces.push_str(std::str::from_utf8(&b.bytes).unwrap());
        }
        assert_eq!(pieces, dump);
        assert!(f.eof && f.rest().is_empty());
    }

    /// A block's output buffer is sized by the smaller of the two hints: where large tokens
    /// follow small ones (whose reports are ~30 times their size), and the other way round.
    #[test]
    fn output_is_expected_by_the_smaller_hint() {
        // A 64 KiB block of ~160 tokens of 400 bytes, their reports ~1.9 KiB each.
        let (input, reports) = (64 * 1024, 160);
        // After a block of such tokens: either hint gives about their output.
        assert_eq!(estimate(input, reports, 300, 1920), 300 * 1024);
        // After a block of 24-byte tokens (~800-byte reports): the reports' hint, not 2 MiB.
        assert_eq!(estimate(input, reports, 32 * 64, 800), 160 * 800);
        // 384 small tokens after large ones: the bytes' hint, not 384 of the large reports.
        assert_eq!(estimate(384 * 25, 384, 300, 1900), 384 * 25 * 300 / 64);
        // Before any block: the bytes' hint alone.
        assert_eq!(estimate(1000, 10, 3 * 64, usize::MAX), 3000);
    }

    /// With more workers than two, batches and blocks are cut smaller in proportion, so that
    /// the tokens in flight stay about the same; never below MIN_SHARE.
    #[test]
    fn more_workers_share_the_same_tokens_in_flight() {
        for jobs in [BATCH, BLOCK_JOBS, MAX_BLOCK_JOBS] {
            assert_eq!(share_of(jobs, 2), jobs, "one worker");
            assert_eq!(share_of(jobs, SIZED_FOR), jobs, "two workers");
            for in_flight in [5, 9, 17] {
                let share = share_of(jobs, in_flight);
                assert!(share < jobs, "{jobs} over {in_flight}");
                assert!(
                    share * in_flight <= jobs * SIZED_FOR,
                    "{jobs} over {in_flight}"
                );
                assert!(
                    share * in_flight + in_flight > jobs * SIZED_FOR,
                    "{jobs} over {in_flight}"
                );
            }
        }
        assert_eq!(share_of(BATCH, 33), MIN_SHARE);
        assert_eq!(share_of(BATCH, usize::MAX), MIN_SHARE);
    }

    #[test]
    fn spare_buffers_come_back_empty_and_big_ones_are_freed() {
        let spare: Spare<u8> = Spare::new();
        let mut buffer = Vec::with_capacity(100);
        buffer.extend_from_slice(b"left over");
        spare.give(buffer);
        let again = spare.take();
        assert!(again.is_empty() && again.capacity() >= 100);
        spare.give(Vec::with_capacity(SPARE_MAX_BYTES + 1));
        assert_eq!(spare.take().capacity(), 0);
    }

    /// A thread takes back the buffers it wrote last before those another thread wrote, and
    /// another's when it has none.
    #[test]
    fn a_thread_takes_its_own_spare_buffers_first() {
        let spare: Spare<u8> = Spare::new();
        let other = std::thread::spawn(|| std::thread::current().id())
            .join()
            .unwrap();
        spare.give(Vec::with_capacity(1000));
        spare.give_to(other, Vec::with_capacity(10));
        assert!(spare.take().capacity() >= 1000);
        assert!((10..1000).contains(&spare.take().capacity()));
        assert_eq!(spare.take().capacity(), 0);
        // Written on another thread, but rendered by this one: kept as this thread's.
        let rendered = Vec::with_capacity(500);
        let me = std::thread::current().id();
        std::thread::scope(|s| {
            s.spawn(|| {
                spare.give(Vec::with_capacity(10));
                spare.give_to(me, rendered);
            });
        });
        assert!((500..1000).contains(&spare.take().capacity()));
    }
}

//! Where tokens come from: arguments, `-`, `@PATH` and stdin, read as streams, and the scanner
//! that finds every compact JWS and JWE in any text, with a label saying where each was found.

use crate::token::Dots;
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::io::{self, BufRead};

/// The largest token accepted by default; a longer one is refused without being held whole.
pub const DEFAULT_MAX_TOKEN: usize = 1024 * 1024;

/// How many bytes of a line are kept to recognise a header name or a `Date:` header.
const HEAD_CAP: usize = 512;
/// How many bytes before a token are kept to find its JSON key or parameter name.
const RECENT_CAP: usize = 256;

/// `name` as a string that lives as long as the process, made once for each name: every
/// token's [`Source`] holds its input's name, and a shared `Arc` cost two locked updates of its
/// count a token (~2% of a batch). An input's name is made when it is opened, so a run keeps
/// one copy per input it names on its command line.
pub fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<BTreeSet<&'static str>> = std::sync::Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&kept) = names.get(name) {
        return kept;
    }
    let kept: &'static str = Box::leak(name.into());
    names.insert(kept);
    kept
}

/// Where a token was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `argument 1`, `stdin`, or a file's path, made once for all the tokens of an input (see
    /// [`intern`]).
    pub input: &'static str,
    pub line: Option<u64>,
    /// The HTTP header (or `Name:` field) the token stood in.
    pub header: Option<String>,
    /// The JSON key, query/fragment parameter or cookie name the token was the value of.
    pub key: Option<(KeyKind, String)>,
}

impl Source {
    /// Gives the names' buffers back to this thread's spares ([`crate::spare`]) for the names
    /// of tokens found later: a source is done with once its report is rendered.
    pub fn recycle(&mut self) {
        if let Some(header) = self.header.take() {
            crate::spare::give(header.into_bytes());
        }
        if let Some((_, name)) = self.key.take() {
            crate::spare::give(name.into_bytes());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Json,
    Parameter,
    Cookie,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::escape::text(self.input))?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(h) = &self.header {
            write!(f, ", header {}", crate::escape::text(h))?;
        }
        if let Some((kind, name)) = &self.key {
            let name = crate::escape::text(name);
            match kind {
                KeyKind::Json => write!(f, ", JSON key \"{name}\"")?,
                KeyKind::Parameter => write!(f, ", parameter {name}")?,
                KeyKind::Cookie => write!(f, ", cookie {name}")?,
            }
        }
        Ok(())
    }
}

/// What the scanner reports, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A token candidate (it may still turn out malformed). `dots`: the places of its two
    /// dots, when it has exactly two and the scanner placed them on its way (a line that is a
    /// token alone): reading it then needs no search for them (see
    /// [`crate::token::parse_placed`]).
    Token {
        text: String,
        source: Source,
        dots: Option<Dots>,
    },
    /// A candidate longer than the size limit; only its length was counted.
    TooLarge { len: usize, source: Source },
    /// An HTTP `Date:` header, as Unix seconds.
    Date(i64),
}

fn is_token_byte(b: u8) -> bool {
    TOKEN_BYTES[usize::from(b)]
}

/// How many bytes at the start of `bytes` are token bytes, and how many of those are dots (a
/// token's segments are its dots plus one); the places of the first two dots go to `first`
/// (as many as there are). With AVX2, once a batch has asked the CPU (see [`crate::cpu`]), 32
/// bytes at a time as bit masks (the scanner's share of a verify run fell from ~6% to ~2.5%).
fn token_span(bytes: &[u8], first: &mut [usize; 2]) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::known(crate::cpu::AVX2) {
        // SAFETY: the CPU has AVX2 and the system saves its registers.
        return unsafe { token_span_avx2(bytes, first) };
    }
    token_span_in(bytes, first)
}

/// [`token_span`] with AVX2: each 32 bytes become a mask of the bytes that are not token bytes
/// and a mask of the dots; the first set bit of the one ends the span, the other is counted up
/// to it (the first two placed). The last bytes are read as the last 32 of the input, those
/// already counted shifted out; fewer than 32 in all, one at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt,bmi1")]
unsafe fn token_span_avx2(bytes: &[u8], first: &mut [usize; 2]) -> (usize, usize) {
    use std::arch::x86_64::*;
    const LANES: usize = 32;
    let masks = |v: __m256i| -> (u32, u32) {
        let within = |x: __m256i, lo: u8, hi: u8| {
            let lo = _mm256_set1_epi8(lo as i8);
            let hi = _mm256_set1_epi8(hi as i8);
            _mm256_cmpeq_epi8(_mm256_min_epu8(_mm256_max_epu8(x, lo), hi), x)
        };
        // Setting bit 5 makes A-Z a-z and moves no other byte into a-z.
        let letter = within(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), b'a', b'z');
        let digit = within(v, b'0', b'9');
        let dash_or_dot = within(v, b'-', b'.');
        let underscore = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'_' as i8));
        let token = _mm256_or_si256(
            _mm256_or_si256(letter, digit),
            _mm256_or_si256(dash_or_dot, underscore),
        );
        let dot = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'.' as i8));
        (
            !(_mm256_movemask_epi8(token) as u32),
            _mm256_movemask_epi8(dot) as u32,
        )
    };
    // Where the span ends within a mask of non-token bytes, and the dots before it.
    let end = |other: u32, dot: u32| {
        let k = other.trailing_zeros();
        let before = if k >= 32 { u32::MAX } else { (1u32 << k) - 1 };
        (k as usize, dot & before)
    };
    // The dots of a mask (bit `i` is byte `at + i`) after `dots` others: placed while fewer
    // than two are, and counted.
    let mut take = |mut dots: usize, at: usize, mut dot: u32| {
        while dot != 0 && dots < first.len() {
            first[dots] = at + dot.trailing_zeros() as usize;
            dots += 1;
            dot &= dot - 1;
        }
        dots + dot.count_ones() as usize
    };
    if bytes.len() < LANES {
        return token_span_in(bytes, first);
    }
    let (mut n, mut dots) = (0, 0);
    while n + LANES <= bytes.len() {
        // SAFETY: bytes n..n + 32 are within `bytes`; the load is unaligned.
        let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().add(n).cast()) };
        let (other, dot) = masks(v);
        if other != 0 {
            let (k, dot) = end(other, dot);
            return (n + k, take(dots, n, dot));
        }
        if dot != 0 {
            dots = take(dots, n, dot);
        }
        n += LANES;
    }
    let rest = bytes.len() - n;
    if rest == 0 {
        return (n, dots);
    }
    // SAFETY: the last 32 bytes of `bytes`, which has at least 32.
    let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().add(bytes.len() - LANES).cast()) };
    let (other, dot) = masks(v);
    // The first 32 - rest bytes were counted above; the input ends after `rest` more.
    let shift = LANES - rest;
    let (k, dot) = end(other >> shift | 1 << rest, dot >> shift);
    (n + k, take(dots, n, dot))
}

/// [`token_span`]'s portable body. Tokens are hundreds of bytes long: 32 bytes are checked and
/// their dots counted at a time, all of them, so that both are vectorized; then 16, 8, and one
/// at a time.
#[inline(always)]
fn token_span_in(bytes: &[u8], first: &mut [usize; 2]) -> (usize, usize) {
    let all = |chunk: &[u8]| chunk.iter().fold(true, |all, &b| all & token_byte(b));
    let dots_in =
        |chunk: &[u8]| usize::from(chunk.iter().fold(0u8, |d, &b| d + u8::from(b == b'.')));
    let (mut n, mut dots) = (0, 0);
    for chunk in bytes.chunks_exact(32) {
        if !all(chunk) {
            break;
        }
        dots += dots_in(chunk);
        n += 32;
    }
    for width in [16, 8] {
        if let Some(chunk) = bytes[n..].get(..width)
            && all(chunk)
        {
            dots += dots_in(chunk);
            n += width;
        }
    }
    for &b in &bytes[n..] {
        if !is_token_byte(b) {
            break;
        }
        n += 1;
        dots += usize::from(b == b'.');
    }
    if dots > 0 {
        for (place, dot) in first
            .iter_mut()
            .zip(crate::bytes::positions(b'.', &bytes[..n]))
        {
            *place = dot;
        }
    }
    (n, dots)
}

/// base64url's alphabet and the dot. (Without short-circuits, so that a loop over it is
/// vectorized.)
const fn token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() | (c == b'-') | (c == b'_') | (c == b'.')
}

/// [`token_byte`] as a table.
const TOKEN_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = token_byte(b as u8);
        b += 1;
    }
    t
};

/// The scanner's state between chunks: everything it needs fits in a few small buffers, so
/// memory is bounded by the largest token whatever the size of the input.
struct State {
    name: &'static str,
    numbered: bool,
    max_token: usize,
    line: u64,
    head: Vec<u8>,
    recent: Vec<u8>,
    run: Vec<u8>,
    run_len: usize,
    run_dots: usize,
    http: bool,
    queue: VecDeque<Event>,
}

/// Finds tokens in a byte stream read chunk by chunk.
pub struct Scanner<R> {
    reader: R,
    state: State,
    offset: u64,
    /// Bytes the reader gave that are not fed yet (see [`piece`]): read, so no wait for them.
    unfed: usize,
    done: bool,
    /// Stops at the end of the line it starts in (see [`Scanner::line_only`]).
    line_only: bool,
}

impl<R: BufRead> Scanner<R> {
    /// `name` labels the input (`stdin`, `argument 2`, a path); `numbered` adds line numbers.
    pub fn new(reader: R, name: &'static str, numbered: bool, max_token: usize) -> Self {
        Scanner {
            reader,
            state: State::new(name, numbered, max_token),
            offset: 0,
            unfed: 0,
            done: false,
            line_only: false,
        }
    }

    /// A scanner that starts at the beginning of line `line` of an input already partly read,
    /// `http` saying whether an HTTP line was seen before: how a block of whole lines cut from a
    /// longer input is scanned on its own, with the labels a scan of the whole would give.
    pub fn resume(reader: R, name: &'static str, max_token: usize, line: u64, http: bool) -> Self {
        let mut s = Scanner::new(reader, name, true, max_token);
        s.state.line = line;
        s.state.http = http;
        s
    }

    /// Collects a token's bytes in `run` (emptied): a buffer an earlier scanner grew (see
    /// [`Scanner::into_run`]).
    pub fn with_run(mut self, mut run: Vec<u8>) -> Self {
        run.clear();
        self.state.run = run;
        self
    }

    /// The buffer that collected tokens' bytes, for a later scanner.
    pub fn into_run(self) -> Vec<u8> {
        self.state.run
    }

    /// Reads no further than the end of the line it starts in, leaving what follows in the
    /// reader: how a line longer than a block is scanned on its own.
    pub fn line_only(mut self) -> Self {
        self.line_only = true;
        self
    }

    /// Starts inside a line, in the state `within` holds (see [`Cutter`]), if given, instead of
    /// at a line's start.
    pub fn within(mut self, within: Option<&Within>) -> Self {
        if let Some(within) = within {
            self.state.head.clear();
            self.state.head.extend_from_slice(&within.head);
            self.state.recent.clear();
            self.state.recent.extend_from_slice(&within.recent);
        }
        self
    }

    pub fn name(&self) -> &'static str {
        self.state.name
    }

    /// Whether an HTTP request or status line was seen.
    pub fn http(&self) -> bool {
        self.state.http
    }

    pub fn max_token(&self) -> usize {
        self.state.max_token
    }

    /// Whether events or bytes read are waiting, or the end is reached, so that the next call
    /// will not read (and maybe block).
    pub fn has_pending(&self) -> bool {
        !self.state.queue.is_empty() || self.unfed > 0 || self.done
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next event, or None at the end of the input.
    pub fn next_event(&mut self) -> io::Result<Option<Event>> {
        loop {
            if let Some(e) = self.state.queue.pop_front() {
                return Ok(Some(e));
            }
            if self.done {
                return Ok(None);
            }
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                self.done = true;
                self.state.end_line();
                continue;
            }
            let mut n = piece(buf);
            if self.line_only
                && let Some(p) = crate::bytes::find(b'\n', &buf[..n])
            {
                // The line ends here; what follows stays in the reader.
                n = p + 1;
                self.done = true;
            }
            self.unfed = buf.len() - n;
            self.state.feed(&buf[..n]);
            self.reader.consume(n);
            self.offset += n as u64;
        }
    }
}

/// What the scanner knows of a line at a place inside it where no token is being read: the
/// start of the line (for its header name) and the bytes before the place (for a token's JSON
/// key or parameter name). A scanner given it there (see [`Scanner::within`]) finds what a scan
/// of the whole line finds after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Within {
    head: Vec<u8>,
    recent: Vec<u8>,
}

/// Cuts a line too long for a block into pieces that threads can scan apart: each piece ends
/// after a byte that ends no token, and comes with the state a scan of the line would be in
/// where it starts ([`Within`]). The line is read once here to know that state, without making
/// a token, and of each run only the tail that is context is kept.
pub struct Cutter {
    state: State,
    /// The state where the piece being cut starts.
    start: Within,
    /// The bytes of that piece fed so far, and its runs that may be tokens.
    fed: usize,
    runs: usize,
    /// The bytes of the line before the piece being cut, and in it up to the last cut.
    offset: usize,
    cut: usize,
    /// Whether a cut after a long run is looked for (see [`Cutter::cut_after_long_run`]); not
    /// again on a line where none was found.
    look: bool,
}

/// What a cut needs is not read yet.
struct Unseen;

/// How far past where a piece may end a cut after a long run is looked for.
const LOOK_BYTES: usize = 8 * 1024;

impl Cutter {
    /// A cutter at the start of a line; `max_token` as the scan's (the runs are held as far).
    pub fn new(max_token: usize) -> Self {
        let state = State::new("", false, max_token);
        Cutter {
            look: state.run_most() >= RECENT_CAP,
            state,
            start: Within::default(),
            fed: 0,
            runs: 0,
            offset: 0,
            cut: 0,
        }
    }

    /// Where the piece that `rest` starts with ends: at the end of the first byte at or past
    /// `want` that ends no token, or of the run that makes `most` that may be tokens, or of the
    /// line (true). None: not within `rest`, of which what was not seen before is read now; a
    /// later call gives it with more bytes after.
    pub fn cut(&mut self, rest: &[u8], want: usize, most: usize) -> Option<(usize, bool)> {
        let cut = if self.fed == 0 && self.look {
            match self.cut_after_long_run(rest, want) {
                Err(Unseen) => return None,
                Ok(Some(cut)) => Some(cut),
                Ok(None) => self.cut_reading(rest, want, most),
            }
        } else {
            self.cut_reading(rest, want, most)
        };
        if let Some((n, _)) = cut {
            self.cut = n;
        }
        cut
    }

    /// A cut found without reading the piece before it: after the byte that follows the first
    /// run past `want` of [`RECENT_CAP`] token bytes or more (that a scan holds whole) and
    /// starting as far into the line, or after the line's end. A scan's context there is that
    /// run's last [`RECENT_CAP`] bytes and the byte after it: the context held at least that
    /// many before (the line before the run gave it that many), and keeping a run's tail cuts
    /// it to the tail (see [`State::keep_context`]). The line's head ends before it. Looked
    /// for within [`LOOK_BYTES`]: None if not found (a line of small tokens), Err if `rest`
    /// ends before that.
    fn cut_after_long_run(
        &mut self,
        rest: &[u8],
        want: usize,
    ) -> Result<Option<(usize, bool)>, Unseen> {
        if let Some(p) = crate::bytes::find(b'\n', &rest[..want.min(rest.len())]) {
            return Ok(Some((p + 1, true)));
        }
        let limit = rest.len().min(want.saturating_add(LOOK_BYTES));
        // Past the run `want` falls in, whose start is not known here.
        let mut at = want.max(1) - 1;
        at += token_span(rest.get(at..limit).ok_or(Unseen)?, &mut [0; 2]).0;
        while at < limit {
            if rest[at] == b'\n' {
                return Ok(Some((at + 1, true)));
            }
            let run = at + 1;
            let end = run + token_span(&rest[run..limit], &mut [0; 2]).0;
            let Some(&after) = rest[..limit].get(end) else {
                break;
            };
            if end - run >= RECENT_CAP
                && end - run <= self.state.run_most()
                && self.offset + run >= RECENT_CAP
                && after != b'\n'
            {
                let s = &mut self.state;
                // The head holds the line up to the piece's start, or its first HEAD_CAP bytes.
                let more = HEAD_CAP - s.head.len();
                s.head.extend_from_slice(&rest[..more]);
                s.recent.clear();
                s.recent.extend_from_slice(&rest[end - RECENT_CAP..=end]);
                (s.run_len, s.run_dots) = (0, 0);
                s.run.clear();
                return Ok(Some((end + 1, false)));
            }
            at = end;
        }
        if limit == rest.len() {
            return Err(Unseen);
        }
        // Looked as far as it looks: none on this line.
        self.look = false;
        Ok(None)
    }

    /// [`Cutter::cut`] by reading the piece (see [`State::feed_dry`]).
    fn cut_reading(&mut self, rest: &[u8], want: usize, most: usize) -> Option<(usize, bool)> {
        let from = self.fed.min(rest.len());
        let end = self.state.feed_dry(
            &rest[from..],
            want.saturating_sub(from),
            most,
            &mut self.runs,
        );
        match end {
            Some((n, ended)) => Some((from + n, ended)),
            None => {
                self.fed = rest.len();
                None
            }
        }
    }

    /// The state where the piece just cut starts; the next piece starts where it ended.
    pub fn piece_start(&mut self) -> Within {
        self.fed = 0;
        self.runs = 0;
        self.offset += std::mem::take(&mut self.cut);
        let next = Within {
            head: self.state.head.clone(),
            recent: self.state.recent.clone(),
        };
        std::mem::replace(&mut self.start, next)
    }

    /// The state where the piece being cut starts: for a scanner that reads the rest of the
    /// line instead.
    pub fn into_start(self) -> Within {
        self.start
    }
}

/// Whether a line starting with `start` (its first bytes, at least [`HEAD_CAP`] unless the
/// line is shorter) leaves how later lines are read as it is: no `Date:`, and no HTTP line
/// unless one was seen (`http`). Errs on the side of a change, as [`survey`] does.
pub fn plain_line(start: &[u8], http: bool) -> bool {
    let end = crate::bytes::find(b'\n', start).unwrap_or(start.len());
    let head = &start[..end.min(HEAD_CAP)];
    survey(head, http, 1).2.is_none()
}

/// Bytes fed to the scanner at once, at most: the events of what is fed are queued together
/// (a line of 8,000 small tokens would queue ~1.8 MB of them).
const PIECE_BYTES: usize = 8 * 1024;

/// How much of `buf` to feed at once: up to the last line end in its first [`PIECE_BYTES`], or
/// that many bytes when a line is longer (the scanner carries a token cut between two pieces).
fn piece(buf: &[u8]) -> usize {
    if buf.len() <= PIECE_BYTES {
        return buf.len();
    }
    crate::bytes::rfind(b'\n', &buf[..PIECE_BYTES]).map_or(PIECE_BYTES, |p| p + 1)
}

impl State {
    fn new(name: &'static str, numbered: bool, max_token: usize) -> Self {
        State {
            name,
            numbered,
            max_token,
            line: 1,
            head: Vec::with_capacity(HEAD_CAP),
            recent: Vec::with_capacity(RECENT_CAP * 2),
            run: Vec::new(),
            run_len: 0,
            run_dots: 0,
            http: false,
            queue: VecDeque::new(),
        }
    }

    fn feed(&mut self, buf: &[u8]) {
        let mut i = 0;
        while i < buf.len() {
            // A span of token bytes, taken whole.
            let start = i;
            let mut first = [0; 2];
            let (len, span_dots) = token_span(&buf[i..], &mut first);
            i += len;
            if i > start
                && buf.get(i) == Some(&b'\n')
                && self.whole_line(&buf[start..i], span_dots, first)
            {
                i += 1;
                continue;
            }
            if i > start {
                self.extend_run(&buf[start..i], span_dots);
            }
            let Some(&b) = buf.get(i) else { break };
            i += 1;
            if self.run_len > 0 {
                self.end_run();
            }
            if b == b'\n' {
                self.end_line();
                continue;
            }
            self.push_other(b);
        }
    }

    /// The most of a run that is held: a token's limit and three bytes more (saturating:
    /// `--max-token-size` may be the largest number there is).
    fn run_most(&self) -> usize {
        self.max_token.saturating_add(3)
    }

    /// A span of token bytes: onto the run (as much as a token may hold) and the line's head.
    fn extend_run(&mut self, span: &[u8], span_dots: usize) {
        let room = self.run_most().saturating_sub(self.run.len());
        self.run.extend_from_slice(&span[..span.len().min(room)]);
        self.run_len += span.len();
        self.run_dots += span_dots;
        let room = HEAD_CAP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&span[..span.len().min(room)]);
    }

    /// [`State::extend_run`] for [`State::feed_dry`]: of the run, only what [`State::keep_context`]
    /// takes is kept, the last [`RECENT_CAP`] bytes of what a scan would hold (its first
    /// [`State::run_most`]), so that a run of hundreds of KB is not copied whole.
    fn extend_run_dry(&mut self, span: &[u8], span_dots: usize) {
        let room = self.run_most().saturating_sub(self.run_len);
        let held = &span[..span.len().min(room)];
        if self.run.len() + held.len() > 4 * RECENT_CAP {
            let from_held = held.len().min(RECENT_CAP);
            let from_run = (RECENT_CAP - from_held).min(self.run.len());
            self.run.drain(..self.run.len() - from_run);
            self.run.extend_from_slice(&held[held.len() - from_held..]);
        } else {
            self.run.extend_from_slice(held);
        }
        self.run_len += span.len();
        self.run_dots += span_dots;
        let room = HEAD_CAP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&span[..span.len().min(room)]);
    }

    /// A byte that is neither a token's nor a line end: onto the context and the line's head.
    fn push_other(&mut self, b: u8) {
        if self.recent.len() >= RECENT_CAP * 2 {
            self.recent.drain(..RECENT_CAP);
        }
        self.recent.push(b);
        if self.head.len() < HEAD_CAP {
            self.head.push(b);
        }
    }

    /// [`State::feed`] within a line, making no events (see [`Cutter`]): `buf` is fed up to and
    /// including the first byte at or past `want` that ends no token, or the byte ending the
    /// run that makes `most` runs of three segments or more (counted in `runs`: each may make
    /// an event), or the line's end. That
    /// byte's end, and whether it ended the line (a line end is not fed: the line's state is
    /// not needed after it); None: all of `buf` was fed, and no such byte came. It keeps step
    /// with `feed`, byte for byte: `a_line_cut_into_pieces_scans_as_the_whole_line` holds them
    /// to the same state.
    fn feed_dry(
        &mut self,
        buf: &[u8],
        want: usize,
        most: usize,
        runs: &mut usize,
    ) -> Option<(usize, bool)> {
        let mut i = 0;
        while i < buf.len() {
            let start = i;
            let (len, span_dots) = token_span(&buf[i..], &mut [0; 2]);
            i += len;
            if i > start {
                self.extend_run_dry(&buf[start..i], span_dots);
            }
            let Some(&b) = buf.get(i) else { break };
            i += 1;
            if self.run_len > 0 {
                // A run of fewer than three segments makes no event.
                *runs += usize::from(self.run_dots >= 2);
                self.keep_context();
            }
            if b == b'\n' {
                return Some((i, true));
            }
            self.push_other(b);
            if i >= want || *runs >= most {
                return Some((i, false));
            }
        }
        None
    }

    /// A line that is a token and nothing else, the usual line of a token file, found without
    /// the copies and checks that a line with context needs: what [`State::end_run`] and
    /// [`State::end_line`] would find for it (no label, no context, no Date, no HTTP line),
    /// straight from the buffer. False, with nothing done, for any other line.
    fn whole_line(&mut self, span: &[u8], dots: usize, first: [usize; 2]) -> bool {
        if self.run_len > 0
            || !self.head.is_empty()
            || !self.recent.is_empty()
            || span.len() > self.max_token
            || !span.starts_with(b"eyJ")
        {
            return false;
        }
        if let Some(text) = candidate_text(span, dots + 1) {
            let source = self.source(0);
            // Three segments are kept whole (`candidate_text`): the dots are where they were.
            let dots = if dots == 2 { Dots::new(first) } else { None };
            self.queue.push_back(Event::Token { text, source, dots });
        }
        self.line += 1;
        true
    }

    fn end_line(&mut self) {
        if self.run_len > 0 {
            self.end_run();
        }
        let head = strip_marker(&self.head);
        if head.len() > 5 && head[..5].eq_ignore_ascii_case(b"date:") {
            if let Some(t) = std::str::from_utf8(&head[5..])
                .ok()
                .and_then(crate::time::parse_http_date)
            {
                self.queue.push_back(Event::Date(t));
            }
        } else if head.starts_with(b"HTTP/") || names_http_version(head) {
            self.http = true;
        }
        self.head.clear();
        self.recent.clear();
        self.line += 1;
    }

    fn end_run(&mut self) {
        let stored = self.run.len();
        let total = self.run_len;
        // Most runs are a token from their first byte. A run of fewer than two dots holds none
        // (a JSON key, a number, a word), and is not searched.
        let found = if self.run_dots < 2 {
            None
        } else if self.run.starts_with(b"eyJ") {
            Some(0)
        } else {
            TOKEN_START.find(&self.run)
        };
        if let Some(p) = found {
            let len = total - p;
            let run_dots = self.run_dots - dots(&self.run[..p]);
            if len > self.max_token && run_dots >= 2 {
                let source = self.source(p);
                self.queue.push_back(Event::TooLarge { len, source });
            } else if len <= self.max_token {
                let cand = &self.run[p..stored];
                // The run's dot count holds for the candidate when the run was stored whole.
                let segments = if stored == total {
                    run_dots + 1
                } else {
                    dots(cand) + 1
                };
                if let Some(text) = candidate_text(cand, segments) {
                    let source = self.source(p);
                    self.queue.push_back(Event::Token {
                        text,
                        source,
                        dots: None,
                    });
                }
            }
        }
        self.keep_context();
    }

    /// Ends the run: what came before the next token, the tail of this run is kept as context.
    fn keep_context(&mut self) {
        let keep = &self.run[self.run.len().saturating_sub(RECENT_CAP)..];
        if self.recent.len() + keep.len() >= RECENT_CAP * 2 {
            let cut = (self.recent.len() + keep.len()).saturating_sub(RECENT_CAP);
            self.recent.drain(..cut.min(self.recent.len()));
        }
        self.recent.extend_from_slice(keep);
        self.run.clear();
        self.run_len = 0;
        self.run_dots = 0;
    }

    /// The label of a token starting `prefix` bytes into the current run.
    fn source(&self, prefix: usize) -> Source {
        // Made in a spare buffer once kept (see Source::recycle).
        let header = header_name(&self.head)
            .filter(|h| self.http || notable_header(h))
            .map(crate::spare::text);
        let key = if prefix == 0 {
            context_key(&self.recent, header.as_deref())
        } else {
            None
        };
        Source {
            input: self.name,
            line: self.numbered.then_some(self.line),
            header,
            key,
        }
    }
}

use memchr::memmem::Finder;
use std::sync::LazyLock;

// Searchers built once: building one costs more than searching a line with it.
static TOKEN_START: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"eyJ"));
static HTTP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" HTTP/"));

/// Whether a line holds ` HTTP/1.` or ` HTTP/2` (a request line). A line that is a token alone
/// holds no space, and is passed over at once.
fn names_http_version(head: &[u8]) -> bool {
    crate::bytes::find(b' ', head).is_some()
        && HTTP.find_iter(head).any(|at| {
            let version = &head[at + 6..];
            version.starts_with(b"1.") || version.starts_with(b"2")
        })
}

/// A candidate's text, if it has a token's segments once a sentence's full stop after it is
/// dropped (it is not an empty segment). `segments`: the candidate's dots plus one.
fn candidate_text(mut cand: &[u8], mut segments: usize) -> Option<String> {
    while cand.last() == Some(&b'.') && !matches!(segments, 3 | 5) {
        cand = &cand[..cand.len() - 1];
        segments -= 1;
    }
    (segments >= 3).then(|| {
        let mut text = crate::spare::take(cand.len());
        text.extend_from_slice(cand);
        // A candidate is a run of the bytes `token_span` takes (`TOKEN_BYTES`: base64url's
        // alphabet and the dot), all ASCII; checked again only in debug builds, since checking
        // costs a batch ~1.5% of its time.
        debug_assert!(text.is_ascii());
        // SAFETY: ASCII is UTF-8.
        unsafe { String::from_utf8_unchecked(text) }
    })
}

fn dots(bytes: &[u8]) -> usize {
    crate::bytes::count(b'.', bytes)
}

/// The first `most` lines of a block of whole lines (all of them if fewer), surveyed in one
/// pass: where they end, how many newlines they hold, and where the first line starts that
/// changes how later lines are read (a `Date:` header, or, when `http` is not yet known, a line
/// with an HTTP request or status). Lines that change nothing can be scanned apart, in any
/// order. Errs on the side of a change.
pub fn survey(block: &[u8], http: bool, most: u64) -> (usize, u64, Option<usize>) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::known(crate::cpu::AVX2) {
        // SAFETY: the CPU has AVX2 (with BMI1) and the system saves its registers.
        return unsafe { survey_avx2(block, http, most) };
    }
    survey_in(block, http, most)
}

/// [`survey`]'s portable body: a search for each line's end, then one for `HTTP/` in the lines
/// surveyed.
fn survey_in(block: &[u8], http: bool, most: u64) -> (usize, u64, Option<usize>) {
    let (mut lines, mut start) = (0, 0);
    let mut date = None;
    let mut surveyed = block.len();
    for end in crate::bytes::positions(b'\n', block).chain(std::iter::once(block.len())) {
        if date.is_none() && date_line(&block[start..end]) {
            date = Some(start);
        }
        if end == block.len() {
            break;
        }
        lines += 1;
        start = end + 1;
        if lines >= most {
            surveyed = start;
            break;
        }
    }
    let head = &block[..date.unwrap_or(surveyed)];
    let request = (!http)
        .then(|| memchr::memmem::find(head, b"HTTP/"))
        .flatten()
        .map(|at| crate::bytes::rfind(b'\n', &head[..at]).map_or(0, |p| p + 1));
    (surveyed, lines, request.or(date))
}

/// [`survey`] with AVX2, in one pass: each 64 bytes become a mask of their newlines and, while
/// no HTTP line is known, a mask of the places where an `H` has a `/` four bytes on (each
/// `HTTP/`, and little else in a file of tokens, whose alphabet has no `/`). The lines are
/// walked by their newlines' bits instead of a search for each end, and the block is not read
/// a second time for `HTTP/`. The last bytes are read from a zero-padded copy.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1")]
unsafe fn survey_avx2(block: &[u8], http: bool, most: u64) -> (usize, u64, Option<usize>) {
    use std::arch::x86_64::*;
    const STEP: usize = 64;
    let len = block.len();
    let newline = _mm256_set1_epi8(b'\n' as i8);
    let (h, slash) = (_mm256_set1_epi8(b'H' as i8), _mm256_set1_epi8(b'/' as i8));
    // The newlines of the 64 bytes at `p`, and the places where an `H` has a `/` four bytes on
    // (when `look`), as bits. `p` has 68 bytes.
    let masks = |p: *const u8, look: bool| -> (u64, u64) {
        // SAFETY: bytes p..p + 68 are readable (the callers' sizes); the loads are unaligned.
        let v: [__m256i; 4] =
            unsafe { [0, 32, 4, 36].map(|offset| _mm256_loadu_si256(p.add(offset).cast())) };
        let bits = |lo: __m256i, hi: __m256i| {
            u64::from(_mm256_movemask_epi8(lo) as u32)
                | u64::from(_mm256_movemask_epi8(hi) as u32) << 32
        };
        let lines = bits(
            _mm256_cmpeq_epi8(v[0], newline),
            _mm256_cmpeq_epi8(v[1], newline),
        );
        if !look {
            return (lines, 0);
        }
        let at = |x: __m256i, y: __m256i| {
            _mm256_and_si256(_mm256_cmpeq_epi8(x, h), _mm256_cmpeq_epi8(y, slash))
        };
        (lines, bits(at(v[0], v[2]), at(v[1], v[3])))
    };
    let (mut lines, mut start) = (0u64, 0usize);
    // The first line starting with `Date:`, the end of the `most`-th line if it came, and the
    // first `HTTP/`.
    let (mut date, mut stopped, mut first_http) = (None, None, None);
    let mut look = !http;
    let mut at = 0;
    'steps: while at < len {
        let (mut newlines, mut maybe) = if at + STEP + 4 <= len {
            // SAFETY: bytes at..at + 68 are within `block`.
            masks(unsafe { block.as_ptr().add(at) }, look)
        } else {
            // Fewer than 68 bytes left: zeros after them, which match nothing looked for.
            let mut padded = [0u8; STEP + 4];
            padded[..len - at].copy_from_slice(&block[at..]);
            masks(padded.as_ptr(), look)
        };
        while maybe != 0 {
            let p = at + maybe.trailing_zeros() as usize;
            if block.get(p..p + 5) == Some(b"HTTP/") {
                first_http = Some(p);
                look = false;
                break;
            }
            maybe &= maybe - 1;
        }
        while newlines != 0 {
            let end = at + newlines.trailing_zeros() as usize;
            if date.is_none() && date_line(&block[start..end]) {
                date = Some(start);
            }
            lines += 1;
            start = end + 1;
            if lines >= most {
                stopped = Some(start);
                break 'steps;
            }
            newlines &= newlines - 1;
        }
        at += STEP;
    }
    let surveyed = stopped.unwrap_or_else(|| {
        // The last line, without a line end, is looked at but not counted.
        if date.is_none() && date_line(&block[start..]) {
            date = Some(start);
        }
        len
    });
    // An `HTTP/` counts within the lines before a `Date:` (or all those surveyed): the first
    // one found is in them if any is.
    let head = date.unwrap_or(surveyed);
    let request = first_http
        .filter(|&p| p + 5 <= head)
        .map(|p| crate::bytes::rfind(b'\n', &block[..p]).map_or(0, |q| q + 1));
    (surveyed, lines, request.or(date))
}

/// Whether a line is a `Date:` header (after any `curl -v` marker).
fn date_line(line: &[u8]) -> bool {
    let line = strip_marker(line);
    line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"date:")
}

/// Drops leading space and a `curl -v` direction marker (`> `, `< `).
fn strip_marker(line: &[u8]) -> &[u8] {
    let mut s = line.trim_ascii_start();
    if let [b'>' | b'<', b' ', rest @ ..] = s {
        s = rest;
    }
    s
}

/// `Authorization` in `Authorization: Bearer …` (after any `curl -v` marker).
fn header_name(head: &[u8]) -> Option<&str> {
    let s = strip_marker(head);
    // A name is at most 64 bytes: no need to look further for its colon.
    let colon = crate::bytes::find(b':', &s[..s.len().min(65)])?;
    let name = &s[..colon];
    if name.is_empty()
        || name.len() > 64
        || !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    // ASCII, as just checked.
    std::str::from_utf8(name).ok()
}

/// Header names worth naming even outside an HTTP transcript.
fn notable_header(name: &str) -> bool {
    let n = name.as_bytes();
    ["cookie", "set-cookie", "location", "referer"]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k))
        || n.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"x-"))
        || ["auth", "token", "jwt", "assertion", "bearer"]
            .iter()
            .any(|k| {
                n.windows(k.len())
                    .any(|w| w.eq_ignore_ascii_case(k.as_bytes()))
            })
}

/// The JSON key, parameter or cookie name whose value starts right after `before`.
fn context_key(before: &[u8], header: Option<&str>) -> Option<(KeyKind, String)> {
    let mut s = before;
    // `"Bearer eyJ…"` as a JSON value or a parameter.
    if s.len() >= 7 && s[s.len() - 7..].eq_ignore_ascii_case(b"bearer ") {
        s = &s[..s.len() - 7];
    }
    if let Some(k) = json_key(s) {
        return Some((KeyKind::Json, k));
    }
    let rest = s.strip_suffix(b"=")?;
    let start = rest
        .iter()
        .rposition(|&b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'))
        })
        .map_or(0, |i| i + 1);
    let name = &rest[start..];
    if name.is_empty() {
        return None;
    }
    let is_cookie = header
        .is_some_and(|h| h.eq_ignore_ascii_case("cookie") || h.eq_ignore_ascii_case("set-cookie"));
    let kind = if is_cookie {
        KeyKind::Cookie
    } else {
        KeyKind::Parameter
    };
    Some((kind, spare_text(name)))
}

/// `"access_token": "` (or the escaped `\"access_token\":\"` of JSON inside a log string).
fn json_key(s: &[u8]) -> Option<String> {
    let quote = |s: &[u8]| -> Option<usize> {
        if s.ends_with(b"\\\"") {
            Some(2)
        } else if s.ends_with(b"\"") {
            Some(1)
        } else {
            None
        }
    };
    let mut s = &s[..s.len() - quote(s)?];
    s = s.trim_ascii_end();
    s = s.strip_suffix(b":")?;
    s = s.trim_ascii_end();
    let q = quote(s)?;
    s = &s[..s.len() - q];
    let open = s.iter().rposition(|&b| b == b'"')?;
    let key = &s[open + 1..];
    if key.is_empty() || key.len() > 128 {
        return None;
    }
    Some(spare_text(key))
}

/// `bytes` as text (invalid UTF-8 replaced), in a spare buffer of this thread's when it is
/// valid (see [`Source::recycle`]): a name is found with each token in a JSON dump.
fn spare_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => crate::spare::text(text),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// What the user gave on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A positional argument (1-based) holding a token or text.
    Argument(usize, String),
    Stdin,
    File(usize, String),
}

impl Input {
    pub fn from_args(args: &[String]) -> Vec<Input> {
        args.iter()
            .enumerate()
            .map(|(i, a)| {
                if a == "-" {
                    Input::Stdin
                } else if let Some(path) = a.strip_prefix('@') {
                    Input::File(i + 1, path.to_string())
                } else {
                    Input::Argument(i + 1, a.clone())
                }
            })
            .collect()
    }
}

/// An argument that is one word shaped like a token is taken whole, so that a damaged token is
/// reported as malformed instead of being skipped as "no token".
pub fn word_candidate(arg: &str) -> Option<&str> {
    let mut t = arg.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            t = t[1..t.len() - 1].trim();
        }
    }
    if let Some(rest) = t.get(7..)
        && t[..7].eq_ignore_ascii_case("bearer ")
    {
        t = rest.trim_start();
    }
    if t.is_empty() || t.chars().any(char::is_whitespace) {
        return None;
    }
    let dots = t.matches('.').count();
    if t.starts_with("eyJ") && dots >= 1 {
        return Some(t);
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/');
    // `id_token=eyJ…` is a parameter: scanning finds the token in it.
    let parameter = t
        .split('.')
        .next()
        .is_some_and(|first| first.contains("=eyJ"));
    (dots >= 2 && t.chars().all(allowed) && !parameter).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line-only scanner reports the tokens of the line it starts in and reads no further,
    /// however long the line and wherever a read ends; what follows is left in the reader.
    #[test]
    fn a_line_only_scanner_stops_at_its_line_end() {
        let token = "eyJhbGciOiJub25lIn0.e30.";
        let text = format!("{} {token}\nnext {token}\n", "x".repeat(3 * PIECE_BYTES));
        for cap in [10, 1000, text.len()] {
            let mut reader = io::BufReader::with_capacity(cap, text.as_bytes());
            let mut scanner = Scanner::resume(&mut reader, "t", 1000, 7, false).line_only();
            let mut events = Vec::new();
            while let Some(e) = scanner.next_event().unwrap() {
                events.push(e);
            }
            assert!(scanner.has_pending(), "the end is known without a read");
            drop(scanner);
            let [
                Event::Token {
                    text: t, source, ..
                },
            ] = &events[..]
            else {
                panic!("{events:?}");
            };
            assert_eq!((t.as_str(), source.line), (token, Some(7)));
            let mut rest = String::new();
            io::Read::read_to_string(&mut reader, &mut rest).unwrap();
            assert_eq!(rest, format!("next {token}\n"), "read {cap} at a time");
        }
    }

    /// Header names named outside an HTTP transcript: the cookie, location and referer headers,
    /// `X-` headers and names holding auth, token, jwt, assertion or bearer, in any case.
    #[test]
    fn notable_headers_are_told_in_any_case() {
        for name in [
            "Cookie",
            "SET-COOKIE",
            "location",
            "Referer",
            "x-",
            "X-Request",
            "MyAuthHeader",
            "id-TOKEN",
            "Jwt",
            "client-assertion",
            "BEARER",
        ] {
            assert!(notable_header(name), "{name}");
        }
        for name in [
            "Cookies",
            "Date",
            "X",
            "Xy-A",
            "Host",
            "2024-01-01T10",
            "Referer2",
        ] {
            assert!(!notable_header(name), "{name}");
        }
    }

    /// A token's header and key names are made in this thread's spare buffers, and a source
    /// done with gives them back for the next token's (on a thread of its own: the spares are
    /// per thread). Bytes of a name that are not UTF-8 are replaced.
    #[test]
    fn a_sources_names_go_back_to_the_spares() {
        let text = "X-Token: {\"access_token\":\"eyJhbGciOiJIUzI1NiJ9.e30.c2ln\"}\n";
        // A token's source, and the capacities of its text and names.
        let next = |text: &str| {
            let mut scanner = Scanner::resume(text.as_bytes(), "t", 1000, 1, false);
            match scanner.next_event().unwrap() {
                Some(Event::Token { source, text, .. }) => {
                    let room = [
                        text.capacity(),
                        source.header.as_ref().map_or(0, String::capacity),
                        source.key.as_ref().map_or(0, |k| k.1.capacity()),
                    ];
                    (source, room)
                }
                e => panic!("{e:?}"),
            }
        };
        std::thread::spawn(move || {
            let (mut source, _) = next(text);
            assert_eq!(source.header.as_deref(), Some("X-Token"));
            let (kind, name) = source.key.clone().unwrap();
            assert_eq!((kind, name.as_str()), (KeyKind::Json, "access_token"));
            // Buffers of sizes no name is made with: known when they come back.
            let roomy = |text: &str, room: usize| {
                let mut s = String::with_capacity(room);
                s.push_str(text);
                s
            };
            source.header = Some(roomy("X-Token", 1500));
            source.key = Some((kind, roomy("access_token", 2500)));
            source.recycle();
            assert_eq!((source.header, source.key), (None, None));
            // The next token's text and names are made in those buffers.
            let (_, room) = next(text);
            assert!(room.contains(&1500) && room.contains(&2500), "{room:?}");
            assert_eq!(spare_text(b"a\xffb"), "a\u{fffd}b");
        })
        .join()
        .unwrap();
    }

    /// A line cut into pieces, each scanned on its own from the state the cutter gave for its
    /// start, yields the events a scan of the whole line yields: the same tokens with the same
    /// labels (JSON keys after a wide gap, parameter names longer than the context kept,
    /// `Bearer`, a cookie header), refusals over the size limit, wherever the pieces end, with
    /// runs longer than a piece and a limit smaller than the tokens.
    #[test]
    fn a_line_cut_into_pieces_scans_as_the_whole_line() {
        let token = |i: usize| format!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1{i:04}In0.c2ln{i}");
        // (A long run before the line's first 256 bytes: the context holds more than its tail.)
        let mut line = format!("Cookie: ab {} ", "E".repeat(300));
        for i in 0..400 {
            line.push_str(&match i % 10 {
                0 => format!(r#"{{"access_token":"{}"}}"#, token(i)),
                1 => format!(
                    r#""id"{}:{}"{}","#,
                    " ".repeat(300),
                    " ".repeat(200),
                    token(i)
                ),
                2 => format!("{}={}&", "p".repeat(i % 500 + 1), token(i)),
                3 => format!(r#""Bearer {}" "#, token(i)),
                4 => format!("s{i}={}; ", token(i)),
                5 => format!("{} {}.{} ", "A".repeat(i * 7), token(i), "B".repeat(i)),
                6 => format!("eyJ{}.eyJ.x ", "Q".repeat(i * 3)),
                7 => {
                    let name: String = (0..3000 + i)
                        .map(|k| char::from(b'a' + (k % 26) as u8))
                        .collect();
                    format!("{name}={}&", token(i))
                }
                // Runs of a token's usual size: a piece may end after one without being read.
                8 => format!(
                    r#"{{"id_token":"{}{}","n":{i}}},"#,
                    token(i),
                    "L".repeat(200 + i)
                ),
                _ => format!("{}eyJ.{}, ", token(i), token(i + 1)),
            });
        }
        line.push('\n');
        let bytes = line.as_bytes();
        let whole = |max_token| -> Vec<Event> {
            let mut s = Scanner::resume(bytes, "t", max_token, 9, true);
            std::iter::from_fn(|| s.next_event().unwrap()).collect()
        };
        for max_token in [100, 300, 1000, 100_000] {
            let expected = whole(max_token);
            assert!(expected.len() >= 400, "{}", expected.len());
            for (want, most) in [(1, 1000), (700, 3), (5000, 1000), (64 * 1024, 384)] {
                let mut cutter = Cutter::new(max_token);
                let (mut at, mut events, mut pieces) = (0, Vec::new(), 0);
                // A scan of the line so far: its state where each piece ends is the cutter's.
                let mut scan = State::new("t", true, max_token);
                while at < bytes.len() {
                    // Fed as reads would come: a few hundred bytes more each time.
                    let mut end = (at + 333).min(bytes.len());
                    let (cut, ended) = loop {
                        if let Some(c) = cutter.cut(&bytes[at..end], want, most) {
                            break c;
                        }
                        assert!(end < bytes.len(), "the line's end is a cut");
                        end = (end + 333).min(bytes.len());
                    };
                    let piece = &bytes[at..at + cut];
                    scan.feed(piece);
                    if !ended {
                        assert_eq!(
                            (&cutter.state.head, &cutter.state.recent),
                            (&scan.head, &scan.recent),
                            "max_token {max_token}, want {want}: the state after byte {}",
                            at + cut
                        );
                    }
                    let within = cutter.piece_start();
                    let mut s =
                        Scanner::resume(piece, "t", max_token, 9, true).within(Some(&within));
                    events.extend(std::iter::from_fn(|| s.next_event().unwrap()));
                    at += cut;
                    pieces += 1;
                    assert_eq!(ended, at == bytes.len());
                }
                assert!(pieces > 1);
                assert!(
                    events == expected,
                    "max_token {max_token}, want {want}, most {most}: {} events, {} expected",
                    events.len(),
                    expected.len()
                );
            }
        }
    }

    /// A cutter keeps no more of a run than its context needs, and counts the runs that may be
    /// tokens (three segments or more) towards a piece's tokens.
    #[test]
    fn a_cutter_holds_little_of_a_long_run() {
        let line = format!(
            "a {}.x eyJ.eyJ.x {}.x.y b\n",
            "R".repeat(100_000),
            "S".repeat(5000)
        );
        let mut cutter = Cutter::new(DEFAULT_MAX_TOKEN);
        assert_eq!(cutter.cut(&line.as_bytes()[..50_000], 10, 1000), None);
        assert!(cutter.state.run.len() <= 4 * RECENT_CAP);
        assert_eq!(cutter.state.run_len, 49_998);
        let (cut, ended) = cutter.cut(line.as_bytes(), 10, 1000).unwrap();
        assert_eq!((cut, ended), (100_005, false));
        assert_eq!(cutter.runs, 0);
        assert_eq!(cutter.state.recent.len(), 2 + RECENT_CAP + 1);
        // Counted, and the piece ends after the second of two.
        cutter.piece_start();
        let rest = &line.as_bytes()[cut..];
        assert_eq!(cutter.cut(rest, 1_000_000, 2), Some((10 + 5005, false)));
        assert_eq!(cutter.runs, 2);
        cutter.piece_start();
        assert_eq!(
            cutter.cut(&rest[10 + 5005..], 1_000_000, 2),
            Some((2, true))
        );
    }

    /// A long line of tokens is fed a piece at a time: the events waiting stay few, and they
    /// are the events of the line fed whole.
    #[test]
    fn a_line_of_many_tokens_is_fed_a_piece_at_a_time() {
        let token = "eyJhbGciOiJub25lIn0.e30.";
        let line = format!("a {}\nafter {token}\n", [token; 5000].join(" "));
        let mut scanner = Scanner::new(line.as_bytes(), "t", false, 1000);
        let mut events = Vec::new();
        let mut most = 0;
        while let Some(e) = scanner.next_event().unwrap() {
            most = most.max(scanner.state.queue.len() + 1);
            events.push(e);
        }
        assert!(
            most <= PIECE_BYTES / token.len() + 1,
            "{most} events queued at once"
        );
        // Between two pieces, the next call reads nothing: the scanner says so.
        let mut s = Scanner::new(line.as_bytes(), "t", false, 1000);
        s.next_event().unwrap();
        while s.state.queue.len() > 1 {
            s.next_event().unwrap();
        }
        s.next_event().unwrap();
        assert!(s.state.queue.is_empty() && s.has_pending());
        let whole = {
            let mut s = Scanner::new(line.as_bytes(), "t", false, 1000);
            s.state.feed(line.as_bytes());
            s.state.end_line();
            std::mem::take(&mut s.state.queue)
        };
        assert_eq!(events.len(), 5001);
        assert_eq!(events, Vec::from(whole));
    }

    /// What a span function answers for `bytes`, with the places it gave of the first two dots.
    fn placed(
        span: impl Fn(&[u8], &mut [usize; 2]) -> (usize, usize),
        bytes: &[u8],
    ) -> (usize, usize, Vec<usize>) {
        let mut first = [usize::MAX; 2];
        let (len, dots) = span(bytes, &mut first);
        (len, dots, first[..dots.min(2)].to_vec())
    }

    /// The span of `bytes` byte by byte: its length, its dots, the places of the first two.
    fn expected(bytes: &[u8]) -> (usize, usize, Vec<usize>) {
        let len = bytes.iter().take_while(|&&b| is_token_byte(b)).count();
        let dots: Vec<usize> = (0..len).filter(|&i| bytes[i] == b'.').collect();
        (len, dots.len(), dots.into_iter().take(2).collect())
    }

    /// The span as the batch's vectorized scanner finds it (with AVX2).
    #[cfg(target_arch = "x86_64")]
    fn avx2(bytes: &[u8], first: &mut [usize; 2]) -> (usize, usize) {
        assert!(crate::cpu::offers(crate::cpu::AVX2));
        // SAFETY: the CPU has AVX2.
        unsafe { token_span_avx2(bytes, first) }
    }

    /// The vectorized span agrees with the byte table for every byte value, wherever it sits
    /// against the 32-byte chunks, and places the first two dots.
    #[test]
    fn token_span_agrees_with_the_table() {
        for b in 0..=255u8 {
            for at in [0, 1, 31, 32, 33, 63, 64, 100, 119] {
                let mut bytes = vec![b'A'; 120];
                bytes[at] = b;
                // Dots before, at and after the byte: counted only within the span.
                for d in [0, 30, 31, 32, 70, 118, 119] {
                    if d != at {
                        bytes[d] = b'.';
                    }
                }
                let want = if is_token_byte(b) { 120 } else { at };
                let want_dots = bytes[..want].iter().filter(|&&c| c == b'.').count();
                let (len, dots, _) = expected(&bytes);
                assert_eq!((len, dots), (want, want_dots), "byte {b} at {at}");
                assert_eq!(placed(token_span_in, &bytes), expected(&bytes));
                // Every length: each of the 32-, 16- and 8-byte steps and the bytes after them.
                for len in [at, at + 1, 119] {
                    let bytes = &bytes[..len];
                    assert_eq!(placed(token_span_in, bytes), expected(bytes));
                    #[cfg(target_arch = "x86_64")]
                    if crate::cpu::offers(crate::cpu::AVX2) {
                        let e = expected(bytes);
                        assert_eq!(placed(avx2, bytes), e, "byte {b} at {at} of {len}");
                    }
                }
            }
        }
        // Every length of a run of token bytes, then a byte that ends it.
        let run: Vec<u8> = (0..120)
            .map(|i| if i % 7 == 3 { b'.' } else { b'x' })
            .collect();
        for len in 0..=run.len() {
            let dots = run[..len].iter().filter(|&&c| c == b'.').count();
            let mut text = run[..len].to_vec();
            text.extend_from_slice(b" y.z");
            let first_two = [3, 10][..dots.min(2)].to_vec();
            assert_eq!(expected(&text), (len, dots, first_two));
            assert_eq!(placed(token_span, &text), expected(&text), "{len}");
            assert_eq!(placed(token_span_in, &text), expected(&text), "{len}");
        }
        // Random text of token bytes, dots and others, every length, both compilations.
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::offers(crate::cpu::AVX2) {
            let alphabet = b"aZ09-_..  \n/:=+\x00\x7f\x80\xff`@[{";
            let mut x = 0x2545_f491_4f6c_dd1du64;
            for len in 0..200 {
                for round in 0..50 {
                    let text: Vec<u8> = (0..len)
                        .map(|_| {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            // Mostly token bytes, so that spans run long; in every other text
                            // dots are rare, so that the first two fall anywhere (a JWS's are
                            // hundreds of bytes apart).
                            let i = (x % 64) as usize;
                            if round % 2 == 1 {
                                [b'.', b'a', b'Z', b'-'][usize::from(i > 1) * (1 + i % 3)]
                            } else if i < 48 {
                                alphabet[i % 8]
                            } else {
                                alphabet[i % alphabet.len()]
                            }
                        })
                        .collect();
                    assert_eq!(placed(avx2, &text), expected(&text), "{text:?}");
                    assert_eq!(placed(token_span_in, &text), expected(&text), "{text:?}");
                }
            }
        }
        // A candidate's text is taken as UTF-8 without a check (`candidate_text`).
        assert!((0..=255u8).all(|b| !is_token_byte(b) || b.is_ascii()));
        assert_eq!(placed(token_span, b""), (0, 0, vec![]));
        assert_eq!(placed(token_span, &[b'.'; 300]), (300, 300, vec![0, 1]));
    }

    /// A line that is a token alone is found straight from the buffer; read a byte at a time,
    /// the same text goes the long way (a run across reads). Both find the same events, the
    /// first with the places of a JWS's two dots (and only of a JWS's).
    #[test]
    fn whole_line_tokens_are_found_as_the_long_way_finds_them() {
        let long = format!("eyJ{}.eyJ.sig", "A".repeat(90));
        let text = format!(
            "{T}\n{T}.\n{T}..\neyJhbGciOiJIUzI1NiJ9.eyJ\neyJ.a.b.c.d\neyJ.a.b.c.d.\n\
             x{T}\n {T}\n{T}\r\nDate: Fri, 15 Jan 2027 08:00:00 GMT\n{long}\n\n{T}"
        );
        for max in [DEFAULT_MAX_TOKEN, 100] {
            let mut fast = Scanner::new(text.as_bytes(), "t", true, max);
            let slow = io::BufReader::with_capacity(1, text.as_bytes());
            let mut slow = Scanner::new(slow, "t", true, max);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut placed = 0;
            while let Some(mut e) = fast.next_event().unwrap() {
                if let Event::Token { text, dots, .. } = &mut e
                    && let Some(places) = dots.take().map(Dots::places)
                {
                    let all: Vec<usize> = crate::bytes::positions(b'.', text.as_bytes()).collect();
                    assert_eq!(all, places, "{text}");
                    placed += 1;
                }
                a.push(e);
            }
            while let Some(e) = slow.next_event().unwrap() {
                b.push(e);
            }
            assert_eq!(a, b, "max {max}");
            assert!(a.len() >= 9, "{a:?}");
            // The first line's token, and the long one's where the limit lets it be one.
            assert_eq!(placed, if max == 100 { 1 } else { 2 }, "max {max}");
        }
    }

    #[test]
    fn survey_counts_lines_and_spots_context() {
        let all = u64::MAX;
        assert_eq!(survey(b"a\nb\n", false, all), (4, 2, None));
        assert_eq!(survey(b"a\nb", false, all), (3, 1, None));
        assert_eq!(
            survey(b"x\n< Date: Fri, 15 Jan 2027 08:00:00 GMT\ny\n", true, all),
            (42, 3, Some(2))
        );
        assert_eq!(survey(b"GET /x HTTP/1.1\n", false, all), (16, 1, Some(0)));
        assert_eq!(
            survey(b"a\nGET /x HTTP/1.1\n", false, all),
            (18, 2, Some(2))
        );
        assert_eq!(survey(b"GET /x HTTP/1.1\n", true, all), (16, 1, None));
        // The first line that changes is given: a Date line before an HTTP line.
        let both = b"a\nDate: x\nHTTP/1.1 200\n";
        assert_eq!(survey(both, false, all), (23, 3, Some(2)));
        assert_eq!(survey(&both[10..], false, all), (13, 1, Some(0)));
        // The first lines only: what follows them is not looked at.
        let date = b"x\ny\nDate: Fri, 15 Jan 2027 08:00:00 GMT\nHTTP/1.1 200\n";
        assert_eq!(survey(date, false, 2), (4, 2, None));
        assert_eq!(survey(date, false, 3), (40, 3, Some(4)));
        assert_eq!(survey(b"a\nb", false, 1), (2, 1, None));
        assert_eq!(survey(b"a\nb", false, 2), (3, 1, None));
    }

    /// The one-pass survey with AVX2 finds what the portable one does: random blocks made of
    /// the bytes that matter (newlines, `HTTP/`, `Date:` in both cases, markers, spaces, token
    /// text), every length up to 300, with and without a known HTTP line and line limits.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_vector_survey_agrees_with_the_portable_one() {
        if !crate::cpu::offers(crate::cpu::AVX2) {
            return;
        }
        let pieces: [&[u8]; 12] = [
            b"\n",
            b"HTTP/",
            b"HTTP",
            b"H",
            b"/",
            b"Date:",
            b"dAtE: x",
            b"< ",
            b"  ",
            b"eyJ",
            b"abc.def",
            b"GET /x HTTP/1.1",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for round in 0..20_000 {
            let mut block = Vec::new();
            let len = round % 300;
            while block.len() < len {
                block.extend_from_slice(pieces[next(pieces.len())]);
            }
            block.truncate(len);
            let most = [u64::MAX, 1, 2, 3, next(8) as u64][round % 5];
            for http in [false, true] {
                // SAFETY: the CPU has AVX2 (asked above).
                let fast = unsafe { survey_avx2(&block, http, most) };
                assert_eq!(
                    fast,
                    survey_in(&block, http, most),
                    "{:?} http {http} most {most}",
                    String::from_utf8_lossy(&block)
                );
            }
        }
    }

    const T: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";

    fn scan(text: &str) -> Vec<Event> {
        scan_with(text, DEFAULT_MAX_TOKEN)
    }

    fn scan_with(text: &str, max: usize) -> Vec<Event> {
        let mut s = Scanner::new(text.as_bytes(), "stdin", true, max);
        let mut out = Vec::new();
        while let Some(e) = s.next_event().unwrap() {
            out.push(e);
        }
        out
    }

    fn labels(text: &str) -> Vec<(String, String)> {
        scan(text)
            .into_iter()
            .filter_map(|e| match e {
                Event::Token { text, source, .. } => Some((text, source.to_string())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn bare_and_bearer() {
        assert_eq!(labels(T), [(T.into(), "stdin line 1".into())]);
        assert_eq!(
            labels(&format!("Bearer {T}\n")),
            [(T.into(), "stdin line 1".into())]
        );
        assert_eq!(
            labels(&format!("GET / HTTP/1.1\nAuthorization: Bearer {T}\r\n")),
            [(T.into(), "stdin line 2, header Authorization".into())]
        );
    }

    #[test]
    fn curl_verbose_and_cookies() {
        let text = format!(
            "* Connected\n> GET /api HTTP/2\n> authorization: Bearer {T}\n< HTTP/2 200\n< set-cookie: session={T}; Path=/\n"
        );
        assert_eq!(
            labels(&text),
            [
                (T.into(), "stdin line 3, header authorization".into()),
                (
                    T.into(),
                    "stdin line 5, header set-cookie, cookie session".into()
                ),
            ]
        );
        let cookie = format!("Cookie: theme=dark; jwt={T}; x=1");
        assert_eq!(
            labels(&cookie)[0].1,
            "stdin line 1, header Cookie, cookie jwt"
        );
    }

    #[test]
    fn json_bodies_in_order() {
        let body = format!(
            r#"{{"access_token":"{T}","token_type":"Bearer","id_token": "{T}x", "nested": {{"refresh_token" : "{T}"}}}}"#
        );
        let l = labels(&body);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].1, "stdin line 1, JSON key \"access_token\"");
        assert_eq!(
            l[1],
            (
                format!("{T}x"),
                "stdin line 1, JSON key \"id_token\"".into()
            )
        );
        assert_eq!(l[2].1, "stdin line 1, JSON key \"refresh_token\"");
        let escaped = format!(r#"log msg="{{\"id_token\":\"{T}\"}}""#);
        assert_eq!(labels(&escaped)[0].1, "stdin line 1, JSON key \"id_token\"");
        let pretty = format!("{{\n  \"access_token\": \"{T}\",\n  \"expires_in\": 3600\n}}\n");
        assert_eq!(
            labels(&pretty)[0].1,
            "stdin line 2, JSON key \"access_token\""
        );
    }

    #[test]
    fn urls_quotes_and_logs() {
        let url = format!("https://app.example/cb#id_token={T}&state=xyz");
        assert_eq!(
            labels(&url),
            [(T.into(), "stdin line 1, parameter id_token".into())]
        );
        let q = format!("https://app.example/cb?x=1&access_token={T}");
        assert_eq!(labels(&q)[0].1, "stdin line 1, parameter access_token");
        assert_eq!(labels(&format!("'{T}'"))[0].0, T);
        let log = format!("2026-11-23T10:00:00Z INFO auth ok token {T}. next\nline two {T}");
        let l = labels(&log);
        assert_eq!(
            l,
            [
                (T.into(), "stdin line 1".into()),
                (T.into(), "stdin line 2".into())
            ]
        );
        let encoded = format!("Bearer%20{T}");
        assert_eq!(labels(&encoded)[0].0, T);
    }

    #[test]
    fn segment_shapes() {
        // Unsecured tokens end with an empty signature: the trailing dot is kept.
        let unsecured = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
        assert_eq!(labels(unsecured)[0].0, unsecured);
        // JWE: five segments, possibly an empty encrypted key.
        let jwe = "eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn";
        assert_eq!(labels(jwe)[0].0, jwe);
        // One dot is not a token in text; four segments are kept for the parser to refuse.
        assert!(labels("eyJhbGciOiJIUzI1NiJ9.eyJ").is_empty());
        assert_eq!(labels("eyJa.b.c.d")[0].0, "eyJa.b.c.d");
        assert!(labels("no tokens here, just example.com and a.b.c").is_empty());
    }

    #[test]
    fn date_headers() {
        let text = format!(
            "HTTP/1.1 200 OK\nDate: Fri, 15 Jan 2027 08:00:00 GMT\n\n{{\"access_token\":\"{T}\"}}"
        );
        let events = scan(&text);
        assert_eq!(events[0], Event::Date(1_800_000_000));
        assert!(matches!(&events[1], Event::Token { .. }));
        assert_eq!(
            scan("< date: Fri, 15 Jan 2027 08:00:00 GMT\r\n"),
            [Event::Date(1_800_000_000)]
        );
    }

    #[test]
    fn oversized_tokens_are_counted_not_held() {
        let big = format!("x eyJ{}.a.b y", "A".repeat(5000));
        let e = scan_with(&format!("{big} eyJ{} {T}", "B".repeat(5000)), 1000);
        assert_eq!(e.len(), 2, "a long run without dots is no token: {e:?}");
        assert!(matches!(&e[0], Event::TooLarge { len, .. } if *len == 5007));
        assert!(matches!(&e[1], Event::Token { text, .. } if text == T));
    }

    #[test]
    fn invalid_utf8_and_chunk_boundaries() {
        let mut bytes = vec![0xff, 0xfe, b' '];
        bytes.extend_from_slice(T.as_bytes());
        bytes.extend_from_slice(&[0xc3, b'\n']);
        // A reader with a 7-byte buffer splits the token across many chunks.
        let reader = io::BufReader::with_capacity(7, bytes.as_slice());
        let mut s = Scanner::new(reader, "f", true, DEFAULT_MAX_TOKEN);
        let e = s.next_event().unwrap().unwrap();
        assert!(matches!(e, Event::Token { ref text, .. } if text == T));
        assert_eq!(s.next_event().unwrap(), None);
    }

    #[test]
    fn words() {
        assert_eq!(word_candidate(T), Some(T));
        assert_eq!(word_candidate(&format!("  \"Bearer {T}\" ")), Some(T));
        assert_eq!(word_candidate("eyJhbGc.xyz"), Some("eyJhbGc.xyz"));
        assert_eq!(word_candidate("a.b.c"), Some("a.b.c"));
        assert_eq!(word_candidate("eyJ=.a.b"), Some("eyJ=.a.b"));
        assert_eq!(word_candidate("eyJhbGc.e3!x.sig"), Some("eyJhbGc.e3!x.sig"));
        assert_eq!(word_candidate(&format!("\"{T}\",")), None);
        assert_eq!(word_candidate("ééééé.x.y"), None);
        assert_eq!(word_candidate("bearé"), None);
        assert_eq!(word_candidate("example.com"), None);
        assert_eq!(word_candidate("garbage"), None);
        assert_eq!(word_candidate(&format!("id_token={T}")), None);
        assert_eq!(word_candidate(&format!("Authorization: Bearer {T}")), None);
    }
}

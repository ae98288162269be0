//! A line too long for a block, cut into pieces as the threads take it (`input::Cutter`), scans
//! as the whole line: wherever the pieces end, however the bytes come, and when cutting stops
//! and the rest of the line is scanned as a stream from where the last piece ended.
#![no_main]
use jwtctl::input::{Cutter, DEFAULT_MAX_TOKEN, Event, Scanner, Within, plain_line};
use libfuzzer_sys::fuzz_target;

/// The events of `bytes` read from the start of a line, or from inside one (`within`), with the
/// dots' places taken out: a token read whole comes with them, one read in pieces without.
fn events(bytes: &[u8], max: usize, within: Option<&Within>, line_only: bool) -> Vec<Event> {
    let mut scanner = Scanner::resume(bytes, "fuzz", max, 1, false).within(within);
    if line_only {
        scanner = scanner.line_only();
    }
    let mut out = Vec::new();
    while let Ok(Some(mut event)) = scanner.next_event() {
        if let Event::Token { dots, .. } = &mut event {
            *dots = None;
        }
        out.push(event);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    jwtctl::cpu::offers(jwtctl::cpu::AVX2);
    let [m, w0, w1, most, s0, s1, stop, text @ ..] = data else {
        return;
    };
    // The largest limit too: what a scan holds of a run is the limit and a little more.
    let max = [60, 300, 4096, DEFAULT_MAX_TOKEN, usize::MAX][usize::from(m % 5)];
    let want = usize::from(u16::from_le_bytes([*w0, *w1]) % 4096) + 1;
    let most = usize::from(most % 64) + 1;
    let step = usize::from(u16::from_le_bytes([*s0, *s1]) % 1024) + 1;
    // The line, and what comes after it (read with it, never part of a piece).
    let end = text
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| p + 1);
    if !plain_line(text, false) {
        return;
    }
    let whole = events(&text[..end], max, None, false);
    let mut cutter = Cutter::new(max);
    let (mut at, mut pieces, mut got) = (0, 0u8, Vec::new());
    while at < end {
        if pieces == *stop {
            // A cut declined: the rest of the line as a stream, the following lines after it.
            let within = cutter.into_start();
            got.extend(events(&text[at..], max, Some(&within), true));
            break;
        }
        let mut seen = (at + step).min(text.len());
        let (cut, ended) = loop {
            if let Some(cut) = cutter.cut(&text[at..seen], want, most) {
                break cut;
            }
            if seen == text.len() {
                // The line ends with the input.
                break (text.len() - at, true);
            }
            seen = (seen + step).min(text.len());
        };
        assert!(cut > 0 && at + cut <= end, "a piece within the line");
        // (A line the input ends without a line end may end with a piece that does not say so.)
        let last = at + cut == end && (text[end - 1] == b'\n' || ended);
        assert_eq!(ended, last, "the line's end is the last cut");
        let within = cutter.piece_start();
        got.extend(events(&text[at..at + cut], max, Some(&within), false));
        at += cut;
        pieces = pieces.wrapping_add(1);
    }
    assert_eq!(got, whole);
});

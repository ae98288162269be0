//! The scanner over arbitrary bytes, and the parser over whatever it finds: with the dots'
//! places the scanner gives, the same token (or error) as with them searched for.
#![no_main]
use jwtctl::input::{Event, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The batch's vectorized scanner where the CPU has it (a batch asks this first).
    jwtctl::cpu::offers(jwtctl::cpu::AVX2);
    let mut scanner = Scanner::new(data, "fuzz", true, 4096);
    while let Ok(Some(event)) = scanner.next_event() {
        if let Event::Token { text, dots, .. } = event {
            let searched = jwtctl::token::parse(&text);
            if dots.is_some() {
                let placed = jwtctl::token::parse_placed(text.clone(), dots);
                assert_eq!(format!("{placed:?}"), format!("{searched:?}"));
            }
        }
    }
});

//! The scanner over arbitrary bytes, and the parser over whatever it finds.
#![no_main]
use jwtctl::input::{Event, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut scanner = Scanner::new(data, "fuzz", true, 4096);
    while let Ok(Some(event)) = scanner.next_event() {
        if let Event::Token { text, .. } = event {
            let _ = jwtctl::token::parse(&text);
        }
    }
});

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kite::fuzz::rest_envelope(data));

#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| actionguard_fuzz::log_batch(data));

#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| actionguard_fuzz::control_plane(data));

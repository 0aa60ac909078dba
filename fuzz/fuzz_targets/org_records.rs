#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| actionguard_fuzz::org_records(data));

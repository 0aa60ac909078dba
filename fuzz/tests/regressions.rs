//! The fuzz targets as ordinary tests: every input `scripts/fuzz` kept, and a few
//! degenerate ones, through every target.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use actionguard_fuzz::TARGETS;
/// Every input `scripts/fuzz` kept (crashes found and fixed, and interesting
/// seeds) runs again on every `cargo test`.
#[test]
fn fuzz_regressions_replay() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz-regressions");
    let mut n = 0;
    for (name, target) in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else { continue };
        for entry in dir.flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            target(&data);
            n += 1;
        }
    }
    assert!(n > 0, "no regression inputs under {}", root.display());
}

#[test]
fn targets_take_anything() {
    for (_, target) in TARGETS {
        for data in [&b""[..], b"\xff\xff\xff", b"{}", b"[]", b"null", b"\"\"", b"{\"a\":", &[0u8; 64][..]] {
            target(data);
        }
    }
}

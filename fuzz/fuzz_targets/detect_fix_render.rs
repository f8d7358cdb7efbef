//! libFuzzer target: arbitrary bytes (a selector byte for the file name, then the file)
//! through detection, both fix levels, the diff and every renderer. The invariants live in
//! `regshift_fuzz::check` (fuzz/src/lib.rs), shared with the stable replay runner.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run detect_fix_render` in `fuzz/` (see fuzz/README.md).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    regshift_fuzz::check(data);
});

//! TEST-ONLY: a deterministic crash for the tests that kill a sweep. With
//! `REGSHIFT_TEST_ABORT_AT=<point>:<n>` in the environment, the process aborts (as a kill
//! would: no destructor, no clean-up, no output) the n-th time any thread reaches `<point>`.
//! Not for users; the variable is read once, so an unset hook costs one atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The points a test may abort at, in the order a repository reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Point {
    /// The fixed files are blobs in the object database; no tree yet.
    AfterBlobs,
    /// The commit exists; the branch does not point at it yet.
    AfterCommitTree,
    /// The branch points at the new commit.
    AfterUpdateRef,
    /// A repository's row is finished, the next one not started (on this thread).
    BetweenRepositories,
}

impl Point {
    fn name(self) -> &'static str {
        match self {
            Point::AfterBlobs => "after-blobs",
            Point::AfterCommitTree => "after-commit-tree",
            Point::AfterUpdateRef => "after-update-ref",
            Point::BetweenRepositories => "between-repositories",
        }
    }
}

struct Hook {
    point: String,
    nth: usize,
    reached: AtomicUsize,
}

fn hook() -> Option<&'static Hook> {
    static HOOK: OnceLock<Option<Hook>> = OnceLock::new();
    HOOK.get_or_init(|| {
        let value = std::env::var("REGSHIFT_TEST_ABORT_AT").ok()?;
        let (point, nth) = value.rsplit_once(':')?;
        Some(Hook {
            point: point.to_string(),
            nth: nth.parse().ok()?,
            reached: AtomicUsize::new(0),
        })
    })
    .as_ref()
}

/// Abort the process if the test hook names `point` and this is its n-th time.
pub(super) fn reached(point: Point) {
    if let Some(hook) = hook()
        && hook.point == point.name()
        && hook.reached.fetch_add(1, Ordering::SeqCst) + 1 == hook.nth
    {
        std::process::abort();
    }
}

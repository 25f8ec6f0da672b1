//! Which stage of the pipeline is running, and on which document, so that a bug in pgspec (a
//! panic) reaches the user as "internal error in <stage> on <document>" rather than a raw
//! panic message. Stages say where they are; only the binary reads it.

use std::sync::Mutex;

struct Current {
    stage: &'static str,
    document: String,
}

static CURRENT: Mutex<Current> = Mutex::new(Current {
    stage: "startup",
    document: String::new(),
});

fn with<T>(f: impl FnOnce(&mut Current) -> T) -> T {
    // A panic while the lock was held leaves it poisoned; the data is still a valid pair.
    let mut guard = CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// The environment variable that makes [`enter`] panic in the stage it names, so that tests
/// (and anyone checking the binary's handling of its own bugs) can see what a bug looks like.
pub const PANIC_IN_ENV: &str = "PGSPEC_PANIC_IN_STAGE";

/// The pipeline enters `stage` (`read`, `schema`, `check`, `lint`, `render`, …).
pub fn enter(stage: &'static str) {
    with(|c| c.stage = stage);
    if std::env::var_os(PANIC_IN_ENV).is_some_and(|s| s == stage) {
        panic!("{PANIC_IN_ENV} asked for a panic in {stage}");
    }
}

/// The command starts on the document at `path` (`-` for standard input).
pub fn document(path: &str) {
    with(|c| c.document = path.to_owned());
}

/// The stage running now and the document it runs on (empty before any document is read).
pub fn current() -> (&'static str, String) {
    with(|c| (c.stage, c.document.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_stage_entered_is_current() {
        document("docs/schema.md");
        enter("schema");
        assert_eq!(current(), ("schema", "docs/schema.md".to_owned()));
    }
}

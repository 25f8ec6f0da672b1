//! pgspec's own bugs and a closed output pipe, as the user should see them: a panic anywhere
//! in a command becomes exit 2 with "internal error in <stage> on <document>" (the stage the
//! pipeline last entered, `pgspec_diagnostics::stage`), and a reader that closes the pipe
//! (`pgspec rule | head -3`) ends the program quietly with 0, as it would for `cat`.

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::Mutex;

use pgspec::diagnostics::stage;

/// The last panic's message and location, recorded by the hook for the report in [`guarded`].
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replace the default panic message (it would print before pgspec can say which stage and
/// document) with a record for [`guarded`]. `RUST_BACKTRACE` set keeps the default output too.
pub(crate) fn install() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = payload_text(info.payload());
        if is_broken_pipe(&message) {
            return;
        }
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        *LAST_PANIC
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(format!("{message}{at}"));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default(info);
        }
    }));
}

/// Run the command; a panic becomes exit 2 with the stage and document (or 0 for a closed
/// output pipe).
pub(crate) fn guarded(run: impl FnOnce() -> ExitCode) -> ExitCode {
    match panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(code) => code,
        Err(payload) => {
            let message = payload_text(&*payload);
            if is_broken_pipe(&message) {
                return ExitCode::SUCCESS;
            }
            let detail = LAST_PANIC
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or(message);
            let (stage, document) = stage::current();
            let on = if document.is_empty() {
                String::new()
            } else {
                format!(" on {document}")
            };
            eprintln!("pgspec: error: internal error in {stage}{on}: {detail}");
            eprintln!("  this is a bug in pgspec, not a problem of the document; please report it with the document");
            ExitCode::from(2)
        }
    }
}

/// Whether an error ends in a closed output pipe (a `writeln!` to stdout after `head` exited).
pub(crate) fn is_broken_pipe_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` panics with this message when stdout is a closed pipe.
fn is_broken_pipe(message: &str) -> bool {
    message.starts_with("failed printing to std") && message.contains("(os error 32)")
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

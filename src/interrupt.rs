//! Ctrl-C and SIGTERM: a flag set by the signal handler, polled by every long loop (expansion, the
//! backends), so a command stops cleanly at any moment.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Routes Ctrl-C and SIGTERM to the flag. Installed first thing, so it covers the whole command.
pub fn install_handler() {
    // An error here means a handler is already installed (e.g. a second run in one process): keep it.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

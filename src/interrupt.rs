//! Ctrl-C and SIGTERM. Until a command starts work whose end must be recorded (a session's trials),
//! an interrupt exits at once with status 130: nothing is lost, since a results folder is always left
//! resumable or recognisably unstarted. After [`record_on_interrupt`], it only sets a flag that the
//! backends poll, so they stop cleanly and what finished is written down.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Routes Ctrl-C and SIGTERM here. Installed first thing, so it covers the whole command.
pub fn install_handler() {
    // An error here means a handler is already installed (e.g. a second run in one process): keep it.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        if !RECORDING.load(Ordering::SeqCst) {
            eprintln!("interrupted");
            std::process::exit(crate::error::Failure::Interrupted.exit_code());
        }
    });
}

/// From now on an interrupt is recorded and polled instead of ending the process.
pub fn record_on_interrupt() {
    RECORDING.store(true, Ordering::SeqCst);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

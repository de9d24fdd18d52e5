//! SIGINT and SIGTERM, caught so that a live run can still print its summary.
//!
//! The handler only records which signal came and whether the kernel sent it
//! on the terminal's behalf (Ctrl-C reaches the whole foreground process
//! group, a child included) or a process sent it to aiolog alone (`kill`).
//! `aiolog run` uses that to forward a signal to its child only when the child
//! did not get it already: a Python program interrupted twice may abort its
//! own cleanup.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Once;

static PENDING: AtomicI32 = AtomicI32::new(0);
static FROM_TERMINAL: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// A signal that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caught {
    /// `libc::SIGINT` or `libc::SIGTERM`.
    pub signal: i32,
    /// Sent by the kernel for the terminal (Ctrl-C), so the whole process
    /// group got it.
    pub from_terminal: bool,
}

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // Only atomics here: nothing else is async-signal-safe.
    let code = if info.is_null() {
        0
    } else {
        unsafe { (*info).si_code }
    };
    FROM_TERMINAL.store(code == libc::SI_KERNEL, Ordering::SeqCst);
    PENDING.store(sig, Ordering::SeqCst);
}

/// Catches SIGINT and SIGTERM from now on (once per process).
pub fn install() {
    INSTALL.call_once(|| unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        for sig in [libc::SIGINT, libc::SIGTERM] {
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    });
}

/// The signal that arrived since the last call, if any.
pub fn take() -> Option<Caught> {
    let signal = PENDING.swap(0, Ordering::SeqCst);
    (signal != 0).then(|| Caught {
        signal,
        from_terminal: FROM_TERMINAL.load(Ordering::SeqCst),
    })
}

/// Sends `signal` to process `pid`.
pub fn send(pid: u32, signal: i32) {
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

//! Headless runs without Mesa's noise.
//!
//! On Linux, Mesa installs an implicit Vulkan layer, `VK_LAYER_MESA_device_select`, that every
//! Vulkan instance loads. When wgpu enumerates adapters the layer looks for the display's
//! default GPU by connecting to the Wayland compositor, and libwayland, finding no
//! `XDG_RUNTIME_DIR` (a server, a container, an SSH session, CI), prints
//! `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` on standard error, once
//! per enumeration: twice in every `twin run`, `twin coverage` or `twin-view --out` on such a
//! machine. Nothing is wrong; the twin chooses its adapter itself (`crate::backend`), so the
//! layer has nothing to add there.
//!
//! The layer is turned off by `NODEVICE_SELECT=1` in the process's environment, which the
//! loader reads when the first instance is created. Setting it from inside a running,
//! multi-threaded program is `unsafe` (`std::env::set_var`), so [`quiet_device_select`]
//! re-executes the program, before it starts any thread, with the variable in the new image's
//! environment: the same process (same id, same arguments), quiet. Where a display session is
//! present (`XDG_RUNTIME_DIR` set), nothing changes and the layer keeps doing its job.

use std::ffi::OsStr;

/// The variable that turns Mesa's device-select layer off (its manifest's
/// `disable_environment`).
pub const NO_DEVICE_SELECT: &str = "NODEVICE_SELECT";

/// Whether a process whose environment has `no_device_select` and `xdg_runtime_dir` would
/// have the device-select layer print its complaint: the layer is on, and there is no
/// runtime directory libwayland accepts (an absolute path).
pub fn device_select_would_complain(
    no_device_select: Option<&OsStr>,
    xdg_runtime_dir: Option<&OsStr>,
) -> bool {
    let layer_on = no_device_select.is_none_or(|v| v.is_empty());
    let runtime_dir_ok = xdg_runtime_dir.is_some_and(|d| std::path::Path::new(d).is_absolute());
    layer_on && !runtime_dir_ok
}

/// Re-executes the running program with Mesa's device-select layer off when it would print its
/// `XDG_RUNTIME_DIR` complaint; call it first thing in `main`, before any thread starts. Returns
/// only when nothing needed doing, or when the program could not be executed again (the
/// error, which a caller may ignore: the noise is harmless, the run goes on as before).
pub fn quiet_device_select() -> Option<std::io::Error> {
    let flag = std::env::var_os(NO_DEVICE_SELECT);
    let xdg = std::env::var_os("XDG_RUNTIME_DIR");
    if !cfg!(target_os = "linux") || !device_select_would_complain(flag.as_deref(), xdg.as_deref())
    {
        return None;
    }
    reexec()
}

#[cfg(unix)]
fn reexec() -> Option<std::io::Error> {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return Some(e),
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // `exec` replaces this process image and returns only on failure.
    Some(std::process::Command::new(&exe).arg0(arg0).args(args).env(NO_DEVICE_SELECT, "1").exec())
}

#[cfg(not(unix))]
fn reexec() -> Option<std::io::Error> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_session_without_a_runtime_directory_is_quieted() {
        let s = |v: &'static str| Some(OsStr::new(v));
        assert!(device_select_would_complain(None, None), "no runtime directory");
        assert!(device_select_would_complain(None, s("run/user/1000")), "not absolute");
        assert!(device_select_would_complain(s(""), None), "an empty flag is no flag");
        assert!(!device_select_would_complain(None, s("/run/user/1000")), "a desktop session");
        assert!(!device_select_would_complain(s("1"), None), "already off: no loop");
    }
}

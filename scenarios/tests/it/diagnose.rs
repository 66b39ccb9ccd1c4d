//! Validating the small scenario after an edit, and finding a diagnostic among those it gives:
//! shared by the validation and input tests.

use scenarios::scenario::{Diagnostic, validate};

use crate::common::*;

/// The small scenario, broken or changed by `edit_dir`, validated.
pub(crate) fn validated(
    name: &str,
    edit_dir: impl FnOnce(&std::path::Path),
) -> Result<scenarios::scenario::Plan, Vec<Diagnostic>> {
    let dir = scratch(name);
    let path = write_small(&dir);
    edit_dir(&dir);
    validate(&path)
}

/// The diagnostics of a scenario that must not validate.
pub(crate) fn diagnostics(name: &str, edit_dir: impl FnOnce(&std::path::Path)) -> Vec<Diagnostic> {
    match validated(name, edit_dir) {
        Ok(_) => panic!("{name}: the broken scenario validated"),
        Err(d) => d,
    }
}

/// Asserts that one diagnostic is about `file` at `line` and its text contains every part.
pub(crate) fn has(diags: &[Diagnostic], file: &str, line: Option<usize>, parts: &[&str]) {
    let found = diags.iter().any(|d| {
        let text = d.to_string();
        d.file.ends_with(file)
            && (line.is_none() || d.line == line)
            && parts.iter().all(|p| text.contains(p))
    });
    assert!(
        found,
        "no diagnostic on {file}:{line:?} with {parts:?} in:\n{}",
        diags.iter().map(|d| format!("  {d}\n")).collect::<String>()
    );
}

//! Error messages with their causes, for the crates whose errors fold a foreign cause into
//! one line.

use std::error::Error;

/// `e` followed by its causes, joined by ": " as a chain-walking printer joins them. A cause
/// whose text its parent's message already ends with is not repeated (quick-xml's errors, for
/// one, print their inner error and also return it as their source).
pub fn with_causes(e: &(dyn Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn causes_follow_once() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(with_causes(&e), "outer: inner");
    }
}

//! Error messages with their causes, for the crates whose errors fold a foreign cause into
//! one line, and the line a parser's byte offset falls on.

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

/// The 1-based line of byte `offset` of `text`, for error messages. Any offset is accepted:
/// one past the end is the last line, and one inside a multi-byte character (XML and TOML
/// parsers report positions in bytes, and a byte-order mark or a mutated file can put one
/// there) counts the lines before it, where slicing the text would panic.
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
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

    #[test]
    fn lines_of_any_offset() {
        let text = "\u{feff}a\né\n";
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 2), 1, "inside the byte-order mark");
        assert_eq!(line_at(text, 5), 2);
        assert_eq!(line_at(text, 6), 2, "inside the é");
        assert_eq!(line_at(text, 1000), 3);
    }
}

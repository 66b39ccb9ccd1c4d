//! CSV fields as RFC 4180 writes them: the one quoting rule of every table the twin writes.

use std::borrow::Cow;

/// `text` as a CSV field: quoted, with inner quotes doubled, when it holds a comma, a quote or
/// a line break; as it is otherwise.
pub fn field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("AGG1-CORE"), "AGG1-CORE");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
        assert_eq!(field(""), "");
    }
}

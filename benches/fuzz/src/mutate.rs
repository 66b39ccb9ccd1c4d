//! Mutations of corpus files, and the proptest strategy that draws inputs from them.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::MAX_INPUT_BYTES;
use crate::corpus::{Case, Corpus};

/// Numbers that break parsers and the arithmetic after them: overflow to infinity, NaN, signed
/// zero, integer limits and their successors, subnormals.
pub const HOSTILE_NUMBERS: &[&str] = &[
    "1e308",
    "-1e308",
    "1e400",
    "1e-320",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "infinity",
    "-0",
    "-0.0",
    "0",
    "-1",
    "255",
    "256",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "0.1e",
    "1e",
    "",
];

/// Binary values that break readers of binary bodies (little endian): all ones, the sign
/// bit, float NaN and infinity.
const HOSTILE_BYTES: &[&[u8]] = &[
    &[0xff],
    &[0x80],
    &[0x7f],
    &[0x00],
    &[0xff, 0xff, 0xff, 0xff],
    &[0xff, 0xff, 0xff, 0x7f],
    &[0x00, 0x00, 0x00, 0x80],
    &[0x00, 0x00, 0xc0, 0x7f],
    &[0x00, 0x00, 0x80, 0x7f],
    &[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
];

/// Tokens every format gets: empty, non-UTF-8, a NUL, line ends, overlong UTF-8, a BOM.
const COMMON_TOKENS: &[&[u8]] = &[
    b"",
    b"\0",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xef\xbb\xbf",
    "é€𝄞".as_bytes(),
    b" ",
    b"\t",
    b",",
    b"\"",
];

/// `open` repeated `depth` times then `close` as often: nesting deeper than any file needs.
pub fn nested(open: &str, close: &str, depth: usize) -> Vec<u8> {
    let mut out = open.repeat(depth).into_bytes();
    out.extend(close.repeat(depth).into_bytes());
    out
}

/// One edit of an input. Indices scale to the input's length when applied.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flips bit `1` of the byte at `0`.
    FlipBit(Index, u8),
    /// Sets the byte at `0` to `1`.
    SetByte(Index, u8),
    /// Overwrites at `0` with a hostile binary value (all ones, NaN, ...).
    HostileBytes(Index, Index),
    /// Deletes up to `1` bytes at `0`.
    Delete(Index, usize),
    /// Cuts the input at `0`.
    Truncate(Index),
    /// Inserts the bytes at `0`.
    Insert(Index, Vec<u8>),
    /// Inserts dictionary token `1` at `0`.
    Token(Index, Index),
    /// Replaces the `0`-th number of the text with hostile number `1`.
    Number(Index, Index),
    /// Replaces the `0`-th word with dictionary token `1`.
    Word(Index, Index),
    /// Repeats the up to `1` bytes at `0` `2` more times.
    Repeat(Index, usize, usize),
    /// Inserts at `0` up to `3` bytes of seed `1` from its byte `2`.
    Splice(Index, Index, Index, usize),
    /// Deletes line `0`.
    DeleteLine(Index),
    /// Repeats line `0` `1` more times.
    RepeatLine(Index, usize),
    /// Swaps lines `0` and `1`.
    SwapLines(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = any::<Index>;
    prop_oneof![
        1 => (i(), 0u8..8).prop_map(|(a, b)| Mutation::FlipBit(a, b)),
        1 => (i(), any::<u8>()).prop_map(|(a, b)| Mutation::SetByte(a, b)),
        1 => (i(), i()).prop_map(|(a, b)| Mutation::HostileBytes(a, b)),
        1 => (i(), 1usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        1 => i().prop_map(Mutation::Truncate),
        1 => (i(), vec(any::<u8>(), 1..16)).prop_map(|(a, b)| Mutation::Insert(a, b)),
        2 => (i(), i()).prop_map(|(a, b)| Mutation::Token(a, b)),
        3 => (i(), i()).prop_map(|(a, b)| Mutation::Number(a, b)),
        1 => (i(), i()).prop_map(|(a, b)| Mutation::Word(a, b)),
        1 => (i(), 1usize..64, 1usize..64).prop_map(|(a, n, r)| Mutation::Repeat(a, n, r)),
        1 => (i(), i(), i(), 1usize..256).prop_map(|(a, s, f, n)| Mutation::Splice(a, s, f, n)),
        1 => i().prop_map(Mutation::DeleteLine),
        1 => (i(), 1usize..100).prop_map(|(a, r)| Mutation::RepeatLine(a, r)),
        1 => (i(), i()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

/// A position in `0..=len` (an insertion point).
fn at(i: &Index, len: usize) -> usize {
    i.index(len + 1)
}

/// The byte ranges of the numbers in `b`: an optional sign, digits, and what may follow in a
/// float (`.`, digits, an exponent).
fn number_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut k = 0;
    while k < b.len() {
        let start = k;
        let signed = matches!(b[k], b'-' | b'+') && b.get(k + 1).is_some_and(u8::is_ascii_digit);
        if b[k].is_ascii_digit() || signed {
            k += 1;
            while k < b.len()
                && (b[k].is_ascii_digit()
                    || b[k] == b'.'
                    || ((b[k] == b'e' || b[k] == b'E') && k > start)
                    || ((b[k] == b'-' || b[k] == b'+') && matches!(b[k - 1], b'e' | b'E')))
            {
                k += 1;
            }
            spans.push((start, k));
        } else {
            k += 1;
        }
    }
    spans
}

/// The byte ranges of the words (letters, digits, `_`, starting with a letter) in `b`.
fn word_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut k = 0;
    while k < b.len() {
        if b[k].is_ascii_alphabetic() {
            let start = k;
            while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_') {
                k += 1;
            }
            spans.push((start, k));
        } else {
            k += 1;
        }
    }
    spans
}

/// The byte ranges of the lines of `b`, each with its line end.
fn line_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (k, &c) in b.iter().enumerate() {
        if c == b'\n' {
            spans.push((start, k + 1));
            start = k + 1;
        }
    }
    if start < b.len() {
        spans.push((start, b.len()));
    }
    spans
}

impl Mutation {
    /// Applies the edit to `b`; `seeds` are the corpus (for splices), `dict` the tokens.
    fn apply(&self, b: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[Vec<u8>]) {
        let len = b.len();
        match self {
            Mutation::FlipBit(i, bit) if len > 0 => b[i.index(len)] ^= 1 << bit,
            Mutation::SetByte(i, v) if len > 0 => b[i.index(len)] = *v,
            Mutation::HostileBytes(i, v) if len > 0 => {
                let start = i.index(len);
                for (k, &x) in v.get(HOSTILE_BYTES).iter().enumerate() {
                    if let Some(slot) = b.get_mut(start + k) {
                        *slot = x;
                    }
                }
            }
            Mutation::Delete(i, n) if len > 0 => {
                let start = i.index(len);
                b.drain(start..(start + n).min(len));
            }
            Mutation::Truncate(i) => b.truncate(at(i, len)),
            Mutation::Insert(i, bytes) => splice_in(b, at(i, len), bytes),
            Mutation::Token(i, t) if !dict.is_empty() => {
                splice_in(b, at(i, len), t.get(dict).as_slice())
            }
            Mutation::Number(k, t) => {
                let token = t.get(HOSTILE_NUMBERS).as_bytes();
                match number_spans(b).as_slice() {
                    [] => splice_in(b, at(k, len), token),
                    spans => {
                        let (s, e) = *k.get(spans);
                        b.splice(s..e, token.iter().copied());
                    }
                }
            }
            Mutation::Word(k, t) => {
                let spans = word_spans(b);
                if !spans.is_empty() && !dict.is_empty() {
                    let (s, e) = *k.get(&spans);
                    b.splice(s..e, t.get(dict).iter().copied());
                }
            }
            Mutation::Repeat(i, n, times) if len > 0 => {
                let start = i.index(len);
                let chunk = b[start..(start + n).min(len)].to_vec();
                let copies: Vec<u8> = chunk.repeat(*times);
                splice_in(b, start, &copies);
            }
            Mutation::Splice(i, s, from, n) => {
                let other = if seeds.is_empty() { &[][..] } else { s.get(seeds).as_slice() };
                if !other.is_empty() {
                    let f = from.index(other.len());
                    let piece = other[f..(f + n).min(other.len())].to_vec();
                    splice_in(b, at(i, len), &piece);
                }
            }
            Mutation::DeleteLine(k) => {
                let spans = line_spans(b);
                if !spans.is_empty() {
                    let (s, e) = *k.get(&spans);
                    b.drain(s..e);
                }
            }
            Mutation::RepeatLine(k, times) => {
                let spans = line_spans(b);
                if !spans.is_empty() {
                    let (s, e) = *k.get(&spans);
                    let mut line = b[s..e].to_vec();
                    if line.last() != Some(&b'\n') {
                        line.push(b'\n');
                    }
                    splice_in(b, s, &line.repeat(*times));
                }
            }
            Mutation::SwapLines(x, y) => {
                let spans = line_spans(b);
                if spans.len() > 1 {
                    let (mut p, mut q) = (*x.get(&spans), *y.get(&spans));
                    if p.0 > q.0 {
                        std::mem::swap(&mut p, &mut q);
                    }
                    if p != q {
                        let mut out = b[..p.0].to_vec();
                        out.extend_from_slice(&b[q.0..q.1]);
                        out.extend_from_slice(&b[p.1..q.0]);
                        out.extend_from_slice(&b[p.0..p.1]);
                        out.extend_from_slice(&b[q.1..]);
                        *b = out;
                    }
                }
            }
            // Edits of a byte that an empty input does not have, and insertions from an empty
            // dictionary.
            Mutation::Token(..)
            | Mutation::FlipBit(..)
            | Mutation::SetByte(..)
            | Mutation::HostileBytes(..)
            | Mutation::Delete(..)
            | Mutation::Repeat(..) => {}
        }
        b.truncate(MAX_INPUT_BYTES);
    }
}

/// Inserts `bytes` into `b` at `pos`.
fn splice_in(b: &mut Vec<u8>, pos: usize, bytes: &[u8]) {
    b.splice(pos..pos, bytes.iter().copied());
}

/// The dictionary of a format: its own tokens, the common ones, the hostile numbers and the
/// corpus's lines (so that a token soup is made of plausible lines).
fn dictionary(corpus: &Corpus, tokens: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut dict: Vec<Vec<u8>> = tokens.to_vec();
    dict.extend(COMMON_TOKENS.iter().map(|t| t.to_vec()));
    dict.extend(HOSTILE_NUMBERS.iter().map(|t| t.as_bytes().to_vec()));
    for (_, bytes) in corpus.seeds() {
        for (s, e) in line_spans(bytes).into_iter().take(200) {
            dict.push(bytes[s..e].to_vec());
        }
    }
    dict
}

/// The inputs of one format: mostly a corpus file with 1 to 8 mutations; sometimes random bytes
/// or a soup of dictionary tokens and corpus lines, which reach states no valid file is near.
pub fn inputs(corpus: &Corpus, tokens: &[Vec<u8>]) -> BoxedStrategy<Case> {
    let seeds: Arc<Vec<Vec<u8>>> = Arc::new(corpus.files.iter().map(|(_, b)| b.clone()).collect());
    let names: Arc<Vec<String>> = Arc::new(corpus.files.iter().map(|(n, _)| n.clone()).collect());
    let dict = Arc::new(dictionary(corpus, tokens));
    let (s1, n1, d1) = (Arc::clone(&seeds), Arc::clone(&names), Arc::clone(&dict));
    let mutated = (any::<Index>(), vec(mutation(), 1..8)).prop_map(move |(seed, edits)| {
        let k = seed.index(s1.len());
        let mut bytes = s1[k].clone();
        for m in &edits {
            m.apply(&mut bytes, &s1, &d1);
        }
        Case { name: n1[k].clone(), bytes }
    });
    let n2 = Arc::clone(&names);
    let random = (any::<Index>(), vec(any::<u8>(), 0..512))
        .prop_map(move |(seed, bytes)| Case { name: seed.get(n2.as_slice()).clone(), bytes });
    let n3 = Arc::clone(&names);
    let soup = (any::<Index>(), vec(any::<Index>(), 0..48)).prop_map(move |(seed, picks)| {
        let mut bytes = Vec::new();
        for p in picks {
            bytes.extend_from_slice(p.get(dict.as_slice()).as_slice());
        }
        bytes.truncate(MAX_INPUT_BYTES);
        Case { name: seed.get(n3.as_slice()).clone(), bytes }
    });
    prop_oneof![8 => mutated, 1 => random, 1 => soup].boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_words_and_lines_are_found() {
        let text = b"a 12 -3.5e+2 x1 +7\nb,1e9\nlast";
        let nums: Vec<&[u8]> = number_spans(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(nums, [&b"12"[..], b"-3.5e+2", b"1", b"+7", b"1e9"]);
        let words: Vec<&[u8]> = word_spans(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(words, [&b"a"[..], b"e", b"x1", b"b", b"e9", b"last"]);
        assert_eq!(line_spans(text), [(0, 19), (19, 25), (25, 29)]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any list of edits on any seed gives an input within the size bound, and never panics.
        #[test]
        fn mutations_stay_in_bounds(
            seed in vec(any::<u8>(), 0..300),
            edits in vec(mutation(), 0..12),
        ) {
            let seeds = vec![seed.clone(), b"other\nseed\n".to_vec(), Vec::new()];
            let dict = vec![nested("[", "]", 4), Vec::new()];
            let mut b = seed;
            for m in &edits {
                m.apply(&mut b, &seeds, &dict);
            }
            prop_assert!(b.len() <= MAX_INPUT_BYTES);
        }

        /// Swapping two lines moves them and keeps every line.
        #[test]
        fn swapping_lines_keeps_every_line(x in any::<Index>(), y in any::<Index>()) {
            let text = b"one\ntwo\nthree\nfour\n";
            let mut b = text.to_vec();
            Mutation::SwapLines(x, y).apply(&mut b, &[], &[]);
            let sorted = |t: &[u8]| {
                let mut l: Vec<Vec<u8>> = t.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
                l.sort();
                l
            };
            prop_assert_eq!(sorted(&b), sorted(text));
        }
    }
}

//! The scenario file read so that one wrong operation hides nothing else: the TOML is parsed
//! once, with positions; everything but the variants is deserialized as a whole, and each
//! variant's operations one by one, so an unknown `op`, a missing field or a misspelt key is a
//! diagnostic on its own line and validation goes on with the rest. Every variant and
//! operation keeps the line it starts on, for the diagnostics resolving it gives later.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer};

use super::file::{Scenario, Timed, Variant};
use super::validate::{Validator, VariantSource};
use sim_core::error_text::line_at;

/// A variant's own keys besides its operations.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantHead {
    name: String,
}

/// A spanned TOML table as a deserializer.
fn table_de<'i>(span: std::ops::Range<usize>, table: DeTable<'i>) -> Deserializer<'i> {
    Deserializer::from(Spanned::new(span, table))
}

impl Validator {
    /// The scenario file, parsed: the scenario with the variants that could be read, their
    /// positions in `self.sources`; every problem pushed.
    pub(super) fn read_scenario(&mut self, path: &Path) -> Option<Scenario> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.push(path, None, "scenario", format!("cannot read the scenario: {e}"));
                return None;
            }
        };
        let mut root = match DeTable::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                self.toml_error(path, &text, &e, None);
                return None;
            }
        };
        let variants = root.get_mut().remove("variant");
        let scenario = Scenario::deserialize(Deserializer::from(root.clone()));
        let variants = self.read_variants(path, &text, variants);
        match scenario {
            Ok(mut s) => {
                let raw = toml::Table::deserialize(Deserializer::from(root)).ok();
                if let (Some(raw), Ok(parsed)) = (raw, toml::Table::try_from(&s)) {
                    self.unknown_keys(path, &text, &raw, &parsed, "", None);
                }
                s.variants = variants;
                Some(s)
            }
            Err(e) => {
                self.toml_error(path, &text, &e, None);
                None
            }
        }
    }

    /// A deserialization problem at its line (or at `fallback`, the line of the table it is in).
    fn toml_error(
        &mut self,
        path: &Path,
        text: &str,
        e: &toml::de::Error,
        fallback: Option<usize>,
    ) {
        let line = e.span().map(|s| line_at(text, s.start)).or(fallback);
        self.push(path, line, "toml", e.message().to_string());
    }

    /// The `[[variant]]` tables, each read on its own; `self.sources` gets their positions.
    fn read_variants(
        &mut self,
        path: &Path,
        text: &str,
        raw: Option<Spanned<DeValue<'_>>>,
    ) -> Vec<Variant> {
        self.sources.clear();
        let Some(raw) = raw else { return Vec::new() };
        let line = Some(line_at(text, raw.span().start));
        let DeValue::Array(items) = raw.into_inner() else {
            self.push(path, line, "variant", "variants are tables: [[variant]] with a name");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let span = item.span();
            let line = Some(line_at(text, span.start));
            let DeValue::Table(mut table) = item.into_inner() else {
                self.push(path, line, &format!("variant[{i}]"), "a variant is a table");
                continue;
            };
            let at = table.remove("at");
            let name = match VariantHead::deserialize(table_de(span, table)) {
                Ok(h) => h.name,
                Err(e) => {
                    self.toml_error(path, text, &e, line);
                    continue;
                }
            };
            let mut source = VariantSource { index: i, line, ops: Vec::new() };
            let field = format!("variant[{i}] \"{name}\"");
            let timeline = self.read_operations(path, text, &field, at, &mut source);
            self.sources.push(source);
            out.push(Variant { name, timeline });
        }
        out
    }

    /// A variant's `[[variant.at]]` tables, each read on its own (one that cannot be read is
    /// pushed and left out, the others are kept).
    fn read_operations(
        &mut self,
        path: &Path,
        text: &str,
        field: &str,
        raw: Option<Spanned<DeValue<'_>>>,
        source: &mut VariantSource,
    ) -> Vec<Timed> {
        let Some(raw) = raw else { return Vec::new() };
        let line = Some(line_at(text, raw.span().start));
        let DeValue::Array(items) = raw.into_inner() else {
            self.push(path, line, field, "operations are tables: [[variant.at]] with an op");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, item) in items.into_iter().enumerate() {
            let span = item.span();
            let line = Some(line_at(text, span.start));
            let f = format!("{field}.at[{k}]");
            let DeValue::Table(table) = item.into_inner() else {
                self.push(path, line, &f, "an operation is a table with an op");
                continue;
            };
            let raw = toml::Table::deserialize(table_de(span.clone(), table.clone())).ok();
            match Timed::deserialize(table_de(span, table)) {
                Ok(timed) => {
                    if let (Some(raw), Ok(parsed)) = (raw, toml::Table::try_from(&timed)) {
                        let at = format!("{}.at[{k}]", field.split(' ').next().unwrap_or(field));
                        self.unknown_keys(path, text, &raw, &parsed, &at, line);
                    }
                    source.ops.push((k, line));
                    out.push(timed);
                }
                Err(e) => {
                    let line = e.span().map(|s| line_at(text, s.start)).or(line);
                    self.push(path, line, &f, e.message().to_string());
                }
            }
        }
        out
    }

    /// Keys the file has that the scenario did not take (inside operation tables and
    /// `[settlement]`, where serde's flattening and tags cannot refuse them): every key of
    /// `raw` must come back in `parsed`, the same table written out again. A key's line is
    /// the first line that sets it, or `line` (the operation's) inside an operation.
    fn unknown_keys(
        &mut self,
        path: &Path,
        text: &str,
        raw: &toml::Table,
        parsed: &toml::Table,
        at: &str,
        line: Option<usize>,
    ) {
        let mut unknown = Vec::new();
        extra_keys(raw, parsed, at, &mut unknown);
        for key in unknown {
            let name = key.rsplit(['.', ']']).next().unwrap_or(&key).to_string();
            let first = text.lines().position(|l| {
                l.trim_start()
                    .strip_prefix(name.as_str())
                    .is_some_and(|r| r.trim_start().starts_with('='))
            });
            let line = line.or(first.map(|l| l + 1));
            self.push(path, line, &key, format!("unknown key \"{name}\""));
        }
    }

    /// Gives `line` to every diagnostic about `path` pushed since the first `since` that has
    /// none: what resolving a variant or an operation found is about the lines it stands on.
    pub(super) fn locate(&mut self, since: usize, path: &Path, line: Option<usize>) {
        for d in self.diags.iter_mut().skip(since) {
            if d.line.is_none() && d.file == path {
                d.line = line;
            }
        }
    }
}

/// The keys of `raw` (with their dotted paths under `at`) that `parsed` lacks, in tables and
/// arrays of tables alike.
fn extra_keys(raw: &toml::Table, parsed: &toml::Table, at: &str, out: &mut Vec<String>) {
    use toml::Value;
    for (key, value) in raw {
        let here = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
        match (value, parsed.get(key)) {
            (_, None) => out.push(here),
            (Value::Table(r), Some(Value::Table(p))) => extra_keys(r, p, &here, out),
            (Value::Array(r), Some(Value::Array(p))) => {
                for (i, (r, p)) in r.iter().zip(p).enumerate() {
                    if let (Value::Table(r), Value::Table(p)) = (r, p) {
                        extra_keys(r, p, &format!("{here}[{i}]"), out);
                    }
                }
            }
            _ => {}
        }
    }
}

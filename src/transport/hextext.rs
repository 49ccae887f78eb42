//! Hex text → bytes: whatever people paste.
//!
//! [`parse_hex_text`] accepts, in any mix of upper and lower case, over any number of lines:
//!
//! - plain hex: `10 0c 00 04`, `100c0004` (Wireshark "copy as hex stream", `xxd -p`, also
//!   wrapped over several lines, even at an odd digit), `10:0c:00`, `10-0c-00`, `od -An -tx1`;
//! - prefixed bytes: `0x10 0x0C`, `0x10,0x0c,`, `\x10\x0c`; a single digit after a prefix is one
//!   byte (`0x1` is `01`);
//! - C arrays `{0x10, 0x0c}` and declarations such as `unsigned char pkt[] = {0x10, 0x0c};` or
//!   the output of `xxd -i`: as soon as the input holds a `{`, only what is inside braces (and
//!   inside escaped string literals) is read, and the declaration around it is ignored;
//! - string literals with escapes: `"\x10\x0c"`, `'\x10\x0cMQTT'`, `b"\x10\x0c"`: `\xHH`, the C
//!   escapes (`\n`, `\0`, octal `\123`…) and plain characters (as their UTF-8 bytes), like a
//!   C or Python string. A quoted string without a backslash is read as hex (`"10 0c"`);
//! - lists in braces or brackets follow the rules of C/Python/JSON literals: one number per
//!   element, `0x` is hex, and a list whose unprefixed elements are all plain decimal numbers
//!   (`[16, 12, 0, 4]`) is decimal; a list with hex-looking elements (`[10, 0c, 00]`, Rust's
//!   `{:02x?}`) is hex;
//! - dumps, detected line by line from their offset column, the ASCII column always ignored:
//!   `xxd` (`00000000: 100c 0004 4d51 5454  ....MQTT`, any `-g` grouping), `hexdump -C`
//!   (`00000000  10 0c 00 04 ... |..MQTT|` and its final offset-only line), `od -tx1` /
//!   `od -Ax -tx1z`, and Wireshark "copy as hex dump" / "hex + ASCII dump"
//!   (`0000   10 0c 00 04 ...   ..MQTT`). A `*` line (identical lines folded by
//!   hexdump/od/`xxd -a`) is expanded from the offsets around it, up to 1 MiB for all the `*`
//!   lines of an input together;
//! - comments: `#` or `//` to the end of the line, and `/* … */`.
//!
//! How a dump line is recognised: it starts (after optional indentation) with an offset of 4 to
//! 16 hex digits, then either `: ` and groups of an even number of hex digits (xxd), or
//! whitespace and two-digit bytes (hexdump -C, od, Wireshark). The bytes end at the first gap
//! wider than one space (except the two-space gap after the 8th byte), at `|` or `>`, or at
//! the first token that is not a two-digit byte; for xxd at a double space or a token that is not
//! a group of the line's width. So a line of two-digit bytes (`00 00 00 10 ...`) is never read
//! as a dump: an offset is never two digits. The one ambiguity left: a line whose *first*
//! token has 4 or more digits and is followed by two-digit bytes (`1000 0c 00`) is read as an
//! offset and bytes; write such data without that spacing.
//!
//! `hexdump` without `-C` and `od -x` print 16-bit words in host byte order, which cannot be
//! told apart from bytes: such lines are refused with an explanation.
//!
//! Errors name the problem and where it is (line and column, 1-based, counted in characters).
//! The parser never panics and runs in time linear in the input.

use std::fmt;

/// Maximum number of bytes the `*` repetition lines of one input may stand for, together
/// (so that a few bytes of text cannot ask for gigabytes).
pub const MAX_REPEAT_BYTES: usize = 1 << 20;

/// Why hex text could not be turned into bytes, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexTextError {
    /// What is wrong.
    pub kind: HexTextErrorKind,
    /// Line of the problem, 1-based.
    pub line: usize,
    /// Column of the problem, 1-based, counted in characters (a tab is one column).
    pub column: usize,
}

/// The kinds of [`HexTextError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexTextErrorKind {
    /// No hex digits at all (only whitespace, comments or declarations).
    Empty,
    /// A character that is neither a hex digit nor an accepted separator; the position is the
    /// character's.
    NonHex {
        /// The offending character.
        ch: char,
    },
    /// The hex digits add up to an odd number: the last one has no partner. The position is
    /// the last digit's.
    OddDigitCount {
        /// How many hex digits the input holds.
        count: usize,
        /// The digit left without a partner.
        digit: char,
    },
    /// A group of hex digits in the middle of the input has an odd number of digits, so the
    /// bytes after it would be shifted. The position is the group's start.
    OddGroup {
        /// The group as written (shortened when long).
        group: String,
        /// Its number of hex digits.
        digits: usize,
    },
    /// An element of a list (`{0x100}`, `[300]`) that does not fit in one byte.
    ValueTooLarge {
        /// The element as written (shortened when long).
        text: String,
    },
    /// An escape sequence that is not a byte (`\q`, or `\x` without a digit).
    InvalidEscape {
        /// The escape as written.
        text: String,
    },
    /// A `hexdump` (without `-C`) or `od -x` line: 16-bit words in host byte order.
    WordDump,
    /// A `*` line (repeated lines folded by hexdump/od/xxd) that cannot be expanded.
    Repeat {
        /// Why it cannot be expanded.
        reason: &'static str,
    },
}

impl std::error::Error for HexTextError {}

impl fmt::Display for HexTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (l, c) = (self.line, self.column);
        match &self.kind {
            HexTextErrorKind::Empty => f.write_str("empty input: no hex digits found"),
            HexTextErrorKind::NonHex { ch } => {
                write!(
                    f,
                    "non-hex character {} at line {l}, column {c}",
                    quote_char(*ch)
                )
            }
            HexTextErrorKind::OddDigitCount { count, digit } => write!(
                f,
                "odd number of hex digits ({count}): the last digit '{digit}' at line {l}, \
                 column {c} has no partner"
            ),
            HexTextErrorKind::OddGroup { group, digits } => write!(
                f,
                "odd number of hex digits ({digits}) in '{group}' at line {l}, column {c}: \
                 every byte needs two digits, and the bytes after it would be shifted"
            ),
            HexTextErrorKind::ValueTooLarge { text } => write!(
                f,
                "value '{text}' at line {l}, column {c} does not fit in one byte (0 to 255)"
            ),
            HexTextErrorKind::InvalidEscape { text } => write!(
                f,
                "invalid escape '{text}' at line {l}, column {c}: write a byte as \\xHH"
            ),
            HexTextErrorKind::WordDump => write!(
                f,
                "line {l} looks like `hexdump` without -C or `od -x`: 16-bit words in host byte \
                 order, whose bytes would come out swapped; dump with `hexdump -C`, `xxd` or \
                 `od -An -tx1` instead"
            ),
            HexTextErrorKind::Repeat { reason } => {
                write!(f, "'*' repetition line at line {l}, column {c}: {reason}")
            }
        }
    }
}

fn quote_char(ch: char) -> String {
    let escaped: String = ch.escape_debug().collect();
    format!("'{escaped}'")
}

fn shorten(s: &str) -> String {
    const MAX: usize = 24;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// Turns pasted hex text into bytes. See the [module documentation](self) for every form
/// accepted and how dumps are recognised.
pub fn parse_hex_text(text: &str) -> Result<Vec<u8>, HexTextError> {
    let mut sc = Scanner::default();
    let mut last_dump: Option<DumpInfo> = None;
    let mut pending_star: Option<Pos> = None;
    let mut repeat_budget = MAX_REPEAT_BYTES as u64;
    for (idx, raw) in text.split('\n').enumerate() {
        let ln = idx + 1;
        let line: Vec<char> = raw.chars().collect();
        if !sc.in_block_comment {
            if let Some(col) = star_line(&line) {
                let pos = Pos { line: ln, col };
                match (&last_dump, pending_star) {
                    (Some(_), None) => {
                        pending_star = Some(pos);
                        continue;
                    }
                    (Some(_), Some(first)) => {
                        sc.push_err(first, repeat("it is not followed by an offset line"));
                        pending_star = None;
                        last_dump = None;
                        continue;
                    }
                    (None, _) => {
                        sc.push_err(
                            pos,
                            repeat(
                                "without offsets the number of repeated lines is unknown; \
                                 dump again with -v (od -v, hexdump -v) or xxd without -a",
                            ),
                        );
                        continue;
                    }
                }
            }
            match classify_dump(&line) {
                LineKind::Dump { offset, bytes } => {
                    if let (Some(star), Some(prev)) = (pending_star.take(), &last_dump) {
                        match expand_repeat(prev, &offset, star, &mut repeat_budget) {
                            Ok(rep) => sc.tokens.push(Tok::Bytes {
                                data: rep,
                                literal: false,
                            }),
                            Err(e) => sc.tokens.push(Tok::Err(e)),
                        }
                    }
                    last_dump = Some(DumpInfo {
                        offset,
                        bytes: bytes.clone(),
                    });
                    sc.tokens.push(Tok::Bytes {
                        data: bytes,
                        literal: false,
                    });
                    continue;
                }
                LineKind::WordDump => {
                    sc.push_err(Pos { line: ln, col: 1 }, HexTextErrorKind::WordDump);
                    last_dump = None;
                    pending_star = None;
                    continue;
                }
                LineKind::NotDump => {}
            }
            if let (Some(prev), Some(offset)) = (&last_dump, lone_offset(&line)) {
                if let Some(star) = pending_star.take() {
                    match expand_repeat(prev, &offset, star, &mut repeat_budget) {
                        Ok(rep) => sc.tokens.push(Tok::Bytes {
                            data: rep,
                            literal: false,
                        }),
                        Err(e) => sc.tokens.push(Tok::Err(e)),
                    }
                    last_dump = None;
                    continue;
                }
                if offset_continues(prev, &offset) {
                    last_dump = None;
                    continue;
                }
            }
        }
        if let Some(star) = pending_star.take() {
            sc.push_err(star, repeat("it is not followed by an offset line"));
        }
        if line.iter().any(|c| !is_ws(*c)) {
            last_dump = None;
        }
        sc.scan_line(&line, ln);
    }
    if let Some(star) = pending_star {
        sc.push_err(star, repeat("it is not followed by an offset line"));
    }
    interpret(&sc.tokens)
}

fn repeat(reason: &'static str) -> HexTextErrorKind {
    HexTextErrorKind::Repeat { reason }
}

// ---------------------------------------------------------------------------------------------
// Characters

fn is_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn hex_val(c: char) -> Option<u8> {
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// End (exclusive) of the run of hex digits starting at `i`.
fn hex_run(line: &[char], i: usize) -> usize {
    let mut j = i;
    while line.get(j).is_some_and(|c| c.is_ascii_hexdigit()) {
        j += 1;
    }
    j
}

fn skip_ws(line: &[char], i: usize) -> usize {
    let mut j = i;
    while line.get(j).is_some_and(|c| is_ws(*c)) {
        j += 1;
    }
    j
}

/// Bytes from an even number of ASCII hex digits.
fn push_pairs(out: &mut Vec<u8>, digits: &[char]) {
    for pair in digits.chunks_exact(2) {
        if let (Some(hi), Some(lo)) = (hex_val(pair[0]), hex_val(pair[1])) {
            out.push(hi << 4 | lo);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dumps

struct DumpInfo {
    offset: String,
    bytes: Vec<u8>,
}

enum LineKind {
    Dump { offset: String, bytes: Vec<u8> },
    WordDump,
    NotDump,
}

fn classify_dump(line: &[char]) -> LineKind {
    let i = skip_ws(line, 0);
    let off_end = hex_run(line, i);
    let off_len = off_end - i;
    if !(4..=16).contains(&off_len) {
        return LineKind::NotDump;
    }
    let offset: String = line.get(i..off_end).unwrap_or_default().iter().collect();
    match line.get(off_end) {
        Some(':') if off_len >= 6 && line.get(off_end + 1) == Some(&' ') => {
            let bytes = xxd_bytes(line, off_end + 2);
            if bytes.is_empty() {
                LineKind::NotDump
            } else {
                LineKind::Dump { offset, bytes }
            }
        }
        Some(c) if is_ws(*c) => {
            let k = skip_ws(line, off_end);
            let e = hex_run(line, k);
            let term = line
                .get(e)
                .is_none_or(|c| is_ws(*c) || *c == '|' || *c == '>');
            if e - k == 2 && term {
                LineKind::Dump {
                    offset,
                    bytes: byte_column(line, k),
                }
            } else if e - k == 4
                && (6..=7).contains(&off_len)
                && line.get(e).is_none_or(|c| is_ws(*c))
            {
                LineKind::WordDump
            } else {
                LineKind::NotDump
            }
        }
        _ => LineKind::NotDump,
    }
}

/// xxd groups from `k`: groups of the first group's width separated by one space; a double
/// space, a token of another width or anything not hex ends them (the ASCII column).
fn xxd_bytes(line: &[char], mut k: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut width = 0;
    loop {
        let e = hex_run(line, k);
        let len = e - k;
        let term_ok = line.get(e).is_none_or(|c| is_ws(*c));
        if len == 0 || len % 2 != 0 || !term_ok || (width != 0 && len > width) {
            break;
        }
        if width == 0 {
            width = len;
        }
        push_pairs(&mut bytes, line.get(k..e).unwrap_or_default());
        // One space leads to the next group; anything else (a second space before the ASCII
        // column, a tab, `\r`, the end) ends the groups, as does a short last group.
        if len < width || line.get(e) != Some(&' ') || line.get(e + 1).is_none_or(|c| is_ws(*c)) {
            break;
        }
        k = e + 1;
    }
    bytes
}

/// Two-digit bytes from `k` (hexdump -C, od, Wireshark): separated by one space, or two after
/// the 8th byte; a wider gap, `|`, `>` or a token that is not a two-digit byte ends them.
fn byte_column(line: &[char], mut k: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let e = hex_run(line, k);
        let term = line
            .get(e)
            .is_none_or(|c| is_ws(*c) || *c == '|' || *c == '>');
        if e - k != 2 || !term {
            break;
        }
        push_pairs(&mut bytes, line.get(k..e).unwrap_or_default());
        let m = skip_ws(line, e);
        if m >= line.len() {
            break;
        }
        let gap = line.get(e..m).unwrap_or_default();
        let single = gap == [' '];
        let middle = bytes.len() == 8 && gap == [' ', ' '];
        if !(single || middle) {
            break;
        }
        k = m;
    }
    bytes
}

/// The column of a line holding only `*`.
fn star_line(line: &[char]) -> Option<usize> {
    let i = skip_ws(line, 0);
    (line.get(i) == Some(&'*') && skip_ws(line, i + 1) == line.len()).then_some(i + 1)
}

/// A line holding only an offset (the last line of hexdump -C and od).
fn lone_offset(line: &[char]) -> Option<String> {
    let i = skip_ws(line, 0);
    let e = hex_run(line, i);
    ((4..=16).contains(&(e - i)) && skip_ws(line, e) == line.len())
        .then(|| line.get(i..e).unwrap_or_default().iter().collect())
}

fn parse_radix(s: &str, radix: u32) -> Option<u64> {
    u64::from_str_radix(s, radix).ok()
}

/// True when `offset` is where the previous dump line ends, read as hex or octal.
fn offset_continues(prev: &DumpInfo, offset: &str) -> bool {
    let n = prev.bytes.len() as u64;
    [16, 8].iter().any(|&radix| {
        match (parse_radix(&prev.offset, radix), parse_radix(offset, radix)) {
            (Some(p), Some(q)) => p.checked_add(n) == Some(q),
            _ => false,
        }
    })
}

/// The bytes a `*` line stands for: the previous line repeated up to the next offset.
/// Offsets of 7 digits are octal (od's default), all others hex.
fn expand_repeat(
    prev: &DumpInfo,
    next: &str,
    star: Pos,
    budget: &mut u64,
) -> Result<Vec<u8>, HexTextError> {
    let err = |reason| HexTextError {
        kind: repeat(reason),
        line: star.line,
        column: star.col,
    };
    let radix = if prev.offset.len() == 7 { 8 } else { 16 };
    let n = prev.bytes.len() as u64;
    let (Some(p), Some(q)) = (parse_radix(&prev.offset, radix), parse_radix(next, radix)) else {
        return Err(err(
            "the offsets around it are not numbers this tool can read",
        ));
    };
    let end = p.saturating_add(n);
    if n == 0 || q < end || (q - end) % n != 0 {
        return Err(err(
            "the offsets around it do not fit whole repetitions of the previous line",
        ));
    }
    let total = q - end;
    if total > MAX_REPEAT_BYTES as u64 {
        return Err(err("it stands for more than 1 MiB of repeated bytes"));
    }
    if total > *budget {
        return Err(err(
            "together with the `*` lines before it, it stands for more than 1 MiB of repeated bytes",
        ));
    }
    *budget -= total;
    let reps = usize::try_from(total / n).unwrap_or(0);
    Ok(prev.bytes.repeat(reps))
}

// ---------------------------------------------------------------------------------------------
// Tokens of free-form text

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    col: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
    None,
    ZeroX,
    Esc,
}

#[derive(Debug)]
struct Num {
    /// The token as written, prefix included.
    text: String,
    /// Its hex digits (ASCII).
    digits: Vec<char>,
    prefix: Prefix,
    start: Pos,
    last: Pos,
    /// Only whitespace before it on its line.
    starts_line: bool,
    /// Only whitespace after it on its line.
    ends_line: bool,
}

#[derive(Debug)]
enum Tok {
    Num(Num),
    Bytes { data: Vec<u8>, literal: bool },
    Open { brace: bool },
    Close { brace: bool },
    Junk { ch: char, pos: Pos },
    Err(HexTextError),
}

#[derive(Default)]
struct Scanner {
    tokens: Vec<Tok>,
    in_block_comment: bool,
}

impl Scanner {
    fn push_err(&mut self, pos: Pos, kind: HexTextErrorKind) {
        self.tokens.push(Tok::Err(HexTextError {
            kind,
            line: pos.line,
            column: pos.col,
        }));
    }

    fn scan_line(&mut self, line: &[char], ln: usize) {
        let n = line.len();
        let pos = |i: usize| Pos {
            line: ln,
            col: i + 1,
        };
        let mut i = 0;
        let mut seen = false; // a non-whitespace character was seen on this line
                              // Closing quotes of strings read as plain hex, per quote kind; quotes whose search
                              // failed are separators for the rest of the line (keeps the scan linear).
        let mut skip_close: [Option<usize>; 2] = [None, None];
        let mut no_close = [false, false];
        let mut last_num: Option<(usize, usize)> = None; // (token index, end char index)
        while i < n {
            if self.in_block_comment {
                match find_pair(line, i, '*', '/') {
                    Some(j) => {
                        self.in_block_comment = false;
                        i = j + 2;
                    }
                    None => i = n,
                }
                seen = true;
                continue;
            }
            let c = line[i];
            let next = line.get(i + 1).copied();
            if is_ws(c) {
                i += 1;
                continue;
            }
            let starts_line = !seen;
            seen = true;
            match c {
                '#' => break,
                '/' if next == Some('/') => break,
                '/' if next == Some('*') => {
                    self.in_block_comment = true;
                    i += 2;
                }
                ',' | ';' | ':' | '-' | '(' | ')' => i += 1,
                '{' | '}' | '[' | ']' => {
                    let brace = c == '{' || c == '}';
                    self.tokens.push(if c == '{' || c == '[' {
                        Tok::Open { brace }
                    } else {
                        Tok::Close { brace }
                    });
                    i += 1;
                }
                '"' | '\'' => {
                    let q = usize::from(c == '\'');
                    if skip_close[q] == Some(i) {
                        skip_close[q] = None;
                        i += 1;
                        continue;
                    }
                    if no_close[q] {
                        i += 1;
                        continue;
                    }
                    match find_closing(line, i) {
                        Some((close, true)) => {
                            let content = line.get(i + 1..close).unwrap_or_default();
                            self.tokens.push(parse_literal(content, ln, i + 2));
                            i = close + 1;
                        }
                        Some((close, false)) => {
                            skip_close[q] = Some(close);
                            i += 1;
                        }
                        None => {
                            no_close[q] = true;
                            i += 1;
                        }
                    }
                }
                '\\' if matches!(next, Some('x' | 'X')) => {
                    let d0 = i + 2;
                    let mut e = d0;
                    while e < n && e < d0 + 2 && line[e].is_ascii_hexdigit() {
                        e += 1;
                    }
                    if e == d0 {
                        self.push_err(
                            pos(i),
                            HexTextErrorKind::InvalidEscape {
                                text: line.get(i..d0).unwrap_or_default().iter().collect(),
                            },
                        );
                    } else {
                        last_num = Some((self.tokens.len(), e));
                        self.tokens.push(Tok::Num(Num {
                            text: line.get(i..e).unwrap_or_default().iter().collect(),
                            digits: line.get(d0..e).unwrap_or_default().to_vec(),
                            prefix: Prefix::Esc,
                            start: pos(i),
                            last: pos(e - 1),
                            starts_line,
                            ends_line: false,
                        }));
                    }
                    i = e;
                }
                c if is_word(c) => {
                    let mut j = i;
                    while j < n && is_word(line[j]) {
                        j += 1;
                    }
                    let word = line.get(i..j).unwrap_or_default();
                    let zero_x = word.len() > 2 && word[0] == '0' && matches!(word[1], 'x' | 'X');
                    let body_from = if zero_x { 2 } else { 0 };
                    let body = word.get(body_from..).unwrap_or_default();
                    match body.iter().position(|c| !c.is_ascii_hexdigit()) {
                        None => {
                            last_num = Some((self.tokens.len(), j));
                            self.tokens.push(Tok::Num(Num {
                                text: word.iter().collect(),
                                digits: body.to_vec(),
                                prefix: if zero_x { Prefix::ZeroX } else { Prefix::None },
                                start: pos(i),
                                last: pos(j - 1),
                                starts_line,
                                ends_line: false,
                            }));
                        }
                        Some(k) => {
                            let at = i + body_from + k;
                            self.tokens.push(Tok::Junk {
                                ch: line[at],
                                pos: pos(at),
                            });
                        }
                    }
                    i = j;
                }
                _ => {
                    self.tokens.push(Tok::Junk { ch: c, pos: pos(i) });
                    i += 1;
                }
            }
        }
        if let Some((t, end)) = last_num {
            if t + 1 == self.tokens.len() && skip_ws(line, end) == n {
                if let Some(Tok::Num(num)) = self.tokens.get_mut(t) {
                    num.ends_line = true;
                }
            }
        }
    }
}

fn find_pair(line: &[char], from: usize, a: char, b: char) -> Option<usize> {
    (from..line.len().saturating_sub(1)).find(|&j| line[j] == a && line[j + 1] == b)
}

/// The index of the quote closing the one at `open`, and whether a backslash came before it.
fn find_closing(line: &[char], open: usize) -> Option<(usize, bool)> {
    let q = *line.get(open)?;
    let mut j = open + 1;
    let mut backslash = false;
    while j < line.len() {
        if line[j] == '\\' {
            backslash = true;
            j += 2;
            continue;
        }
        if line[j] == q {
            return Some((j, backslash));
        }
        j += 1;
    }
    None
}

/// The bytes of a string literal's content (C/Python escapes); `col` is the content's column.
fn parse_literal(content: &[char], ln: usize, col: usize) -> Tok {
    let mut out = Vec::new();
    let mut i = 0;
    let n = content.len();
    while i < n {
        let c = content[i];
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            i += 1;
            continue;
        }
        let bad = |len: usize| {
            Tok::Err(HexTextError {
                kind: HexTextErrorKind::InvalidEscape {
                    text: content
                        .get(i..(i + len).min(n))
                        .unwrap_or_default()
                        .iter()
                        .collect(),
                },
                line: ln,
                column: col + i,
            })
        };
        let Some(&e) = content.get(i + 1) else {
            return bad(1);
        };
        let simple = match e {
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'v' => Some(0x0b),
            'e' => Some(0x1b),
            '\\' => Some(b'\\'),
            '\'' => Some(b'\''),
            '"' => Some(b'"'),
            '?' => Some(b'?'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            i += 2;
        } else if e == 'x' || e == 'X' {
            let d0 = i + 2;
            let mut j = d0;
            let mut v: u8 = 0;
            while j < n && j < d0 + 2 {
                match hex_val(content[j]) {
                    Some(d) => v = v << 4 | d,
                    None => break,
                }
                j += 1;
            }
            if j == d0 {
                return bad(2);
            }
            out.push(v);
            i = j;
        } else if let Some(first) = e.to_digit(8) {
            let mut v = first;
            let mut j = i + 2;
            while j < n && j < i + 4 {
                match content[j].to_digit(8) {
                    Some(d) => v = v * 8 + d,
                    None => break,
                }
                j += 1;
            }
            match u8::try_from(v) {
                Ok(b) => out.push(b),
                Err(_) => return bad(j - i),
            }
            i = j;
        } else {
            return bad(2);
        }
    }
    Tok::Bytes {
        data: out,
        literal: true,
    }
}

// ---------------------------------------------------------------------------------------------
// Interpretation of the token stream

#[derive(Clone, Copy)]
struct Ctx {
    considered: bool,
    list: Option<usize>,
}

fn interpret(tokens: &[Tok]) -> Result<Vec<u8>, HexTextError> {
    // C mode: a brace or an escaped string literal means the bytes are in there, and what is
    // around (declarations, `;`, `xxd -i`'s length line) is ignored.
    let container = tokens.iter().any(|t| {
        matches!(
            t,
            Tok::Open { brace: true } | Tok::Bytes { literal: true, .. }
        )
    });

    let mut ctx = Vec::with_capacity(tokens.len());
    let mut depth = 0usize;
    let mut lists = 0usize;
    for t in tokens {
        match t {
            Tok::Open { brace } if *brace == container => {
                if depth == 0 {
                    lists += 1;
                }
                depth += 1;
            }
            Tok::Close { brace } if *brace == container => depth = depth.saturating_sub(1),
            _ => {}
        }
        let list = (depth > 0).then(|| lists.saturating_sub(1));
        let considered =
            !container || depth > 0 || matches!(t, Tok::Bytes { literal: true, .. } | Tok::Err(_));
        ctx.push(Ctx { considered, list });
    }

    // A list is hex when an unprefixed element looks hex (a letter, or a leading zero).
    let mut hex_list = vec![false; lists];
    for (t, c) in tokens.iter().zip(&ctx) {
        if let (Tok::Num(num), Some(l), true) = (t, c.list, c.considered) {
            let looks_hex = num.digits.iter().any(|d| d.is_ascii_alphabetic())
                || (num.digits.len() >= 2 && num.digits.first() == Some(&'0'));
            if num.prefix == Prefix::None && looks_hex {
                if let Some(h) = hex_list.get_mut(l) {
                    *h = true;
                }
            }
        }
    }

    let total_digits: usize = tokens
        .iter()
        .zip(&ctx)
        .filter_map(|(t, c)| match t {
            Tok::Num(num) if c.considered && c.list.is_none() => Some(num.digits.len()),
            _ => None,
        })
        .sum();
    let last_producer = tokens
        .iter()
        .zip(&ctx)
        .rposition(|(t, c)| c.considered && matches!(t, Tok::Num(_) | Tok::Bytes { .. }));

    let mut out = Vec::new();
    let mut pending: Option<Run> = None;
    for (idx, (t, c)) in tokens.iter().zip(&ctx).enumerate() {
        if !c.considered {
            continue;
        }
        let is_last = Some(idx) == last_producer;
        match t {
            Tok::Err(e) => return Err(e.clone()),
            Tok::Junk { ch, pos } => return Err(error(*pos, HexTextErrorKind::NonHex { ch: *ch })),
            Tok::Open { .. } | Tok::Close { .. } => {}
            Tok::Bytes { data, .. } => {
                flush(&mut pending)?;
                out.extend_from_slice(data);
            }
            Tok::Num(num) => {
                if let Some(l) = c.list {
                    flush(&mut pending)?;
                    let hex =
                        num.prefix != Prefix::None || hex_list.get(l).copied().unwrap_or(false);
                    out.push(list_value(num, hex)?);
                    continue;
                }
                if num.prefix != Prefix::None {
                    flush(&mut pending)?;
                    if num.digits.len() == 1 {
                        out.push(hex_val(num.digits[0]).unwrap_or(0));
                    } else if num.digits.len() % 2 == 0 {
                        push_pairs(&mut out, &num.digits);
                    } else {
                        return Err(odd(Run::of(num), is_last, total_digits));
                    }
                    continue;
                }
                let run = match pending.take() {
                    Some(mut run) if num.starts_line && num.start.line == run.last.line + 1 => {
                        run.digits.extend_from_slice(&num.digits);
                        run.last = num.last;
                        run
                    }
                    Some(run) => return Err(odd(run, false, total_digits)),
                    None => Run::of(num),
                };
                if run.digits.len() % 2 == 0 {
                    push_pairs(&mut out, &run.digits);
                } else if num.ends_line && num.digits.len() > 2 && !is_last {
                    // A stream wrapped over lines at an odd digit: continue on the next line.
                    pending = Some(run);
                } else {
                    return Err(odd(run, is_last, total_digits));
                }
            }
        }
    }
    flush(&mut pending)?;
    if out.is_empty() {
        return Err(error(Pos { line: 1, col: 1 }, HexTextErrorKind::Empty));
    }
    Ok(out)
}

/// An odd group of digits waiting for the next line.
struct Run {
    text: String,
    digits: Vec<char>,
    start: Pos,
    last: Pos,
}

impl Run {
    fn of(num: &Num) -> Run {
        Run {
            text: num.text.clone(),
            digits: num.digits.clone(),
            start: num.start,
            last: num.last,
        }
    }
}

fn flush(pending: &mut Option<Run>) -> Result<(), HexTextError> {
    match pending.take() {
        Some(run) => Err(odd(run, false, 0)),
        None => Ok(()),
    }
}

fn odd(run: Run, is_last: bool, total: usize) -> HexTextError {
    if is_last {
        error(
            run.last,
            HexTextErrorKind::OddDigitCount {
                count: total,
                digit: run.digits.last().copied().unwrap_or('0'),
            },
        )
    } else {
        error(
            run.start,
            HexTextErrorKind::OddGroup {
                group: shorten(&run.text),
                digits: run.digits.len(),
            },
        )
    }
}

fn error(pos: Pos, kind: HexTextErrorKind) -> HexTextError {
    HexTextError {
        kind,
        line: pos.line,
        column: pos.col,
    }
}

/// One list element as a byte: hex or decimal.
fn list_value(num: &Num, hex: bool) -> Result<u8, HexTextError> {
    let radix = if hex { 16 } else { 10 };
    let significant: Vec<char> = num
        .digits
        .iter()
        .copied()
        .skip_while(|d| *d == '0')
        .collect();
    let too_large = || {
        error(
            num.start,
            HexTextErrorKind::ValueTooLarge {
                text: shorten(&num.text),
            },
        )
    };
    if significant.len() > 3 {
        return Err(too_large());
    }
    let mut v: u32 = 0;
    for d in significant {
        match d.to_digit(radix) {
            Some(x) => v = v * radix + x,
            // A hex letter in a decimal list cannot happen (it would make the list hex).
            None => return Err(error(num.start, HexTextErrorKind::NonHex { ch: d })),
        }
    }
    u8::try_from(v).map_err(|_| too_large())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A CONNECT from mosquitto_pub (client id "mosq-abcdef0123"), 29 bytes.
    const CONNECT: [u8; 29] = [
        0x10, 0x1b, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x0f, 0x6d,
        0x6f, 0x73, 0x71, 0x2d, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x30, 0x31, 0x32, 0x33,
    ];

    fn ok(text: &str) -> Vec<u8> {
        match parse_hex_text(text) {
            Ok(v) => v,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    fn err(text: &str) -> HexTextError {
        match parse_hex_text(text) {
            Ok(v) => panic!("{text:?} parsed as {v:02x?}"),
            Err(e) => e,
        }
    }

    fn e(kind: HexTextErrorKind, line: usize, column: usize) -> HexTextError {
        HexTextError { kind, line, column }
    }

    #[test]
    fn simple_forms() {
        let b = vec![0x10, 0x0c, 0x00, 0x04];
        assert_eq!(ok("10 0c 00 04"), b);
        assert_eq!(ok("100c0004"), b);
        assert_eq!(ok("100C0004\n"), b);
        assert_eq!(ok("0x10 0x0C 0x00 0x04"), b);
        assert_eq!(ok("0x10,0x0c,0x00,0x04,"), b);
        assert_eq!(ok("0X10, 0X0C, 0X0, 0X4"), b);
        assert_eq!(ok("\\x10\\x0c\\x00\\x04"), b);
        assert_eq!(ok("\"\\x10\\x0c\\x00\\x04\""), b);
        assert_eq!(ok("10:0c:00:04"), b);
        assert_eq!(ok("10-0C-00-04"), b);
        assert_eq!(ok("10\t0c\r\n00\r\n04\r\n"), b);
        assert_eq!(ok("  10 0c\n\n   00 04  "), b);
        assert_eq!(ok("\"10 0c 00 04\""), b);
        assert_eq!(ok("100c 0004"), b);
        assert_eq!(ok("\u{feff}10\u{a0}0c 00 04"), b);
    }

    #[test]
    fn c_arrays_and_declarations() {
        let b = vec![0x10, 0x0c, 0x00, 0x04];
        assert_eq!(ok("{0x10, 0x0c, 0x00, 0x04}"), b);
        assert_eq!(ok("unsigned char pkt[] = {0x10, 0x0c, 0x00, 0x04};"), b);
        assert_eq!(
            ok("static const uint8_t pkt[4] =\n{\n  0x10, 0x0c, /* header */\n  0x00, 0x04 // len\n};\n"),
            b
        );
        assert_eq!(ok("char pkt[] = \"\\x10\\x0c\\x00\\x04\";"), b);
        assert_eq!(ok("b'\\x10\\x0c\\x00\\x04'"), b);
        assert_eq!(ok("[16, 12, 0, 4]"), b);
        assert_eq!(ok("{16, 12, 0, 4}"), b);
        assert_eq!(ok("[10, 0c, 00, 04]"), b);
        assert_eq!(ok("[10, c, 0, 4]"), b);
        assert_eq!(ok("{0x10, 12, 0, 0x4}"), b);
        // xxd -i, as printed on this machine, with its length line.
        let xxd_i = "unsigned char c_bin[] = {
  0x10, 0x1b, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c,
  0x00, 0x0f, 0x6d, 0x6f, 0x73, 0x71, 0x2d, 0x61, 0x62, 0x63, 0x64, 0x65,
  0x66, 0x30, 0x31, 0x32, 0x33
};
unsigned int c_bin_len = 29;
";
        assert_eq!(ok(xxd_i), CONNECT);
    }

    #[test]
    fn string_literals() {
        assert_eq!(
            ok("\"\\x10\\x0c\\x00\\x04MQTT\\x04\""),
            [0x10, 0x0c, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04]
        );
        assert_eq!(ok("\"\\x10\"\n\"\\x0c\""), [0x10, 0x0c]);
        assert_eq!(
            ok("\"\\0\\n\\r\\t\\\\\\\"\\101\\x7\""),
            [0, 10, 13, 9, b'\\', b'"', b'A', 7]
        );
        assert_eq!(ok("'\\xe9é'"), [0xe9, 0xc3, 0xa9]);
        assert_eq!(ok("\\x1\\x2"), [1, 2]);
    }

    #[test]
    fn comments() {
        assert_eq!(
            ok("10 0c # fixed header\n00 04 // length of \"MQTT\""),
            [0x10, 0x0c, 0, 4]
        );
        assert_eq!(
            ok("10 /* type */ 0c /* multi\nline 0xff */ 00"),
            [0x10, 0x0c, 0]
        );
        assert_eq!(ok("# only {braces} in a comment\n10 0c"), [0x10, 0x0c]);
    }

    #[test]
    fn wrapped_stream() {
        assert_eq!(ok("100c0\n004"), [0x10, 0x0c, 0x00, 0x04]);
        assert_eq!(
            ok("101b00044d5154540402003c000f6d6f\n73712d61626364656630313233"),
            CONNECT
        );
    }

    /// `xxd c.bin` on this machine.
    const XXD: &str = "\
00000000: 101b 0004 4d51 5454 0402 003c 000f 6d6f  ....MQTT...<..mo
00000010: 7371 2d61 6263 6465 6630 3132 33         sq-abcdef0123
";
    /// `xxd -g1 c.bin`.
    const XXD_G1: &str = "\
00000000: 10 1b 00 04 4d 51 54 54 04 02 00 3c 00 0f 6d 6f  ....MQTT...<..mo
00000010: 73 71 2d 61 62 63 64 65 66 30 31 32 33           sq-abcdef0123
";
    /// `xxd -p c.bin`.
    const XXD_P: &str = "101b00044d5154540402003c000f6d6f73712d61626364656630313233\n";
    /// `hexdump -C c.bin`.
    const HEXDUMP_C: &str = "\
00000000  10 1b 00 04 4d 51 54 54  04 02 00 3c 00 0f 6d 6f  |....MQTT...<..mo|
00000010  73 71 2d 61 62 63 64 65  66 30 31 32 33           |sq-abcdef0123|
0000001d
";
    /// `od -An -tx1 c.bin`.
    const OD_AN: &str = " 10 1b 00 04 4d 51 54 54 04 02 00 3c 00 0f 6d 6f
 73 71 2d 61 62 63 64 65 66 30 31 32 33
";
    /// `od -tx1 c.bin` (octal offsets).
    const OD: &str = "\
0000000 10 1b 00 04 4d 51 54 54 04 02 00 3c 00 0f 6d 6f
0000020 73 71 2d 61 62 63 64 65 66 30 31 32 33
0000035
";
    /// `od -Ax -tx1z c.bin`.
    const OD_AX_Z: &str = "\
000000 10 1b 00 04 4d 51 54 54 04 02 00 3c 00 0f 6d 6f  >....MQTT...<..mo<
000010 73 71 2d 61 62 63 64 65 66 30 31 32 33           >sq-abcdef0123<
00001d
";
    /// Wireshark "Copy as Hex Dump".
    const WIRESHARK: &str = "\
0000   10 1b 00 04 4d 51 54 54 04 02 00 3c 00 0f 6d 6f   ....MQTT...<..mo
0010   73 71 2d 61 62 63 64 65 66 30 31 32 33            sq-abcdef0123
";
    /// Wireshark "Copy Bytes as Hex + ASCII Dump" (older versions, gap after 8 bytes).
    const WIRESHARK_OLD: &str = "\
0000  10 1b 00 04 4d 51 54 54  04 02 00 3c 00 0f 6d 6f   ....MQTT ...<..mo
0010  73 71 2d 61 62 63 64 65  66 30 31 32 33            sq-abcde f0123
";

    #[test]
    fn dumps_from_real_tools() {
        for (name, text) in [
            ("xxd", XXD),
            ("xxd -g1", XXD_G1),
            ("xxd -p", XXD_P),
            ("hexdump -C", HEXDUMP_C),
            ("od -An -tx1", OD_AN),
            ("od -tx1", OD),
            ("od -Ax -tx1z", OD_AX_Z),
            ("wireshark", WIRESHARK),
            ("wireshark old", WIRESHARK_OLD),
        ] {
            assert_eq!(parse_hex_text(text), Ok(CONNECT.to_vec()), "{name}");
        }
    }

    #[test]
    fn dumps_with_crlf_and_without_ascii_columns() {
        for text in [
            XXD,
            XXD_G1,
            HEXDUMP_C,
            OD,
            OD_AX_Z,
            WIRESHARK,
            WIRESHARK_OLD,
        ] {
            let crlf = text.replace('\n', "\r\n");
            assert_eq!(parse_hex_text(&crlf), Ok(CONNECT.to_vec()), "{crlf:?}");
        }
        let bare_xxd = "00000000: 101b 0004 4d51 5454 0402 003c 000f 6d6f\r\n\
                        00000010: 7371 2d61 6263 6465 6630 3132 33\r\n";
        assert_eq!(ok(bare_xxd), CONNECT);
        let bare_ws = "0000   10 1b 00 04 4d 51 54 54 04 02 00 3c 00 0f 6d 6f\n\
                       0010   73 71 2d 61 62 63 64 65 66 30 31 32 33\n";
        assert_eq!(ok(bare_ws), CONNECT);
    }

    #[test]
    fn large_input_is_fast() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let text = fmt_hexdump_c(&big);
        let start = std::time::Instant::now();
        assert_eq!(parse_hex_text(&text), Ok(big));
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn ascii_columns_that_look_like_hex_are_ignored() {
        // Payload "deadbeef cafe 00": the ASCII columns hold hex-looking text.
        let bytes = b"deadbeef cafe 00 ab cd ef 12";
        // xxd
        let xxd = "\
00000000: 6465 6164 6265 6566 2063 6166 6520 3030  deadbeef cafe 00
00000010: 2061 6220 6364 2065 6620 3132             ab cd ef 12
";
        assert_eq!(ok(xxd), bytes);
        let hexdump = "\
00000000  64 65 61 64 62 65 65 66  20 63 61 66 65 20 30 30  |deadbeef cafe 00|
00000010  20 61 62 20 63 64 20 65  66 20 31 32              | ab cd ef 12|
0000001c
";
        assert_eq!(ok(hexdump), bytes);
        let wireshark = "\
0000   64 65 61 64 62 65 65 66 20 63 61 66 65 20 30 30   deadbeef cafe 00
0010   20 61 62 20 63 64 20 65 66 20 31 32                ab cd ef 12
";
        assert_eq!(ok(wireshark), bytes);
        // A short last line whose ASCII column is two-digit hex words.
        let ws_short = "0000   61 62 20 63 64                                    ab cd\n";
        assert_eq!(ok(ws_short), b"ab cd");
        let hd_eight =
            "00000000  61 62 20 63 64 20 65 66                           |ab cd ef|\n00000008\n";
        assert_eq!(ok(hd_eight), b"ab cd ef");
    }

    #[test]
    fn repetition_lines() {
        let mut zeros = vec![0u8; 64];
        zeros.extend_from_slice(b"ab");
        // hexdump -C z.bin
        let hd = "\
00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000040  61 62                                             |ab|
00000042
";
        assert_eq!(ok(hd), zeros);
        // od -tx1 z.bin (octal offsets)
        let od = "\
0000000 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000100 61 62
0000102
";
        assert_eq!(ok(od), zeros);
        // xxd -a z.bin
        let xxd = "\
00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................
*
00000040: 6162                                     ab
";
        assert_eq!(ok(xxd), zeros);
        // The repeated line at the end, up to the final offset.
        let hd_end = "\
00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000040
";
        assert_eq!(ok(hd_end), vec![0u8; 64]);
    }

    #[test]
    fn repetition_errors() {
        let no_offset = " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n*\n 61 62\n";
        assert_eq!(
            err(no_offset),
            e(
                repeat(
                    "without offsets the number of repeated lines is unknown; dump again with \
                     -v (od -v, hexdump -v) or xxd without -a"
                ),
                2,
                1
            )
        );
        let dangling = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |....|\n*\n";
        assert_eq!(
            err(dangling),
            e(repeat("it is not followed by an offset line"), 2, 1)
        );
        let misfit =
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |....|\n*\n00000045\n";
        assert_eq!(
            err(misfit),
            e(
                repeat("the offsets around it do not fit whole repetitions of the previous line"),
                2,
                1
            )
        );
        let huge =
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |....|\n*\nfffffff0\n";
        assert_eq!(
            err(huge),
            e(
                repeat("it stands for more than 1 MiB of repeated bytes"),
                2,
                1
            )
        );
    }

    #[test]
    fn word_dumps_are_refused() {
        // `hexdump c.bin` on this machine: little-endian 16-bit words.
        let hd = "\
0000000 1b10 0400 514d 5454 0204 3c00 0f00 6f6d
0000010 7173 612d 6362 6564 3066 3231 0033
000001d
";
        let got = err(hd);
        assert_eq!(got, e(HexTextErrorKind::WordDump, 1, 1));
        assert!(got.to_string().contains("hexdump -C"));
    }

    #[test]
    fn two_digit_runs_are_never_offsets() {
        // Looks like a dump line's shape, but every token is a byte.
        assert_eq!(
            ok("00 00 00 10  0c 00 04 4d   00 01"),
            [0, 0, 0, 0x10, 0x0c, 0, 4, 0x4d, 0, 1]
        );
        assert_eq!(ok("0000 1000 0c00 0400"), [0, 0, 0x10, 0, 0x0c, 0, 4, 0]);
    }

    #[test]
    fn offset_like_lines() {
        // A lone 8-digit line is data unless it ends a dump.
        assert_eq!(ok("00000010"), [0, 0, 0, 0x10]);
        assert_eq!(
            ok("10 0c 00 04\n00000010"),
            [0x10, 0x0c, 0, 4, 0, 0, 0, 0x10]
        );
        // After a dump, a lone line that does not continue the offsets is data too.
        assert_eq!(ok("0000   10 0c\n00000010"), [0x10, 0x0c, 0, 0, 0, 0x10]);
        // Two dumps back to back.
        let two = format!("{HEXDUMP_C}{HEXDUMP_C}");
        assert_eq!(ok(&two), [CONNECT, CONNECT].concat());
        // Indented dump lines, as pasted from an e-mail.
        let indented: String = XXD.lines().map(|l| format!("    {l}\n")).collect();
        assert_eq!(ok(&indented), CONNECT);
    }

    #[test]
    fn errors_with_positions() {
        assert_eq!(
            err("10 0g 00"),
            e(HexTextErrorKind::NonHex { ch: 'g' }, 1, 5)
        );
        assert_eq!(
            err("10 0g 00").to_string(),
            "non-hex character 'g' at line 1, column 5"
        );
        assert_eq!(
            err("10 0c\n00 3"),
            e(
                HexTextErrorKind::OddDigitCount {
                    count: 7,
                    digit: '3'
                },
                2,
                4
            )
        );
        assert_eq!(
            err("10 0c\n00 3").to_string(),
            "odd number of hex digits (7): the last digit '3' at line 2, column 4 has no partner"
        );
        assert_eq!(
            err("100c000"),
            e(
                HexTextErrorKind::OddDigitCount {
                    count: 7,
                    digit: '0'
                },
                1,
                7
            )
        );
        assert_eq!(
            err("10 0c 0 04"),
            e(
                HexTextErrorKind::OddGroup {
                    group: "0".into(),
                    digits: 1
                },
                1,
                7
            )
        );
        assert_eq!(
            err("10 0c 0 04").to_string(),
            "odd number of hex digits (1) in '0' at line 1, column 7: every byte needs two \
             digits, and the bytes after it would be shifted"
        );
        assert_eq!(err("").to_string(), "empty input: no hex digits found");
        assert_eq!(err("  \n\t\n"), e(HexTextErrorKind::Empty, 1, 1));
        assert_eq!(err("# nothing\n// here"), e(HexTextErrorKind::Empty, 1, 1));
        assert_eq!(
            err("unsigned char x[] = {};"),
            e(HexTextErrorKind::Empty, 1, 1)
        );
        assert_eq!(err("MQTT"), e(HexTextErrorKind::NonHex { ch: 'M' }, 1, 1));
        assert_eq!(
            err("10 0c 00 04 MQTT"),
            e(HexTextErrorKind::NonHex { ch: 'M' }, 1, 13)
        );
        assert_eq!(err("ü10"), e(HexTextErrorKind::NonHex { ch: 'ü' }, 1, 1));
        assert_eq!(
            err("10 € 0c"),
            e(HexTextErrorKind::NonHex { ch: '€' }, 1, 4)
        );
        assert_eq!(
            err("10\u{7}0c").to_string(),
            "non-hex character '\\u{7}' at line 1, column 3"
        );
        assert_eq!(err("0x1g"), e(HexTextErrorKind::NonHex { ch: 'g' }, 1, 4));
        assert_eq!(err("0x"), e(HexTextErrorKind::NonHex { ch: 'x' }, 1, 2));
        assert_eq!(
            err("{0x100, 0x10}"),
            e(
                HexTextErrorKind::ValueTooLarge {
                    text: "0x100".into()
                },
                1,
                2
            )
        );
        assert_eq!(
            err("[16, 300]"),
            e(HexTextErrorKind::ValueTooLarge { text: "300".into() }, 1, 6)
        );
        assert_eq!(
            err("\"\\x10\\q\""),
            e(HexTextErrorKind::InvalidEscape { text: "\\q".into() }, 1, 6)
        );
        assert_eq!(
            err("\\x10 \\xg"),
            e(HexTextErrorKind::InvalidEscape { text: "\\x".into() }, 1, 6)
        );
        assert_eq!(
            err("0x100"),
            e(
                HexTextErrorKind::OddDigitCount {
                    count: 3,
                    digit: '0'
                },
                1,
                5
            )
        );
        assert_eq!(
            err("10 0c\n\t*"),
            e(
                repeat(
                    "without offsets the number of repeated lines is unknown; dump again with \
                     -v (od -v, hexdump -v) or xxd without -a"
                ),
                2,
                2
            )
        );
    }

    #[test]
    fn first_error_wins() {
        assert_eq!(err("zz 0q"), e(HexTextErrorKind::NonHex { ch: 'z' }, 1, 1));
        assert_eq!(
            err("10 0\nxyz"),
            e(
                HexTextErrorKind::OddDigitCount {
                    count: 3,
                    digit: '0'
                },
                1,
                4
            )
        );
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for s in [
            "\"",
            "'",
            "\\",
            "\\x",
            "0x",
            "{",
            "}",
            "[",
            "]",
            "*",
            "/*",
            "*/",
            "//",
            "#",
            "\"\\",
            "'\\x",
            "0000:",
            "00000000: ",
            "00000000  ",
            "0000 |",
            "\r",
            "\u{0}",
            "00000000: zz",
            "{{{{}}}}]]][[[",
            "\"\\777\"",
            "'\\",
            "\\x1",
            "0000000 1b10",
            "ffffffffffffffff 00\n*\n0\n",
            "\u{10FFFF}",
        ] {
            let _ = parse_hex_text(s);
        }
    }

    #[test]
    fn quotes_scan_in_linear_time() {
        let s = "\" \\\"".repeat(50_000);
        let _ = parse_hex_text(&s);
        let s = "'".repeat(100_000);
        let _ = parse_hex_text(&s);
    }

    // --- formatters for the round-trip property ---------------------------------------------

    fn ascii(b: &[u8]) -> String {
        b.iter()
            .map(|&c| {
                if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            })
            .collect()
    }

    fn fmt_xxd(b: &[u8]) -> String {
        let mut s = String::new();
        for (i, chunk) in b.chunks(16).enumerate() {
            let mut hex = String::new();
            for (j, pair) in chunk.chunks(2).enumerate() {
                if j > 0 {
                    hex.push(' ');
                }
                for x in pair {
                    hex.push_str(&format!("{x:02x}"));
                }
            }
            s.push_str(&format!("{:08x}: {hex:<39}  {}\n", i * 16, ascii(chunk)));
        }
        s
    }

    fn fmt_hexdump_c(b: &[u8]) -> String {
        let mut s = String::new();
        for (i, chunk) in b.chunks(16).enumerate() {
            let mut hex = String::new();
            for (j, x) in chunk.iter().enumerate() {
                hex.push_str(&format!("{x:02x} "));
                if j == 7 {
                    hex.push(' ');
                }
            }
            s.push_str(&format!("{:08x}  {hex:<49} |{}|\n", i * 16, ascii(chunk)));
        }
        s.push_str(&format!("{:08x}\n", b.len()));
        s
    }

    fn fmt_wireshark(b: &[u8]) -> String {
        let mut s = String::new();
        for (i, chunk) in b.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|x| format!("{x:02x}")).collect();
            s.push_str(&format!(
                "{:04x}   {:<47}   {}\n",
                i * 16,
                hex.join(" "),
                ascii(chunk)
            ));
        }
        s
    }

    fn fmt_od(b: &[u8]) -> String {
        let mut s = String::new();
        for (i, chunk) in b.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|x| format!(" {x:02x}")).collect();
            s.push_str(&format!("{:07o}{}\n", i * 16, hex.concat()));
        }
        s.push_str(&format!("{:07o}\n", b.len()));
        s
    }

    fn all_forms(b: &[u8]) -> Vec<(&'static str, String)> {
        let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
        let upper: Vec<String> = b.iter().map(|x| format!("{x:02X}")).collect();
        let c: Vec<String> = b.iter().map(|x| format!("0x{x:02x}")).collect();
        let esc: String = b.iter().map(|x| format!("\\x{x:02x}")).collect();
        let stream = hex.concat();
        let wrapped: String = stream
            .as_bytes()
            .chunks(61)
            .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
            .collect();
        let od_an: String = hex
            .chunks(16)
            .map(|l| format!(" {}\n", l.join(" ")))
            .collect();
        vec![
            ("spaced", hex.join(" ")),
            ("upper", upper.join(" ")),
            ("stream", stream.clone()),
            ("wrapped", wrapped),
            ("colon", hex.join(":")),
            ("dash", hex.join("-")),
            ("0x", c.join(" ")),
            ("0x comma", format!("{},", c.join(","))),
            (
                "c array",
                format!("unsigned char pkt[] = {{{}}};", c.join(", ")),
            ),
            (
                "decimal list",
                format!(
                    "[{}]",
                    b.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            ("escaped", esc.clone()),
            ("quoted", format!("\"{esc}\"")),
            ("xxd", fmt_xxd(b)),
            ("hexdump -C", fmt_hexdump_c(b)),
            ("wireshark", fmt_wireshark(b)),
            ("od", fmt_od(b)),
            ("od -An", od_an),
        ]
    }

    #[test]
    fn formatters_match_the_real_tools() {
        assert_eq!(fmt_xxd(&CONNECT), XXD);
        assert_eq!(fmt_hexdump_c(&CONNECT), HEXDUMP_C);
        assert_eq!(fmt_od(&CONNECT), OD);
    }

    proptest! {
        #[test]
        fn every_form_round_trips(b in proptest::collection::vec(any::<u8>(), 1..100)) {
            for (name, text) in all_forms(&b) {
                prop_assert_eq!(parse_hex_text(&text), Ok(b.clone()), "{}: {:?}", name, text);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse_hex_text(&s);
        }

        #[test]
        fn never_panics_on_dump_like_text(s in "[0-9a-fA-F :|*>\\n{}\\[\\]\"'\\\\x,#/]{0,200}") {
            let _ = parse_hex_text(&s);
        }
    }
}

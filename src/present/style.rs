//! ANSI colours, or none. Colour is decided once (`--color`, `NO_COLOR`, a terminal or not)
//! and passed down as [`Options::color`](super::Options::color).

use crate::codec::diag::Severity;

/// Colours used by the printers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// Headers.
    Bold,
    /// Offsets, raw bytes and other secondary text.
    Dim,
    /// Errors.
    Red,
    /// Warnings.
    Yellow,
    /// Notes and advice.
    Cyan,
    /// Values.
    Green,
    /// The n-th field colour of a hex dump.
    Field(usize),
}

/// Field colours for the hex dump: distinct foregrounds that read on dark and light backgrounds.
const FIELD_PALETTE: [&str; 6] = ["36", "33", "35", "32", "34", "31"];

impl Color {
    fn code(self) -> &'static str {
        match self {
            Color::Bold => "1",
            Color::Dim => "2",
            Color::Red => "1;31",
            Color::Yellow => "33",
            Color::Cyan => "36",
            Color::Green => "32",
            Color::Field(i) => FIELD_PALETTE[i % FIELD_PALETTE.len()],
        }
    }

    /// The colour for a diagnostic of this severity.
    pub fn severity(s: Severity) -> Color {
        match s {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
            Severity::Note => Color::Cyan,
        }
    }
}

/// Wraps text in a colour when colour is on.
#[derive(Clone, Copy, Debug)]
pub struct Painter {
    /// Colour on or off.
    pub on: bool,
}

impl Painter {
    /// `text` in `color` (unchanged when colour is off).
    pub fn paint(&self, color: Color, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", color.code())
        } else {
            text.to_string()
        }
    }
}

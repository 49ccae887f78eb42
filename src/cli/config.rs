//! Validated configuration, built from the typed arguments.

use super::args::{ColorChoice, HexArgs, OutputFormat, PayloadChoice, Sender};
use super::CliError;
use mqtt_dissect::codec::{Direction, ProtocolVersion};
use mqtt_dissect::present::{Options, PayloadMode};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Where `hex` reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Hex text given as arguments (joined by spaces).
    Args(String),
    /// Hex text from a file (`None`: stdin).
    TextFile(Option<PathBuf>),
    /// Raw bytes from a file (`None`: stdin).
    BinaryFile(Option<PathBuf>),
}

/// The `hex` command, checked.
#[derive(Debug, Clone)]
pub struct HexConfig {
    pub input: Input,
    /// `None`: auto.
    pub protocol: Option<ProtocolVersion>,
    /// `None`: not known (the checks that depend on it are off).
    pub direction: Option<Direction>,
    pub format: OutputFormat,
    pub roundtrip: bool,
    pub present: Options,
}

fn stdin_or(p: PathBuf) -> Option<PathBuf> {
    (p.as_os_str() != "-").then_some(p)
}

/// Parses `--protocol` for commands that need a definite version.
pub fn parse_version(s: &str) -> Result<ProtocolVersion, CliError> {
    ProtocolVersion::parse(s).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown protocol version '{s}': use 3.1, 3.1.1 or 5"
        ))
    })
}

/// Whether to colour: `--color`, then NO_COLOR (any non-empty value), then a terminal or not.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && std::io::stdout().is_terminal()
        }
    }
}

impl HexConfig {
    pub fn from_args(a: HexArgs) -> Result<HexConfig, CliError> {
        let input = match (a.file, a.binary) {
            (Some(f), _) => Input::TextFile(stdin_or(f)),
            (None, Some(b)) => Input::BinaryFile(stdin_or(b)),
            (None, None) if a.hex.is_empty() || a.hex == ["-"] => Input::TextFile(None),
            (None, None) => Input::Args(a.hex.join(" ")),
        };
        let protocol = match a.protocol.trim().to_ascii_lowercase().as_str() {
            "auto" => None,
            s => Some(parse_version(s)?),
        };
        let payload = match a.payload {
            PayloadChoice::Auto => PayloadMode::Auto,
            PayloadChoice::Text => PayloadMode::Text,
            PayloadChoice::Hex => PayloadMode::Hex,
            PayloadChoice::Json => PayloadMode::Json,
        };
        let direction = a.from.map(|s| match s {
            Sender::Client => Direction::ClientToServer,
            Sender::Server => Direction::ServerToClient,
        });
        Ok(HexConfig {
            input,
            protocol,
            direction,
            format: a.format,
            roundtrip: a.roundtrip,
            present: Options {
                color: use_color(a.color) && a.format == OutputFormat::Pretty,
                show_secrets: a.show_secrets,
                payload,
            },
        })
    }
}

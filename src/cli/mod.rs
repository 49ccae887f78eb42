//! The command-line front end: arguments → validated configuration → run → exit status.

pub mod args;
mod build;
mod codes;
mod config;
mod encode;
mod hex;
mod pcap;
mod props;

use args::{Args, BytesFormat, Command};
use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// Why a command failed, and with which exit status.
#[derive(Debug)]
pub enum CliError {
    /// The input or the arguments cannot be used (exit 2).
    Usage(String),
    /// The command ran but failed (exit 1).
    Failed(String),
    /// Writing the output or reading the input failed.
    Io(io::Error),
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) | CliError::Io(_) => ExitCode::from(1),
        }
    }

    /// A closed pipe (`| head`): not an error for the user.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => f.write_str(m),
            CliError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::Io(e)
    }
}

/// How a successful run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything clean: exit 0.
    Clean,
    /// Output was written, but a packet is malformed or incomplete, a capture could not
    /// be read to its end, or `--check` failed: exit 1.
    Problems,
}

/// Runs the parsed command line.
pub fn run(args: Args) -> Result<Outcome, CliError> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let outcome = match args.command {
        Command::Hex(a) => {
            let cfg = config::HexConfig::from_args(a)?;
            hex::run(&cfg, &mut out)?
        }
        Command::Pcap(a) => {
            let cfg = pcap::PcapConfig::from_args(a)?;
            pcap::run(&cfg, &mut out)?
        }
        Command::Codes(a) => codes::run(&a, &mut out)?,
        Command::Build(b) => build::run(b, &mut out)?,
        Command::Encode(a) => encode::run(&a, &mut out)?,
    };
    out.flush()?;
    Ok(outcome)
}

/// Reads a whole file, or stdin for `-`.
fn read_source(path: Option<&Path>) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    match path {
        None => {
            io::stdin().lock().read_to_end(&mut buf)?;
        }
        Some(p) if p.as_os_str() == "-" => {
            io::stdin().lock().read_to_end(&mut buf)?;
        }
        Some(p) => {
            buf = std::fs::read(p)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", p.display())))?;
        }
    }
    Ok(buf)
}

/// Bytes as `build` and `encode` print them.
pub fn format_bytes(bytes: &[u8], f: BytesFormat) -> String {
    match f {
        BytesFormat::Spaced => bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(" "),
        BytesFormat::Raw => bytes.iter().map(|b| format!("{b:02X}")).collect(),
        BytesFormat::Escaped => bytes.iter().map(|b| format!("\\x{b:02X}")).collect(),
        BytesFormat::C => {
            let lines: Vec<String> = bytes
                .chunks(12)
                .map(|c| {
                    c.iter()
                        .map(|b| format!("0x{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            if lines.len() <= 1 {
                format!("{{{}}}", lines.join(""))
            } else {
                format!("{{\n    {}\n}}", lines.join(",\n    "))
            }
        }
    }
}

/// Parses a code or small number written in decimal or `0x` hex.
fn parse_number(s: &str) -> Option<u64> {
    let t = s.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

/// A byte-sized code (`0x86`, `134`).
fn parse_code(s: &str, what: &str) -> Result<u8, CliError> {
    parse_number(s)
        .and_then(|v| u8::try_from(v).ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{what}: '{s}' is not a code from 0 to 255 (write 0x86 or 134)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_formats() {
        let b = [0x10, 0x0c, 0xff];
        assert_eq!(format_bytes(&b, BytesFormat::Spaced), "10 0C FF");
        assert_eq!(format_bytes(&b, BytesFormat::Raw), "100CFF");
        assert_eq!(format_bytes(&b, BytesFormat::Escaped), "\\x10\\x0C\\xFF");
        assert_eq!(format_bytes(&b, BytesFormat::C), "{0x10, 0x0C, 0xFF}");
    }

    #[test]
    fn codes_parse() {
        assert_eq!(parse_code("0x86", "code").ok(), Some(0x86));
        assert_eq!(parse_code("134", "code").ok(), Some(134));
        assert!(parse_code("300", "code").is_err());
    }
}

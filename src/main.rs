//! `mqtt-dissect`: parse the command line, run, map the result to an exit status.
//! 0: everything decoded cleanly; 1: a packet is malformed or a command failed;
//! 2: unusable input or arguments. A closed pipe (`| head`) ends quietly with 0.

mod cli;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::args::Args::parse();
    match cli::run(args) {
        Ok(cli::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(cli::Outcome::Problems) => ExitCode::from(1),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mqtt-dissect: error: {e}");
            e.exit_code()
        }
    }
}

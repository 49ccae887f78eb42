//! Prints every transport event of a capture: `cargo run --example transport_dump FILE`.
use mqtt_dissect::transport::{read_capture, TransportConfig, TransportEvent};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".into());
    let input: Box<dyn std::io::Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&path) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        }
    };
    let mut print = |e: TransportEvent<'_>| match e {
        TransportEvent::Data {
            dir,
            frame,
            offset,
            data,
            ..
        } => println!(
            "frame {frame}: conn {} {} -> {} offset {offset}: {} bytes",
            dir.conn,
            dir.from,
            dir.to,
            data.len()
        ),
        other => println!("{other:?}"),
    };
    match read_capture(input, &TransportConfig::default(), &mut print) {
        Ok(s) => println!("{s:#?}"),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    }
}

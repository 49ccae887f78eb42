//! The command line as typed ("low" arguments, clap derive). [`super::config`] turns these
//! into a validated configuration.

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Explains MQTT bytes: paste hex, get every field with its offset, raw bytes, value and
/// meaning, and every deviation from the MQTT 3.1, 3.1.1 and 5.0 specifications.
#[derive(Parser, Debug)]
#[command(name = "mqtt-dissect", version, about, long_about = None)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Decode MQTT packets from hex text (arguments, stdin, -f FILE) or a binary file (-b FILE).
    Hex(HexArgs),
    /// Decode every MQTT packet of every connection in pcap/pcapng captures (`-` for stdin).
    Pcap(PcapArgs),
    /// Look up reason codes and return codes: all of them, or one (0x86, 134).
    Codes(CodesArgs),
    /// Build a packet from flags and print its bytes (for AT-command modems and tests).
    #[command(subcommand)]
    Build(BuildCommand),
    /// Re-encode the JSON that `hex --format json` prints back into bytes.
    Encode(EncodeArgs),
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always (also when NO_COLOR is set).
    Always,
    /// Never.
    Never,
}

/// `hex --from`: who sent the packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Sender {
    /// The client sent them (to the server).
    Client,
    /// The server sent them (to the client).
    Server,
}

/// `hex --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Field tree and marked hex dump.
    #[default]
    Pretty,
    /// One JSON document with every packet.
    Json,
    /// One JSON document per packet, one per line.
    Jsonl,
    /// One table row per field.
    Table,
}

/// `--payload`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum PayloadChoice {
    /// JSON pretty-printed when it parses, else UTF-8 text, else a hex dump.
    #[default]
    Auto,
    /// Text (invalid bytes escaped).
    Text,
    /// Hex dump.
    Hex,
    /// Pretty-printed JSON.
    Json,
}

/// Arguments of `hex`.
#[derive(ClapArgs, Debug)]
pub struct HexArgs {
    /// Hex text (10 0c 00 04, 100c0004, 0x10,0x0c, {0x10, 0x0c}, \x10\x0c, 10:0c, xxd or
    /// hexdump -C dumps…); several arguments are joined by spaces. None, or `-`: read stdin.
    #[arg(value_name = "HEX")]
    pub hex: Vec<String>,
    /// Read hex text from FILE (`-` for stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE", conflicts_with_all = ["hex", "binary"])]
    pub file: Option<PathBuf>,
    /// Read raw bytes from FILE (`-` for stdin).
    #[arg(
        short = 'b',
        long = "binary",
        value_name = "FILE",
        conflicts_with = "hex"
    )]
    pub binary: Option<PathBuf>,
    /// Protocol version: 3.1, 3.1.1, 5 or auto. A CONNECT in the input decides for the packets
    /// after it; auto decodes other packets as 3.1.1 and 5.0 and keeps the clean reading.
    #[arg(long, value_name = "VERSION", default_value = "auto")]
    pub protocol: String,
    /// Who sent the packets. Turns on the checks that depend on it (in 5.0: a Subscription
    /// Identifier in a client's PUBLISH, a Session Expiry Interval in a server's DISCONNECT).
    #[arg(long, value_enum, value_name = "SIDE")]
    pub from: Option<Sender>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Re-encode each packet and report whether the bytes come out identical.
    #[arg(long)]
    pub roundtrip: bool,
    /// How PUBLISH payloads are shown.
    #[arg(long, value_enum, default_value_t)]
    pub payload: PayloadChoice,
    /// Colour.
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Show passwords and authentication data instead of ********.
    #[arg(long)]
    pub show_secrets: bool,
}

/// `pcap --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum PcapFormat {
    /// One line per packet (a table on a terminal); `-V` adds each packet's field tree.
    #[default]
    Summary,
    /// One JSON document: every record, then the summary.
    Json,
    /// One JSON record per line (packets, transport events, then the summary).
    Jsonl,
}

/// Arguments of `pcap`.
#[derive(ClapArgs, Debug)]
pub struct PcapArgs {
    /// Capture files (pcap or pcapng); `-` reads stdin (`tcpdump -w - | mqtt-dissect pcap -`).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Another TCP port that carries MQTT (1883 always does). Repeatable.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// Another TCP port that carries MQTT over TLS (8883 always does). Repeatable.
    #[arg(long = "tls-port", value_name = "PORT")]
    pub tls_ports: Vec<u16>,
    /// A TCP port that carries MQTT over WebSocket, for connections whose handshake was not
    /// captured: they are decoded as WebSocket frames from their first byte. (A captured
    /// handshake is recognised on any port.) Repeatable.
    #[arg(long = "ws-port", value_name = "PORT")]
    pub ws_ports: Vec<u16>,
    /// A TLS key log (the NSS format that SSLKEYLOGFILE, Python's keylog_filename and
    /// Wireshark's tls.keylog_file use): MQTT over TLS whose session is in it is decrypted
    /// and decoded (TLS 1.3, and TLS 1.2 with AES-GCM, ChaCha20-Poly1305 or AES-CBC).
    #[arg(long = "tls-keylog", value_name = "FILE")]
    pub tls_keylog: Option<PathBuf>,
    /// Version for connections whose CONNECT was not captured: 3.1, 3.1.1, 5 or auto.
    #[arg(long, value_name = "VERSION", default_value = "auto")]
    pub protocol: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: PcapFormat,
    /// Show the full field tree of each packet (summary format).
    #[arg(short = 'V', long)]
    pub verbose: bool,
    /// Only these packet types (comma-separated: publish,subscribe). Repeatable.
    #[arg(long = "type", value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only connections whose client identifier is ID.
    #[arg(long, value_name = "ID")]
    pub client: Option<String>,
    /// Only PUBLISH, SUBSCRIBE and UNSUBSCRIBE packets whose topic matches FILTER (MQTT
    /// wildcards + and #).
    #[arg(long, value_name = "FILTER")]
    pub topic: Option<String>,
    /// Only connection number N (as numbered in the output). Repeatable.
    #[arg(long = "conn", value_name = "N")]
    pub conns: Vec<u64>,
    /// Only packets with diagnostics, and transport problems (gaps, undecodable bytes).
    #[arg(long)]
    pub problems: bool,
    /// How PUBLISH payloads are shown in field trees.
    #[arg(long, value_enum, default_value_t)]
    pub payload: PayloadChoice,
    /// Colour.
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Show passwords and authentication data instead of ********.
    #[arg(long)]
    pub show_secrets: bool,
    /// Instead of the packet list: per connection (outcome, flows, problems), per topic and
    /// per packet type statistics, and the problems grouped by kind. With --format json, the
    /// same as JSON. The packet filters do not apply.
    #[arg(long)]
    pub stats: bool,
    /// Exit with status 1 when a protocol error or a failure reason code is found (for CI),
    /// and list them; exit 0 otherwise. Prints only that list unless --stats is given too.
    #[arg(long)]
    pub check: bool,
    /// Threads: 1 does everything on one. More: one thread reads and decodes while others
    /// format the output (JSON: N of them; the summary: one) or, with --stats/--check, run
    /// the analysis. Default: the number of cores, up to 4 (1 with --stats/--check, where a
    /// second thread did not pay). The output is the same.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// Arguments of `codes`.
#[derive(ClapArgs, Debug)]
pub struct CodesArgs {
    /// A code, in hex (0x86) or decimal (134).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
    /// Only the codes this packet type uses (connack, puback, suback, disconnect…).
    #[arg(long, value_name = "PACKET")]
    pub packet: Option<String>,
    /// Only this protocol version's codes: 3.1, 3.1.1 or 5.
    #[arg(long, value_name = "VERSION")]
    pub protocol: Option<String>,
}

/// How `build` and `encode` print bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum BytesFormat {
    /// `10 0C 00 04`.
    #[default]
    Spaced,
    /// A C array: `{0x10, 0x0C, 0x00, 0x04}`.
    C,
    /// Bare hex: `100C0004`.
    Raw,
    /// An escaped string: `\x10\x0C\x00\x04`.
    Escaped,
}

/// Options every `build` packet takes.
#[derive(ClapArgs, Debug, Clone)]
pub struct BuildCommon {
    /// Protocol version: 3.1, 3.1.1 or 5.
    #[arg(long, value_name = "VERSION", default_value = "3.1.1")]
    pub protocol: String,
    /// An MQTT 5 property, NAME=VALUE (session_expiry_interval=60, content_type=text/plain,
    /// user_property=key=value; binary values as text or hex:0a0b). Repeatable.
    #[arg(long = "property", value_name = "NAME=VALUE")]
    pub properties: Vec<String>,
    /// How to print the bytes.
    #[arg(long, value_enum, default_value_t)]
    pub format: BytesFormat,
}

/// The packets `build` makes.
#[derive(Subcommand, Debug)]
pub enum BuildCommand {
    /// CONNECT.
    Connect(BuildConnect),
    /// CONNACK.
    Connack(BuildConnack),
    /// PUBLISH.
    Publish(BuildPublish),
    /// PUBACK.
    Puback(BuildAck),
    /// PUBREC.
    Pubrec(BuildAck),
    /// PUBREL.
    Pubrel(BuildAck),
    /// PUBCOMP.
    Pubcomp(BuildAck),
    /// SUBSCRIBE.
    Subscribe(BuildSubscribe),
    /// UNSUBSCRIBE.
    Unsubscribe(BuildUnsubscribe),
    /// PINGREQ.
    Pingreq(BuildPlain),
    /// PINGRESP.
    Pingresp(BuildPlain),
    /// DISCONNECT.
    Disconnect(BuildDisconnect),
}

/// `build connect`.
#[derive(ClapArgs, Debug)]
pub struct BuildConnect {
    /// Client identifier.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// User name.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Password.
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,
    /// Keep alive in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub keep_alive: u16,
    /// Set Clean Session (3.x) / Clean Start (5.0).
    #[arg(long)]
    pub clean: bool,
    /// Will topic (sets the Will Flag).
    #[arg(long, value_name = "TOPIC")]
    pub will_topic: Option<String>,
    /// Will message.
    #[arg(long, value_name = "MESSAGE", requires = "will_topic")]
    pub will_message: Option<String>,
    /// Will QoS.
    #[arg(long, value_name = "QOS", default_value_t = 0, requires = "will_topic")]
    pub will_qos: u8,
    /// Will Retain.
    #[arg(long, requires = "will_topic")]
    pub will_retain: bool,
    /// A Will property (MQTT 5), NAME=VALUE. Repeatable.
    #[arg(
        long = "will-property",
        value_name = "NAME=VALUE",
        requires = "will_topic"
    )]
    pub will_properties: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build connack`.
#[derive(ClapArgs, Debug)]
pub struct BuildConnack {
    /// Session Present.
    #[arg(long)]
    pub session_present: bool,
    /// Return code (3.x) or reason code (5.0), e.g. 0, 1, 0x84.
    #[arg(long, value_name = "CODE", default_value = "0")]
    pub code: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build publish`.
#[derive(ClapArgs, Debug)]
pub struct BuildPublish {
    /// Topic name.
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// Payload, as text.
    #[arg(long, value_name = "TEXT", conflicts_with = "message_hex")]
    pub message: Option<String>,
    /// Payload, as hex.
    #[arg(long, value_name = "HEX")]
    pub message_hex: Option<String>,
    /// QoS 0, 1 or 2.
    #[arg(long, default_value_t = 0)]
    pub qos: u8,
    /// RETAIN flag.
    #[arg(long)]
    pub retain: bool,
    /// DUP flag.
    #[arg(long)]
    pub dup: bool,
    /// Packet identifier (QoS 1 and 2; default 1).
    #[arg(long, value_name = "ID")]
    pub packet_id: Option<u16>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build puback|pubrec|pubrel|pubcomp`.
#[derive(ClapArgs, Debug)]
pub struct BuildAck {
    /// Packet identifier.
    #[arg(long, value_name = "ID")]
    pub packet_id: u16,
    /// Reason code (MQTT 5), e.g. 0x10.
    #[arg(long, value_name = "CODE", default_value = "0")]
    pub reason_code: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build subscribe`.
#[derive(ClapArgs, Debug)]
pub struct BuildSubscribe {
    /// Topic filter with an optional maximum QoS: `a/+/c:1`. Repeatable.
    #[arg(long = "topic", value_name = "FILTER[:QOS]", required = true)]
    pub topics: Vec<String>,
    /// QoS for filters given without one.
    #[arg(long, default_value_t = 0)]
    pub qos: u8,
    /// No Local (MQTT 5), for every filter.
    #[arg(long)]
    pub no_local: bool,
    /// Retain As Published (MQTT 5), for every filter.
    #[arg(long)]
    pub retain_as_published: bool,
    /// Retain Handling 0, 1 or 2 (MQTT 5), for every filter.
    #[arg(long, default_value_t = 0)]
    pub retain_handling: u8,
    /// Packet identifier.
    #[arg(long, value_name = "ID", default_value_t = 1)]
    pub packet_id: u16,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build unsubscribe`.
#[derive(ClapArgs, Debug)]
pub struct BuildUnsubscribe {
    /// Topic filter. Repeatable.
    #[arg(long = "topic", value_name = "FILTER", required = true)]
    pub topics: Vec<String>,
    /// Packet identifier.
    #[arg(long, value_name = "ID", default_value_t = 1)]
    pub packet_id: u16,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build pingreq|pingresp`.
#[derive(ClapArgs, Debug)]
pub struct BuildPlain {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// `build disconnect`.
#[derive(ClapArgs, Debug)]
pub struct BuildDisconnect {
    /// Reason code (MQTT 5), e.g. 0x04.
    #[arg(long, value_name = "CODE", default_value = "0")]
    pub reason_code: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: BuildCommon,
}

/// Arguments of `encode`.
#[derive(ClapArgs, Debug)]
pub struct EncodeArgs {
    /// The JSON file (`-` or none: stdin).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// How to print the bytes.
    #[arg(long, value_enum, default_value_t)]
    pub format: BytesFormat,
}

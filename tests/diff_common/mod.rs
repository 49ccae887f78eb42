//! Shared pieces of the differential tests (`tests/diff_*.rs`): where the inputs are, how
//! to run our binary, the divergence list (testdata/divergences.md) that every allowed
//! difference must name, and the agreement counters each test prints.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Our CLI.
pub const BIN: &str = env!("CARGO_BIN_EXE_mqtt-dissect");

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// ../shared/captures, when it is there.
pub fn shared_captures() -> Option<PathBuf> {
    let p = root().join("../shared/captures");
    p.is_dir().then_some(p)
}

/// A capture's name for messages: relative to the repository, or to ../shared.
pub fn display(p: &Path) -> String {
    let r = root();
    if let Ok(s) = p.strip_prefix(&r) {
        return s.display().to_string();
    }
    if let Ok(s) = p.strip_prefix(r.join("..")) {
        return format!("../{}", s.display());
    }
    p.display().to_string()
}

fn walk_captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_captures(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng")
        ) {
            out.push(p);
        }
    }
}

/// Every capture: testdata/captures, then ../shared/captures (skipped when absent).
pub fn captures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk_captures(&root().join("testdata/captures"), &mut out);
    match shared_captures() {
        Some(s) => walk_captures(&s, &mut out),
        None => eprintln!("note: ../shared/captures is absent; only testdata/captures is compared"),
    }
    out
}

/// True when CI asked for the external tools to be present (`MQTT_DISSECT_DIFF_REQUIRE=1`,
/// set by .ci/run after installing them): a missing tool then fails instead of skipping.
pub fn tools_required() -> bool {
    std::env::var("MQTT_DISSECT_DIFF_REQUIRE").is_ok_and(|v| v == "1")
}

/// Skips (returns false) or, when tools are required, fails.
pub fn tool_missing(what: &str) -> bool {
    assert!(
        !tools_required(),
        "{what} is missing but MQTT_DISSECT_DIFF_REQUIRE=1 (.ci/run installs it)"
    );
    eprintln!(
        "skipping: {what} is not available (set MQTT_DISSECT_DIFF_REQUIRE=1 to fail instead)"
    );
    false
}

/// Runs `mqtt-dissect pcap FILE --format jsonl --show-secrets` and returns the packet records.
/// The key log that comes with a capture of MQTT over TLS (`x.pcap` → `x.keylog`).
pub fn keylog_of(path: &Path) -> Option<PathBuf> {
    Some(path.with_extension("keylog")).filter(|k| k.is_file())
}

pub fn our_pcap_packets(path: &Path, extra: &[&str]) -> Vec<Value> {
    let mut cmd = Command::new(BIN);
    cmd.arg("pcap").arg(path);
    if let Some(k) = keylog_of(path) {
        cmd.arg("--tls-keylog").arg(k);
    }
    let out = cmd
        .args(["--format", "jsonl", "--show-secrets", "--color", "never"])
        .args(extra)
        .output()
        .expect("run mqtt-dissect pcap");
    let text = String::from_utf8(out.stdout).expect("jsonl is UTF-8");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .filter(|r| r["record"] == "packet")
        .collect()
}

/// The packet's bytes, rebuilt from the top-level fields' offsets and raw hex (None when
/// the fields do not cover the whole packet, e.g. a truncated one).
pub fn packet_bytes(packet: &Value) -> Option<Vec<u8>> {
    let len = packet["length"].as_u64()? as usize;
    let mut buf = vec![0u8; len];
    let mut covered = vec![false; len];
    for f in packet["fields"].as_array()? {
        let off = f["offset"].as_u64()? as usize;
        let raw = hex::decode(f["raw"].as_str()?).ok()?;
        if off + raw.len() > len {
            return None;
        }
        buf[off..off + raw.len()].copy_from_slice(&raw);
        covered[off..off + raw.len()]
            .iter_mut()
            .for_each(|c| *c = true);
    }
    covered.iter().all(|c| *c).then_some(buf)
}

/// The entries of testdata/divergences.md: `### ID: title` headings. Each must cite the
/// spec (a `[MQTT-…]` statement or a `§` section) in its body.
pub struct Divergences {
    ids: BTreeMap<String, String>,
    used: BTreeMap<String, usize>,
}

impl Divergences {
    pub fn load() -> Divergences {
        let text = std::fs::read_to_string(root().join("testdata/divergences.md"))
            .expect("testdata/divergences.md");
        let mut ids = BTreeMap::new();
        let mut current: Option<(String, String)> = None;
        for line in text.lines().chain(std::iter::once("### END: end")) {
            if let Some(h) = line.strip_prefix("### ") {
                if let Some((id, body)) = current.take() {
                    assert!(
                        body.contains("[MQTT-") || body.contains('§'),
                        "divergence {id} cites no spec statement or section"
                    );
                    ids.insert(id, body);
                }
                let id = h.split(':').next().unwrap_or("").trim().to_string();
                current = Some((id, String::new()));
            } else if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        Divergences {
            ids,
            used: BTreeMap::new(),
        }
    }

    /// Records that a difference was allowed by entry `id` (which must exist).
    pub fn allow(&mut self, id: &str) {
        assert!(
            self.ids.contains_key(id),
            "divergence {id} is used by a test but has no entry in testdata/divergences.md"
        );
        *self.used.entry(id.to_string()).or_default() += 1;
    }

    pub fn report(&self, what: &str) {
        for (id, n) in &self.used {
            eprintln!("{what}: allowed divergence {id}: {n} difference(s)");
        }
    }

    pub fn ids(&self) -> BTreeSet<String> {
        self.ids.keys().cloned().collect()
    }
}

/// Agreement counters.
#[derive(Default, Debug)]
pub struct Tally {
    pub packets: usize,
    pub fields: usize,
    pub agreed: usize,
    pub allowed: usize,
    pub unexplained: Vec<String>,
}

impl Tally {
    pub fn print(&self, what: &str) {
        let pct = if self.fields == 0 {
            100.0
        } else {
            100.0 * self.agreed as f64 / self.fields as f64
        };
        let line = format!(
            "{what}: {} packets compared, {} fields compared, {} agree ({pct:.2}%); {} documented differences (values, or fields/packets only one side shows), {} unexplained",
            self.packets,
            self.fields,
            self.agreed,
            self.allowed,
            self.unexplained.len()
        );
        println!("{line}");
        eprintln!("{line}");
    }

    /// Fails with every unexplained difference (the first 60 of them; MQTT_DISSECT_DIFF_ALL=1 shows all).
    pub fn check(&self, what: &str) {
        if !self.unexplained.is_empty() {
            let shown: Vec<&str> = self
                .unexplained
                .iter()
                .take(if std::env::var_os("MQTT_DISSECT_DIFF_ALL").is_some() {
                    usize::MAX
                } else {
                    60
                })
                .map(|s| s.as_str())
                .collect();
            panic!(
                "{what}: {} unexplained difference(s) (fix our decoder, or add a classified entry to testdata/divergences.md):\n{}",
                self.unexplained.len(),
                shown.join("\n")
            );
        }
    }
}

//! Data flows one way: transport → dissect → codec → present → cli. A layer may use the
//! layers below it, never one above (codec is pure and uses nothing else).

use std::path::Path;

/// Every `crate::X` path mentioned in the .rs files under `dir`.
fn crate_refs(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            crate_refs(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for (i, line) in text.lines().enumerate() {
                let mut rest = line;
                while let Some(at) = rest.find("crate::") {
                    let tail = &rest[at + 7..];
                    let module: String = tail
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    rest = &tail[module.len()..];
                    out.push((format!("{}:{}", p.display(), i + 1), module));
                }
            }
        }
    }
}

fn assert_uses_only(layer: &str, allowed: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let mut refs = Vec::new();
    crate_refs(&root, &mut refs);
    let bad: Vec<_> = refs
        .iter()
        .filter(|(_, m)| m != layer && !allowed.contains(&m.as_str()))
        .collect();
    assert!(
        bad.is_empty(),
        "{layer} reaches into another layer: {bad:#?}"
    );
}

#[test]
fn codec_is_pure() {
    assert_uses_only("codec", &[]);
}

#[test]
fn transport_knows_nothing_of_mqtt() {
    assert_uses_only("transport", &[]);
}

#[test]
fn dissect_sits_on_transport_and_codec() {
    assert_uses_only("dissect", &["transport", "codec"]);
}

#[test]
fn present_does_not_reach_into_the_cli() {
    assert_uses_only("present", &["codec", "dissect", "transport"]);
}

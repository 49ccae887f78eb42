use mqtt_dissect::codec::{decode, DecodeOptions, ProtocolVersion};
fn show(n: &mqtt_dissect::codec::tree::Node, depth: usize) {
    println!(
        "{:indent$}{:>4}+{:<3} {} = {:?} {:?} {:?}",
        "",
        n.offset,
        n.len,
        n.field.id,
        n.value,
        n.meaning.as_ref().map(|m| &m.name),
        n.diagnostics,
        indent = depth * 2
    );
    for c in &n.children {
        show(c, depth + 1);
    }
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let v = ProtocolVersion::parse(&args[1]).unwrap();
    let bytes = hex::decode(args[2].replace(' ', "")).unwrap();
    let d = decode(&bytes, &DecodeOptions::new(v));
    for n in &d.tree {
        show(n, 0);
    }
    for x in &d.diagnostics {
        println!("{x}");
    }
    println!("{:#?}", d.packet);
}

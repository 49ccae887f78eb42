fn main() {
    println!("mqtt-dissect: work in progress");
}

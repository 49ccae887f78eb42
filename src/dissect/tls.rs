//! Recognising TLS on an MQTT connection, and the server name a client asked for.

/// True when `data` starts like a TLS handshake record (ClientHello or ServerHello).
pub fn looks_like_tls(data: &[u8]) -> bool {
    matches!(data, [0x16, 0x03, minor, ..] if *minor <= 0x04)
}

/// Largest TLS record with its header (2^14 bytes of plaintext, plus expansion).
pub const MAX_RECORD: usize = 5 + (1 << 14) + 2048;

/// True when `data` holds a whole TLS record (header and the body its length announces).
pub fn record_complete(data: &[u8]) -> bool {
    match data {
        [_, _, _, h, l, rest @ ..] => rest.len() >= usize::from(u16::from_be_bytes([*h, *l])),
        _ => false,
    }
}

/// The Server Name Indication of a TLS ClientHello at the start of `data`, when the whole
/// hello is there. Every length is checked against what is present.
pub fn client_hello_sni(data: &[u8]) -> Option<String> {
    let mut r = Reader(data);
    r.take(5)?; // record header: type, version, length
    if r.u8()? != 1 {
        return None; // not a ClientHello
    }
    r.take(3)?; // handshake length
    r.take(2 + 32)?; // client version, random
    let sid = r.u8()?;
    r.take(sid.into())?;
    let suites = r.u16()?;
    r.take(suites.into())?;
    let comp = r.u8()?;
    r.take(comp.into())?;
    let ext_len = r.u16()?;
    let mut exts = Reader(r.take(ext_len.into())?);
    while !exts.0.is_empty() {
        let ty = exts.u16()?;
        let len = exts.u16()?;
        let body = exts.take(len.into())?;
        if ty == 0 {
            let mut list = Reader(body);
            let list_len = list.u16()?;
            let mut names = Reader(list.take(list_len.into())?);
            while !names.0.is_empty() {
                let kind = names.u8()?;
                let n = names.u16()?;
                let name = names.take(n.into())?;
                if kind == 0 {
                    return Some(crate::codec::text::escape_bytes(name));
                }
            }
        }
    }
    None
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ClientHello carrying SNI "broker.example".
    pub(crate) fn hello(name: &str) -> Vec<u8> {
        let mut sni = vec![0x00];
        sni.extend((name.len() as u16).to_be_bytes());
        sni.extend(name.as_bytes());
        let mut list = ((sni.len()) as u16).to_be_bytes().to_vec();
        list.extend(sni);
        let mut ext = vec![0x00, 0x00];
        ext.extend((list.len() as u16).to_be_bytes());
        ext.extend(list);
        let mut body = vec![0x03, 0x03];
        body.extend([0u8; 32]);
        body.extend([0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
        body.extend((ext.len() as u16).to_be_bytes());
        body.extend(ext);
        let mut hs = vec![0x01, 0x00];
        hs.extend((body.len() as u16).to_be_bytes());
        hs.extend(body);
        let mut rec = vec![0x16, 0x03, 0x01];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }

    #[test]
    fn sni_from_client_hello() {
        let h = hello("broker.example");
        assert!(looks_like_tls(&h));
        assert_eq!(client_hello_sni(&h).as_deref(), Some("broker.example"));
        for n in 0..h.len() {
            assert_eq!(client_hello_sni(&h[..n]), None);
        }
        assert!(!looks_like_tls(&[0x10, 0x0c, 0x00]));
        assert!(record_complete(&h));
        assert!(!record_complete(&h[..h.len() - 1]));
    }
}

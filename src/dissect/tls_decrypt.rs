//! MQTT over TLS, decrypted with the secrets a client or broker logged: the NSS key log
//! format that `SSLKEYLOGFILE` (curl, Firefox, Chrome, NSS), Python's
//! `SSLContext.keylog_filename`, Node's `keylog` event, OpenSSL's keylog callback, Go's
//! `KeyLogWriter` and rustls's `KeyLogFile` write, and that Wireshark reads.
//!
//! TLS 1.3 (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) and the TLS 1.2 suites with
//! AES-GCM, ChaCha20-Poly1305 or AES-CBC and HMAC-SHA1/256/384 (MAC then encrypt, or
//! encrypt then MAC, RFC 7366), with RSA, (EC)DHE or PSK key exchange, are decrypted; other
//! suites (CCM, TLS 1.0 and 1.1) are reported by name, not decrypted. The cryptography is
//! RustCrypto's (`aes-gcm`, `chacha20poly1305`, `aes`, `cbc`, `hkdf`, `hmac`, `sha1`, `sha2`).
//!
//! A [`TlsDecryptor`] reads one connection's TLS records in both directions: the hellos in
//! clear (client random, server random, cipher suite, version), then the protected records,
//! each authenticated (AEAD tag or HMAC) before its bytes are used. What comes out is each
//! direction's application data, in order, with its offset in that decrypted stream.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use ccm::consts::{U12, U16, U8};
use ccm::Ccm;
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};
use std::collections::HashMap;
use std::sync::Arc;

use crate::transport::Side;

/// Largest record body: 2^14 bytes of plaintext plus the most expansion allowed (RFC 8446
/// 5.2, RFC 5246 6.2.3).
const MAX_BODY: usize = (1 << 14) + 2048;
/// TLS 1.3 records skipped when only the application secret was logged (the encrypted
/// handshake takes a few); past this, the secret is taken to be wrong.
const MAX_SKIPPED: u32 = 32;
/// Largest handshake message kept while it spans records (hellos, certificates).
const MAX_HANDSHAKE: usize = 1 << 16;

/// The secrets of a key log, by client random.
#[derive(Debug, Default)]
pub struct KeyLog {
    /// TLS 1.2 and earlier: the 48-byte master secret.
    master: HashMap<[u8; 32], Vec<u8>>,
    /// TLS 1.3: the traffic secrets.
    tls13: HashMap<[u8; 32], Tls13Secrets>,
    /// Lines not understood (neither a comment nor a known label with hex values).
    pub bad_lines: usize,
}

#[derive(Debug, Default, Clone)]
struct Tls13Secrets {
    client_handshake: Option<Vec<u8>>,
    server_handshake: Option<Vec<u8>>,
    client_app: Option<Vec<u8>>,
    server_app: Option<Vec<u8>>,
}

impl KeyLog {
    /// Reads a key log. Comments, blank lines and labels not used here (`EXPORTER_SECRET`,
    /// early traffic secrets) are skipped; malformed lines are counted in `bad_lines`.
    pub fn parse(text: &str) -> KeyLog {
        let mut log = KeyLog::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_ascii_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                log.bad_lines += 1;
                continue;
            };
            let (Some(random), Some(secret)) = (hex32(random), hex::decode(secret).ok()) else {
                log.bad_lines += 1;
                continue;
            };
            let slot: fn(&mut Tls13Secrets) -> &mut Option<Vec<u8>> = match label {
                "CLIENT_RANDOM" if secret.len() == 48 => {
                    log.master.insert(random, secret);
                    continue;
                }
                "CLIENT_RANDOM" => {
                    log.bad_lines += 1;
                    continue;
                }
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => |t: &mut Tls13Secrets| &mut t.client_handshake,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => |t: &mut Tls13Secrets| &mut t.server_handshake,
                "CLIENT_TRAFFIC_SECRET_0" => |t: &mut Tls13Secrets| &mut t.client_app,
                "SERVER_TRAFFIC_SECRET_0" => |t: &mut Tls13Secrets| &mut t.server_app,
                _ => continue,
            };
            *slot(log.tls13.entry(random).or_default()) = Some(secret);
        }
        log
    }

    /// Client randoms with secrets.
    pub fn sessions(&self) -> usize {
        self.master.len() + self.tls13.len()
    }
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    hex::decode(s).ok()?.try_into().ok()
}

/// What a decryptor reports besides data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsNote {
    /// The key log has this session's secrets: its records are decrypted from here.
    Decrypting {
        /// 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3).
        version: u16,
        /// The cipher suite.
        suite: u16,
    },
    /// The key log has no secret for this session's client random.
    NoKey {
        /// The ClientHello's random, in hex (what to look for in the key log).
        client_random: String,
    },
    /// The session uses a cipher suite not decrypted here.
    UnsupportedSuite {
        /// The version negotiated.
        version: u16,
        /// The suite.
        suite: u16,
    },
    /// A record failed authentication with every key it could have: the key log holds
    /// other secrets for this client random, or the bytes were changed. The direction is
    /// not decrypted further.
    DecryptFailed {
        /// Protected records of the direction before it.
        record: u64,
    },
    /// The record layer broke: an impossible record length or content type, bytes lost in
    /// a gap. The direction is not decrypted further.
    RecordError {
        /// What was wrong.
        what: &'static str,
    },
    /// An alert: 1 warning, 2 fatal; `description` as in RFC 8446 6.
    Alert {
        /// Level.
        level: u8,
        /// Description code.
        description: u8,
    },
}

impl TlsNote {
    /// Notes that are problems: failures and fatal alerts (a close_notify is not).
    pub fn is_problem(&self) -> bool {
        match self {
            TlsNote::DecryptFailed { .. } | TlsNote::RecordError { .. } => true,
            TlsNote::Alert { level, description } => *level == 2 || *description != 0,
            _ => false,
        }
    }
}

/// What a decryptor hands on.
#[derive(Debug)]
pub enum TlsOut<'a> {
    /// Decrypted application data of the direction, at `offset` in its decrypted stream.
    Data {
        /// The bytes.
        bytes: &'a [u8],
        /// Where they start.
        offset: u64,
    },
    /// Something to report, at `offset` in the direction's TLS stream.
    Note {
        /// What.
        note: TlsNote,
    },
}

/// The name of a cipher suite (IANA), for the suites a key log helps with and the common
/// ones it does not.
pub fn suite_name(suite: u16) -> String {
    let name = match suite {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0x1305 => "TLS_AES_128_CCM_8_SHA256",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x00a8 => "TLS_PSK_WITH_AES_128_GCM_SHA256",
        0x00a9 => "TLS_PSK_WITH_AES_256_GCM_SHA384",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xccab => "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
        0xccac => "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        0x008c => "TLS_PSK_WITH_AES_128_CBC_SHA",
        0x008d => "TLS_PSK_WITH_AES_256_CBC_SHA",
        0x00af => "TLS_PSK_WITH_AES_256_CBC_SHA384",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xc035 => "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
        0xc036 => "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
        0xc037 => "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
        0xc038 => "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x00ae => "TLS_PSK_WITH_AES_128_CBC_SHA256",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc09c => "TLS_RSA_WITH_AES_128_CCM",
        0xc09d => "TLS_RSA_WITH_AES_256_CCM",
        0xc09e => "TLS_DHE_RSA_WITH_AES_128_CCM",
        0xc09f => "TLS_DHE_RSA_WITH_AES_256_CCM",
        0xc0a0 => "TLS_RSA_WITH_AES_128_CCM_8",
        0xc0a1 => "TLS_RSA_WITH_AES_256_CCM_8",
        0xc0a2 => "TLS_DHE_RSA_WITH_AES_128_CCM_8",
        0xc0a3 => "TLS_DHE_RSA_WITH_AES_256_CCM_8",
        0xc0a4 => "TLS_PSK_WITH_AES_128_CCM",
        0xc0a5 => "TLS_PSK_WITH_AES_256_CCM",
        0xc0a6 => "TLS_DHE_PSK_WITH_AES_128_CCM",
        0xc0a7 => "TLS_DHE_PSK_WITH_AES_256_CCM",
        0xc0a8 => "TLS_PSK_WITH_AES_128_CCM_8",
        0xc0a9 => "TLS_PSK_WITH_AES_256_CCM_8",
        0xc0aa => "TLS_PSK_DHE_WITH_AES_128_CCM_8",
        0xc0ab => "TLS_PSK_DHE_WITH_AES_256_CCM_8",
        0xc0ac => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        0xc0ad => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        0xc0ae => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        0xc0af => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        0xd001 => "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256",
        0xd002 => "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384",
        0xd003 => "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256",
        0xd005 => "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256",
        _ => return format!("cipher suite 0x{suite:04x}"),
    };
    name.to_string()
}

/// "TLS 1.3", "TLS 1.2"…
pub fn version_name(v: u16) -> String {
    match v {
        0x0304 => "TLS 1.3".into(),
        0x0303 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        v => format!("TLS version 0x{v:04x}"),
    }
}

/// The alert description's name (RFC 8446 6, RFC 5246 7.2).
pub fn alert_name(d: u8) -> &'static str {
    match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown alert",
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Algo {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20,
    /// AES-CCM (RFC 6655, 7251, 8446): key length 16 or 32, tag length 16 or 8 (CCM_8).
    Ccm(usize, usize),
    /// TLS 1.2 AES-CBC with an HMAC (key length 16 or 32).
    Cbc(usize, MacAlg),
}

impl Algo {
    fn key_len(self) -> usize {
        match self {
            Algo::Aes128Gcm => 16,
            Algo::Cbc(k, _) | Algo::Ccm(k, _) => k,
            _ => 32,
        }
    }
}

/// The HMAC of a CBC suite.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    fn len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }

    /// HMAC(key, parts…) equals `tag`.
    fn verifies(self, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
        fn check<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
            let Ok(mut m) = <M as KeyInit>::new_from_slice(key) else {
                return false;
            };
            for p in parts {
                m.update(p);
            }
            m.verify_slice(tag).is_ok()
        }
        match self {
            MacAlg::Sha1 => check::<Hmac<Sha1>>(key, parts, tag),
            MacAlg::Sha256 => check::<Hmac<Sha256>>(key, parts, tag),
            MacAlg::Sha384 => check::<Hmac<Sha384>>(key, parts, tag),
        }
    }
}

/// The cipher (an AEAD, or AES-CBC with an HMAC) and PRF hash of a suite this module decrypts.
fn suite_params(version: u16, suite: u16) -> Option<(Algo, Hash)> {
    let p = match (version, suite) {
        (0x0304, 0x1301) => (Algo::Aes128Gcm, Hash::Sha256),
        (0x0304, 0x1302) => (Algo::Aes256Gcm, Hash::Sha384),
        (0x0304, 0x1303) => (Algo::ChaCha20, Hash::Sha256),
        (0x0304, 0x1304) => (Algo::Ccm(16, 16), Hash::Sha256),
        (0x0304, 0x1305) => (Algo::Ccm(16, 8), Hash::Sha256),
        (0x0304, _) => return None,
        (_, 0x009c | 0x009e | 0x00a8 | 0xc02b | 0xc02f | 0xd001) => (Algo::Aes128Gcm, Hash::Sha256),
        (_, 0x009d | 0x009f | 0x00a9 | 0xc02c | 0xc030 | 0xd002) => (Algo::Aes256Gcm, Hash::Sha384),
        (_, 0xcca8..=0xccac) => (Algo::ChaCha20, Hash::Sha256),
        // AES-CCM, all with the SHA-256 PRF (RFC 6655 4, RFC 7251 2, RFC 8442 4): in
        // 0xc09c..=0xc0af even codes are AES-128 and odd ones AES-256, in runs of four
        // (CCM, then CCM_8) but for the last two pairs.
        (_, s @ 0xc09c..=0xc0af) => {
            let key = if s % 2 == 0 { 16 } else { 32 };
            let tag = match s {
                0xc0a0..=0xc0a3 | 0xc0a8..=0xc0ab | 0xc0ae | 0xc0af => 8,
                _ => 16,
            };
            (Algo::Ccm(key, tag), Hash::Sha256)
        }
        (_, 0xd003) => (Algo::Ccm(16, 8), Hash::Sha256),
        (_, 0xd005) => (Algo::Ccm(16, 16), Hash::Sha256),
        // CBC with explicit IVs: TLS 1.2 only (1.0 chains IVs, 1.1 has another PRF).
        (0x0303, 0x002f | 0x0033 | 0xc009 | 0xc013 | 0x008c | 0xc035) => {
            (Algo::Cbc(16, MacAlg::Sha1), Hash::Sha256)
        }
        (0x0303, 0x0035 | 0x0039 | 0xc00a | 0xc014 | 0x008d | 0xc036) => {
            (Algo::Cbc(32, MacAlg::Sha1), Hash::Sha256)
        }
        (0x0303, 0x003c | 0x0067 | 0xc023 | 0xc027 | 0x00ae | 0xc037) => {
            (Algo::Cbc(16, MacAlg::Sha256), Hash::Sha256)
        }
        (0x0303, 0x003d | 0x006b) => (Algo::Cbc(32, MacAlg::Sha256), Hash::Sha256),
        (0x0303, 0xc024 | 0xc028 | 0x00af | 0xc038) => {
            (Algo::Cbc(32, MacAlg::Sha384), Hash::Sha384)
        }
        _ => return None,
    };
    Some(p)
}

/// AES-CCM with a 12-byte nonce and a tag of `T` bytes.
type AesCcm<A, T> = Ccm<A, T, U12>;

enum Aead {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
    Ccm128(Box<AesCcm<aes::Aes128, U16>>),
    Ccm256(Box<AesCcm<aes::Aes256, U16>>),
    Ccm128Short(Box<AesCcm<aes::Aes128, U8>>),
    Ccm256Short(Box<AesCcm<aes::Aes256, U8>>),
    /// Not an AEAD: TLS 1.2 AES-CBC and its HMAC.
    Cbc(Box<CbcKeys>),
}

/// A CBC suite's keys, and whether the MAC covers the ciphertext (RFC 7366).
struct CbcKeys {
    key: Vec<u8>,
    mac_key: Vec<u8>,
    mac: MacAlg,
    encrypt_then_mac: bool,
}

impl CbcKeys {
    /// Opens a TLS 1.2 CBC record (`body`: explicit IV, ciphertext, and the MAC before or
    /// after encryption) into `buf`, checking the padding and the MAC (RFC 5246 6.2.3.2).
    fn open(&self, seq: u64, header: [u8; 5], body: &[u8], buf: &mut Vec<u8>) -> bool {
        let mac_len = self.mac.len();
        let pseudo = |len: usize| {
            let mut h = [0u8; 13];
            h[..8].copy_from_slice(&seq.to_be_bytes());
            h[8..11].copy_from_slice(&header[..3]);
            h[11..].copy_from_slice(&(len as u16).to_be_bytes());
            h
        };
        let sealed = if self.encrypt_then_mac {
            let Some(split) = body.len().checked_sub(mac_len) else {
                return false;
            };
            let (sealed, tag) = body.split_at(split);
            if !self
                .mac
                .verifies(&self.mac_key, &[&pseudo(sealed.len()), sealed], tag)
            {
                return false;
            }
            sealed
        } else {
            body
        };
        let Some((iv, ct)) = sealed.split_at_checked(16) else {
            return false;
        };
        if ct.is_empty() || ct.len() % 16 != 0 || !self.decrypt(iv, ct, buf) {
            return false;
        }
        // Padding: its length in the last byte, each of its bytes equal to it.
        let pad = usize::from(buf[buf.len() - 1]);
        let Some(unpadded) = buf.len().checked_sub(pad + 1) else {
            return false;
        };
        if buf[unpadded..].iter().any(|b| usize::from(*b) != pad) {
            return false;
        }
        buf.truncate(unpadded);
        if self.encrypt_then_mac {
            return true;
        }
        let Some(plain_len) = buf.len().checked_sub(mac_len) else {
            return false;
        };
        let (plain, tag) = buf.split_at(plain_len);
        let ok = self
            .mac
            .verifies(&self.mac_key, &[&pseudo(plain_len), plain], tag);
        buf.truncate(plain_len);
        ok
    }

    fn decrypt(&self, iv: &[u8], ct: &[u8], buf: &mut Vec<u8>) -> bool {
        use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
        buf.clear();
        buf.extend_from_slice(ct);
        match self.key.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.key, iv)
                .is_ok_and(|d| d.decrypt_padded_mut::<NoPadding>(buf).is_ok()),
            32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.key, iv)
                .is_ok_and(|d| d.decrypt_padded_mut::<NoPadding>(buf).is_ok()),
            _ => false,
        }
    }
}

/// One direction's keys: the cipher, its IV (AEADs) and the record sequence number.
struct Keys {
    aead: Aead,
    /// TLS 1.3 and ChaCha20: 12 bytes XORed with the sequence number. TLS 1.2 AES-GCM: the
    /// 4-byte salt, followed by each record's explicit 8 bytes.
    iv: [u8; 12],
    seq: u64,
    /// TLS 1.3: the traffic secret, for a KeyUpdate.
    secret: Vec<u8>,
}

impl Keys {
    fn new(algo: Algo, key: &[u8], iv: &[u8], secret: Vec<u8>) -> Option<Keys> {
        let aead = match algo {
            Algo::Aes128Gcm => Aead::Aes128(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
            Algo::Aes256Gcm => Aead::Aes256(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
            Algo::ChaCha20 => Aead::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?)),
            Algo::Ccm(16, 16) => Aead::Ccm128(Box::new(AesCcm::new_from_slice(key).ok()?)),
            Algo::Ccm(32, 16) => Aead::Ccm256(Box::new(AesCcm::new_from_slice(key).ok()?)),
            Algo::Ccm(16, 8) => Aead::Ccm128Short(Box::new(AesCcm::new_from_slice(key).ok()?)),
            Algo::Ccm(32, 8) => Aead::Ccm256Short(Box::new(AesCcm::new_from_slice(key).ok()?)),
            Algo::Ccm(..) => return None,
            // Built by `keys_tls12`, which has the MAC keys.
            Algo::Cbc(..) => return None,
        };
        let mut v = [0u8; 12];
        v.get_mut(..iv.len())?.copy_from_slice(iv);
        Some(Keys {
            aead,
            iv: v,
            seq: 0,
            secret,
        })
    }

    /// TLS 1.3 keys from a traffic secret (RFC 8446 7.3).
    fn tls13(algo: Algo, hash: Hash, secret: &[u8]) -> Option<Keys> {
        let key = expand_label(hash, secret, b"key", algo.key_len())?;
        let iv = expand_label(hash, secret, b"iv", 12)?;
        Keys::new(algo, &key, &iv, secret.to_vec())
    }

    /// Opens `buf` (ciphertext and tag) in place; `nonce` and `aad` as the version wants.
    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) -> bool {
        let n = aes_gcm::Nonce::from_slice(nonce);
        match &self.aead {
            Aead::Aes128(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::Aes256(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::ChaCha(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::Ccm128(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::Ccm256(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::Ccm128Short(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::Ccm256Short(a) => a.decrypt_in_place(n, aad, buf).is_ok(),
            Aead::Cbc(_) => false,
        }
    }

    /// Bytes of the authentication tag after the ciphertext.
    fn tag_len(&self) -> usize {
        match self.aead {
            Aead::Ccm128Short(_) | Aead::Ccm256Short(_) => 8,
            _ => 16,
        }
    }

    fn xor_nonce(&self) -> [u8; 12] {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }
}

/// HKDF-Expand-Label with an empty context (RFC 8446 7.1).
fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0u8; len];
    match hash {
        Hash::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        Hash::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
    }
    Some(out)
}

/// The TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label + seed), `len` bytes.
fn prf12(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Option<Vec<u8>> {
    fn p<M: Mac + KeyInit + Clone>(secret: &[u8], seed: &[u8], len: usize) -> Option<Vec<u8>> {
        let mac = <M as KeyInit>::new_from_slice(secret).ok()?;
        let mut out = Vec::with_capacity(len + 64);
        let mut a = seed.to_vec();
        while out.len() < len {
            let mut m = mac.clone();
            m.update(&a);
            a = m.finalize().into_bytes().to_vec();
            let mut m = mac.clone();
            m.update(&a);
            m.update(seed);
            out.extend_from_slice(&m.finalize().into_bytes());
        }
        out.truncate(len);
        Some(out)
    }
    let mut s = label.to_vec();
    s.extend_from_slice(seed);
    match hash {
        Hash::Sha256 => p::<Hmac<Sha256>>(secret, &s, len),
        Hash::Sha384 => p::<Hmac<Sha384>>(secret, &s, len),
    }
}

/// Where one direction is.
#[derive(Default)]
struct Dir {
    /// The start of a record not complete yet.
    pending: Vec<u8>,
    /// Keys in use (TLS 1.2: after ChangeCipherSpec; TLS 1.3: after ServerHello).
    keys: Option<Keys>,
    /// TLS 1.3: the application keys, taken when the handshake keys stop opening records
    /// (after the Finished message).
    next: Option<Keys>,
    /// Keys are known but not in use yet (TLS 1.2 before ChangeCipherSpec).
    parked: Option<Keys>,
    /// Handshake bytes of a message that spans records (in clear).
    handshake: Vec<u8>,
    /// Decrypted application bytes handed on.
    plain_offset: u64,
    /// Protected records opened.
    records: u64,
    /// TLS 1.3 records skipped for want of handshake keys.
    skipped: u32,
    /// Nothing more is decrypted (an error, a gap, no keys).
    stopped: bool,
}

/// The state of one TLS connection.
pub struct TlsDecryptor {
    keys: Arc<KeyLog>,
    /// The side that sent the ClientHello.
    client: Option<Side>,
    dirs: [Dir; 2],
    client_random: Option<[u8; 32]>,
    version: u16,
    suite: Option<u16>,
    /// Keys are set up (or known to be missing): the hellos are no longer looked at.
    settled: bool,
    /// The ServerHello accepted encrypt_then_mac (RFC 7366): CBC records carry their MAC
    /// after the ciphertext.
    encrypt_then_mac: bool,
    /// A scratch buffer for opening records.
    scratch: Vec<u8>,
}

/// The fixed random of a HelloRetryRequest (RFC 8446 4.1.3).
const HELLO_RETRY: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

impl TlsDecryptor {
    /// A decryptor for one connection, with the secrets of `keys`.
    pub fn new(keys: Arc<KeyLog>) -> TlsDecryptor {
        TlsDecryptor {
            keys,
            client: None,
            dirs: [Dir::default(), Dir::default()],
            client_random: None,
            version: 0x0303,
            suite: None,
            settled: false,
            encrypt_then_mac: false,
            scratch: Vec::new(),
        }
    }

    /// Whether a note said what became of the session (decrypted, no key, stopped).
    pub fn reported(&self) -> bool {
        self.settled || self.dirs.iter().any(|d| d.stopped)
    }

    /// Bytes of `side`'s TCP stream lost: record boundaries are gone, so the direction stops.
    pub fn gap(&mut self, side: Side, out: &mut dyn FnMut(TlsOut<'_>)) {
        let d = &mut self.dirs[side.index()];
        if !d.stopped && (self.settled || self.client_random.is_some()) {
            d.stopped = true;
            d.pending = Vec::new();
            out(TlsOut::Note {
                note: TlsNote::RecordError {
                    what: "bytes lost in the capture: TLS records cannot be followed past them",
                },
            });
        }
    }

    /// Whether `side` is no longer decrypted.
    pub fn stopped(&self, side: Side) -> bool {
        self.dirs[side.index()].stopped
    }

    /// The next bytes of `side`'s TCP stream.
    pub fn push(&mut self, side: Side, data: &[u8], out: &mut dyn FnMut(TlsOut<'_>)) {
        if self.dirs[side.index()].stopped {
            return;
        }
        // A record cut by the last segment is completed in `pending` (kept, with its buffer,
        // from push to push); whole records in `data` are read where they are.
        let mut pending = std::mem::take(&mut self.dirs[side.index()].pending);
        let buffered = !pending.is_empty();
        if buffered {
            pending.extend_from_slice(data);
        }
        let whole: &[u8] = if buffered { &pending } else { data };
        let mut at = 0;
        while let Some(h) = whole.get(at..at + 5) {
            let (ctype, len) = (h[0], usize::from(u16::from_be_bytes([h[3], h[4]])));
            if !(20..=24).contains(&ctype) || h[1] != 3 || len > MAX_BODY {
                let what = if len > MAX_BODY {
                    "a TLS record longer than 2^14 + 2048 bytes"
                } else {
                    "bytes that are not a TLS record header"
                };
                self.stop(side, TlsNote::RecordError { what }, out);
                return;
            }
            let Some(body) = whole.get(at + 5..at + 5 + len) else {
                break;
            };
            let header = [h[0], h[1], h[2], h[3], h[4]];
            self.record(side, header, body, out);
            at += 5 + len;
            if self.dirs[side.index()].stopped {
                return;
            }
        }
        // At most one partial record is kept.
        if buffered {
            pending.drain(..at);
        } else {
            pending.extend_from_slice(&data[at..]);
        }
        self.dirs[side.index()].pending = pending;
    }

    fn stop(&mut self, side: Side, note: TlsNote, out: &mut dyn FnMut(TlsOut<'_>)) {
        let d = &mut self.dirs[side.index()];
        d.stopped = true;
        d.pending = Vec::new();
        out(TlsOut::Note { note });
    }

    fn record(
        &mut self,
        side: Side,
        header: [u8; 5],
        body: &[u8],
        out: &mut dyn FnMut(TlsOut<'_>),
    ) {
        let ctype = header[0];
        let tls13 = self.version == 0x0304;
        let protected = match ctype {
            // TLS 1.3 protects everything as application data; its ChangeCipherSpec is a
            // compatibility dummy.
            20 if tls13 => return,
            20 => {
                let d = &mut self.dirs[side.index()];
                if let Some(k) = d.parked.take() {
                    d.keys = Some(k);
                }
                return;
            }
            23 => true,
            _ => !tls13 && self.dirs[side.index()].keys.is_some(),
        };
        if !protected {
            match ctype {
                22 => self.handshake(side, body, out),
                21 => alert(body, out),
                _ => {}
            }
            return;
        }
        if !self.settled {
            // Protected records before both hellos: after the ClientHello, from the client,
            // TLS 1.3 early data (0-RTT); otherwise the capture started after the hellos.
            let what = if self.client == Some(side) {
                "0-RTT early data (protected before the ServerHello) is not decrypted, nor the session after it"
            } else {
                "the TLS handshake was not captured: the session cannot be found in the key log"
            };
            self.stop_both(TlsNote::RecordError { what }, out);
            return;
        }
        let Some(plain) = self.open(side, header, body, out) else {
            return;
        };
        let (inner, bytes) = if tls13 {
            // The content type is the last byte that is not padding.
            let end = plain.iter().rposition(|b| *b != 0);
            match end {
                Some(e) => (plain[e], &plain[..e]),
                None => {
                    self.stop(
                        side,
                        TlsNote::RecordError {
                            what: "a TLS 1.3 record with no content type",
                        },
                        out,
                    );
                    return;
                }
            }
        } else {
            (ctype, &plain[..])
        };
        match inner {
            23 => {
                let d = &mut self.dirs[side.index()];
                let offset = d.plain_offset;
                d.plain_offset += bytes.len() as u64;
                if !bytes.is_empty() {
                    out(TlsOut::Data { bytes, offset });
                }
            }
            21 => alert(bytes, out),
            22 if tls13 => self.protected_handshake(side, bytes),
            _ => {}
        }
        self.scratch = plain;
    }

    /// Opens one protected record with the direction's keys (TLS 1.3: the application keys
    /// when the handshake keys fail), or stops the direction.
    fn open(
        &mut self,
        side: Side,
        header: [u8; 5],
        body: &[u8],
        out: &mut dyn FnMut(TlsOut<'_>),
    ) -> Option<Vec<u8>> {
        let tls13 = self.version == 0x0304;
        let mut buf = std::mem::take(&mut self.scratch);
        let d = &mut self.dirs[side.index()];
        let tried = |k: &Keys, buf: &mut Vec<u8>| -> bool {
            buf.clear();
            if tls13 {
                buf.extend_from_slice(body);
                k.open(&k.xor_nonce(), &header, buf)
            } else if let Aead::Cbc(c) = &k.aead {
                c.open(k.seq, header, body, buf)
            } else {
                // AES-GCM and AES-CCM carry 8 bytes of their nonce in each record (RFC 5288
                // 3, RFC 6655 3); ChaCha20-Poly1305 derives it (RFC 7905 2).
                let explicit = !matches!(k.aead, Aead::ChaCha(_));
                let (nonce, ct) = if explicit {
                    let Some((e, ct)) = body.split_at_checked(8) else {
                        return false;
                    };
                    let mut n = k.iv;
                    n[4..].copy_from_slice(e);
                    (n, ct)
                } else {
                    (k.xor_nonce(), body)
                };
                let Some(plain_len) = ct.len().checked_sub(k.tag_len()) else {
                    return false;
                };
                let mut aad = [0u8; 13];
                aad[..8].copy_from_slice(&k.seq.to_be_bytes());
                aad[8..11].copy_from_slice(&header[..3]);
                aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
                buf.extend_from_slice(ct);
                k.open(&nonce, &aad, buf)
            }
        };
        let ok = match d.keys.as_ref() {
            Some(k) => tried(k, &mut buf),
            None => false,
        };
        if ok {
            if let Some(k) = d.keys.as_mut() {
                k.seq += 1;
            }
        } else if tls13 && d.next.as_ref().is_some_and(|k| tried(k, &mut buf)) {
            d.keys = d.next.take();
            if let Some(k) = d.keys.as_mut() {
                k.seq = 1;
            }
        } else if tls13 && d.keys.is_none() && d.skipped < MAX_SKIPPED {
            // Only the application secret was logged: a handshake record, skipped.
            d.skipped += 1;
            self.scratch = buf;
            return None;
        } else {
            let record = d.records;
            self.scratch = buf;
            self.stop(side, TlsNote::DecryptFailed { record }, out);
            return None;
        }
        d.records += 1;
        Some(buf)
    }

    /// Handshake bytes in clear: the hellos (which may span records).
    fn handshake(&mut self, side: Side, body: &[u8], out: &mut dyn FnMut(TlsOut<'_>)) {
        if self.settled {
            return;
        }
        let d = &mut self.dirs[side.index()];
        if d.handshake.len() + body.len() > MAX_HANDSHAKE {
            d.handshake = Vec::new();
            return;
        }
        d.handshake.extend_from_slice(body);
        let buf = std::mem::take(&mut d.handshake);
        let mut at = 0;
        while let Some(h) = buf.get(at..at + 4) {
            let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
            let Some(msg) = buf.get(at + 4..at + 4 + len) else {
                break;
            };
            match h[0] {
                1 => self.client_hello(side, msg),
                2 => self.server_hello(msg, out),
                _ => {}
            }
            at += 4 + len;
            if self.settled {
                return;
            }
        }
        self.dirs[side.index()].handshake = buf[at..].to_vec();
    }

    fn client_hello(&mut self, side: Side, msg: &[u8]) {
        if let Some(r) = msg.get(2..34).and_then(|r| <[u8; 32]>::try_from(r).ok()) {
            self.client = Some(side);
            self.client_random = Some(r);
        }
    }

    fn server_hello(&mut self, msg: &[u8], out: &mut dyn FnMut(TlsOut<'_>)) {
        let Some(parsed) = parse_server_hello(msg) else {
            return;
        };
        if parsed.random == HELLO_RETRY {
            // A second ClientHello (same random) and the real ServerHello follow.
            return;
        }
        self.version = parsed.version;
        self.suite = Some(parsed.suite);
        self.encrypt_then_mac = parsed.encrypt_then_mac;
        let (Some(cr), Some(client)) = (self.client_random, self.client) else {
            return;
        };
        self.settled = true;
        for d in &mut self.dirs {
            d.handshake = Vec::new();
        }
        let Some((algo, hash)) = suite_params(parsed.version, parsed.suite) else {
            self.stop_both(
                TlsNote::UnsupportedSuite {
                    version: parsed.version,
                    suite: parsed.suite,
                },
                out,
            );
            return;
        };
        let set = if parsed.version == 0x0304 {
            self.keys_tls13(cr, client, algo, hash)
        } else {
            self.keys_tls12(cr, parsed.random, client, algo, hash)
        };
        if set {
            out(TlsOut::Note {
                note: TlsNote::Decrypting {
                    version: parsed.version,
                    suite: parsed.suite,
                },
            });
        } else {
            self.stop_both(
                TlsNote::NoKey {
                    client_random: hex::encode(cr),
                },
                out,
            );
        }
    }

    fn stop_both(&mut self, note: TlsNote, out: &mut dyn FnMut(TlsOut<'_>)) {
        for d in &mut self.dirs {
            d.stopped = true;
            d.pending = Vec::new();
        }
        out(TlsOut::Note { note });
    }

    fn keys_tls13(&mut self, cr: [u8; 32], client: Side, algo: Algo, hash: Hash) -> bool {
        let Some(s) = self.keys.tls13.get(&cr).cloned() else {
            return false;
        };
        let make = |secret: &Option<Vec<u8>>| {
            secret
                .as_deref()
                .filter(|s| s.len() == hash.len())
                .and_then(|s| Keys::tls13(algo, hash, s))
        };
        let (c, srv) = (client.index(), client.other().index());
        self.dirs[c].keys = make(&s.client_handshake);
        self.dirs[c].next = make(&s.client_app);
        self.dirs[srv].keys = make(&s.server_handshake);
        self.dirs[srv].next = make(&s.server_app);
        // Only application secrets logged: the handshake records cannot be opened, and the
        // application keys are taken at the first record they open.
        self.dirs
            .iter()
            .all(|d| d.keys.is_some() || d.next.is_some())
    }

    fn keys_tls12(
        &mut self,
        cr: [u8; 32],
        sr: [u8; 32],
        client: Side,
        algo: Algo,
        hash: Hash,
    ) -> bool {
        let Some(master) = self.keys.master.get(&cr) else {
            return false;
        };
        let mut seed = sr.to_vec();
        seed.extend_from_slice(&cr);
        let k = algo.key_len();
        if let Algo::Cbc(_, mac) = algo {
            // MAC keys, then cipher keys (the fixed IVs after them are not used in 1.2).
            let m = mac.len();
            let Some(block) = prf12(hash, master, b"key expansion", &seed, 2 * m + 2 * k) else {
                return false;
            };
            let keys = |mac_key: &[u8], key: &[u8]| Keys {
                aead: Aead::Cbc(Box::new(CbcKeys {
                    key: key.to_vec(),
                    mac_key: mac_key.to_vec(),
                    mac,
                    encrypt_then_mac: self.encrypt_then_mac,
                })),
                iv: [0; 12],
                seq: 0,
                secret: Vec::new(),
            };
            let (c, srv) = (client.index(), client.other().index());
            self.dirs[c].parked = Some(keys(&block[..m], &block[2 * m..2 * m + k]));
            self.dirs[srv].parked = Some(keys(&block[m..2 * m], &block[2 * m + k..]));
            return true;
        }
        let iv_len = if algo == Algo::ChaCha20 { 12 } else { 4 };
        let Some(block) = prf12(hash, master, b"key expansion", &seed, 2 * k + 2 * iv_len) else {
            return false;
        };
        let (ck, rest) = block.split_at(k);
        let (sk, rest) = rest.split_at(k);
        let (civ, siv) = rest.split_at(iv_len);
        let (c, srv) = (client.index(), client.other().index());
        self.dirs[c].parked = Keys::new(algo, ck, civ, Vec::new());
        self.dirs[srv].parked = Keys::new(algo, sk, siv, Vec::new());
        self.dirs.iter().all(|d| d.parked.is_some())
    }

    /// A TLS 1.3 handshake message under protection: a KeyUpdate moves the direction to
    /// its next traffic secret (RFC 8446 4.6.3, 7.2). The Finished message needs nothing:
    /// the application keys are taken when the handshake keys stop opening records.
    fn protected_handshake(&mut self, side: Side, bytes: &[u8]) {
        let mut at = 0;
        while let Some(h) = bytes.get(at..at + 4) {
            let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
            if h[0] == 24 {
                let d = &mut self.dirs[side.index()];
                if let (Some(k), Some(suite)) = (d.keys.as_ref(), self.suite) {
                    if let Some((algo, hash)) = suite_params(0x0304, suite) {
                        let next = expand_label(hash, &k.secret, b"traffic upd", hash.len())
                            .and_then(|s| Keys::tls13(algo, hash, &s));
                        if next.is_some() {
                            d.keys = next;
                        }
                    }
                }
            }
            at += 4 + len;
        }
    }
}

fn alert(body: &[u8], out: &mut dyn FnMut(TlsOut<'_>)) {
    if let [level, description, ..] = body {
        out(TlsOut::Note {
            note: TlsNote::Alert {
                level: *level,
                description: *description,
            },
        });
    }
}

struct ServerHello {
    random: [u8; 32],
    version: u16,
    suite: u16,
    encrypt_then_mac: bool,
}

/// The random, the cipher suite and the version (from supported_versions in TLS 1.3).
fn parse_server_hello(msg: &[u8]) -> Option<ServerHello> {
    let legacy = u16::from_be_bytes([*msg.first()?, *msg.get(1)?]);
    let random: [u8; 32] = msg.get(2..34)?.try_into().ok()?;
    let sid = usize::from(*msg.get(34)?);
    let at = 35 + sid;
    let suite = u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]);
    let mut version = legacy;
    let mut encrypt_then_mac = false;
    // Compression method, then extensions (absent in old hellos).
    let mut p = at + 3;
    if let (Some(&a), Some(&b)) = (msg.get(p), msg.get(p + 1)) {
        let end = (p + 2 + usize::from(u16::from_be_bytes([a, b]))).min(msg.len());
        p += 2;
        while p + 4 <= end {
            let ty = u16::from_be_bytes([msg[p], msg[p + 1]]);
            let len = usize::from(u16::from_be_bytes([msg[p + 2], msg[p + 3]]));
            if ty == 43 && len == 2 && p + 6 <= end {
                version = u16::from_be_bytes([msg[p + 4], msg[p + 5]]);
            }
            encrypt_then_mac |= ty == 22;
            p += 4 + len;
        }
    }
    Some(ServerHello {
        random,
        version,
        suite,
        encrypt_then_mac,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_log_lines() {
        let log = KeyLog::parse(&format!(
            "# comment\n\nCLIENT_RANDOM {r} {m}\nCLIENT_TRAFFIC_SECRET_0 {r2} {s}\n\
             EXPORTER_SECRET {r2} {s}\nCLIENT_RANDOM {r} 00\nCLIENT_RANDOM zz {m}\ngarbage\n",
            r = "11".repeat(32),
            r2 = "22".repeat(32),
            m = "ab".repeat(48),
            s = "cd".repeat(32),
        ));
        assert_eq!((log.sessions(), log.bad_lines), (2, 3));
        assert_eq!(log.master[&[0x11; 32]], vec![0xab; 48]);
        assert_eq!(log.tls13[&[0x22; 32]].client_app, Some(vec![0xcd; 32]));
    }

    /// RFC 8448 (Example Handshake Traces for TLS 1.3), "Simple 1-RTT Handshake": the
    /// server's handshake traffic secret gives this key and IV.
    #[test]
    fn hkdf_expand_label_matches_rfc_8448() {
        let secret =
            hex::decode("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
                .unwrap();
        let key = expand_label(Hash::Sha256, &secret, b"key", 16).unwrap();
        let iv = expand_label(Hash::Sha256, &secret, b"iv", 12).unwrap();
        assert_eq!(hex::encode(key), "3fce516009c21727d0f2e4e86ee403bc");
        assert_eq!(hex::encode(iv), "5d313eb2671276ee13000b30");
    }

    /// The TLS 1.2 PRF with SHA-256, against the published test vector (IETF TLS list,
    /// "TLS 1.2 PRF test vectors").
    #[test]
    fn prf_matches_the_published_vector() {
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").unwrap();
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap();
        let out = prf12(Hash::Sha256, &secret, b"test label", &seed, 100).unwrap();
        assert_eq!(
            hex::encode(&out[..32]),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
        );
    }

    /// A hello pair: ClientHello (random 7…) from A, ServerHello choosing `suite` from B.
    fn hellos(suite: u16) -> (Vec<u8>, Vec<u8>) {
        let record = |hs: Vec<u8>| {
            let mut r = vec![0x16, 0x03, 0x03];
            r.extend_from_slice(&(hs.len() as u16).to_be_bytes());
            r.extend_from_slice(&hs);
            r
        };
        let mut ch = vec![0x01, 0x00, 0x00, 0x26, 0x03, 0x03];
        ch.extend_from_slice(&[7; 32]);
        ch.extend_from_slice(&[0x00, 0x00, 0x02]);
        ch.extend_from_slice(&suite.to_be_bytes());
        let mut sh = vec![0x02, 0x00, 0x00, 0x26, 0x03, 0x03];
        sh.extend_from_slice(&[9; 32]);
        sh.push(0x00);
        sh.extend_from_slice(&suite.to_be_bytes());
        sh.push(0x00);
        (record(ch), record(sh))
    }

    /// Feeds the pieces to `d` in order; the notes it reports.
    fn feed(d: &mut TlsDecryptor, pieces: &[(Side, &[u8])]) -> Vec<TlsNote> {
        let mut notes = Vec::new();
        for (side, bytes) in pieces {
            d.push(*side, bytes, &mut |o| {
                if let TlsOut::Note { note } = o {
                    notes.push(note)
                }
            });
        }
        notes
    }

    fn notes_of(keys: KeyLog, suite: u16) -> Vec<TlsNote> {
        let (ch, sh) = hellos(suite);
        let mut d = TlsDecryptor::new(Arc::new(keys));
        // The ClientHello in two pieces, as TCP may deliver it.
        let notes = feed(
            &mut d,
            &[(Side::A, &ch[..7]), (Side::A, &ch[7..]), (Side::B, &sh)],
        );
        assert!(d.reported());
        notes
    }

    #[test]
    fn early_data_is_named_and_so_is_a_missing_handshake() {
        let (ch, _) = hellos(0x1301);
        let early = [23, 3, 3, 0, 20]
            .iter()
            .copied()
            .chain([0; 20])
            .collect::<Vec<u8>>();
        for (first, side, want) in [(true, Side::A, "0-RTT"), (false, Side::B, "not captured")] {
            let mut d = TlsDecryptor::new(Arc::new(KeyLog::default()));
            let hello: &[(Side, &[u8])] = if first { &[(Side::A, &ch)] } else { &[] };
            let mut notes = feed(&mut d, hello);
            notes.extend(feed(&mut d, &[(side, &early)]));
            assert!(d.stopped(Side::A) && d.stopped(Side::B));
            match &notes[..] {
                [TlsNote::RecordError { what }] => assert!(what.contains(want), "{what}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_suite_not_decrypted_is_named() {
        let mut keys = KeyLog::default();
        keys.master.insert([7; 32], vec![1; 48]);
        // TLS_RSA_WITH_CAMELLIA_128_CBC_SHA.
        assert_eq!(
            notes_of(keys, 0x0041),
            vec![TlsNote::UnsupportedSuite {
                version: 0x0303,
                suite: 0x0041
            }]
        );
        assert_eq!(suite_name(0x0041), "cipher suite 0x0041");
    }

    #[test]
    fn ccm_suites_have_their_key_and_tag_lengths() {
        let p = |s| suite_params(0x0303, s).map(|(a, _)| a);
        assert_eq!(p(0xc0ac), Some(Algo::Ccm(16, 16)));
        assert_eq!(p(0xc0ad), Some(Algo::Ccm(32, 16)));
        assert_eq!(p(0xc0ae), Some(Algo::Ccm(16, 8)));
        assert_eq!(p(0xc0af), Some(Algo::Ccm(32, 8)));
        assert_eq!(p(0xc09c), Some(Algo::Ccm(16, 16)));
        assert_eq!(p(0xc0a1), Some(Algo::Ccm(32, 8)));
        assert_eq!(p(0xc0a4), Some(Algo::Ccm(16, 16)));
        assert_eq!(p(0xc0a8), Some(Algo::Ccm(16, 8)));
        assert_eq!(p(0xc0ab), Some(Algo::Ccm(32, 8)));
        assert_eq!(p(0xd003), Some(Algo::Ccm(16, 8)));
        assert_eq!(p(0xd005), Some(Algo::Ccm(16, 16)));
        assert_eq!(
            suite_params(0x0304, 0x1305),
            Some((Algo::Ccm(16, 8), Hash::Sha256))
        );
        // Every CCM suite has a name and a PRF hash of SHA-256.
        for s in (0xc09c..=0xc0af).chain([0xd003, 0xd005]) {
            assert!(suite_name(s).contains("_CCM"), "{s:04x}");
            assert_eq!(suite_params(0x0303, s).map(|(_, h)| h), Some(Hash::Sha256));
        }
    }

    /// `plain` sealed with the AEAD `A` (ciphertext, then tag), as a TLS peer would.
    fn seal<A>(key: &[u8], nonce: &[u8], aad: &[u8], plain: &[u8]) -> Vec<u8>
    where
        A: ccm::aead::AeadCore + ccm::aead::Aead + KeyInit,
    {
        let a = <A as KeyInit>::new_from_slice(key).unwrap();
        let payload = ccm::aead::Payload { msg: plain, aad };
        a.encrypt(ccm::aead::Nonce::<A>::from_slice(nonce), payload)
            .unwrap()
    }

    /// A TLS 1.2 session with an AES-CCM suite, its keys from the key log's master secret
    /// and its records sealed here with the `ccm` crate: the record opens (salt and explicit
    /// nonce, the additional data of RFC 6655, a tag of 16 or 8 bytes), and a changed byte
    /// stops the direction.
    #[test]
    fn tls12_ccm_records_open() {
        let plain = b"\x30\x05\x00\x01tx";
        for (suite, tag) in [(0xc0ac_u16, 16), (0xc0ae, 8)] {
            let master = vec![1u8; 48];
            let mut keys = KeyLog::default();
            keys.master.insert([7; 32], master.clone());
            let keys = Arc::new(keys);
            let (ch, sh) = hellos(suite);
            let mut seed = vec![9u8; 32];
            seed.extend_from_slice(&[7; 32]);
            let block = prf12(Hash::Sha256, &master, b"key expansion", &seed, 40).unwrap();
            let (ckey, civ) = (&block[..16], &block[32..36]);
            let explicit = [0, 0, 0, 0, 0, 0, 0, 0x2a];
            let mut nonce = civ.to_vec();
            nonce.extend_from_slice(&explicit);
            let mut aad = vec![0u8; 8];
            aad.extend_from_slice(&[23, 3, 3]);
            aad.extend_from_slice(&(plain.len() as u16).to_be_bytes());
            let sealed = if tag == 16 {
                seal::<AesCcm<aes::Aes128, U16>>(ckey, &nonce, &aad, plain)
            } else {
                seal::<AesCcm<aes::Aes128, U8>>(ckey, &nonce, &aad, plain)
            };
            assert_eq!(sealed.len(), plain.len() + tag);
            let mut record = vec![23, 3, 3];
            record.extend_from_slice(&((8 + sealed.len()) as u16).to_be_bytes());
            record.extend_from_slice(&explicit);
            record.extend_from_slice(&sealed);
            let run = |record: &[u8]| {
                let mut d = TlsDecryptor::new(Arc::clone(&keys));
                let (mut data, mut notes) = (Vec::new(), Vec::new());
                let ccs: &[u8] = &[20, 3, 3, 0, 1, 1];
                for (side, bytes) in [
                    (Side::A, &ch[..]),
                    (Side::B, &sh),
                    (Side::A, ccs),
                    (Side::A, record),
                ] {
                    d.push(side, bytes, &mut |o| match o {
                        TlsOut::Data { bytes, .. } => data.extend_from_slice(bytes),
                        TlsOut::Note { note } => notes.push(note),
                    });
                }
                (data, notes)
            };
            let (data, notes) = run(&record);
            assert_eq!(data, plain, "{suite:04x}");
            assert!(
                matches!(notes[..], [TlsNote::Decrypting { .. }]),
                "{notes:?}"
            );
            let mut bad = record.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            let (data, notes) = run(&bad);
            assert!(data.is_empty());
            assert!(
                matches!(
                    notes[..],
                    [
                        TlsNote::Decrypting { .. },
                        TlsNote::DecryptFailed { record: 0 }
                    ]
                ),
                "{notes:?}"
            );
        }
    }

    /// TLS 1.3 AES-CCM keys from a traffic secret open a record sealed with them.
    #[test]
    fn tls13_ccm_8_record_opens() {
        let secret = [4u8; 32];
        let k = Keys::tls13(Algo::Ccm(16, 8), Hash::Sha256, &secret).unwrap();
        let key = expand_label(Hash::Sha256, &secret, b"key", 16).unwrap();
        let header = [23, 3, 3, 0, 14];
        let inner = b"hello\x17"; // content, then its type (application data)
        let nonce = k.xor_nonce();
        let sealed = seal::<AesCcm<aes::Aes128, U8>>(&key, &nonce, &header, inner);
        assert_eq!(sealed.len(), 14);
        let mut buf = sealed.clone();
        assert!(k.open(&nonce, &header, &mut buf));
        assert_eq!(buf, inner);
        assert_eq!(k.tag_len(), 8);
    }

    /// A CBC record, sealed here with the RustCrypto primitives, opens with either MAC
    /// order; a changed byte anywhere, bad padding or a wrong MAC key does not open.
    #[test]
    fn cbc_records_open_in_both_mac_orders() {
        use cbc::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
        let (key, mac_key, iv) = ([3u8; 16], [5u8; 20], [9u8; 16]);
        let header = [23, 3, 3, 0, 0];
        let plain = b"MQTT bytes";
        let hmac = |parts: &[&[u8]]| {
            let mut m = <Hmac<Sha1> as KeyInit>::new_from_slice(&mac_key).unwrap();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        };
        let pseudo = |len: usize| {
            let mut h = vec![0u8; 8];
            h.extend_from_slice(&[23, 3, 3]);
            h.extend_from_slice(&(len as u16).to_be_bytes());
            h
        };
        let pad = |mut v: Vec<u8>| {
            let p = 15 - v.len() % 16;
            v.extend(std::iter::repeat_n(p as u8, p + 1));
            v
        };
        let encrypt = |v: Vec<u8>| {
            let mut v = v;
            let n = v.len();
            cbc::Encryptor::<aes::Aes128>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt_padded_mut::<NoPadding>(&mut v, n)
                .unwrap();
            let mut out = iv.to_vec();
            out.extend_from_slice(&v);
            out
        };
        // MAC, then encrypt.
        let mut inner = plain.to_vec();
        inner.extend(hmac(&[&pseudo(plain.len()), plain]));
        let mte = encrypt(pad(inner));
        // Encrypt, then MAC.
        let sealed = encrypt(pad(plain.to_vec()));
        let mut etm = sealed.clone();
        etm.extend(hmac(&[&pseudo(sealed.len()), &sealed]));
        for (body, encrypt_then_mac) in [(mte, false), (etm, true)] {
            let k = CbcKeys {
                key: key.to_vec(),
                mac_key: mac_key.to_vec(),
                mac: MacAlg::Sha1,
                encrypt_then_mac,
            };
            let mut buf = Vec::new();
            assert!(k.open(0, header, &body, &mut buf));
            assert_eq!(buf, plain);
            // Another sequence number, any changed byte, any cut: refused.
            assert!(!k.open(1, header, &body, &mut buf));
            for i in 0..body.len() {
                let mut b = body.clone();
                b[i] ^= 0x40;
                assert!(!k.open(0, header, &b, &mut buf), "byte {i}");
            }
            for n in 0..body.len() {
                assert!(!k.open(0, header, &body[..n], &mut buf));
            }
        }
    }

    #[test]
    fn a_session_missing_from_the_key_log_gives_its_client_random() {
        let mut keys = KeyLog::default();
        keys.master.insert([8; 32], vec![1; 48]);
        assert_eq!(
            notes_of(keys, 0xc02f),
            vec![TlsNote::NoKey {
                client_random: "07".repeat(32)
            }]
        );
        let mut keys = KeyLog::default();
        keys.master.insert([7; 32], vec![1; 48]);
        assert_eq!(
            notes_of(keys, 0xc02f),
            vec![TlsNote::Decrypting {
                version: 0x0303,
                suite: 0xc02f
            }]
        );
    }

    #[test]
    fn hostile_records_stop_the_direction_without_panicking() {
        let keys = Arc::new(KeyLog::default());
        let mut d = TlsDecryptor::new(Arc::clone(&keys));
        let notes = feed(&mut d, &[(Side::A, &[0x16, 0x03, 0x01, 0xff, 0xff])]);
        assert!(d.stopped(Side::A));
        assert!(matches!(notes[0], TlsNote::RecordError { .. }));
        // Every prefix and byte change of a small hello pair: no panic.
        let mut hello = vec![
            0x16, 0x03, 0x01, 0x00, 0x2a, 0x01, 0x00, 0x00, 0x26, 0x03, 0x03,
        ];
        hello.extend_from_slice(&[7; 32]);
        hello.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01]);
        for i in 0..hello.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut h = hello.clone();
                h[i] = v;
                for n in 0..=h.len() {
                    let mut d = TlsDecryptor::new(Arc::clone(&keys));
                    d.push(Side::A, &h[..n], &mut |_| {});
                    d.push(Side::B, &h[..n], &mut |_| {});
                }
            }
        }
    }
}

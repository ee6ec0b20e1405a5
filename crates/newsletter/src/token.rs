//! Signed unsubscribe tokens: `hex(address) "." hex(HMAC-SHA256(key, "unsubscribe\0" address))[..32]`.
//!
//! The token names the recipient (so the endpoint needs no lookup table and works for 60 days
//! and more, as CASL asks) and cannot be forged without the key. The key comes from an
//! environment variable and is never printed: [`Key`]'s `Debug` hides it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The development key the file transport uses when the environment has none. It is public
/// (it is in the source), so SMTP refuses to send with it.
const DEV_KEY: &[u8] = b"nashr development key -- not secret, file transport only";

/// Bytes of the MAC kept in a token (128 bits).
const MAC_BYTES: usize = 16;

#[derive(Clone)]
pub struct Key {
    bytes: Vec<u8>,
    development: bool,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.development {
            "Key(development)"
        } else {
            "Key(<secret>)"
        })
    }
}

impl Key {
    /// The key in environment variable `var`, if set and not empty.
    pub fn from_env(var: &str) -> Option<Key> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| Key::new(v.as_bytes()))
    }

    pub fn new(bytes: &[u8]) -> Key {
        Key {
            bytes: bytes.to_vec(),
            development: false,
        }
    }

    /// The labelled development key (file transport and local previews only).
    pub fn development() -> Key {
        Key {
            bytes: DEV_KEY.to_vec(),
            development: true,
        }
    }

    pub fn is_development(&self) -> bool {
        self.development
    }

    fn mac(&self, address: &str) -> HmacSha256 {
        // HMAC takes keys of any length.
        let mut mac = HmacSha256::new_from_slice(&self.bytes).unwrap_or_else(|_| unreachable!());
        mac.update(b"unsubscribe\0");
        mac.update(address.as_bytes());
        mac
    }

    /// The unsubscribe token of `address`.
    pub fn token(&self, address: &str) -> String {
        let tag = self.mac(address).finalize().into_bytes();
        format!("{}.{}", hex(address.as_bytes()), hex(&tag[..MAC_BYTES]))
    }

    /// The address a token was made for, if it was made with this key.
    pub fn verify(&self, token: &str) -> Option<String> {
        let (addr_hex, mac_hex) = token.split_once('.')?;
        let address = String::from_utf8(unhex(addr_hex)?).ok()?;
        let tag = unhex(mac_hex)?;
        if tag.len() != MAC_BYTES {
            return None;
        }
        self.mac(&address).verify_truncated_left(&tag).ok()?;
        Some(address)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_key_and_address() {
        let key = Key::new(b"secret one");
        let t = key.token("sara@example.com");
        assert_eq!(key.verify(&t).as_deref(), Some("sara@example.com"));
        assert_eq!(Key::new(b"secret two").verify(&t), None);
        // Another address with the first one's MAC.
        let (_, mac) = t.split_once('.').unwrap();
        let forged = format!("{}.{mac}", hex(b"ali@example.com"));
        assert_eq!(key.verify(&forged), None);
        assert_eq!(key.verify("zz.zz"), None);
        assert_eq!(key.verify(""), None);
        assert_eq!(key.verify(&t[..t.len() - 2]), None);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = Key::new(b"hunter2-very-secret");
        assert!(!format!("{key:?}").contains("hunter2"));
        assert_eq!(format!("{:?}", Key::development()), "Key(development)");
    }
}

//! RFC 7512 `pkcs11:` URIs, the way `credentials.toml` names a key on a token:
//! `pkcs11:token=ketqua;object=stp-approver?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:pin`.
//!
//! A URI is parsed once, when the key store is loaded, into a [`TokenUri`] that cannot hold an
//! attribute the key store would not understand: unknown or repeated attributes, bad
//! percent-escapes, a `type` other than `private`, or a URI that names no token or no object are
//! refused with a message saying what to write instead. The text comes from an operator's file,
//! but a typo must not become a panic or a silently different key, so this is parser code held
//! to the parser lints. The PIN never appears in `Debug`, `Display` or an error.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::{fmt, path::PathBuf};

use zeroize::Zeroizing;

/// The scheme, compared without regard to case as URI schemes are (RFC 3986 §3.1).
const SCHEME: &str = "pkcs11:";

/// The path attributes this key store reads; any other is refused.
const PATH_ATTRIBUTES: &str = "token, object, id, slot-id, serial, manufacturer, model, type";
/// The query attributes this key store reads.
const QUERY_ATTRIBUTES: &str = "module-path, pin-source, pin-value";

/// Where the user PIN of the token comes from.
#[derive(Clone)]
pub enum PinSource {
    /// `pin-source=file:PATH`: the file's first line. A relative path is relative to the key
    /// store directory, like every other path in `credentials.toml`.
    File(PathBuf),
    /// `pin-value=…`: the PIN in the URI itself (RFC 7512 §2.4 allows it; keep the manifest
    /// private if you use it).
    Value(Zeroizing<String>),
}

impl fmt::Debug for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSource::File(path) => f.debug_tuple("File").field(path).finish(),
            PinSource::Value(_) => f.write_str("Value(<redacted>)"),
        }
    }
}

/// A parsed `pkcs11:` URI naming one private key on one token.
#[derive(Clone, Debug, Default)]
pub struct TokenUri {
    /// `token`: the token label (CK_TOKEN_INFO.label).
    pub token: Option<String>,
    /// `serial`: the token's serial number.
    pub serial: Option<String>,
    /// `manufacturer`: the token's manufacturer id.
    pub manufacturer: Option<String>,
    /// `model`: the token's model.
    pub model: Option<String>,
    /// `slot-id`: the slot's number (CK_SLOT_ID), decimal.
    pub slot_id: Option<u64>,
    /// `object`: the key's label (CKA_LABEL).
    pub object: Option<String>,
    /// `id`: the key's CKA_ID, raw bytes (percent-encoded in the URI).
    pub id: Option<Vec<u8>>,
    /// `module-path`: the PKCS#11 library to load.
    pub module_path: Option<PathBuf>,
    /// `pin-source` or `pin-value`.
    pub pin: Option<PinSource>,
}

impl TokenUri {
    /// Whether `text` is meant as a token URI rather than a key file path.
    pub fn is_uri(text: &str) -> bool {
        text.get(..SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
    }

    /// Parses a URI; the error says which attribute is wrong and how.
    pub fn parse(text: &str) -> Result<TokenUri, String> {
        let Some(rest) = text
            .get(..SCHEME.len())
            .filter(|s| s.eq_ignore_ascii_case(SCHEME))
            .and_then(|_| text.get(SCHEME.len()..))
        else {
            return Err("a token key must be a `pkcs11:` URI (RFC 7512)".into());
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut uri = TokenUri::default();
        let mut object_type = None;
        for attribute in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = split_attribute(attribute, true)?;
            match name {
                "token" => set(&mut uri.token, name, text_value(name, value)?)?,
                "serial" => set(&mut uri.serial, name, text_value(name, value)?)?,
                "manufacturer" => set(&mut uri.manufacturer, name, text_value(name, value)?)?,
                "model" => set(&mut uri.model, name, text_value(name, value)?)?,
                "object" => set(&mut uri.object, name, text_value(name, value)?)?,
                "id" => set(&mut uri.id, name, percent_decode(name, value)?)?,
                "slot-id" => set(&mut uri.slot_id, name, slot_id(value)?)?,
                "type" => set(&mut object_type, name, text_value(name, value)?)?,
                "module-path" | "module-name" | "pin-source" | "pin-value" => {
                    return Err(format!(
                        "`{name}` is a query attribute: put it after `?`, e.g. pkcs11:token=…;object=…?{name}=…"
                    ))
                }
                other => {
                    return Err(format!(
                        "unknown attribute `{other}` in the URI's path; this key store reads {PATH_ATTRIBUTES}"
                    ))
                }
            }
        }
        for attribute in query.into_iter().flat_map(|q| q.split('&')) {
            if attribute.is_empty() {
                continue;
            }
            // Not quoted: a PIN written without `pin-value=` must not reach a log.
            let (name, value) = split_attribute(attribute, false)?;
            match name {
                "module-path" => {
                    let path = PathBuf::from(text_value(name, value)?);
                    set(&mut uri.module_path, name, path)?;
                }
                "pin-source" => {
                    let source = PinSource::File(pin_file(&text_value(name, value)?)?);
                    set_pin(&mut uri.pin, source)?;
                }
                "pin-value" => {
                    let pin = Zeroizing::new(text_value(name, value)?);
                    set_pin(&mut uri.pin, PinSource::Value(pin))?;
                }
                "module-name" => {
                    return Err(
                        "`module-name` is not supported: name the library with module-path=/path/to/module.so"
                            .into(),
                    )
                }
                other => {
                    return Err(format!(
                        "unknown attribute `{other}` in the URI's query; this key store reads {QUERY_ATTRIBUTES}"
                    ))
                }
            }
        }
        if let Some(kind) = object_type {
            if kind != "private" {
                return Err(format!(
                    "type=`{kind}` does not name a private key; a signing key is type=private (or leave type out)"
                ));
            }
        }
        if uri.token.is_none() && uri.serial.is_none() && uri.slot_id.is_none() {
            return Err(
                "the URI names no token: give token=LABEL (or serial=… or slot-id=…)".into(),
            );
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err("the URI names no key: give object=LABEL or id=%XX…".into());
        }
        Ok(uri)
    }

    /// How messages name the token: its label, serial or slot, whichever the URI gives.
    pub fn token_description(&self) -> String {
        let mut parts = Vec::new();
        if let Some(label) = &self.token {
            parts.push(format!("`{label}`"));
        }
        if let Some(serial) = &self.serial {
            parts.push(format!("serial {serial}"));
        }
        if let Some(slot) = self.slot_id {
            parts.push(format!("slot {slot}"));
        }
        parts.join(", ")
    }
}

/// The URI without its PIN: what logs and errors may show.
impl fmt::Display for TokenUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pkcs11:")?;
        let mut path = Vec::new();
        let text = |name: &str, value: &Option<String>| {
            value
                .as_ref()
                .map(|v| format!("{name}={}", encode_value(v.as_bytes())))
        };
        path.extend(text("token", &self.token));
        path.extend(text("serial", &self.serial));
        path.extend(text("manufacturer", &self.manufacturer));
        path.extend(text("model", &self.model));
        path.extend(self.slot_id.map(|s| format!("slot-id={s}")));
        path.extend(text("object", &self.object));
        path.extend(
            self.id
                .as_ref()
                .map(|id| format!("id={}", percent_encode_all(id))),
        );
        f.write_str(&path.join(";"))?;
        let mut query = Vec::new();
        if let Some(module) = &self.module_path {
            query.push(format!(
                "module-path={}",
                encode_value(module.to_string_lossy().as_bytes())
            ));
        }
        match &self.pin {
            Some(PinSource::File(path)) => query.push(format!(
                "pin-source=file:{}",
                encode_value(path.to_string_lossy().as_bytes())
            )),
            Some(PinSource::Value(_)) => query.push("pin-value=<redacted>".into()),
            None => {}
        }
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

fn split_attribute(attribute: &str, quote: bool) -> Result<(&str, &str), String> {
    match attribute.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name, value)),
        _ if quote => Err(format!(
            "`{}` is not an attribute: write NAME=VALUE",
            printable(attribute)
        )),
        _ => Err("a query attribute is not NAME=VALUE".into()),
    }
}

fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("attribute `{name}` appears more than once"));
    }
    *slot = Some(value);
    Ok(())
}

fn set_pin(slot: &mut Option<PinSource>, source: PinSource) -> Result<(), String> {
    if slot.is_some() {
        return Err("give the PIN once: pin-source or pin-value, not both or twice".into());
    }
    *slot = Some(source);
    Ok(())
}

fn slot_id(value: &str) -> Result<u64, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "slot-id=`{}` is not a decimal slot number",
            printable(value)
        ));
    }
    value
        .parse::<u64>()
        .map_err(|_| format!("slot-id=`{value}` is too large"))
}

/// `pin-source` is a URI; only `file:` ones are read (RFC 7512 leaves the schemes open).
/// `file:///abs/path` and `file:/abs/path` are absolute, `file:pin` is relative to the store.
fn pin_file(value: &str) -> Result<PathBuf, String> {
    let Some(path) = value.strip_prefix("file:") else {
        return Err(format!(
            "pin-source=`{}` is not supported: use pin-source=file:PATH",
            printable(value)
        ));
    };
    let path = match path.strip_prefix("//") {
        // `file://host/path` names another host; only the empty authority is local.
        Some(rest) if rest.starts_with('/') => rest,
        Some(_) => {
            return Err(
                "pin-source=file://HOST/… names another host: use file:/path or file:///path"
                    .into(),
            )
        }
        None => path,
    };
    if path.is_empty() {
        return Err("pin-source=file: names no file".into());
    }
    Ok(PathBuf::from(path))
}

/// A value that must be text: percent-decoded, then UTF-8.
fn text_value(name: &str, value: &str) -> Result<String, String> {
    let bytes = percent_decode(name, value)?;
    if bytes.is_empty() {
        return Err(format!("attribute `{name}` is empty"));
    }
    String::from_utf8(bytes).map_err(|_| format!("attribute `{name}` is not UTF-8 text"))
}

/// RFC 3986 percent-decoding. Characters outside printable ASCII must be escaped (RFC 7512
/// §2.3), so a stray space or control character is refused rather than guessed at.
fn percent_decode(name: &str, value: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let high = bytes.next().and_then(hex_digit);
                let low = bytes.next().and_then(hex_digit);
                match (high, low) {
                    (Some(h), Some(l)) => out.push(h.wrapping_shl(4) | l),
                    _ => {
                        return Err(format!(
                            "attribute `{name}` has a bad percent-escape: write %XX with two hex digits"
                        ))
                    }
                }
            }
            b'!'..=b'~' => out.push(b),
            _ => {
                return Err(format!(
                    "attribute `{name}` holds a space, control or non-ASCII character: percent-encode it (%XX)"
                ))
            }
        }
    }
    Ok(out)
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Encodes what is not an RFC 3986 unreserved character or one of the few reserved characters
/// a path would not mistake for a delimiter.
pub(super) fn encode_value(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every byte escaped, as `id` is usually written.
fn percent_encode_all(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// An attribute as an error may quote it: control characters escaped, length bounded.
fn printable(text: &str) -> String {
    text.chars().take(80).flat_map(char::escape_debug).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    #[test]
    fn a_full_uri_parses_and_displays_without_its_pin() {
        let uri = TokenUri::parse(
            "pkcs11:token=ketqua%20dev;object=stp-approver;id=%01%a2;slot-id=7;serial=abc;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=123456",
        )
        .unwrap();
        assert_eq!(uri.token.as_deref(), Some("ketqua dev"));
        assert_eq!(uri.object.as_deref(), Some("stp-approver"));
        assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xa2][..]));
        assert_eq!(uri.slot_id, Some(7));
        assert_eq!(uri.serial.as_deref(), Some("abc"));
        assert_eq!(uri.model.as_deref(), Some("SoftHSM v2"));
        assert_eq!(
            uri.module_path.as_deref(),
            Some(std::path::Path::new("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert!(matches!(&uri.pin, Some(PinSource::Value(p)) if p.as_str() == "123456"));
        for shown in [uri.to_string(), format!("{uri:?}")] {
            assert!(!shown.contains("123456"), "{shown}");
        }
        assert!(uri.to_string().contains("token=ketqua%20dev"), "{uri}");
        assert!(uri.to_string().contains("id=%01%A2"), "{uri}");
        let again = TokenUri::parse(
            &uri.to_string()
                .replace("pin-value=<redacted>", "pin-value=1"),
        );
        assert_eq!(again.unwrap().token.as_deref(), Some("ketqua dev"));
    }

    #[test]
    fn pin_files_are_local_paths() {
        let file = |text: &str| match TokenUri::parse(text).unwrap().pin {
            Some(PinSource::File(path)) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            file("pkcs11:token=t;object=k?pin-source=file:pin"),
            PathBuf::from("pin")
        );
        assert_eq!(
            file("pkcs11:token=t;object=k?pin-source=file:///etc/pin"),
            PathBuf::from("/etc/pin")
        );
        assert_eq!(
            file("PKCS11:token=t;object=k?pin-source=file:/etc/p%69n"),
            PathBuf::from("/etc/pin")
        );
    }

    #[test]
    fn mistakes_are_refused_with_what_to_write() {
        let cases = [
            ("token=t;object=k", "pkcs11:"),
            ("pkcs11:token=t", "names no key"),
            ("pkcs11:object=k", "names no token"),
            (
                "pkcs11:token=t;object=k;colour=red",
                "unknown attribute `colour`",
            ),
            (
                "pkcs11:token=t;object=k?vendor-x=1",
                "unknown attribute `vendor-x`",
            ),
            ("pkcs11:token=t;token=u;object=k", "more than once"),
            ("pkcs11:token=t;object=k;type=cert", "type=private"),
            ("pkcs11:token=t;object=k;slot-id=-1", "decimal"),
            (
                "pkcs11:token=t;object=k;slot-id=99999999999999999999999",
                "too large",
            ),
            ("pkcs11:token=t%4;object=k", "percent-escape"),
            ("pkcs11:token=t%zz;object=k", "percent-escape"),
            ("pkcs11:token=a b;object=k", "percent-encode"),
            ("pkcs11:token=t%ff;object=k", "UTF-8"),
            ("pkcs11:token=;object=k", "empty"),
            ("pkcs11:token;object=k", "NAME=VALUE"),
            ("pkcs11:token=t;object=k;pin-value=1", "query attribute"),
            ("pkcs11:token=t;object=k?pin-source=https://x", "file:PATH"),
            (
                "pkcs11:token=t;object=k?pin-source=file://host/p",
                "another host",
            ),
            (
                "pkcs11:token=t;object=k?pin-value=1&pin-source=file:p",
                "once",
            ),
            (
                "pkcs11:token=t;object=k?module-name=softhsm2",
                "module-path",
            ),
        ];
        for (text, expected) in cases {
            let error = TokenUri::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
        let secret = TokenUri::parse("pkcs11:token=t;object=k?pin-value=s%ecret").unwrap_err();
        assert!(!secret.contains("ecret"), "{secret}");
    }

    #[test]
    fn arbitrary_text_never_panics() {
        let samples = [
            "pkcs11:",
            "pkcs11:?",
            "pkcs11:;;;",
            "pkcs11:%",
            "pkcs11:=",
            "pkcs11:token=%",
            "pkcs11:token=\u{1F600};object=k",
            "pkcs11:id=%0",
            "pkcs1",
            "",
        ];
        for text in samples {
            let _ = TokenUri::parse(text);
        }
        assert!(TokenUri::is_uri("PKCS11:token=x"));
        assert!(!TokenUri::is_uri("credentials/stp/key.pk8"));
        assert!(!TokenUri::is_uri("pkcs"));
    }
}

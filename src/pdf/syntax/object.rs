//! The PDF object model (ISO 32000-1 §7.3): only what the incremental signer needs to read
//! (catalog, page tree, forms, signature dictionaries) and to write back (the few dictionaries
//! an update replaces). Values are owned; dictionaries keep key order, so a rewritten
//! dictionary differs from the original only where we changed it. Serialization is in
//! `serialize`.

/// An object number and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub num: u32,
    pub generation: u16,
}

impl ObjRef {
    pub const fn new(num: u32, generation: u16) -> Self {
        ObjRef { num, generation }
    }
}

/// A dictionary: ordered key/value pairs, keys without the leading slash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    pub fn new() -> Self {
        Dict(Vec::new())
    }
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.0
            .iter()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
            .map(|(_, v)| v)
    }
    /// Sets `key`, replacing an existing entry in place (keeps key order).
    pub fn set(&mut self, key: &str, value: Object) {
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
        {
            slot.1 = value;
        } else {
            self.0.push((key.as_bytes().to_vec(), value));
        }
    }
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k.as_slice() != key.as_bytes());
    }
    /// `/Type` or similar name-valued entry.
    pub fn name(&self, key: &str) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(n),
            _ => None,
        }
    }
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Object::as_int)
    }
    pub fn with(mut self, key: &str, value: Object) -> Self {
        self.set(key, value);
        self
    }
}

/// A PDF value. Streams carry their raw (still encoded) bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    String(Vec<u8>),
    /// A string that was written (or must be written) in hex form, e.g. `/ID` or `/Contents`.
    HexString(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    Stream(Dict, Vec<u8>),
    Ref(ObjRef),
}

impl Object {
    pub fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }
    pub fn string(s: &str) -> Object {
        Object::String(s.as_bytes().to_vec())
    }
    /// An array of numbers, e.g. a rectangle or a matrix.
    pub fn reals(values: &[f64]) -> Object {
        Object::Array(values.iter().map(|v| Object::Real(*v)).collect())
    }
    /// An array of references, e.g. /Kids.
    pub fn refs(refs: &[ObjRef]) -> Object {
        Object::Array(refs.iter().map(|r| Object::Ref(*r)).collect())
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            Object::Real(r) if r.fract() == 0.0 && r.abs() < 1e15 => Some(*r as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) | Object::Stream(d, _) => Some(d),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_ref(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }
    /// The bytes of a literal or hex string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) | Object::HexString(s) => Some(s),
            _ => None,
        }
    }
}

impl From<Dict> for Object {
    fn from(d: Dict) -> Self {
        Object::Dict(d)
    }
}
impl From<ObjRef> for Object {
    fn from(r: ObjRef) -> Self {
        Object::Ref(r)
    }
}

//! What several targets share: a development PKI made once per fuzzing process.

use std::sync::LazyLock;

use ketqua::pki::{self, KeyStore};

pub static KEYS: LazyLock<KeyStore> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("ketqua-fuzz-pki-{}", std::process::id()));
    if !pki::dev_pki_exists(&dir) {
        pki::init_dev_pki(&dir, &pki::default_dev_departments()).expect("a development PKI");
    }
    KeyStore::load(&dir).expect("the development PKI loads")
});

#[allow(dead_code)] // not every target verifies
pub fn trust() -> ketqua::TrustConfig {
    ketqua::TrustConfig {
        anchors_der: vec![KEYS.root_der().to_vec()],
        crls_der: KEYS.crls_der(),
    }
}

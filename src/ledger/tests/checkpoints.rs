//! Signed checkpoints (C2SP signed notes): round trips, tampering, other keys, malformed notes,
//! verifier keys, and a known answer from the Go reference implementation.

use crate::ledger::{
    checkpoint::{Checkpoint, LogKey, LogVerifier},
    error::LedgerError,
    hash::{empty_root, leaf_hash},
};

fn sample_checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "ketqua.dev/log".into(),
        size: 300,
        root: leaf_hash(b"root"),
        time_unix: 1_767_225_600,
    }
}

#[test]
fn checkpoint_sign_open_round_trip() {
    let (key, pkcs8) = LogKey::generate("ketqua.dev/log").unwrap();
    let cp = sample_checkpoint();
    let note = cp.sign(&key).unwrap();
    let body = cp.body().unwrap();
    assert!(note.starts_with(&body));
    assert_eq!(body.lines().count(), 4);
    assert!(body.ends_with("\ntime 1767225600\n"));
    assert!(note[body.len()..].starts_with("\n\u{2014} ketqua.dev/log "));
    assert_eq!(Checkpoint::open(&note, &key.verifier()).unwrap(), cp);
    // The stored PKCS#8 gives back the same key.
    let again = LogKey::from_pkcs8("ketqua.dev/log", &pkcs8).unwrap();
    assert_eq!(again.verifier(), key.verifier());
    assert_eq!(
        Checkpoint::open(&cp.sign(&again).unwrap(), &key.verifier()).unwrap(),
        cp
    );
    // Empty tree, negative time: still one canonical text each.
    let empty = Checkpoint {
        size: 0,
        root: empty_root(),
        time_unix: -1,
        ..cp
    };
    assert_eq!(
        Checkpoint::open(&empty.sign(&key).unwrap(), &key.verifier()).unwrap(),
        empty
    );
}

#[test]
fn checkpoint_tampering_and_other_keys_are_rejected() {
    let (key, _) = LogKey::generate("ketqua.dev/log").unwrap();
    let v = key.verifier();
    let note = sample_checkpoint().sign(&key).unwrap();
    let bytes = note.as_bytes();
    // Flip each byte of the note (staying valid UTF-8 by only touching ASCII bytes).
    for i in 0..bytes.len() {
        if !bytes[i].is_ascii() || bytes[i] == b'\n' {
            continue;
        }
        let mut b = bytes.to_vec();
        b[i] ^= 0x01;
        if let Ok(s) = String::from_utf8(b) {
            assert!(Checkpoint::open(&s, &v).is_err(), "byte {i} changed: {s:?}");
        }
    }
    // A key with the same name but other material, and another name.
    let (other, _) = LogKey::generate("ketqua.dev/log").unwrap();
    assert_eq!(
        Checkpoint::open(&note, &other.verifier()),
        Err(LedgerError::BadSignature)
    );
    let (renamed, _) = LogKey::generate("other.example/log").unwrap();
    assert_eq!(
        Checkpoint::open(&note, &renamed.verifier()),
        Err(LedgerError::BadSignature)
    );
    // A forged line claiming our name and key id, with another key's signature.
    let other_note = sample_checkpoint().sign(&other).unwrap();
    let (head, blob_b64) = other_note.trim_end().rsplit_once(' ').unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut blob = base64::Engine::decode(&b64, blob_b64).unwrap();
    blob[..4].copy_from_slice(&v.key_id);
    let forged = format!("{head} {}\n", base64::Engine::encode(&b64, blob));
    assert_eq!(
        Checkpoint::open(&forged, &v),
        Err(LedgerError::BadSignature)
    );
    // Cosignatures by other keys are ignored, in any order.
    let (witness, _) = LogKey::generate("witness.example").unwrap();
    let body = sample_checkpoint().body().unwrap();
    let witness_line = sample_checkpoint().sign(&witness).unwrap()[body.len() + 1..].to_string();
    let cosigned = format!("{note}{witness_line}");
    assert_eq!(
        Checkpoint::open(&cosigned, &v).unwrap(),
        sample_checkpoint()
    );
    let witness_first = format!("{body}\n{witness_line}{}", &note[body.len() + 1..]);
    assert_eq!(
        Checkpoint::open(&witness_first, &v).unwrap(),
        sample_checkpoint()
    );
    assert_eq!(
        Checkpoint::open(&sample_checkpoint().sign(&witness).unwrap(), &v),
        Err(LedgerError::BadSignature)
    );
}

#[test]
fn malformed_notes_are_rejected_without_panic() {
    let (key, _) = LogKey::generate("ketqua.dev/log").unwrap();
    let v = key.verifier();
    let sign_text = |text: &str| -> String {
        // A correctly signed note over arbitrary text: only the body parser can object.
        format!("{text}\n{}", key.signature_line(text))
    };
    let bad_bodies = [
        "ketqua.dev/log\n300\n",
        "ketqua.dev/log\n300\nAAAA\ntime 1\n",
        "ketqua.dev/log\n0300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
        "ketqua.dev/log\n+300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 01\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime  1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nTime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\ntime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\ntime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\nextra\n",
        "\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
        "ketqua.dev/log\n18446744073709551616\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
    ];
    // The good one parses, so each failure below is the one change made.
    let good = "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n";
    assert_eq!(Checkpoint::open(&sign_text(good), &v).unwrap().size, 300);
    for body in bad_bodies {
        assert!(
            matches!(
                Checkpoint::open(&sign_text(body), &v),
                Err(LedgerError::Malformed(_))
            ),
            "{body:?}"
        );
    }
    let note = sample_checkpoint().sign(&key).unwrap();
    let body = sample_checkpoint().body().unwrap();
    let sig_line = &note[body.len() + 1..];
    let bad_notes = [
        String::new(),
        "\n".into(),
        "\n\n".into(),
        body.clone(),
        format!("{body}\n"),
        note.trim_end().to_string(),
        note.replace('\u{2014}', "-"),
        note.replace("\u{2014} ", "\u{2014}"),
        format!("{body}{sig_line}"),
        format!("{body}\n\n{sig_line}"),
        format!("{note}\n"),
        format!("{note}garbage\n"),
        format!("{body}\n\u{2014} ketqua.dev/log\n"),
        format!("{body}\n\u{2014} ketqua.dev/log !!!!\n"),
        format!("{body}\n\u{2014} ketqua.dev/log AAAA\n"),
        format!("{body}\n\u{2014}  {}", &sig_line[4..]),
        note.replace("300", "3\u{0}0"),
        note.replace('\n', "\r\n"),
        format!("{body}\n{}", sig_line.repeat(101)),
    ];
    for n in &bad_notes {
        assert!(Checkpoint::open(n, &v).is_err(), "{n:?}");
    }
    // Every prefix of a good note, at character boundaries, fails cleanly.
    for (i, _) in note.char_indices() {
        assert!(Checkpoint::open(&note[..i], &v).is_err());
    }
    // A bad origin cannot be signed into a note.
    for origin in ["", "a\nb", "tab\there"] {
        let cp = Checkpoint {
            origin: origin.into(),
            ..sample_checkpoint()
        };
        assert!(cp.sign(&key).is_err(), "{origin:?}");
    }
}

#[test]
fn vkey_round_trip_and_rejects_manglings() {
    let (key, _) = LogKey::generate("ketqua.dev/log").unwrap();
    let v = key.verifier();
    let vkey = v.to_vkey();
    assert!(vkey.starts_with(&format!("ketqua.dev/log+{}+A", hex::encode(v.key_id))));
    assert_eq!(LogVerifier::from_vkey(&vkey).unwrap(), v);
    assert_eq!(LogVerifier::from_vkey(&format!("{vkey}\n")).unwrap(), v);
    // As the Go reference's tests do: every strict substring and every single-byte bump fails.
    let b = vkey.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if (i, j) != (0, b.len()) {
                if let Ok(s) = std::str::from_utf8(&b[i..j]) {
                    assert!(LogVerifier::from_vkey(s).is_err(), "{s:?}");
                }
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] = m[i].wrapping_add(1);
        if let Ok(s) = String::from_utf8(m) {
            assert!(LogVerifier::from_vkey(&s).is_err(), "{s:?}");
        }
    }
    assert!(LogKey::generate("bad name").is_err());
    assert!(LogKey::generate("bad+name").is_err());
    assert!(LogKey::generate("").is_err());
    assert!(LogKey::from_pkcs8("ketqua.dev/log", b"not a key").is_err());
}

/// Known answers from the Go reference implementation of signed notes
/// (golang.org/x/mod/sumdb/note, note_test.go): its key "PeterNeumann", given there as the
/// private key "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
/// (0x01 || Ed25519 seed), must give the same key id (the first 4 bytes of
/// SHA-256(name || "\n" || 0x01 || public key)), the same vkey, and, Ed25519 being
/// deterministic, the very same signature line.
#[test]
fn signed_note_known_answer_from_the_go_reference() {
    use base64::Engine;
    let skey = base64::engine::general_purpose::STANDARD
        .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        .unwrap();
    assert_eq!(skey[0], 0x01);
    let key = LogKey::from_seed("PeterNeumann", &skey[1..]).unwrap();
    assert_eq!(
        key.verifier().to_vkey(),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    );
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    assert_eq!(
        key.signature_line(text),
        "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let v = LogVerifier::from_vkey(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    )
    .unwrap();
    assert_eq!(v, key.verifier());
}

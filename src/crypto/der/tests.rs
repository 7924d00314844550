//! The DER codec against hand-written encodings and hostile bytes.

use super::*;

#[test]
fn short_and_long_lengths_round_trip() {
    for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 70000] {
        let content = vec![0xab; len];
        let mut w = Writer::default();
        w.sequence(|w| w.octet_string(&content));
        let der = w.into_vec();
        let outer = parse_single(&der, SEQUENCE).expect("outer");
        let inner = parse_single(outer.content, OCTET_STRING).expect("inner");
        assert_eq!(inner.content, content.as_slice(), "len {len}");
    }
}

#[test]
fn lengths_are_minimal() {
    let mut w = Writer::default();
    w.octet_string(&[0; 200]);
    assert_eq!(&w.as_slice()[..3], &[0x04, 0x81, 200]);
    let mut w = Writer::default();
    w.sequence(|w| w.raw(&[0; 300]));
    assert_eq!(&w.as_slice()[..4], &[0x30, 0x82, 0x01, 0x2c]);
}

#[test]
fn nested_long_forms_shift_correctly() {
    let mut w = Writer::default();
    w.sequence(|w| {
        w.sequence(|w| w.octet_string(&[7; 150]));
        w.small_uint(5);
    });
    let der = w.into_vec();
    let mut r = parse_single(&der, SEQUENCE)
        .map(|t| Reader::new(t.content))
        .expect("seq");
    let mut inner = r.nested(SEQUENCE).expect("inner");
    assert_eq!(inner.read(OCTET_STRING).expect("os"), &[7; 150][..]);
    inner.finish().expect("inner end");
    assert_eq!(r.read_small_uint().expect("int"), 5);
    r.finish().expect("end");
}

#[test]
fn integers_are_minimal_and_positive() {
    let cases: [(&[u8], &[u8]); 5] = [
        (&[0], &[0x02, 0x01, 0x00]),
        (&[0, 0, 5], &[0x02, 0x01, 0x05]),
        (&[0x80], &[0x02, 0x02, 0x00, 0x80]),
        (&[0x7f, 0xff], &[0x02, 0x02, 0x7f, 0xff]),
        (&[], &[0x02, 0x01, 0x00]),
    ];
    for (input, expected) in cases {
        let mut w = Writer::default();
        w.unsigned_integer(input);
        assert_eq!(w.as_slice(), expected);
    }
    assert_eq!(
        Reader::new(&[0x02, 0x02, 0x00, 0x05]).read_small_uint(),
        Err(DerError::BadInteger)
    );
    assert_eq!(
        Reader::new(&[0x02, 0x01, 0xff]).read_small_uint(),
        Err(DerError::IntegerRange)
    );
    assert_eq!(
        Reader::new(&[0x02, 0x00]).read_small_uint(),
        Err(DerError::BadInteger)
    );
}

#[test]
fn set_of_is_sorted() {
    let mut w = Writer::default();
    w.set_of(SET, |w| {
        w.octet_string(&[3, 3, 3]);
        w.octet_string(&[9]);
        w.small_uint(1);
    });
    assert_eq!(
        w.as_slice(),
        &[0x31, 0x0b, 0x02, 0x01, 0x01, 0x04, 0x01, 0x09, 0x04, 0x03, 3, 3, 3]
    );
}

#[test]
fn reader_rejects_non_der() {
    let bad: [(&[u8], DerError); 8] = [
        (&[], DerError::Truncated),
        (&[0x30], DerError::Truncated),
        (&[0x30, 0x80, 0x00, 0x00], DerError::IndefiniteLength),
        (
            &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5],
            DerError::NonMinimalLength,
        ),
        (&[0x04, 0x82, 0x00, 0x81], DerError::NonMinimalLength),
        (&[0x04, 0x85, 1, 1, 1, 1, 1], DerError::LengthTooLarge),
        (&[0x1f, 0x01, 0x00], DerError::HighTagNumber),
        (&[0x04, 0x05, 1, 2], DerError::Truncated),
    ];
    for (input, err) in bad {
        assert_eq!(Reader::new(input).read_any(), Err(err), "{input:02x?}");
    }
    assert_eq!(
        parse_single(&[0x05, 0x00, 0x00], NULL),
        Err(DerError::TrailingData)
    );
    assert_eq!(
        Reader::new(&[0x31, 0x00]).read(SEQUENCE),
        Err(DerError::UnexpectedTag {
            expected: SEQUENCE,
            found: SET
        })
    );
    assert_eq!(
        Reader::new(&[0x30, 0x04, 0x0c, 0x82, 0xff]).read_any(),
        Err(DerError::Truncated)
    );
}

#[test]
fn oids() {
    let signed_data = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    assert_eq!(
        oid_to_string(&signed_data).expect("oid"),
        "1.2.840.113549.1.7.2"
    );
    assert_eq!(
        oid_to_string(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]).expect("oid"),
        "2.16.840.1.101.3.4.2.1"
    );
    assert_eq!(oid_to_string(&[]), Err(DerError::BadOid));
    assert_eq!(oid_to_string(&[0x2a, 0x86]), Err(DerError::BadOid));
    assert_eq!(oid_to_string(&[0x2a, 0x80, 0x01]), Err(DerError::BadOid));
    assert_eq!(oid_to_string(&[0xff; 12]), Err(DerError::BadOid));
    let mut w = Writer::default();
    w.oid(&signed_data);
    assert_eq!(
        Reader::new(w.as_slice()).read_oid().expect("read"),
        &signed_data
    );
}

#[test]
fn times_round_trip_and_reject_garbage() {
    let t = ::time::macros::datetime!(2026-03-05 07:08:09 UTC);
    let mut w = Writer::default();
    w.time(t);
    assert_eq!(w.as_slice(), b"\x17\x0d260305070809Z");
    let tlv = parse_single(w.as_slice(), UTC_TIME).expect("tlv");
    assert_eq!(parse_time(&tlv).expect("time"), t);

    let far = ::time::macros::datetime!(2051-01-02 03:04:05 UTC);
    let mut w = Writer::default();
    w.time(far);
    let tlv = parse_single(w.as_slice(), GENERALIZED_TIME).expect("tlv");
    assert_eq!(parse_time(&tlv).expect("time"), far);

    let frac = Tlv {
        tag: GENERALIZED_TIME,
        content: b"20260305070809.25Z",
        raw: b"",
    };
    assert_eq!(
        parse_time(&frac).expect("fraction"),
        ::time::macros::datetime!(2026-03-05 07:08:09.25 UTC)
    );
    for bad in [
        &b"260305070809"[..],
        b"261305070809Z",
        b"26030507080Z",
        b"2603050708a9Z",
        b"260230070809Z",
        b"260305250809Z",
    ] {
        let tlv = Tlv {
            tag: UTC_TIME,
            content: bad,
            raw: b"",
        };
        assert!(
            parse_time(&tlv).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let trailing_zero = Tlv {
        tag: GENERALIZED_TIME,
        content: b"20260305070809.50Z",
        raw: b"",
    };
    assert!(parse_time(&trailing_zero).is_err());
}

#[test]
fn reader_never_panics_on_arbitrary_bytes() {
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..5000 {
        let mut buf = [0u8; 12];
        for b in &mut buf {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        let mut r = Reader::new(&buf);
        while r.read_any().is_ok() {}
        let _ = oid_to_string(&buf);
    }
}

//! The sRGB colour profile that PDF/A's output intent embeds (ISO 19005-2, 6.2.3): an ICC
//! version 2 display profile — matrix and tone curves — built here from the sRGB
//! specification's numbers (IEC 61966-2-1, primaries adapted to the D50 connection space), so
//! that no profile file of uncertain licence ships with the binary. What colours we draw are
//! black, grey and the seal's red: the profile only has to be the right one, not rich.

/// The output intent's condition, as PDF/A readers recognise it.
pub const SRGB_CONDITION: &str = "sRGB IEC61966-2.1";

/// s15Fixed16Number, big endian.
fn s15f16(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

fn xyz(x: f64, y: f64, z: f64) -> Vec<u8> {
    let mut t = b"XYZ \0\0\0\0".to_vec();
    for v in [x, y, z] {
        t.extend_from_slice(&s15f16(v));
    }
    t
}

/// The sRGB transfer function, sampled: the exact curve rather than a gamma of 2.2.
fn srgb_curve() -> Vec<u8> {
    const POINTS: u32 = 1024;
    let mut t = b"curv\0\0\0\0".to_vec();
    t.extend_from_slice(&POINTS.to_be_bytes());
    for i in 0..POINTS {
        let v = f64::from(i) / f64::from(POINTS - 1);
        let linear = if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        };
        t.extend_from_slice(&((linear * 65535.0).round() as u16).to_be_bytes());
    }
    t
}

/// textDescriptionType (ICC.1:2001-04, 6.5.17): the ASCII part, empty Unicode and Mac parts.
fn description(text: &str) -> Vec<u8> {
    let mut t = b"desc\0\0\0\0".to_vec();
    t.extend_from_slice(&(text.len() as u32 + 1).to_be_bytes());
    t.extend_from_slice(text.as_bytes());
    t.push(0);
    t.extend_from_slice(&[0; 8]); // Unicode language code and count
    t.extend_from_slice(&[0; 3]); // ScriptCode code and count
    t.extend_from_slice(&[0; 67]);
    t
}

fn text(text: &str) -> Vec<u8> {
    let mut t = b"text\0\0\0\0".to_vec();
    t.extend_from_slice(text.as_bytes());
    t.push(0);
    t
}

/// The profile's bytes.
pub fn srgb_profile() -> Vec<u8> {
    let curve = srgb_curve();
    // The three tone curves share one element, as the format allows.
    let tags: [(&[u8; 4], Vec<u8>); 9] = [
        (b"desc", description(SRGB_CONDITION)),
        (
            b"cprt",
            text("No copyright: built by ketqua from IEC 61966-2-1"),
        ),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.436_065_7, 0.222_488_4, 0.013_916_0)),
        (b"gXYZ", xyz(0.385_147_1, 0.716_873_2, 0.097_076_4)),
        (b"bXYZ", xyz(0.143_066_4, 0.060_607_9, 0.714_096_1)),
        (b"rTRC", curve.clone()),
        (b"gTRC", Vec::new()),
        (b"bTRC", Vec::new()),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut data: Vec<u8> = Vec::new();
    let mut entries: Vec<([u8; 4], u32, u32)> = Vec::new();
    let mut curve_at = (0u32, 0u32);
    for (signature, element) in &tags {
        let (offset, size) = if element.is_empty() {
            curve_at
        } else {
            while data.len() % 4 != 0 {
                data.push(0);
            }
            let offset = (128 + table_len + data.len()) as u32;
            data.extend_from_slice(element);
            (offset, element.len() as u32)
        };
        if *signature == b"rTRC" {
            curve_at = (offset, size);
        }
        entries.push((**signature, offset, size));
    }
    while data.len() % 4 != 0 {
        data.push(0);
    }
    let size = (128 + table_len + data.len()) as u32;
    let mut p = Vec::with_capacity(size as usize);
    p.extend_from_slice(&size.to_be_bytes());
    p.extend_from_slice(&[0; 4]); // preferred CMM: none
    p.extend_from_slice(&[2, 0x10, 0, 0]); // version 2.1
    p.extend_from_slice(b"mntr");
    p.extend_from_slice(b"RGB ");
    p.extend_from_slice(b"XYZ ");
    for v in [2026u16, 1, 1, 0, 0, 0] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p.extend_from_slice(b"acsp");
    p.extend_from_slice(&[0; 4]); // primary platform
    p.extend_from_slice(&[0; 4]); // flags
    p.extend_from_slice(&[0; 8]); // device manufacturer and model
    p.extend_from_slice(&[0; 8]); // device attributes
    p.extend_from_slice(&0u32.to_be_bytes()); // rendering intent: perceptual
    for v in [0.9642, 1.0, 0.8249] {
        p.extend_from_slice(&s15f16(v)); // the connection space's illuminant, D50
    }
    p.extend_from_slice(&[0; 4]); // creator
    p.resize(128, 0);
    p.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    for (signature, offset, size) in entries {
        p.extend_from_slice(&signature);
        p.extend_from_slice(&offset.to_be_bytes());
        p.extend_from_slice(&size.to_be_bytes());
    }
    p.extend_from_slice(&data);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(p: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(p[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn the_profile_is_a_well_formed_icc_v2_rgb_display_profile() {
        let p = srgb_profile();
        assert_eq!(u32_at(&p, 0) as usize, p.len(), "the size field");
        assert_eq!(&p[12..16], b"mntr");
        assert_eq!(&p[16..20], b"RGB ");
        assert_eq!(&p[20..24], b"XYZ ");
        assert_eq!(&p[36..40], b"acsp");
        assert_eq!(p[8], 2, "version 2");
        let count = u32_at(&p, 128) as usize;
        assert_eq!(count, 9);
        let mut seen = Vec::new();
        for i in 0..count {
            let at = 132 + 12 * i;
            let (offset, size) = (u32_at(&p, at + 4) as usize, u32_at(&p, at + 8) as usize);
            assert_eq!(offset % 4, 0, "tag data is 4-byte aligned");
            assert!(offset + size <= p.len());
            seen.push(std::str::from_utf8(&p[at..at + 4]).unwrap().to_owned());
            let kind = &p[offset..offset + 4];
            assert!([&b"desc"[..], b"text", b"XYZ ", b"curv"].contains(&kind));
        }
        for tag in [
            "desc", "cprt", "wtpt", "rXYZ", "gXYZ", "bXYZ", "rTRC", "gTRC", "bTRC",
        ] {
            assert!(seen.contains(&tag.to_owned()), "{tag}");
        }
        // The curve: 0 maps to 0, 1 to 1, the middle to sRGB's 0.2145.
        let curve = p.windows(4).position(|w| w == b"curv").unwrap();
        let point = |i: usize| u16::from_be_bytes([p[curve + 12 + 2 * i], p[curve + 13 + 2 * i]]);
        assert_eq!(point(0), 0);
        assert_eq!(point(1023), 65535);
        assert!((f64::from(point(512)) / 65535.0 - 0.2145).abs() < 0.002);
    }
}

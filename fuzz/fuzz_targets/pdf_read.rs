//! The PDF reader on arbitrary bytes: open, pages (one walk and one by one), form fields, the
//! signatures and their byte ranges, the DocMDP permission, every object the xref lists.
#![no_main]

use ketqua::pdf::{self, Document, ObjRef, ReadLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_stream_bytes: 4 << 20,
        max_decoded_bytes: 16 << 20,
        ..ReadLimits::default()
    };
    let Ok(doc) = Document::open_within(data, &[], limits) else {
        return;
    };
    if let Ok(pages) = doc.pages() {
        for page in pages.iter().take(16) {
            let _ = (page.visible_box(), page.rotation());
        }
    }
    let _ = doc.page_count();
    let _ = doc.page(0);
    let _ = doc.fields();
    let _ = pdf::signatures(&doc);
    let _ = pdf::docmdp_permission(&doc);
    for num in doc.object_numbers().into_iter().take(256) {
        let _ = doc.resolve(ObjRef::new(num, 0));
    }
});

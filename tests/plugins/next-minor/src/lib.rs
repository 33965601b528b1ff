//! A test fixture: a masker built for `ferry:plugin@1.2.0`, a minor this ferry does not know yet,
//! which it must refuse before running it (and say to upgrade ferry or rebuild against its own).

wit_bindgen::generate!({ world: "masker-plugin", path: "wit" });

struct NextMinor;

impl exports::ferry::plugin::masker::Guest for NextMinor {
    fn mask(document: String) -> Result<String, String> {
        Ok(document)
    }
}

export!(NextMinor);

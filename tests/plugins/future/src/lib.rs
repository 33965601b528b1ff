//! A test fixture: a masker built for `ferry:plugin@2.0.0`, which this ferry must refuse before
//! running it.

wit_bindgen::generate!({ world: "masker-plugin", path: "wit" });

struct Future;

impl exports::ferry::plugin::masker::Guest for Future {
    fn mask(document: String) -> Result<String, String> {
        Ok(document)
    }
}

export!(Future);

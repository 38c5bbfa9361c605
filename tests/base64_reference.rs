//! The package's own base64 (src/platforms/things_stack/base64.rs) against the `base64` crate
//! configured as protobuf's JSON mapping reads `bytes`: padding optional, standard or URL-safe
//! alphabet, no bits after the last byte.
#![cfg(all(not(target_arch = "wasm32"), feature = "things-stack"))]

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use iotmqtt::platforms::things_stack::base64 as own;
use proptest::prelude::*;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);

fn reference(text: &str) -> Option<Vec<u8>> {
    GeneralPurpose::new(&alphabet::STANDARD, LENIENT)
        .decode(text)
        .or_else(|_| GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT).decode(text))
        .ok()
}

proptest! {
    #[test]
    fn encodes_as_the_crate_does(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let text = own::encode(&bytes);
        prop_assert_eq!(&text, &STANDARD.encode(&bytes));
        prop_assert_eq!(own::decode(&text).ok(), Some(bytes));
    }

    #[test]
    fn decodes_and_refuses_as_the_crate_does(text in "[A-Za-z0-9+/_=*-]{0,13}") {
        prop_assert_eq!(own::decode(&text).ok(), reference(&text), "{:?}", text);
    }

    #[test]
    fn decodes_near_misses_of_valid_text_as_the_crate_does(
        bytes in proptest::collection::vec(any::<u8>(), 0..12),
        cut in 0usize..3,
        url_safe in any::<bool>(),
    ) {
        let mut text = STANDARD.encode(&bytes);
        if url_safe {
            text = text.replace('+', "-").replace('/', "_");
        }
        let text = &text[..text.len() - cut.min(text.len())];
        prop_assert_eq!(own::decode(text).ok(), reference(text), "{:?}", text);
    }
}

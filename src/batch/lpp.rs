//! CayenneLPP readings as a batch, for `decodeCayenneLpp` (`npm/src/payload.ts` builds the object):
//! per reading its key, then `0` and the number, or `1` and three named numbers.

use super::Batch;
use crate::platforms::things_stack::lpp::{LppValue, Reading};

pub fn readings(readings: &[Reading]) -> Vec<u8> {
    let mut b = Batch::new();
    for r in readings {
        b.str(&r.key());
        match &r.value {
            LppValue::Number(n) => b.u8(0).f64(*n),
            LppValue::Whole(n) => b.u8(0).f64(f64::from(*n)),
            LppValue::Parts(parts) => {
                b.u8(1);
                for (name, n) in parts {
                    b.str(name).f64(*n);
                }
                &mut b
            }
        };
    }
    b.finish(None)
}

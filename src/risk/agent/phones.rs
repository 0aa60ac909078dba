//! Feature phones: Japanese carriers' handsets and the gateways that fetch for
//! them, when no browser was named.

use super::device::Device;
use super::labels::{self, Label};
use super::scan::Text;

/// In woothee's order: the first token found names the phone.
const PHONES: &[(&[&str], Label)] = &[
    (&["DoCoMo", ";FOMA;"], labels::DOCOMO),
    (&["KDDI-"], labels::AU),
    (&["SoftBank", "Vodafone", "J-PHONE"], labels::SOFTBANK),
    (&["WILLCOM", "DDIPOCKET"], labels::WILLCOM),
    (&["jig browser"], labels::JIG),
    (&["emobile/", "OpenBrowser", "Browser/Obigo-Browser"], labels::EMOBILE),
    (&["SymbianOS"], labels::SYMBIAN),
    (&["Hatena-Mobile-Gateway/", "livedoor-Mobile-Gateway/"], labels::MOBILE_TRANSCODER),
];

pub fn decide(agent: &Text, device: &mut Device) -> bool {
    match PHONES.iter().find(|(tokens, _)| tokens.iter().any(|t| agent.contains(t))) {
        Some((_, label)) => {
            device.apply(label);
            true
        }
        None => false,
    }
}

//! Game consoles and TVs, when no browser was named.

use super::device::Device;
use super::labels::{self, Label};
use super::scan::Text;

/// In woothee's order: the first token found names the appliance.
const APPLIANCES: &[(&[&str], Label)] = &[
    (&["PSP (PlayStation Portable)"], labels::PSP),
    (&["PlayStation Vita"], labels::PS_VITA),
    (&["PLAYSTATION 3 ", "PLAYSTATION 3;"], labels::PS3),
    (&["PlayStation 4 "], labels::PS4),
    (&["Nintendo 3DS;"], labels::NINTENDO_3DS),
    (&["Nintendo DSi;"], labels::NINTENDO_DSI),
    (&["Nintendo Wii;"], labels::NINTENDO_WII),
    (&["(Nintendo WiiU)"], labels::NINTENDO_WII_U),
    (&["InettvBrowser/"], labels::DIGITAL_TV),
];

pub fn decide(agent: &Text, device: &mut Device) -> bool {
    match APPLIANCES.iter().find(|(tokens, _)| tokens.iter().any(|t| agent.contains(t))) {
        Some((_, label)) => {
            device.apply(label);
            true
        }
        None => false,
    }
}

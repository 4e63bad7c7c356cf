//! Phone profiles the preview window is sized to.

/// One device profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Device {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it is.
    pub label: &'static str,
    /// Screen width in logical px.
    pub width: u32,
    /// Screen height in logical px.
    pub height: u32,
    /// Device pixel ratio.
    pub pixel_ratio: f64,
}

/// The profiles, the default first.
pub const DEVICES: &[Device] = &[
    Device {
        name: "iphone-se",
        label: "iPhone SE (3rd gen)",
        width: 375,
        height: 667,
        pixel_ratio: 2.0,
    },
    Device {
        name: "iphone-15",
        label: "iPhone 15",
        width: 393,
        height: 852,
        pixel_ratio: 3.0,
    },
    Device {
        name: "iphone-15-pro-max",
        label: "iPhone 15 Pro Max",
        width: 430,
        height: 932,
        pixel_ratio: 3.0,
    },
    Device {
        name: "pixel-8",
        label: "Google Pixel 8",
        width: 412,
        height: 915,
        pixel_ratio: 2.625,
    },
    Device {
        name: "galaxy-a14",
        label: "Samsung Galaxy A14 (entry level)",
        width: 360,
        height: 800,
        pixel_ratio: 2.0,
    },
    Device {
        name: "ipad-mini",
        label: "iPad mini",
        width: 744,
        height: 1133,
        pixel_ratio: 2.0,
    },
];

/// Finds a profile by name.
pub fn find_device(name: &str) -> Result<&'static Device, String> {
    DEVICES.iter().find(|d| d.name == name).ok_or_else(|| {
        let names: Vec<&str> = DEVICES.iter().map(|d| d.name).collect();
        format!("unknown device {name:?}; one of: {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_by_name_and_unknown_ones_listed() {
        assert_eq!(find_device("pixel-8").map(|d| d.width), Ok(412));
        let e = find_device("nokia-3310").expect_err("unknown device");
        assert!(
            e.contains("unknown device \"nokia-3310\"") && e.contains("iphone-se"),
            "{e}"
        );
        let mut names: Vec<_> = DEVICES.iter().map(|d| d.name).collect();
        names.dedup();
        assert_eq!(names.len(), DEVICES.len());
    }
}

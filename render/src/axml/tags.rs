//! The tags of Alipay's built-in components, and which names may be custom.

/// Alipay's built-in components (and the template directives written as
/// elements). Any other tag is a custom component: the document lists it in
/// [`Document::custom`], and whoever renders the document resolves it
/// through `usingComponents` or refuses it as unknown, with its position.
pub const COMPONENTS: &[&str] = &[
    "view",
    "text",
    "button",
    "image",
    "input",
    "textarea",
    "scroll-view",
    "swiper",
    "swiper-item",
    "navigator",
    "icon",
    "checkbox",
    "checkbox-group",
    "radio",
    "radio-group",
    "switch",
    "slider",
    "form",
    "label",
    "picker",
    "block",
    "template",
    "import",
    "include",
    "slot",
    "import-sjs",
    "rich-text",
    "progress",
    "movable-area",
    "movable-view",
    "cover-view",
    "cover-image",
    "picker-view",
    "picker-view-column",
    "canvas",
    "map",
    "video",
    "web-view",
    "lottie",
    "page-meta",
    "camera",
    "contact-button",
    "lifestyle",
    "audio",
];

/// Whether `tag` may name a custom component: ASCII letters, digits, `-`
/// and `_`, starting with a letter (what `usingComponents` keys are).
pub fn is_custom_name(tag: &str) -> bool {
    tag.starts_with(|c: char| c.is_ascii_alphabetic())
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !COMPONENTS.contains(&tag)
}

/// The template's own directives, written as elements: tags no
/// `usingComponents` may take.
pub const DIRECTIVES: &[&str] = &[
    "block",
    "template",
    "import",
    "include",
    "slot",
    "import-sjs",
];

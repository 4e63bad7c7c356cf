//! The render core, shared by every surface: AXML parsing, expressions,
//! rendering to a virtual DOM, ACSS, and diffing into patch ops.

pub mod acss;
pub mod axml;
pub mod diff;
pub mod events;
pub mod expr;
pub mod template;
pub mod vdom;

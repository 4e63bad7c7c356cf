//! The logic layer: a mini program's JS in boa, isolated from the host and from
//! every other mini program.

pub mod engine;
pub mod protocol;
#[cfg(test)]
mod tests;

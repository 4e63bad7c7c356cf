//! # mpkit-platform
//!
//! The management platform server: workspaces and roles, merchants and ISVs,
//! versions, the release workflow, signed release policy and eligibility.
//!
//! **Invariant**: every uploaded bundle is verified with `mpkit-bundle` before it
//! is stored, and every answer a device acts on is signed with the policy role.
//! It arrives with the platform issue.

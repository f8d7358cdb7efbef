//! What regshift learns from the disk around a file, apart from its bytes: the Helm chart it
//! belongs to ([`chart`]), a packaged chart's members ([`archive`]), the bases of a
//! kustomization ([`kustomize`]), the files a script's `sed` commands search ([`sed`]).
//! Detection never reads the disk; the engine asks these.

pub mod archive;
pub mod chart;
pub mod kustomize;
pub mod sed;

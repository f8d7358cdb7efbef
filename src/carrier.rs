//! What a file carries, chosen once per file from its name and its place in a Helm chart: a
//! manifest, Helm values, a template, a Dockerfile, a script, program source... Every later
//! decision that depends on the kind of file (comment syntax, whether YAML structure applies,
//! how contexts are labelled, whether a fix is unsafe) asks the [`Carrier`], never the name.
//!
//! Carriers that live inside files rather than being files (a kubelet flag on a command line, a
//! containerd `sandbox_image`, a kubeadm configuration in a YAML document) are found by the
//! line pattern table (`detect/text.rs`) and the structural fixes (`detect/structural/`).

/// The names kustomize reads in a folder, in its order of preference.
pub const KUSTOMIZATION_NAMES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether the file at `path` (a display path, `/`-separated) is a kustomization.
pub fn is_kustomization(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    KUSTOMIZATION_NAMES.contains(&name)
}

/// A file's role in a Helm chart, decided from the file system (`layout::chart`) or from an
/// archive's member names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartRole {
    /// `Chart.yaml`: metadata, with YAML inside `artifacthub.io/images`.
    ChartYaml,
    /// `values*.yaml` at the chart root or under `ci/`.
    Values,
    /// Anything under `templates/`: Go templates.
    Template,
    /// Any other file of a chart (`crds/`, `values.schema.json`, `README.md`).
    Other,
}

/// What kind of file this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// YAML that is none of the below: Kubernetes manifests, configuration files, workflows.
    Yaml,
    /// A Helm chart's `values*.yaml`.
    HelmValues,
    /// A Helm chart's `Chart.yaml`.
    ChartYaml,
    /// `kustomization.yaml`: `images[].name` is a match key, inline patches are manifests.
    Kustomization,
    Json,
    /// A Go template (Helm `templates/*.yaml`, `_helpers.tpl`, `*.tpl`): not YAML until
    /// rendered.
    GoTemplate,
    Markdown,
    Dockerfile,
    Shell,
    Makefile,
    Toml,
    /// INI-style files: systemd units and drop-ins, `.conf`, `.ini`, `.cfg`.
    Ini,
    /// `KEY=value` files: `.env`, `/etc/default/kubelet`, `kubeadm-flags.env`.
    Env,
    Terraform,
    /// Go, Python, Java, JavaScript, Rust, C and friends: code often names the old host on
    /// purpose, so its fixes are unsafe.
    ProgramSource,
    /// A patch (`*.diff`, `*.patch`): the record of a change, which is history.
    Patch,
    /// Anything else that is text.
    Text,
}

/// How a YAML file's documents are read: the label of their contexts and their special keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// "yaml", "json", "template", "values", "kustomization", "chart".
    pub label: &'static str,
    /// Keys whose literal block value (or, for a list, each literal block item) is a YAML
    /// document of its own.
    pub embedded_yaml_keys: &'static [&'static str],
    /// Keys whose value is history, never rewritten.
    pub history_keys: &'static [&'static str],
}

impl Dialect {
    pub const fn plain(label: &'static str) -> Dialect {
        Dialect {
            label,
            embedded_yaml_keys: &[],
            history_keys: &[],
        }
    }
}

impl Carrier {
    /// The carrier of a file named `path` (`/`-separated) with `role` in a chart, if any.
    pub fn of(path: &str, role: Option<ChartRole>) -> Carrier {
        let by_name = Self::from_name(path);
        if by_name != Carrier::Yaml {
            return by_name;
        }
        match role {
            // Helm renders every file under `templates/`.
            Some(ChartRole::Template) => Carrier::GoTemplate,
            Some(ChartRole::Values) => Carrier::HelmValues,
            _ if is_kustomization(path) => Carrier::Kustomization,
            Some(ChartRole::ChartYaml) => Carrier::ChartYaml,
            _ => Carrier::Yaml,
        }
    }

    /// A file whose name tells nothing ([`Carrier::Text`]) but whose first line runs a shell
    /// (`#!/bin/bash`, `#!/usr/bin/env sh`) is a shell script: `hack/verify`, `scripts/*` and
    /// `bin/*` tools often have no extension.
    pub fn with_content(self, bytes: &[u8]) -> Carrier {
        if self != Carrier::Text || !bytes.starts_with(b"#!") {
            return self;
        }
        let line = bytes
            .split(|byte| *byte == b'\n')
            .next()
            .unwrap_or_default();
        let mut words = line[2..]
            .split(|byte| byte.is_ascii_whitespace())
            .filter(|word| !word.is_empty());
        let mut program = words.next().unwrap_or_default();
        if program.ends_with(b"/env") {
            // `env -S bash -e`: the first word that is not an option names the interpreter.
            program = words
                .find(|word| !word.starts_with(b"-"))
                .unwrap_or_default();
        }
        let name = program
            .rsplit(|byte| *byte == b'/')
            .next()
            .unwrap_or_default();
        if [
            b"sh".as_slice(),
            b"bash",
            b"zsh",
            b"ksh",
            b"dash",
            b"ash",
            b"mksh",
        ]
        .contains(&name)
        {
            Carrier::Shell
        } else {
            self
        }
    }

    /// The carrier a file's name alone tells (YAML in a `templates/` folder is a template).
    fn from_name(path: &str) -> Carrier {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let lower = file_name.to_ascii_lowercase();
        let extension = lower.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
        if lower == "dockerfile"
            || lower == "containerfile"
            || lower.starts_with("dockerfile.")
            || lower.starts_with("containerfile.")
            || extension == "dockerfile"
            || extension == "containerfile"
        {
            return Carrier::Dockerfile;
        }
        if lower == "kustomization" {
            return Carrier::Yaml;
        }
        if lower == "makefile" || lower == "gnumakefile" || extension == "mk" || extension == "make"
        {
            return Carrier::Makefile;
        }
        match extension {
            "yaml" | "yml" => {
                if is_in_templates_dir(path) {
                    Carrier::GoTemplate
                } else {
                    Carrier::Yaml
                }
            }
            "json" => Carrier::Json,
            "tpl" | "gotmpl" | "tmpl" => Carrier::GoTemplate,
            "md" | "markdown" | "mdx" => Carrier::Markdown,
            "sh" | "bash" | "zsh" | "ksh" => Carrier::Shell,
            "toml" => Carrier::Toml,
            "service" | "socket" | "timer" | "conf" | "ini" | "cfg" => Carrier::Ini,
            "env" => Carrier::Env,
            "diff" | "patch" => Carrier::Patch,
            "tf" | "tfvars" | "hcl" => Carrier::Terraform,
            "go" | "py" | "pyi" | "java" | "kt" | "kts" | "scala" | "groovy" | "js" | "jsx"
            | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" | "rs" | "c" | "h" | "cc" | "cpp"
            | "cxx" | "hpp" | "hh" | "cs" | "rb" | "php" | "swift" | "m" | "mm" | "lua" | "pl"
            | "pm" | "dart" | "ex" | "exs" | "erl" | "clj" | "hs" | "ml" | "fs" | "vb" | "zig"
            | "nim" | "jl" | "r" => Carrier::ProgramSource,
            _ if lower == ".env" || lower.starts_with(".env.") || lower == "kubelet" => {
                Carrier::Env
            }
            _ => Carrier::Text,
        }
    }

    /// YAML files of every role read as YAML for their syntax (comments, structure).
    fn syntax(self) -> Carrier {
        match self {
            Carrier::HelmValues | Carrier::ChartYaml | Carrier::Kustomization => Carrier::Yaml,
            other => other,
        }
    }

    /// Whether the YAML parser gives this file structure, and a fix must keep it parsing.
    pub fn is_yaml_like(self) -> bool {
        matches!(self.syntax(), Carrier::Yaml | Carrier::Json)
    }

    /// Whether `#` starts a comment in this kind of file.
    pub fn has_hash_comments(self) -> bool {
        matches!(
            self.syntax(),
            Carrier::Yaml
                | Carrier::GoTemplate
                | Carrier::Dockerfile
                | Carrier::Shell
                | Carrier::Makefile
                | Carrier::Toml
                | Carrier::Ini
                | Carrier::Env
                | Carrier::Terraform
                | Carrier::Text
        )
    }

    /// Whether `//` starts a comment in this kind of file.
    pub fn has_slash_comments(self) -> bool {
        matches!(self, Carrier::ProgramSource | Carrier::Terraform)
    }

    /// The name of the file's syntax in text contexts ("Dockerfile", "shell", "yaml", ...).
    pub fn label(self) -> &'static str {
        match self.syntax() {
            Carrier::Json => "json",
            Carrier::GoTemplate => "template",
            Carrier::Markdown => "markdown",
            Carrier::Dockerfile => "Dockerfile",
            Carrier::Shell => "shell",
            Carrier::Makefile => "Makefile",
            Carrier::Toml => "toml",
            Carrier::Ini => "config",
            Carrier::Env => "env",
            Carrier::Terraform => "terraform",
            Carrier::ProgramSource => "source",
            Carrier::Patch => "patch",
            Carrier::Text => "text",
            _ => "yaml",
        }
    }

    /// How the file's YAML documents are read.
    pub fn dialect(self) -> Dialect {
        match self {
            Carrier::Json => Dialect::plain("json"),
            Carrier::GoTemplate => Dialect::plain("template"),
            Carrier::HelmValues => Dialect::plain("values"),
            Carrier::Kustomization => Dialect {
                label: "kustomization",
                // Inline patches are manifests in a string.
                embedded_yaml_keys: &["patch", "patchesStrategicMerge"],
                history_keys: &[],
            },
            Carrier::ChartYaml => Dialect {
                label: "chart",
                // artifacthub.io/images lists the chart's images as YAML in a string; the
                // changes annotation is the chart's changelog (Artifact Hub's annotations).
                embedded_yaml_keys: &["artifacthub.io/images"],
                history_keys: &["artifacthub.io/changes"],
            },
            _ => Dialect::plain("yaml"),
        }
    }
}

/// Helm renders every file under a chart's `templates/` folder, so YAML there is a template.
fn is_in_templates_dir(path: &str) -> bool {
    path.split('/').rev().skip(1).any(|dir| dir == "templates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriers_from_names() {
        assert_eq!(Carrier::of("deploy/app.yaml", None), Carrier::Yaml);
        assert_eq!(
            Carrier::of("charts/x/templates/deploy.yaml", None),
            Carrier::GoTemplate
        );
        assert_eq!(
            Carrier::of("build/Dockerfile.arm64", None),
            Carrier::Dockerfile
        );
        assert_eq!(Carrier::of("cmd/main.go", None), Carrier::ProgramSource);
        let script =
            |first_line: &str| Carrier::of("hack/verify", None).with_content(first_line.as_bytes());
        assert_eq!(script("#!/bin/bash\nset -e\n"), Carrier::Shell);
        assert_eq!(script("#!/usr/bin/env -S bash -eu\n"), Carrier::Shell);
        assert_eq!(script("#! /bin/sh"), Carrier::Shell);
        assert_eq!(script("#!/usr/bin/env python3\n"), Carrier::Text);
        assert_eq!(script("echo hi\n"), Carrier::Text);
        // A name that tells its kind wins over the first line.
        assert_eq!(
            Carrier::of("deploy/app.yaml", None).with_content(b"#!/bin/bash\n"),
            Carrier::Yaml
        );
        assert_eq!(Carrier::of("Makefile", None), Carrier::Makefile);
        assert_eq!(
            Carrier::of("etc/kubelet.service.d/10.conf", None),
            Carrier::Ini
        );
        assert_eq!(Carrier::of("kubeadm-flags.env", None), Carrier::Env);
        assert_eq!(Carrier::of("README", None), Carrier::Text);
        assert_eq!(Carrier::of("hack/fix-registry.patch", None), Carrier::Patch);
        assert_eq!(Carrier::of("0001-move.DIFF", None), Carrier::Patch);
        assert_eq!(
            Carrier::of("base/kustomization.yml", None),
            Carrier::Kustomization
        );
        assert_eq!(
            Carrier::of("base/Kustomization", None),
            Carrier::Kustomization
        );
    }

    #[test]
    fn chart_roles_choose_yaml_carriers() {
        assert_eq!(
            Carrier::of("web/values.yaml", Some(ChartRole::Values)),
            Carrier::HelmValues
        );
        assert_eq!(
            Carrier::of("web/Chart.yaml", Some(ChartRole::ChartYaml)),
            Carrier::ChartYaml
        );
        assert_eq!(
            Carrier::of("web/templates/crd/x.yaml", Some(ChartRole::Template)),
            Carrier::GoTemplate
        );
        // The name wins over the role: a JSON file stays JSON, a Markdown file Markdown.
        assert_eq!(
            Carrier::of("web/values.schema.json", Some(ChartRole::Other)),
            Carrier::Json
        );
        assert_eq!(Carrier::HelmValues.label(), "yaml");
        assert_eq!(Carrier::HelmValues.dialect().label, "values");
        assert!(
            Carrier::Kustomization.is_yaml_like() && Carrier::Kustomization.has_hash_comments()
        );
    }
}

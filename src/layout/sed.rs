//! The files a script's `sed` commands (and `perl -pi -e`, used the same way) read or edit in
//! place. A substitution pattern that names the old host
//! (`sed -i "s/k8s.gcr.io/mirror.local/g" etc/kubeadm.yaml`) matches text in another file; when
//! that file is in the scanned tree and regshift rewrites it, the pattern must move with it, or
//! the build step silently stops matching. This module finds the commands and where their files
//! may be; the engine reads what the files hold once fixed.

use std::path::{Component, Path, PathBuf};

/// One `sed` command that reads or edits files, on one line of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SedCommand {
    /// The 0-based line the command is on.
    pub line: usize,
    /// Its file operands, unquoted, as written.
    pub files: Vec<String>,
}

/// Whether `bytes` may run `sed` (or `perl -pi`, which scripts use the same way): the cheap
/// test that decides whether a file waits for the others to be fixed first.
pub fn may_run_sed(bytes: &[u8]) -> bool {
    has_word(bytes, b"sed") || has_word(bytes, b"perl")
}

/// Whether `word` stands in `bytes` as a word of its own (not in `used` or `sed.yaml`).
fn has_word(bytes: &[u8], word: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, word).any(|at| {
        (at == 0 || !is_word_byte(bytes[at - 1]))
            && bytes
                .get(at + word.len())
                .is_none_or(|byte| !is_word_byte(*byte))
    })
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' || byte == b'.'
}

/// Every `sed` command in `text` that names files to read or to edit in place (`-i`,
/// `-i.bak`, `-i ''`, `-ri`, `--in-place`), with those files. A command continued on the
/// next line (`\` at the end) is read up to the end of its first line.
pub fn sed_commands(text: &str) -> Vec<SedCommand> {
    let mut edits = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if !may_run_sed(line.as_bytes()) {
            continue;
        }
        for command in commands(line) {
            if let Some(files) = sed_files(&command).or_else(|| perl_files(&command)) {
                edits.push(SedCommand {
                    line: number,
                    files,
                });
            }
        }
    }
    edits
}

/// A line's simple commands, each as its words (quotes removed, expansions left as written).
/// Words end at blanks; commands end at `;`, `&`, `|`, a redirection, a parenthesis or a
/// comment.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let finish_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
        }
        *in_word = false;
    };
    while let Some(ch) = chars.next() {
        match ch {
            ' ' | '\t' => finish_word(&mut words, &mut word, &mut in_word),
            ';' | '&' | '|' | '>' | '<' | '(' | ')' | '`' => {
                finish_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
                // The target of a redirection is not an operand.
                if matches!(ch, '>' | '<') {
                    while chars
                        .peek()
                        .is_some_and(|next| matches!(next, '>' | '&' | ' '))
                    {
                        chars.next();
                    }
                    while chars.peek().is_some_and(|next| !matches!(next, ' ' | '\t')) {
                        chars.next();
                    }
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                for quoted in chars.by_ref() {
                    if quoted == '\'' {
                        break;
                    }
                    word.push(quoted);
                }
            }
            '"' => {
                in_word = true;
                while let Some(quoted) = chars.next() {
                    match quoted {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(escaped) = chars.next() {
                    word.push(escaped);
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    finish_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// Where `program` (`sed`, `/usr/bin/sed`) starts the command: after nothing but a prefix that
/// runs its argument (`sudo`, `env`, `command`, a variable assignment).
fn program_start(words: &[String], names: &[&str]) -> Option<usize> {
    let start = words.iter().position(|word| {
        let name = word.rsplit('/').next().unwrap_or(word);
        names.contains(&name)
    })?;
    words[..start]
        .iter()
        .all(|word| {
            [
                "sudo", "env", "command", "exec", "then", "do", "else", "!", "-E",
            ]
            .contains(&word.as_str())
                || (word.contains('=') && !word.starts_with('-'))
        })
        .then_some(start)
}

/// The file operands of a `sed` command; `None` if the command is not one, or names no file
/// (it reads standard input).
fn sed_files(words: &[String]) -> Option<Vec<String>> {
    let start = program_start(words, &["sed", "gsed"])?;
    let mut script_given = false;
    let mut operands = Vec::new();
    let mut rest = words[start + 1..].iter().peekable();
    while let Some(word) = rest.next() {
        if word == "--" {
            operands.extend(rest.by_ref().cloned());
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            if long.starts_with("expression") || long.starts_with("file") {
                script_given = true;
                if !long.contains('=') {
                    rest.next();
                }
            }
            continue;
        }
        if let Some(flags) = word.strip_prefix('-').filter(|flags| !flags.is_empty()) {
            for (at, flag) in flags.char_indices() {
                match flag {
                    // `-i` takes the rest of the word as its suffix, and BSD sed an empty
                    // word after it (`-i ''`).
                    'i' => {
                        if at + 1 == flags.len() && rest.peek().is_some_and(|next| next.is_empty())
                        {
                            rest.next();
                        }
                        break;
                    }
                    'e' | 'f' => {
                        script_given = true;
                        if at + 1 == flags.len() {
                            rest.next();
                        }
                        break;
                    }
                    _ => {}
                }
            }
            continue;
        }
        if !script_given {
            script_given = true;
            continue;
        }
        operands.push(word.clone());
    }
    (!operands.is_empty()).then_some(operands)
}

/// The file operands of a `perl` command with its program on the command line
/// (`perl -pi -e 's/k8s.gcr.io/…/' FILE`); `None` if the command is not one, or names no file.
fn perl_files(words: &[String]) -> Option<Vec<String>> {
    let start = program_start(words, &["perl"])?;
    let mut inline = false;
    let mut operands = Vec::new();
    let mut rest = words[start + 1..].iter();
    while let Some(word) = rest.next() {
        if word == "--" {
            operands.extend(rest.by_ref().cloned());
            break;
        }
        let Some(flags) = word.strip_prefix('-').filter(|flags| !flags.is_empty()) else {
            operands.push(word.clone());
            continue;
        };
        for (at, flag) in flags.char_indices() {
            match flag {
                // The program: the rest of the word, or the next one.
                'e' | 'E' => {
                    inline = true;
                    if at + 1 == flags.len() {
                        rest.next();
                    }
                    break;
                }
                // Options whose argument is the rest of the word (`-i.bak`, `-Mstrict`, `-0777`).
                'i' | 'M' | 'm' | 'I' | 'x' | 'C' | 'd' | 'D' | 'F' | 'l' | '0'..='9' => break,
                _ => {}
            }
        }
    }
    // Without `-e` the first operand is the program's file.
    (inline && !operands.is_empty()).then_some(operands)
}

/// Where a file operand may be, for a script at `script` inside the scanned root `root`: the
/// operand relative to the script's folder and to each folder above it up to the root, in that
/// order. `None` for a path that names no file of the tree: absolute (`/etc/…`, a file on the
/// machine the script runs on), a glob, or an expansion past its first segment. A leading
/// expansion (`"$ROOT/etc/kubeadm.yaml"`, `${DIR}/../x`) is dropped: it names a folder of the
/// tree the script knows and regshift does not, so the rest is looked for like a relative path.
pub fn operand_suffix(operand: &str) -> Option<PathBuf> {
    if operand.starts_with('/') || operand.starts_with('~') {
        return None;
    }
    let mut parts: Vec<&str> = operand.split('/').collect();
    while parts.first().is_some_and(|part| part.starts_with('$')) {
        parts.remove(0);
    }
    let mut suffix = PathBuf::new();
    for part in parts {
        if part.is_empty() || part == "." || part == ".." {
            continue;
        }
        if part.contains(['$', '*', '?', '[', '{', '`']) {
            return None;
        }
        suffix.push(part);
    }
    (suffix.components().count() > 0).then_some(suffix)
}

/// The folders a relative operand is looked up from, nearest first: the script's folder and
/// each one above it, up to `root`.
pub fn lookup_folders<'a>(script: &'a Path, root: &'a Path) -> impl Iterator<Item = &'a Path> {
    script
        .ancestors()
        .skip(1)
        .take_while(move |folder| folder.starts_with(root))
}

/// Whether `path` ends with all of `suffix`'s components.
pub fn ends_with_components(path: &Path, suffix: &Path) -> bool {
    let tail: Vec<Component> = suffix.components().collect();
    let components: Vec<Component> = path.components().collect();
    components.len() >= tail.len() && components[components.len() - tail.len()..] == tail[..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_of(line: &str) -> Vec<Vec<String>> {
        sed_commands(line)
            .into_iter()
            .map(|edit| edit.files)
            .collect()
    }

    #[test]
    fn sed_commands_and_their_files() {
        assert_eq!(
            files_of(r#"sudo sed -i "s/k8s.gcr.io/sea.hub:5000/g" rootfs/etc/kubeadm.yml.tmpl"#),
            [["rootfs/etc/kubeadm.yml.tmpl"]]
        );
        assert_eq!(
            files_of("sed -i.bak -e 's|k8s.gcr.io|x|' -e 's/a/b/' a.yaml b.yaml && echo done"),
            [["a.yaml", "b.yaml"]]
        );
        assert_eq!(
            files_of("sed -i '' 's/k8s.gcr.io/x/' conf.toml"),
            [["conf.toml"]]
        );
        assert_eq!(
            files_of("sed -ri 's/k8s.gcr.io/x/' \"$ROOT/conf.toml\" # edit"),
            [["$ROOT/conf.toml"]]
        );
        assert_eq!(
            files_of("sed --in-place=.orig --expression='s/k8s.gcr.io/x/' -- c.yaml"),
            [["c.yaml"]]
        );
        assert_eq!(
            files_of("perl -pi.bak -e 's/k8s.gcr.io/x/g' a.yaml b.yaml"),
            [["a.yaml", "b.yaml"]]
        );
        assert_eq!(
            files_of("sudo /usr/bin/perl -i -pe 's|k8s.gcr.io|x|' etc/c.toml"),
            [["etc/c.toml"]]
        );
        // A program in a file names no pattern on this line.
        assert!(files_of("perl rewrite.pl a.yaml").is_empty());
        assert_eq!(
            files_of("if true; then sed -i s/k8s.gcr.io/x/ a.yaml; fi"),
            [["a.yaml"]]
        );
    }

    #[test]
    fn commands_that_read_no_file() {
        // Without -i the file is read, and the redirection's target is not an operand.
        assert_eq!(
            files_of("sed 's/k8s.gcr.io/x/' a.yaml > b.yaml"),
            [["a.yaml"]]
        );
        // A pipe: no file.
        assert!(files_of("echo $image | sed -i 's/k8s.gcr.io/x/'").is_empty());
        // Another program's argument.
        assert!(files_of("grep -i sed a.yaml").is_empty());
        assert!(files_of("# sed -i 's/k8s.gcr.io/x/' a.yaml").is_empty());
    }

    #[test]
    fn operands_become_suffixes_to_look_for() {
        assert_eq!(
            operand_suffix("./rootfs/etc/kubeadm.yml"),
            Some(PathBuf::from("rootfs/etc/kubeadm.yml"))
        );
        assert_eq!(
            operand_suffix("${DIR}/../config/kind.yaml"),
            Some(PathBuf::from("config/kind.yaml"))
        );
        assert_eq!(operand_suffix("/etc/containerd/config.toml"), None);
        assert_eq!(operand_suffix("manifests/*.yaml"), None);
        assert_eq!(operand_suffix("out/$NAME.yaml"), None);
        // An expansion as the whole operand names no file of the tree.
        assert_eq!(operand_suffix("$FILES"), None);
        assert!(ends_with_components(
            Path::new("/r/context/rootfs/etc/kubeadm.yml"),
            Path::new("rootfs/etc/kubeadm.yml")
        ));
        assert!(!ends_with_components(
            Path::new("/r/context/myrootfs/etc/kubeadm.yml"),
            Path::new("rootfs/etc/kubeadm.yml")
        ));
    }

    #[test]
    fn the_gate_finds_sed() {
        assert!(may_run_sed(b"x\nsed -i 's/a/b/' f\n"));
        assert!(may_run_sed(b"sudo /usr/bin/sed 's/a/b/' f"));
        assert!(!may_run_sed(b"used -i here"));
        assert!(!may_run_sed(b"sed.yaml"));
        assert!(may_run_sed(b"perl -pi -e 's/a/b/' f"));
    }
}

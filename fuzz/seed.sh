#!/usr/bin/env bash
# Build the seed corpus for detect_fix_render from the repository's fixtures.
#
# Each fuzz input is one selector byte followed by the file's bytes; the selector picks the
# file name from NAMES in fuzz/src/lib.rs (keep the two tables in step). Every text fixture is
# copied under the selector that matches its own name, so a values.yaml seeds the values
# dialect, a Dockerfile the Dockerfile rules, and so on. The regression inputs in
# fixtures/fuzz/ are copied as they are (they carry their selector already).
#
# usage: fuzz/seed.sh [CORPUS_DIR]     (default: fuzz/corpus/detect_fix_render)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="${1:-$here/corpus/detect_fix_render}"
mkdir -p "$corpus"

# The selector for a fixture path (indexes into NAMES in fuzz/src/lib.rs), or nothing to skip.
selector_for() {
    local path="$1" name lower
    name="$(basename "$path")"
    lower="$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')"
    case "$path" in
        */templates/*.yaml | */templates/*.yml) echo 6; return ;;
        */templates/*.tpl | *.tpl) echo 12; return ;;
    esac
    case "$name" in
        Chart.yaml) echo 7; return ;;
        kustomization.yaml | kustomization.yml | Kustomization)
            # Both dialects: bases outside the tree (newName inserted) and in the tree.
            echo "8 11"; return ;;
        values*.yaml | values*.yml) echo "9 15"; return ;;
    esac
    case "$lower" in
        *.tgz | *.tar | *.tar.gz | *.stdout | *.stderr | .gitignore | .gitattributes) return ;;
        dockerfile | dockerfile.* | containerfile | *.dockerfile) echo 2 ;;
        makefile | *.mk) echo 13 ;;
        kubelet | *.env | .env) echo 14 ;;
        *.yaml | *.yml) echo 0 ;;
        *.json) echo 1 ;;
        *.sh | *.bash) echo 3 ;;
        *.go | *.py | *.rs | *.js | *.ts) echo 4 ;;
        *.md) echo 5 ;;
        *.toml) echo 10 ;;
        *.service | *.conf | *.ini | *.cfg) echo 16 ;;
        *.tf | *.tfvars | *.hcl) echo 17 ;;
        *) echo 18 ;;
    esac
}

count=0
while IFS= read -r -d '' file; do
    relative="${file#"$root"/}"
    case "$relative" in fixtures/fuzz/*) continue ;; esac
    for selector in $(selector_for "$relative"); do
        # A stable name per fixture and selector, so re-running the script adds nothing twice.
        id="$(printf '%s\0%s' "$selector" "$relative" | sha1sum | cut -c1-16)"
        {
            printf "\\$(printf '%03o' "$selector")"
            cat "$file"
        } >"$corpus/seed-$id"
        count=$((count + 1))
    done
done < <(find "$root/fixtures" -type f -size -1024k -print0 | sort -z)

# Regression inputs (crashers found before) keep their selector byte.
if [ -d "$root/fixtures/fuzz" ]; then
    while IFS= read -r -d '' file; do
        cp "$file" "$corpus/regression-$(basename "$file")"
        count=$((count + 1))
    done < <(find "$root/fixtures/fuzz" -type f -name 'crash-*' -print0 | sort -z)
fi

echo "seed.sh: $count inputs in $corpus" >&2

#!/usr/bin/env bash
# Prints the CHANGELOG.md section of one version, without its heading: the notes of a GitHub
# release (.github/workflows/release.yml). Headings follow Keep a Changelog: `## [1.2.3] - date`
# or `## 1.2.3 - date`; `Unreleased` is a version name too. Fails when the section is missing
# or empty, so a release never goes out without notes.
#
# Usage: scripts/release-notes.sh VERSION [CHANGELOG]
set -euo pipefail
version="${1:?usage: release-notes.sh VERSION [CHANGELOG]}"
changelog="${2:-CHANGELOG.md}"
notes="$(awk -v version="$version" '
    /^## / {
        heading = $0
        sub(/^## +/, "", heading)
        sub(/ .*/, "", heading)
        gsub(/^\[|\]$/, "", heading)
        if (found) exit
        found = (heading == version)
        next
    }
    found { print }
' "$changelog")"
# Trim blank lines at both ends.
notes="$(printf '%s\n' "$notes" | sed -e '/./,$!d')"
if [ -z "${notes//[[:space:]]/}" ]; then
    echo "release-notes.sh: no section for version $version in $changelog" >&2
    exit 1
fi
printf '%s\n' "$notes"

#!/usr/bin/env bash
# Installs regshift for the GitHub Action: a released binary for the runner's OS and
# architecture when INPUT_VERSION names a release, else a build of this action's checkout with
# cargo. The binary lands in $RUNNER_TEMP/regshift/bin, which is added to $GITHUB_PATH.
#
# Release assets are named regshift-<version>-<target>.tar.gz (with a .sha256 beside them),
# each holding the regshift binary.
set -euo pipefail

version="${INPUT_VERSION:-source}"
root="${RUNNER_TEMP:?RUNNER_TEMP is not set}/regshift"
bin="$root/bin"
mkdir -p "$bin"

fetch() { # URL OUTPUT: curl, or wget where curl is missing
    if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget --quiet --tries=3 --output-document="$2" "$1"
    else
        echo "::error title=regshift::neither curl nor wget is available to download regshift" >&2
        return 1
    fi
}

target() {
    case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
        Linux/X64) echo x86_64-unknown-linux-musl ;;
        Linux/ARM64) echo aarch64-unknown-linux-musl ;;
        macOS/X64) echo x86_64-apple-darwin ;;
        macOS/ARM64) echo aarch64-apple-darwin ;;
        Windows/X64) echo x86_64-pc-windows-msvc ;;
        *)
            echo "::error title=regshift::no prebuilt regshift for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; use version: source" >&2
            return 1
            ;;
    esac
}

if [ "$version" = "source" ]; then
    cargo install --locked --quiet --path "${GITHUB_ACTION_PATH:?}" --root "$root"
else
    # A version is a release tag and nothing else: it goes into a URL.
    if ! [[ "$version" =~ ^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
        echo "::error title=regshift::version must be a release such as v0.1.0, or source" >&2
        exit 2
    fi
    version="v${version#v}"
    asset="regshift-$version-$(target).tar.gz"
    base="${REGSHIFT_RELEASES:-https://github.com/regshift/regshift/releases/download}/$version"
    work="$(mktemp -d)"
    fetch "$base/$asset" "$work/$asset"
    fetch "$base/$asset.sha256" "$work/$asset.sha256"
    expected="$(cut -d' ' -f1 <"$work/$asset.sha256")"
    if command -v sha256sum >/dev/null 2>&1; then
        actual="$(sha256sum "$work/$asset" | cut -d' ' -f1)"
    else
        actual="$(shasum -a 256 "$work/$asset" | cut -d' ' -f1)"
    fi
    if [ "$expected" != "$actual" ]; then
        echo "::error title=regshift::checksum mismatch for $asset" >&2
        exit 2
    fi
    tar -xzf "$work/$asset" -C "$bin" regshift
    rm -rf "$work"
fi

echo "$bin" >>"${GITHUB_PATH:?}"
"$bin/regshift" --version

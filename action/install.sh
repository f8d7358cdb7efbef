#!/usr/bin/env bash
# Installs regshift for the GitHub Action, first step: a released binary for the runner's OS
# and architecture, checksum verified. The binary lands in $RUNNER_TEMP/regshift/bin, which is
# added to $GITHUB_PATH.
#
# INPUT_VERSION:
#   ""        the release of the action's own version (Cargo.toml of the action's checkout);
#             when that is a development version (1.3.0-dev, what main carries between
#             releases) or its release cannot be downloaded (a runner with no prebuilt
#             binary), the next steps build the action from source, cached.
#   v1.2.3    that release; failing to download it fails the step.
#   source    always the cached source build.
#
# Step outputs: installed=true|false, and for the source build the cache-key (OS, architecture,
# version and a hash of Cargo.lock, Cargo.toml and src/) and cache-path (the cargo install root)
# that action/build.sh and actions/cache use.
#
# Release assets are named regshift-<version>-<target>.tar.gz (.zip on Windows) with a .sha256
# beside them, the binary at the archive's top (.github/workflows/release.yml builds them).
set -euo pipefail

action="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
version="${INPUT_VERSION:-}"
root="${RUNNER_TEMP:?RUNNER_TEMP is not set}/regshift"
bin="$root/bin"

fetch() { # URL OUTPUT: curl, or wget where curl is missing
    if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget --quiet --tries=3 --output-document="$2" "$1"
    else
        echo "neither curl nor wget is available to download regshift" >&2
        return 1
    fi
}

sha256() { # the SHA-256 of standard input, in hex
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | cut -d' ' -f1
    else
        shasum -a 256 | cut -d' ' -f1
    fi
}

# The action checkout's version, from its Cargo.toml.
crate_version() {
    sed -n 's/^version = "\(.*\)"$/\1/p' "$action/Cargo.toml" | head -n 1
}

target() {
    case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
        Linux/X64) echo x86_64-unknown-linux-musl ;;
        Linux/ARM64) echo aarch64-unknown-linux-musl ;;
        macOS/X64) echo x86_64-apple-darwin ;;
        macOS/ARM64) echo aarch64-apple-darwin ;;
        Windows/X64) echo x86_64-pc-windows-msvc ;;
        *)
            echo "no prebuilt regshift for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" >&2
            return 1
            ;;
    esac
}

# Download and unpack release $1 (v1.2.3) into $bin; non-zero when any part fails.
download() {
    local tag="$1" triple asset base work expected actual
    triple="$(target)" || return 1
    case "$triple" in
        *-windows-*) asset="regshift-$tag-$triple.zip" ;;
        *) asset="regshift-$tag-$triple.tar.gz" ;;
    esac
    base="${REGSHIFT_RELEASES:-https://github.com/regshift/regshift/releases/download}/$tag"
    work="$(mktemp -d)"
    if ! fetch "$base/$asset" "$work/$asset" || ! fetch "$base/$asset.sha256" "$work/$asset.sha256"; then
        rm -rf "$work"
        echo "cannot download $asset" >&2
        return 1
    fi
    expected="$(cut -d' ' -f1 <"$work/$asset.sha256")"
    actual="$(sha256 <"$work/$asset")"
    if [ "$expected" != "$actual" ]; then
        rm -rf "$work"
        echo "::error title=regshift::checksum mismatch for $asset" >&2
        exit 2 # never fall back past a bad checksum: something is wrong with the download
    fi
    mkdir -p "$bin"
    case "$asset" in
        *.zip) unzip -o -q "$work/$asset" regshift.exe -d "$bin" ;;
        *) tar -xzf "$work/$asset" -C "$bin" regshift ;;
    esac
    rm -rf "$work"
}

# The source build's cache key: runner, version, and everything the build reads.
source_key() {
    local hash
    hash="$(
        cd "$action" && {
            cat Cargo.lock Cargo.toml
            find src -type f -name '*.rs' | LC_ALL=C sort | while IFS= read -r file; do
                printf '%s\n' "$file"
                cat "$file"
            done
        } | sha256 | cut -c1-16
    )"
    echo "regshift-source-${RUNNER_OS:-Linux}-${RUNNER_ARCH:-X64}-v$(crate_version)-$hash"
}

installed=false
case "$version" in
    source) ;;
    "")
        own="v$(crate_version)"
        if [[ "$own" == *-* ]]; then
            # Between releases the version is the next one with a pre-release suffix
            # (0.2.0-dev): no release holds this checkout's code.
            echo "::notice title=regshift::$own is a development version; building regshift from source (cached between runs)"
        elif download "$own"; then
            installed=true
        else
            echo "::notice title=regshift::no release $own to download for this runner; building regshift from source (cached between runs)"
        fi
        ;;
    *)
        # A version is a release tag and nothing else: it goes into a URL.
        if ! [[ "$version" =~ ^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
            echo "::error title=regshift::version must be a release such as v0.1.0, or source" >&2
            exit 2
        fi
        if ! download "v${version#v}"; then
            echo "::error title=regshift::cannot download regshift v${version#v} for this runner; use version: source to build it" >&2
            exit 2
        fi
        installed=true
        ;;
esac

{
    echo "installed=$installed"
    if [ "$installed" = true ]; then
        echo "$bin" >>"${GITHUB_PATH:?}"
        "$bin/regshift" --version >&2
    else
        echo "cache-key=$(source_key)"
        echo "cache-path=${RUNNER_TEMP}/regshift-source"
    fi
} >>"${GITHUB_OUTPUT:?}"

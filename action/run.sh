#!/usr/bin/env bash
# Runs regshift for the GitHub Action: annotations on the log (--format github), the SARIF
# file and the Markdown job summary from one run, then the step outputs. The step fails
# exactly when regshift exits non-zero (findings at or above fail-on, or an error).
#
# Inputs come only from the environment and are passed as separate arguments, never
# evaluated: a value such as `$(touch pwned)` is a file name that does not exist.
set -uo pipefail

fail_on="${INPUT_FAIL_ON:-warning}"
case "$fail_on" in
    error | warning | info) ;;
    *)
        echo "::error title=regshift::fail-on must be error, warning or info" >&2
        exit 2
        ;;
esac
suggest="${INPUT_SUGGEST:-false}"
case "$suggest" in
    true | false) ;;
    *)
        echo "::error title=regshift::suggest must be true or false" >&2
        exit 2
        ;;
esac
# The report goes outside the workspace unless asked: a later scan must not read it.
sarif="${INPUT_SARIF_FILE:-${RUNNER_TEMP:?RUNNER_TEMP is not set}/regshift.sarif}"
case "$sarif" in
    *$'\n'* | *$'\r'*)
        echo "::error title=regshift::sarif-file must be one file name" >&2
        exit 2
        ;;
esac

# One path per line; a single line may hold several paths separated by spaces.
paths=()
while IFS= read -r line; do
    [ -n "$line" ] || continue
    if [[ "${INPUT_PATHS:-.}" == *$'\n'* ]]; then
        paths+=("$line")
    else
        read -r -a words <<<"$line"
        paths+=("${words[@]}")
    fi
done <<<"${INPUT_PATHS:-.}"
[ "${#paths[@]}" -gt 0 ] || paths=(.)

work="$(mktemp -d)"
summary="$work/summary.md"
json="$work/report.json"

if [ "${INPUT_FIX:-false}" = "true" ]; then
    echo "::group::regshift fix --diff"
    regshift fix --diff --color always -- "${paths[@]}" || true
    echo "::endgroup::"
    regshift fix --format concise -- "${paths[@]}" >/dev/null || true
fi

rdjson="$work/report.rdjson"
regshift check --format github --fail-on "$fail_on" \
    --report "sarif=$sarif" --report "markdown=$summary" --report "json=$json" \
    --report "rdjson=$rdjson" \
    -- "${paths[@]}"
status=$?

# Fixes as suggested changes on the pull request. reviewdog's own exit status never decides
# the step's: regshift's does.
if [ "$suggest" = true ] && [ -f "$rdjson" ]; then
    if command -v reviewdog >/dev/null 2>&1; then
        reviewdog -f=rdjson -name=regshift -reporter=github-pr-review -fail-level=none <"$rdjson" \
            || echo "::warning title=regshift::reviewdog could not post the suggestions"
    else
        echo "::warning title=regshift::suggest is true but reviewdog is not installed"
    fi
fi

if [ -f "$summary" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
findings="$(sed -n 's/.*"summary": {"files_scanned":[0-9]*,"findings":\([0-9]*\).*/\1/p' "$json" 2>/dev/null)"
{
    echo "findings=${findings:-0}"
    # A multi-line-safe output, since the file name came from an input.
    delimiter="regshift_$RANDOM$RANDOM"
    echo "sarif-file<<$delimiter"
    echo "$sarif"
    echo "$delimiter"
} >>"${GITHUB_OUTPUT:?}"
rm -rf "$work"
exit "$status"

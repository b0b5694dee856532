#!/usr/bin/env bash
# Re-trains the nano SAM2 (issue 10) with `omni train segmenter` and measures it (scripts/nano/segmenter-eval.mjs).
#
#   scripts/nano/train-segmenter.sh                 # everything, into /work/nano-runs/segmenter
#   OUT=runs/nano-sam2 scripts/nano/train-segmenter.sh
#
# Stages (docs/nano.md, "Nano SAM2"): the image stage at 128 px from scratch; the video (memory) stage on it; the
# image stage again at 256 px warm-started from the 128 px run (--from; the position embedding is resampled), ended
# after 500 of its 1500 scheduled steps; the video stage at 256 px on that, its memory modules warm-started from the
# 128 px video stage (--memory-from). The last stage's model/ is the shipped segmenter. A rerun skips finished stages;
# each stage's output goes to $OUT/logs/<stage>.log, its command and wall time to $OUT/timings.tsv.
# Needs the built CLI (npm run build). THREADS (default 1) sets onnxruntime's intra-op threads.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(mkdir -p "${OUT:-/work/nano-runs/segmenter}" && cd "${OUT:-/work/nano-runs/segmenter}" && pwd)"
THREADS="${THREADS:-1}"
OMNI=(node "$ROOT/bin/run.js")

[[ -f "$ROOT/dist/commands/train/segmenter.js" ]] || { echo "train-segmenter.sh: the CLI is not built (run npm run build)" >&2; exit 2; }
mkdir -p "$OUT/logs"
cd "$OUT"
[[ -f timings.tsv ]] || printf 'stage\tseconds\tcommand\n' > timings.tsv

# stage NAME COMMAND...: runs once (skipped when logs/NAME.done exists), logged and timed. An interrupted stage
# continues from its newest checkpoint when run again (the video stage by itself, the image stages via --resume).
stage() {
  local name="$1"; shift
  if [[ -f "logs/$name.done" ]]; then echo "== $name: done before, skipped"; return; fi
  echo "== $name: $*"
  local start=$SECONDS
  "$@" > "logs/$name.log" 2>&1 || { echo "train-segmenter.sh: stage $name failed; see $OUT/logs/$name.log" >&2; tail -5 "logs/$name.log" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - start))" "$*" >> timings.tsv
  touch "logs/$name.done"
}
resume_flag() { [[ -d "$1/checkpoints" ]] && echo "--resume $1" || true; }

# shellcheck disable=SC2046
stage image-128 "${OMNI[@]}" train segmenter --out image-128 $(resume_flag image-128) --steps 5000 --seed 0 --image-size 128 \
  --batch 8 --objects 4 --click-probability 0 --lr 1e-3 --checkpoint-every 250 --threads "$THREADS"
stage video-128 "${OMNI[@]}" train segmenter --stage video --from image-128 --out video-128 --steps 2000 --seed 0 \
  --batch 4 --frames 3 --lr 5e-4 --checkpoint-every 250 --threads "$THREADS"
if [[ -d image-256/checkpoints ]]; then
  stage image-256 "${OMNI[@]}" train segmenter --out image-256 --resume image-256 --steps 1500 --stop-after 500 --seed 1 \
    --lr 5e-4 --checkpoint-every 250 --threads "$THREADS"
else
  stage image-256 "${OMNI[@]}" train segmenter --from image-128 --image-size 256 --out image-256 --steps 1500 --stop-after 500 \
    --seed 1 --lr 5e-4 --checkpoint-every 250 --threads "$THREADS"
fi
stage video-256 "${OMNI[@]}" train segmenter --stage video --from image-256 --memory-from video-128 --out video-256 \
  --steps 600 --seed 0 --batch 4 --frames 3 --lr 3e-4 --checkpoint-every 100 --threads "$THREADS"

echo "== measurements (256 px frames)"
node "$ROOT/scripts/nano/segmenter-eval.mjs" --model video-256/model --size 256 | tee eval-256.txt

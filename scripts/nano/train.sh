#!/usr/bin/env bash
# Re-trains the nano thinker (issue 10) with the toolkit's own commands, and evaluates it on a held-out synthetic
# split: SFT, then GRPO from the SFT model with --alpha-g 0 and with --alpha-g 1.
#
#   scripts/nano/train.sh                      # everything, into /work/nano-runs/thinker
#   OUT=runs/nano-thinker SEGMENTER=models/nano/segmenter scripts/nano/train.sh
#
# Stages: SFT from the init on a small set (System 1 + System 2); System 2 grounding alone on a larger set whose
# expressions come with grounding descriptions; a second and a third mixed SFT on new sets (System 1 learns to write
# the grounding descriptions System 2 was trained on); GRPO from that model with --alpha-g 0 and 1 on videos no SFT
# round saw; held-out evals.
#
# Settings (environment): OUT (run folder), SEGMENTER (exported nano SAM2 folder: System 2 masks for --alpha-g 1
# and the evaluations), SFT_STEPS, GROUNDING_STEPS, SFT2_STEPS, SFT3_STEPS, GRPO_STEPS, GRPO_LR, EVAL_LIMIT, SEED. Every stage's command line and wall time go to
# $OUT/timings.tsv, its output to $OUT/logs/<stage>.log; the final exported policies are $OUT/{sft3,grpo-g0,grpo-g1}
# and their held-out reports $OUT/eval/<model>/summary.json. Needs the built CLI (npm run build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(mkdir -p "${OUT:-/work/nano-runs/thinker}" && cd "${OUT:-/work/nano-runs/thinker}" && pwd)"
SEGMENTER="${SEGMENTER:-/work/nano-runs/sam2/model}"
SFT_STEPS="${SFT_STEPS:-1500}"
GROUNDING_STEPS="${GROUNDING_STEPS:-2000}"
SFT2_STEPS="${SFT2_STEPS:-400}"
SFT3_STEPS="${SFT3_STEPS:-400}"
GRPO_STEPS="${GRPO_STEPS:-48}"
GRPO_LR="${GRPO_LR:-2e-5}"
EVAL_LIMIT="${EVAL_LIMIT:-72}"
SEED="${SEED:-0}"
OMNI=(node "$ROOT/bin/run.js")

# Data: 4 frames of 112 x 112 per clip (2 s at 2 fps, with sound), the training set and a held-out set of another seed.
TRAIN_SEED=1
HELDOUT_SEED=2
GROUNDING_SEED=3
SFT2_SEED=4
SFT3_SEED=5
GRPO_SEED=6
SYNTH=(--format revos --frames 4 --size 112x112)
# Full fine-tuning: the base is a fresh init, so LoRA (rank-capped, embedding frozen) is the wrong tool here; the
# embedding stays at its init either way (the scoring graph takes inputs_embeds) and the towers are frozen.
GRPO=(--objective grpo --full --num-generations 4 --temperature 1.0 --top-p 0.95 --max-completion-length 256 --beta 0.04 --lr "$GRPO_LR" --warmup-ratio 0 --max-frames 4)

[[ -f "$ROOT/dist/commands/models/init.js" ]] || { echo "train.sh: the CLI is not built (run npm run build)" >&2; exit 2; }
[[ -d "$SEGMENTER" ]] || { echo "train.sh: no segmenter at $SEGMENTER (set SEGMENTER to an exported nano SAM2 folder)" >&2; exit 2; }
SEGMENTER="$(cd "$SEGMENTER" && pwd)"
mkdir -p "$OUT/logs" "$OUT/data" "$OUT/runs" "$OUT/checkpoints" "$OUT/eval"
cd "$OUT"
[[ -f timings.tsv ]] || printf 'stage\tseconds\tcommand\n' > timings.tsv

# [CLEAN=PATH] stage NAME COMMAND...: runs once (skipped when $OUT/logs/NAME.done exists), logged and timed; PATH
# (what an interrupted earlier attempt left) is removed first.
stage() {
  local name="$1"; shift
  if [[ -f "logs/$name.done" ]]; then echo "== $name: done before, skipped"; return; fi
  [[ -z "${CLEAN:-}" ]] || rm -rf "$CLEAN"
  echo "== $name: $*"
  local start=$SECONDS
  "$@" > "logs/$name.log" 2>&1 || { echo "train.sh: stage $name failed; see $OUT/logs/$name.log" >&2; tail -5 "logs/$name.log" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - start))" "$*" >> timings.tsv
  touch "logs/$name.done"
}

stage synth-train "${OMNI[@]}" data synth "${SYNTH[@]}" --videos 40 --seed $TRAIN_SEED --out data/train
stage synth-heldout "${OMNI[@]}" data synth "${SYNTH[@]}" --videos 20 --seed $HELDOUT_SEED --out data/heldout
stage synth-grounding "${OMNI[@]}" data synth "${SYNTH[@]}" --videos 300 --seed $GROUNDING_SEED --out data/grounding
stage synth-sft2 "${OMNI[@]}" data synth "${SYNTH[@]}" --videos 60 --seed $SFT2_SEED --out data/sft2
stage synth-sft3 "${OMNI[@]}" data synth "${SYNTH[@]}" --videos 60 --seed $SFT3_SEED --out data/sft3
stage synth-grpo "${OMNI[@]}" data synth "${SYNTH[@]}" --videos 60 --seed $GRPO_SEED --out data/grpo
stage init "${OMNI[@]}" models init nano --out checkpoints/init --seed "$SEED"

# (a) SFT, full fine-tune: System 1 (ReVOS layout: frames + the authors' prompt -> moments) and System 2
# (revos-grounding: one frame + System 2's own grounding prompt -> box and points) on the same videos.
CLEAN=runs/sft stage sft "${OMNI[@]}" train --objective sft --full --from checkpoints/init --out runs/sft \
  --dataset revos --data-root data/train --dataset revos-grounding --data-root data/train \
  --lr 2e-3 --warmup-ratio 0.05 --max-frames 4 --epochs 20 --max-steps "$SFT_STEPS" --save-steps 250 --seed "$SEED"
stage sft-merge "${OMNI[@]}" export adapter --run runs/sft --merge --out checkpoints/sft
stage sft-export "${OMNI[@]}" export policy --from checkpoints/sft --out sft --force

# System 2 alone on 240 more videos: one frame + the grounding description (the objects by their looks) -> box.
CLEAN=runs/grounding stage grounding "${OMNI[@]}" train --objective sft --full --from checkpoints/sft --out runs/grounding \
  --dataset revos-grounding --data-root data/grounding \
  --lr 2e-3 --warmup-ratio 0.03 --batch-size 8 --epochs 20 --max-steps "$GROUNDING_STEPS" --save-steps 250 --seed "$SEED"
stage grounding-merge "${OMNI[@]}" export adapter --run runs/grounding --merge --out checkpoints/grounding

# (a) SFT, second round, both systems on 48 more videos: System 1's moments now carry the grounding descriptions.
# (Training problems decode their frames when a step needs them, so the set size is a matter of steps, not loading.)
CLEAN=runs/sft2 stage sft2 "${OMNI[@]}" train --objective sft --full --from checkpoints/grounding --out runs/sft2 \
  --dataset revos --data-root data/sft2 --dataset revos-grounding --data-root data/sft2 \
  --lr 1e-3 --warmup-ratio 0.05 --batch-size 2 --max-frames 4 --epochs 20 --max-steps "$SFT2_STEPS" --save-steps 100 --seed "$SEED"
stage sft2-merge "${OMNI[@]}" export adapter --run runs/sft2 --merge --out checkpoints/sft2

# (a) SFT, third round, on 48 more videos (session 4: the first on clips whose sounding objects wear the sound rim).
CLEAN=runs/sft3 stage sft3 "${OMNI[@]}" train --objective sft --full --from checkpoints/sft2 --out runs/sft3 \
  --dataset revos --data-root data/sft3 --dataset revos-grounding --data-root data/sft3 \
  --lr 1e-3 --warmup-ratio 0.05 --batch-size 2 --max-frames 4 --epochs 20 --max-steps "$SFT3_STEPS" --save-steps 100 --seed "$SEED"
stage sft3-merge "${OMNI[@]}" export adapter --run runs/sft3 --merge --out checkpoints/sft3
stage sft3-export "${OMNI[@]}" export policy --from checkpoints/sft3 --out sft3 --force

# (b), (c) GRPO from the SFT model on the videos of seed 6; System 2 is the SFT model, frozen (and the nano SAM2 for
# R_G when alpha_g > 0).
for g in 0 1; do
  CLEAN="runs/grpo-g$g" stage "grpo-g$g" "${OMNI[@]}" train "${GRPO[@]}" --alpha-g "$g" --from checkpoints/sft3 --grounding-model "$OUT/sft3" --segmenter-model "$SEGMENTER" \
    --out "runs/grpo-g$g" --dataset revos --data-root data/grpo --max-steps "$GRPO_STEPS" --save-steps 16 --seed "$SEED"
  stage "grpo-g$g-merge" "${OMNI[@]}" export adapter --run "runs/grpo-g$g" --merge --out "checkpoints/grpo-g$g"
  stage "grpo-g$g-export" "${OMNI[@]}" export policy --from "checkpoints/grpo-g$g" --out "grpo-g$g" --force
done

# Held-out evaluation: each model as System 1 and its own System 2 grounding, the nano SAM2 for the masks.
for model in sft3 grpo-g0 grpo-g1; do
  CLEAN="eval/$model" stage "eval-$model" "${OMNI[@]}" eval --dataset revos --data-root data/heldout --split train --limit "$EVAL_LIMIT" \
    --model "$OUT/$model" --segmenter-model "$SEGMENTER" --max-new-tokens 256 --out "eval/$model" --json
done

echo "== held-out J&F ($EVAL_LIMIT expressions of data/heldout, seed $HELDOUT_SEED)"
for model in sft3 grpo-g0 grpo-g1; do
  node -e 'const s = require(process.argv[1]); console.log(process.argv[2].padEnd(8), JSON.stringify(s.metrics ?? s))' "$OUT/eval/$model/summary.json" "$model"
done

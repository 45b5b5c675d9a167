#!/bin/sh
# npm run train:default: the bundled model, made with the CLI's default recipe.
#   1. speech-emotion train: cross-validation on the standard speaker folds (which also learns the
#      model's calibration), then the final model on every development speaker, into $TRAIN_OUT;
#      the folds' members and the final model's train two at a time, each on one core
#      (--concurrent 2: more work per minute than both cores on one training, bench/README.md);
#   2. speech-emotion train --folds corpus --cv-only: leave one corpus out with one member of the
#      recipe (`single`), into $LOCO_OUT;
#   3. speech-emotion calibrate --across: from both runs' held-out clips (each with its fold model's
#      familiarity distance), where unfamiliar audio starts and the temperature it gets, into the
#      model in $TRAIN_OUT (figures in $TRAIN_OUT/calibrate-across.json);
#   4. scripts/card-figures.mjs: models/default from those folders (model, metrics.json with the
#      regression split, confusion matrices for both protocols, the card's figures).
# Node runs with --single-threaded-gc: on two cores V8's garbage-collector helper threads otherwise
# compete with the two training threads (bench/README.md).
# --no-fma: the convolutions multiply, then add, bit for bit as tfjs's kernels, so the run gives the
# shipped weights on every runtime (fused multiply-adds, the default where the runtime has relaxed
# SIMD, train faster but round differently).
# Extra arguments go to both `speech-emotion train` runs (e.g. `-- --epochs 1` for a quick run of
# the pipeline; then set MODEL_OUT to keep models/default as it is).
set -e
cd "$(dirname "$0")/.."
DATA=${SPEECH_EMOTION_DATA:-../shared/datasets}
FOLDS=${SPEECH_EMOTION_FOLDS:-../shared/splits/dev-folds.json}
TRAIN_OUT=${TRAIN_OUT:-.cache/train-default}
LOCO_OUT=${LOCO_OUT:-.cache/train-default-loco}
MODEL_OUT=${MODEL_OUT:-models/default}
node --single-threaded-gc dist/cli.js train "$DATA/ravdess" "$DATA/savee" --recipe default --folds "$FOLDS" --keep-fold-models \
  --concurrent 2 --no-fma --out "$TRAIN_OUT" "$@"
node --single-threaded-gc dist/cli.js train "$DATA/ravdess" "$DATA/savee" --recipe single --folds corpus --cv-only --keep-fold-models \
  --concurrent 2 --no-fma --out "$LOCO_OUT" "$@"
node dist/cli.js calibrate "$TRAIN_OUT" --from "$TRAIN_OUT/cv-clips.json" --across "$LOCO_OUT/cv-clips.json" \
  --json > "$TRAIN_OUT/calibrate-across.json"
node scripts/card-figures.mjs --from "$TRAIN_OUT" --loco "$LOCO_OUT" --out "$MODEL_OUT"

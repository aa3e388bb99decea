#!/bin/sh
# Recalibrate the Syria scenarios against the record and re-run H1-H8 over the posterior
# (README.md, "Calibration"). Run from the project's root:
#
#     sh scenarios/syria/recalibrate.sh                 # the full budget (see below)
#     BUDGET=small sh scenarios/syria/recalibrate.sh    # a check that it all works
#
# Each step is one command and can be run alone. Results go to $OUT (default
# results/syria-calibration), which must not hold a previous run's steps.
#
# Budget on a 2-core machine (base_2015 to the record's end, 152 days, ~0.16 s a run on
# one core with its loading and scoring; measured at the small budget, 2026-12-03):
#   full:  4 generations x 300 sets x 4 runs = 4,800 runs, ~7 min; 100 sets accepted;
#          then H1-H8 at their own replicates over the posterior, ~10 min
#   small: 3 generations x 60 sets x 2 runs = 360 runs, ~30 s; 20 sets accepted;
#          H1-H8 at 8 replicates, ~3 min
set -eu

OUT=${OUT:-results/syria-calibration}
HISTORY=scenarios/syria/history/history-2015.csv
SPLIT=${SPLIT:-2015-11-30}  # fit on October-November 2015, judge on December to 1 March 2016
if [ "${BUDGET:-full}" = small ]; then
    GENERATIONS=3 PROPOSALS=60 ACCEPTED=20 RUNS=2 REPLICATES="--replicates 8"
else
    GENERATIONS=4 PROPOSALS=300 ACCEPTED=100 RUNS=4 REPLICATES=""
fi

# 1. the files are valid (the priors: scenarios/syria/priors_2015.toml)
frontline validate scenarios/syria/*.toml "$HISTORY"

# 2. fit the priors to the record up to $SPLIT, score the rest
frontline calibrate scenarios/syria/priors_2015.toml "$HISTORY" --out "$OUT/calibration" \
    --holdout-after "$SPLIT" --generations "$GENERATIONS" --proposals "$PROPOSALS" \
    --accepted "$ACCEPTED" --runs-per-set "$RUNS"

# 3. the score before (the hand calibration) and after (the calibrated variant)
frontline score scenarios/syria/base_2015.toml "$HISTORY" --replicates 50 --out "$OUT/score-before"
frontline score "$OUT/calibration/calibrated.toml" "$HISTORY" --replicates 50 --out "$OUT/score-after"

# 4. H1-H8 over the posterior: each run pinned to one accepted set
for experiment in experiments/h[1-8]_*.toml; do
    name=$(basename "$experiment" .toml)
    # shellcheck disable=SC2086 # $REPLICATES is empty or two words
    frontline sweep "$experiment" --posterior "$OUT/calibration" --out "$OUT/$name" $REPLICATES
done

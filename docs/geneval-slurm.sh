#!/bin/bash
# A GenEval sweep as a Slurm job array: task K of N renders the prompts with index mod N == K.
# Submit with: sbatch docs/geneval-slurm.sh   (requeue or resubmit freely: the sweep resumes)
#SBATCH --job-name=omnigen2-geneval
#SBATCH --array=0-7
#SBATCH --cpus-per-task=16
#SBATCH --mem=24G
#SBATCH --time=2-00:00:00
#SBATCH --output=geneval-%A_%a.log
#SBATCH --requeue
set -euo pipefail
cd "${OMNIGEN2_JAVA:-$HOME/omnigen2-java}"
exec bin/omnigen2 geneval \
  --metadata testdata/geneval/evaluation_metadata.jsonl \
  --out "${GENEVAL_OUT:-$HOME/geneval/omnigen2}" \
  --model "${OMNIGEN2_MODEL:-OmniGen2/OmniGen2}" \
  --samples 4 --threads "$SLURM_CPUS_PER_TASK" \
  --shard auto

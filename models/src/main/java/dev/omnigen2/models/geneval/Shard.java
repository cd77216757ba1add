package dev.omnigen2.models.geneval;

import java.util.Map;

/**
 * A deterministic subset of the prompts: shard K of N takes the prompt indices i with i mod N = K (K 0-based).
 * Shards write disjoint prompt folders, so merging shard outputs is copying the folders into one.
 */
public record Shard(int index, int count) {
    public static final Shard ALL = new Shard(0, 1);

    public Shard {
        if (count < 1 || index < 0 || index >= count)
            throw new IllegalArgumentException("shard must be K/N with 0 <= K < N, got " + index + "/" + count);
    }

    public boolean contains(int promptIndex) { return promptIndex % count == index; }

    /** Parses "K/N". */
    public static Shard parse(String s) {
        String[] p = s.split("/");
        try {
            if (p.length == 2) return new Shard(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        } catch (NumberFormatException ignored) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("--shard: expected K/N (e.g. 0/4) or auto, got '" + s + "'");
    }

    /**
     * The shard of this process from a batch scheduler's environment: Kubernetes Indexed Jobs
     * ({@code JOB_COMPLETION_INDEX}, with {@code shards} from --shards) or Slurm job arrays
     * ({@code SLURM_ARRAY_TASK_ID} − {@code SLURM_ARRAY_TASK_MIN}, {@code SLURM_ARRAY_TASK_COUNT}).
     */
    public static Shard auto(Map<String, String> env, Integer shards) {
        String k8s = env.get("JOB_COMPLETION_INDEX");
        if (k8s != null) {
            if (shards == null) throw new IllegalArgumentException("--shard auto with JOB_COMPLETION_INDEX needs --shards N (the Job's completions)");
            return new Shard(parseEnv("JOB_COMPLETION_INDEX", k8s), shards);
        }
        String slurm = env.get("SLURM_ARRAY_TASK_ID");
        if (slurm != null) {
            int id = parseEnv("SLURM_ARRAY_TASK_ID", slurm);
            int min = env.containsKey("SLURM_ARRAY_TASK_MIN") ? parseEnv("SLURM_ARRAY_TASK_MIN", env.get("SLURM_ARRAY_TASK_MIN")) : 0;
            Integer count = env.containsKey("SLURM_ARRAY_TASK_COUNT") ? parseEnv("SLURM_ARRAY_TASK_COUNT", env.get("SLURM_ARRAY_TASK_COUNT")) : shards;
            if (count == null) throw new IllegalArgumentException("--shard auto: SLURM_ARRAY_TASK_COUNT is not set; pass --shards N");
            return new Shard(id - min, count);
        }
        throw new IllegalArgumentException("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm array) is set");
    }

    private static int parseEnv(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not an integer");
        }
    }

    @Override
    public String toString() { return index + "/" + count; }
}

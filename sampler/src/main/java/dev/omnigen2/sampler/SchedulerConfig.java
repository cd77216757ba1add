package dev.omnigen2.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The fields of a diffusers {@code scheduler_config.json} that OmniGen2's two schedulers read.
 * Missing fields take the defaults of OmniGen2's scheduler constructors.
 *
 * @param className        {@code _class_name}
 * @param numTrainTimesteps {@code num_train_timesteps} (recorded; the inference grid does not use it)
 * @param dynamicTimeShift {@code dynamic_time_shift}: shift the grid by the latent size
 * @param solverOrder      DPM: {@code solver_order}
 * @param predictionType   DPM: {@code prediction_type}
 * @param algorithmType    DPM: {@code algorithm_type}
 * @param solverType       DPM: {@code solver_type}
 * @param lowerOrderFinal  DPM: {@code lower_order_final}
 * @param eulerAtFinal     DPM: {@code euler_at_final}
 * @param finalSigmasType  DPM: {@code final_sigmas_type}
 * @param thresholding     DPM: {@code thresholding}
 */
public record SchedulerConfig(String className, int numTrainTimesteps, boolean dynamicTimeShift,
                              int solverOrder, String predictionType, String algorithmType, String solverType,
                              boolean lowerOrderFinal, boolean eulerAtFinal, String finalSigmasType,
                              boolean thresholding) {

    public static final String EULER = "FlowMatchEulerDiscreteScheduler";
    public static final String DPM = "DPMSolverMultistepScheduler";

    /** OmniGen2's default Euler configuration (what the checkpoint's scheduler folder holds). */
    public static SchedulerConfig euler() {
        return new SchedulerConfig(EULER, 1000, true, 1, "flow_prediction", "", "", false, false, "zero", false);
    }

    /** The DPM-Solver++ configuration {@code inference.py --scheduler dpmsolver++} builds. */
    public static SchedulerConfig dpmSolverPlusPlus() {
        return new SchedulerConfig(DPM, 1000, true, 2, "flow_prediction", "dpmsolver++", "midpoint",
                true, false, "zero", false);
    }

    public static SchedulerConfig read(Path file) {
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read scheduler config " + file, e);
        }
        if (j == null || !j.isObject()) throw new IllegalArgumentException(file + ": not a JSON object");
        String cls = text(j, "_class_name", null);
        if (cls == null) throw new IllegalArgumentException(file + ": missing _class_name");
        boolean dpm = DPM.equals(cls);
        return new SchedulerConfig(cls,
                j.path("num_train_timesteps").asInt(1000),
                j.path("dynamic_time_shift").asBoolean(true),
                j.path("solver_order").asInt(2),
                text(j, "prediction_type", dpm ? "epsilon" : "flow_prediction"),
                text(j, "algorithm_type", "dpmsolver++"),
                text(j, "solver_type", "midpoint"),
                j.path("lower_order_final").asBoolean(true),
                j.path("euler_at_final").asBoolean(false),
                text(j, "final_sigmas_type", "zero"),
                j.path("thresholding").asBoolean(false));
    }

    private static String text(JsonNode j, String field, String dflt) {
        JsonNode n = j.get(field);
        return n == null || n.isNull() ? dflt : n.asText();
    }
}

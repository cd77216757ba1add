package dev.omnigen2.cli;

import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.sampler.StepListener;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * Progress on stderr: the stage being run and, while denoising, a progress bar with the step, seconds per step
 * and ETA. Quiet when stderr is not a terminal (then only warnings, and stages with --verbose).
 */
final class Progress implements PipelineListener, AutoCloseable {
    private final PrintWriter err;
    private final boolean terminal;
    private final boolean verbose;
    private final boolean quiet;
    private ProgressBar bar;
    private long stageStart = System.nanoTime();
    private String stage;

    Progress(PrintWriter err, boolean verbose, boolean quiet) {
        this.err = err;
        this.terminal = isTerminal();
        this.verbose = verbose;
        this.quiet = quiet;
    }

    /** bin/omnigen2 says whether stderr is a terminal (-Domnigen2.stderr.tty); run directly, ask the console. */
    static boolean isTerminal() {
        String told = System.getProperty("omnigen2.stderr.tty");
        if (told != null) return Boolean.parseBoolean(told);
        java.io.Console c = System.console();
        return c != null && c.isTerminal() && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public void stage(String name) {
        closeBar();
        finishStage();
        stage = name;
        stageStart = System.nanoTime();
        if (!quiet && (terminal || verbose) && !name.equals("denoising")) {
            err.println(name + "...");
            err.flush();
        }
    }

    private void finishStage() {
        if (stage != null && verbose) {
            err.printf("  %s took %.2f s%n", stage, (System.nanoTime() - stageStart) / 1e9);
            err.flush();
        }
    }

    @Override
    public void step(StepListener.StepEvent e) {
        if (quiet) return;
        if (!terminal) {
            if (verbose) {
                err.printf("step %d/%d  t=%.4f  %.2f s%n", e.step() + 1, e.steps(), e.t(), e.seconds());
                err.flush();
            }
            return;
        }
        if (bar == null) {
            bar = new ProgressBarBuilder().setTaskName("denoising").setInitialMax(e.steps())
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1).setSpeedUnit(ChronoUnit.SECONDS)
                    .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true))).setUpdateIntervalMillis(250)
                    .setMaxRenderedLength(100).build();
        }
        bar.setExtraMessage(String.format("%.2f s/step", e.seconds()));
        bar.stepTo(e.step() + 1);
    }

    @Override
    public void warning(String message) {
        closeBar();
        err.println("warning: " + message);
        err.flush();
    }

    /** A line for the end of a run (always shown unless --quiet). */
    void done(String message, Duration elapsed) {
        closeBar();
        finishStage();
        stage = null;
        if (!quiet) {
            err.printf("%s (%.1f s)%n", message, elapsed.toMillis() / 1000.0);
            err.flush();
        }
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() { closeBar(); }
}

package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Closing and concurrent reading: failures are clean exceptions, never a crash. */
class LifecycleTest {
    @TempDir Path dir;

    private Path file() {
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int t = 0; t < 8; t++) {
            float[] v = new float[4096];
            for (int i = 0; i < v.length; i++) v[i] = t * 10000 + i;
            w.add("t" + t, Tensor.of(v, 64, 64));
        }
        w.write(f);
        return f;
    }

    @Test
    void lookUpsAfterCloseThrowNamingTheFile() {
        Path f = file();
        SafetensorsFile st = SafetensorsFile.open(f);
        st.close();
        st.close(); // idempotent
        assertThat(st.isClosed()).isTrue();
        assertThatThrownBy(() -> st.tensor("t0")).isInstanceOf(SafetensorsException.class)
                .hasMessage(f + ": closed, tensor 't0' can no longer be read");
        assertThatThrownBy(() -> st.segment("t1")).isInstanceOf(SafetensorsException.class).hasMessageContaining("closed");
    }

    @Test
    void aViewUsedAfterCloseThrowsIllegalStateInsteadOfCrashing() {
        SafetensorsFile st = SafetensorsFile.open(file());
        Tensor t = st.tensor("t3");
        assertThat(t.getFloat(5)).isEqualTo(30005f);
        st.close();
        assertThatThrownBy(() -> t.getFloat(5)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void shardedCloseClosesEveryShard() {
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < 3; i++) w.addZeros("z" + i, DType.F32, 16);
        w.writeSharded(dir.resolve("c"), "model", 64);
        TensorStore s = Safetensors.open(dir.resolve("c"));
        Tensor z = s.tensor("z2");
        s.close();
        assertThatThrownBy(() -> s.tensor("z0")).isInstanceOf(SafetensorsException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> z.getFloat(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentReadersSeeTheSameValues() throws Exception {
        try (SafetensorsFile st = SafetensorsFile.open(file())) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Double>> sums = new ArrayList<>();
            for (int r = 0; r < 32; r++) {
                int shift = r;
                sums.add(pool.submit(() -> {
                    double sum = 0;
                    for (int k = 0; k < 8; k++) {
                        Tensor t = st.tensor("t" + ((k + shift) % 8));
                        for (long i = 0; i < t.numel(); i++) sum += t.getFloat(i);
                    }
                    return sum;
                }));
            }
            double first = sums.get(0).get();
            assertThat(first).isGreaterThan(0);
            for (Future<Double> s : sums) assertThat(s.get()).isEqualTo(first);
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Readers racing a close get IllegalStateException or SafetensorsException, nothing else, and the JVM survives. */
    @Test
    void closingWhileOthersReadFailsThemCleanly() throws Exception {
        SafetensorsFile st = SafetensorsFile.open(file());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch started = new CountDownLatch(4);
        AtomicBoolean unexpected = new AtomicBoolean();
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            readers.add(pool.submit(() -> {
                started.countDown();
                try {
                    while (true) {
                        Tensor t = st.tensor("t5");
                        for (long i = 0; i < t.numel(); i++) t.getFloat(i);
                    }
                } catch (IllegalStateException | SafetensorsException expected) {
                    // the file was closed under us: a clean failure
                } catch (Throwable other) {
                    unexpected.set(true);
                }
            }));
        }
        started.await();
        Thread.sleep(50);
        st.close();
        for (Future<?> f : readers) f.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertThat(unexpected).isFalse();
    }
}

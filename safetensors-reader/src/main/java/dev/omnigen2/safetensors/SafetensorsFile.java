package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One memory-mapped safetensors file. Opening maps the file and reads only the header, which is validated in
 * full; tensors are zero-copy views of the mapping in their stored dtype.
 *
 * <p>Thread safety: after {@link #open} the file is immutable; any number of threads may look up and read
 * tensors concurrently (the mapping lives in a shared arena).
 *
 * <p>Closing unmaps the file. Afterwards {@link #tensor}, {@link #segment} and the other look-ups throw a
 * {@link SafetensorsException} saying the file is closed. A view obtained <em>before</em> closing must not be used
 * after it: the Foreign Memory API then throws {@link IllegalStateException} ("Already closed") on access, never
 * reads unmapped memory, so a late reader fails cleanly instead of crashing the JVM.
 */
public final class SafetensorsFile implements TensorStore {
    /**
     * Where one tensor lies in the file.
     *
     * @param dtype  the runtime dtype, or null when the runtime does not compute with the stored one (see {@code stored})
     * @param begin  first byte, relative to the start of the data section
     * @param end    one past the last byte, relative to the start of the data section
     * @param stored the dtype named in the header
     */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end, SafetensorsDtype stored) {
        public Entry(String name, DType dtype, int[] shape, long begin, long end) {
            this(name, dtype, shape, begin, end, SafetensorsDtype.of(dtype));
        }

        @Override public int[] shape() { return shape.clone(); }

        public long byteSize() { return end - begin; }

        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        @Override
        public String toString() { return name + " " + stored + Arrays.toString(shape) + " [" + begin + ", " + end + ")"; }
    }

    private final String source;
    private final Path path;
    private final Arena arena;
    private final MemorySegment bytes;
    private final Header header;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(String source, Path path, Arena arena, MemorySegment bytes, Header header) {
        this.source = source;
        this.path = path;
        this.arena = arena;
        this.bytes = bytes;
        this.header = header;
    }

    /** Maps {@code path} and validates its header; a malformed file throws a {@link SafetensorsException} naming it. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapped = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new SafetensorsFile(path.toString(), path, arena, mapped, Header.parse(path.toString(), mapped));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(path + ": no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path + ": cannot be read: " + e, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads a safetensors image already in memory (heap or off-heap); {@code source} names it in messages.
     * The caller keeps {@code bytes} alive; {@link #close} only marks this view closed.
     */
    public static SafetensorsFile of(String source, MemorySegment bytes) {
        return new SafetensorsFile(source, null, null, bytes, Header.parse(source, bytes));
    }

    /** The file, or null for an in-memory image. */
    public Path path() { return path; }

    /** Where the data section starts in the file (8 + header length). */
    public long dataStart() { return header.dataStart(); }

    /** Total bytes of the file. */
    public long byteSize() { return bytes.byteSize(); }

    @Override
    public Entry entry(String name) {
        Entry e = header.entries().get(name);
        if (e == null) throw new SafetensorsException(source + ": no tensor named '" + name + "'");
        return e;
    }

    /** Every entry, in header order. */
    public Iterable<Entry> entries() { return header.entries().values(); }

    @Override public Set<String> names() { return header.entries().keySet(); }

    @Override public boolean contains(String name) { return header.entries().containsKey(name); }

    /** A zero-copy view in the stored dtype; a dtype the runtime does not compute with is refused (use {@link #segment}). */
    @Override
    public Tensor tensor(String name) {
        Entry e = entry(name);
        if (e.dtype() == null)
            throw new SafetensorsException(source + ": tensor '" + name + "' has dtype " + e.stored()
                    + ", which the runtime does not compute with (expected one of " + Arrays.toString(DType.values())
                    + "); its raw bytes are available through segment(name)");
        return new Tensor(e.dtype(), e.shape(), segment(name));
    }

    /** The raw little-endian bytes of a tensor of any dtype, as a read-only zero-copy view. */
    public MemorySegment segment(String name) {
        Entry e = entry(name);
        checkOpen(name);
        return bytes.asSlice(header.dataStart() + e.begin(), e.byteSize()).asReadOnly();
    }

    @Override public Map<String, String> metadata() { return header.metadata(); }

    @Override public String source() { return source; }

    public boolean isClosed() { return closed.get(); }

    /** Unmaps the file (idempotent). Views handed out earlier then throw {@link IllegalStateException} on access. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && arena != null) arena.close();
    }

    private void checkOpen(String name) {
        if (closed.get())
            throw new SafetensorsException(source + ": closed, tensor '" + name + "' can no longer be read");
    }
}

package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;

import java.util.Arrays;
import java.util.List;

/**
 * Every element type the safetensors format defines, by its header name and width in bits.
 *
 * <p>The runtime computes with a subset ({@link DType}); a file holding one of the others (U16, U32, U64, C64,
 * the 4-, 6- and E8M0 8-bit floats) still opens and its bytes can be read with
 * {@link SafetensorsFile#segment(String)}, but it has no {@link dev.omnigen2.runtime.Tensor} view.
 */
public enum SafetensorsDtype {
    BOOL(8, DType.BOOL), F4(4, null), F6_E2M3(6, null), F6_E3M2(6, null),
    U8(8, DType.U8), I8(8, DType.I8), F8_E5M2(8, DType.F8_E5M2), F8_E4M3(8, DType.F8_E4M3), F8_E8M0(8, null),
    I16(16, DType.I16), U16(16, null), F16(16, DType.F16), BF16(16, DType.BF16),
    I32(32, DType.I32), U32(32, null), F32(32, DType.F32),
    F64(64, DType.F64), I64(64, DType.I64), U64(64, null), C64(64, null);

    private static final List<String> NAMES = Arrays.stream(values()).map(Enum::name).toList();

    private final int bits;
    private final DType runtime;

    SafetensorsDtype(int bits, DType runtime) {
        this.bits = bits;
        this.runtime = runtime;
    }

    /** Width of one element in bits (4 and 6 for the packed small floats, else a multiple of 8). */
    public int bits() { return bits; }

    /** The runtime dtype with the same layout, or null when the runtime does not compute with this type. */
    public DType runtime() { return runtime; }

    /** The header name for a runtime dtype (they are spelled alike). */
    public static SafetensorsDtype of(DType dtype) { return valueOf(dtype.name()); }

    /** The dtype a header names, or null when the format has no such dtype. */
    public static SafetensorsDtype byName(String name) {
        for (SafetensorsDtype d : values()) if (d.name().equals(name)) return d;
        return null;
    }

    /** All header names, for messages. */
    public static List<String> names() { return NAMES; }

    /** Bytes that {@code elements} elements occupy, or -1 when they do not fill a whole number of bytes or overflow. */
    public long bytesFor(long elements) {
        if (elements < 0) return -1;
        long b;
        try {
            b = Math.multiplyExact(elements, (long) bits);
        } catch (ArithmeticException e) {
            return -1;
        }
        return b % 8 == 0 ? b / 8 : -1;
    }
}

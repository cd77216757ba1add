package dev.omnigen2.runtime;

/** Element types of tensors, named as safetensors names them. */
public enum DType {
    F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false),
    F8_E4M3(1, true), F8_E5M2(1, true);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() { return byteSize; }

    /** True for the floating-point types, all of which convert to F32. */
    public boolean isFloating() { return floating; }

    /** The dtype for a safetensors header string, or null when unknown. */
    public static DType fromName(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }
}

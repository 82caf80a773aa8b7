package dev.ortho.formats.safetensors;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types of the safetensors format, by their header names. Floating types Ortho can
 * compute on are marked {@link #editable()}; the others are copied byte for byte.
 */
public enum DType {
    BOOL(1, false),
    U8(1, false),
    I8(1, false),
    I16(2, false),
    U16(2, false),
    F16(2, true),
    BF16(2, true),
    I32(4, false),
    U32(4, false),
    F32(4, true),
    F64(8, true),
    I64(8, false),
    U64(8, false),
    C64(8, false),
    F8_E4M3(1, false),
    F8_E5M2(1, false),
    F8_E8M0(1, false);

    private final int byteSize;
    private final boolean editable;

    DType(int byteSize, boolean editable) {
        this.byteSize = byteSize;
        this.editable = editable;
    }

    /** Size of one element in bytes. */
    public int byteSize() { return byteSize; }

    /** Whether the orthogonalization kernel can read and write this type (F16, BF16, F32, F64). */
    public boolean editable() { return editable; }

    /** The header name, e.g. {@code "BF16"}. */
    public String headerName() { return name(); }

    /** Looks up a header name exactly (the format is case-sensitive). */
    public static Optional<DType> fromHeaderName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** The list of known names, for error messages. */
    public static String knownNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}

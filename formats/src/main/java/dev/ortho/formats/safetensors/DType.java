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

    /**
     * The relative spacing bound the edit's rounding checks use for a float type (F32 2⁻²⁴, BF16 2⁻⁸, F16 2⁻¹¹,
     * F64 2⁻⁵³): a stored value is within this fraction of its own magnitude of the float64 result it rounds.
     *
     * @throws IllegalArgumentException for a type Ortho does not compute on
     */
    public double unitRoundoff() {
        return switch (this) {
            case F32 -> 0x1p-24;
            case BF16 -> 0x1p-8;
            case F16 -> 0x1p-11;
            case F64 -> 0x1p-53;
            default -> throw new IllegalArgumentException(name() + " has no unit roundoff here");
        };
    }

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

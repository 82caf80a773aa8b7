package dev.ortho.core.direction;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy {@code .npy} (format 1.0–3.0): little-endian f2/f4/f8 arrays in C order. */
final class NpyReader {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d{1,3})'"); // at most 3 digits: a longer size is no dtype and must not overflow parseInt
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {}

    static RawTensor read(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10) throw bad(file, "too short for a .npy header");
        for (int i = 0; i < MAGIC.length; i++) if (bytes[i] != MAGIC[i]) throw bad(file, "not a .npy file (bad magic)");
        int major = bytes[6];
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw bad(file, "truncated header");
            headerLen = Integer.toUnsignedLong(b.getInt(8));
            start = 12;
        } else {
            throw bad(file, "unsupported .npy format version " + major);
        }
        if (start + headerLen > bytes.length) throw bad(file, "header length " + headerLen + " runs past the end of the file");
        String header = new String(bytes, start, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        if (!d.find()) throw bad(file, "header has no supported 'descr': " + header.strip());
        String order = d.group(1), kind = d.group(2);
        int size = Integer.parseInt(d.group(3));
        DType dtype = switch (kind + size) {
            case "f2" -> DType.F16;
            case "f4" -> DType.F32;
            case "f8" -> DType.F64;
            default -> throw bad(file, "dtype '" + d.group() + "' is not a float (f2, f4, f8)");
        };
        if (order.equals(">")) throw bad(file, "big-endian arrays are not supported");
        Matcher f = FORTRAN.matcher(header);
        if (f.find() && f.group(1).equals("True")) throw bad(file, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
        Matcher s = SHAPE.matcher(header);
        if (!s.find()) throw bad(file, "header has no 'shape'");
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            try {
                long v = Long.parseLong(p);
                if (v < 0) throw new NumberFormatException();
                dims.add(v);
            } catch (NumberFormatException e) {
                throw bad(file, "shape entry '" + p + "' is not a non-negative integer");
            }
        }
        long count = 1;
        try {
            for (long dim : dims) count = Math.multiplyExact(count, dim);
            Math.multiplyExact(count, (long) size);
        } catch (ArithmeticException e) {
            throw bad(file, "shape " + dims + " overflows");
        }
        long data = bytes.length - start - headerLen;
        if (count * size != data) {
            throw bad(file, "shape " + dims + " of " + dtype + " needs " + count * size + " bytes but the file has " + data);
        }
        if (count > Integer.MAX_VALUE - 8) throw bad(file, "array too large for a direction");
        double[] values = ValueDecoding.decode(b, (int) (start + headerLen), dtype, (int) count);
        return new RawTensor(file, null, dtype, dims.stream().mapToLong(Long::longValue).toArray(), values);
    }

    private static InvalidInputException bad(Path file, String problem) {
        return new InvalidInputException(file, null, problem);
    }
}

package dev.ortho.core.direction;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.safetensors.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * PyTorch {@code .pt} files (the zip format of {@code torch.save}) read WITHOUT executing anything:
 * a restricted pickle interpreter that knows only the opcodes torch.save emits and accepts only the
 * tensor-rebuild globals. Any other global (os.system, builtins.eval, …) is refused on sight; the
 * interpreter never constructs anything it does not know.
 *
 * <p>Tensors are rebuilt from their storage honouring storage offset and strides: a saved tensor is
 * often a view into a larger storage (the paper's {@code direction.pt} is a row of mean_diffs).
 */
final class PtReader {

    private static final long MAX_PICKLE = 64L << 20;
    private static final long MAX_STORAGE = 4L << 30;
    private static final int MAX_STACK = 1 << 16;

    /** The only globals a tensor file needs. */
    private static final Set<String> ALLOWED = Set.of(
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
            "collections.OrderedDict", "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage",
            "torch.BFloat16Storage");

    private record Global(String qualified) {}

    private record Storage(DType dtype, String key, long numel) {}

    private record TensorValue(Storage storage, long offset, long[] size, long[] stride) {}

    private static final Object MARK = new Object();

    private PtReader() {}

    /** Reads the tensor, or the tensor {@code name} of a dict of tensors. */
    static RawTensor read(Path file, String name) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String root = null;
            ZipEntry pkl = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String n = e.getName();
                if (n.startsWith("/") || n.contains("..") || n.contains("\\")) {
                    throw bad(file, name, "zip entry '" + n + "' has an unsafe path");
                }
                if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    root = n.substring(0, n.length() - "data.pkl".length());
                    pkl = e;
                }
            }
            if (pkl == null) throw bad(file, name, "not a torch.save zip archive (no <root>/data.pkl); legacy non-zip .pt files are not supported");
            ZipEntry order = zip.getEntry(root + "byteorder");
            if (order != null) {
                String bo = new String(readEntry(zip, order, 16, file, name), StandardCharsets.US_ASCII).strip();
                if (!bo.equals("little")) throw bad(file, name, "byte order '" + bo + "' is not supported");
            }
            Object top = new Unpickler(file, name, readEntry(zip, pkl, MAX_PICKLE, file, name)).load();
            TensorValue t = select(file, name, top);
            ZipEntry data = zip.getEntry(root + "data/" + t.storage().key());
            if (data == null) throw bad(file, name, "storage '" + t.storage().key() + "' is missing from the archive");
            long bytes = Math.multiplyExact(t.storage().numel(), (long) t.storage().dtype().byteSize());
            if (bytes > MAX_STORAGE) throw bad(file, name, "storage of " + bytes + " bytes is too large for a direction");
            byte[] raw = readEntry(zip, data, bytes, file, name);
            if (raw.length != bytes) {
                throw bad(file, name, "storage '" + t.storage().key() + "' has " + raw.length + " bytes, expected " + bytes);
            }
            return gather(file, name, t, raw);
        } catch (java.util.zip.ZipException e) {
            throw new InvalidInputException(file, name, "is not a valid PyTorch zip archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read the .pt archive", e);
        } catch (ArithmeticException e) {
            throw bad(file, name, "sizes overflow");
        }
    }

    private static TensorValue select(Path file, String name, Object top) {
        if (top instanceof TensorValue t) {
            if (name != null) throw bad(file, name, "the file holds a single tensor, not a dict with names");
            return t;
        }
        if (top instanceof Map<?, ?> m) {
            Map<String, TensorValue> tensors = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getKey() instanceof String k && e.getValue() instanceof TensorValue t) tensors.put(k, t);
            }
            if (name != null) {
                TensorValue t = tensors.get(name);
                if (t == null) throw bad(file, name, "no such tensor; the file has " + tensors.keySet());
                return t;
            }
            if (tensors.size() == 1) return tensors.values().iterator().next();
            if (tensors.containsKey("direction")) return tensors.get("direction");
            throw bad(file, null, "the file holds several tensors " + tensors.keySet() + "; choose one with FILE:NAME");
        }
        throw bad(file, name, "the pickle holds no tensor");
    }

    private static RawTensor gather(Path file, String name, TensorValue t, byte[] raw) {
        int rank = t.size().length;
        long count = 1;
        long maxIndex = t.offset();
        for (int d = 0; d < rank; d++) {
            if (t.size()[d] < 0 || t.stride()[d] < 0) throw bad(file, name, "negative size or stride");
            count = Math.multiplyExact(count, t.size()[d]);
            if (t.size()[d] > 0) maxIndex = Math.addExact(maxIndex, Math.multiplyExact(t.size()[d] - 1, t.stride()[d]));
        }
        if (count > 0 && (t.offset() < 0 || maxIndex >= t.storage().numel())) {
            throw bad(file, name, "tensor view (offset " + t.offset() + ", size " + java.util.Arrays.toString(t.size())
                    + ", stride " + java.util.Arrays.toString(t.stride()) + ") reaches past its storage of " + t.storage().numel() + " elements");
        }
        if (count > Integer.MAX_VALUE - 8) throw bad(file, name, "tensor too large for a direction");
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[(int) count];
        long[] idx = new long[rank];
        int es = t.storage().dtype().byteSize();
        for (int i = 0; i < count; i++) {
            long at = t.offset();
            for (int d = 0; d < rank; d++) at += idx[d] * t.stride()[d];
            out[i] = ValueDecoding.decode(buf, (int) (at * es), t.storage().dtype(), 1)[0];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < t.size()[d]) break;
                idx[d] = 0;
            }
        }
        return new RawTensor(file, name, t.storage().dtype(), t.size().clone(), out);
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry e, long limit, Path file, String name) throws IOException {
        if (e.getSize() > limit) throw bad(file, name, "archive entry '" + e.getName() + "' is larger than " + limit + " bytes");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (b.length > limit) throw bad(file, name, "archive entry '" + e.getName() + "' is larger than " + limit + " bytes");
            return b;
        }
    }

    static InvalidInputException bad(Path file, String name, String problem) {
        return new InvalidInputException(file, name, problem);
    }

    /** The restricted interpreter. */
    private static final class Unpickler {
        private final Path file;
        private final String name;
        private final ByteBuffer in;
        private final List<Object> stack = new ArrayList<>();
        private final Map<Long, Object> memo = new HashMap<>();

        Unpickler(Path file, String name, byte[] bytes) {
            this.file = file;
            this.name = name;
            this.in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        Object load() {
            try {
                while (true) {
                    int op = in.get() & 0xFF;
                    switch (op) {
                        case 0x80 -> in.get(); // PROTO
                        case 0x95 -> in.getLong(); // FRAME
                        case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                        case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                        case ')' -> push(List.of()); // EMPTY_TUPLE
                        case '(' -> push(MARK);
                        case 'X' -> push(utf8(Integer.toUnsignedLong(in.getInt())));
                        case 0x8c -> push(utf8(in.get() & 0xFF)); // SHORT_BINUNICODE
                        case 0x8d -> push(utf8(in.getLong())); // BINUNICODE8
                        case 'J' -> push((long) in.getInt()); // BININT
                        case 'K' -> push((long) (in.get() & 0xFF)); // BININT1
                        case 'M' -> push((long) (in.getShort() & 0xFFFF)); // BININT2
                        case 0x8a -> push(long1()); // LONG1
                        case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                        case 0x88 -> push(Boolean.TRUE);
                        case 0x89 -> push(Boolean.FALSE);
                        case 'N' -> push(null);
                        case 't' -> push(Collections.unmodifiableList(popMark()));
                        case 0x85 -> push(tuple(pop()));
                        case 0x86 -> { Object b = pop(), a = pop(); push(tuple(a, b)); }
                        case 0x87 -> { Object c = pop(), b = pop(), a = pop(); push(tuple(a, b, c)); }
                        case 'c' -> push(global(line() + "." + line()));
                        case 0x93 -> { Object n = pop(), m = pop(); push(global(m + "." + n)); } // STACK_GLOBAL
                        case 'Q' -> push(persistent(pop())); // BINPERSID
                        case 'R' -> { Object args = pop(), fn = pop(); push(reduce(fn, args)); }
                        case 'b' -> pop(); // BUILD: state of a known object; nothing to apply
                        case 's' -> { Object v = pop(), k = pop(); dict(peek()).put(k, v); }
                        case 'u' -> { List<Object> items = popMark(); Map<Object, Object> d = dict(peek());
                            for (int i = 0; i + 1 < items.size(); i += 2) d.put(items.get(i), items.get(i + 1)); }
                        case 'a' -> { Object v = pop(); list(peek()).add(v); }
                        case 'e' -> { List<Object> items = popMark(); list(peek()).addAll(items); }
                        case 'q' -> memo.put((long) (in.get() & 0xFF), peek()); // BINPUT
                        case 'r' -> memo.put(Integer.toUnsignedLong(in.getInt()), peek()); // LONG_BINPUT
                        case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                        case 'h' -> push(memo((long) (in.get() & 0xFF))); // BINGET
                        case 'j' -> push(memo(Integer.toUnsignedLong(in.getInt()))); // LONG_BINGET
                        case '.' -> { return pop(); } // STOP
                        default -> throw bad(file, name, String.format("pickle opcode 0x%02x at byte %d is not allowed in a tensor file",
                                op, in.position() - 1));
                    }
                }
            } catch (java.nio.BufferUnderflowException e) {
                throw bad(file, name, "pickle is truncated");
            } catch (ClassCastException | IndexOutOfBoundsException | NullPointerException e) {
                // Type confusion in a hostile pickle (a None, a string or a short tuple where a storage
                // tuple or an int belongs): found by fuzzing; every such shape is simply malformed.
                throw bad(file, name, "pickle is malformed at byte " + in.position());
            }
        }

        private Object global(String qualified) {
            if (!ALLOWED.contains(qualified)) {
                throw bad(file, name, "refusing pickle global '" + qualified + "': only tensor-rebuild functions are allowed"
                        + " (a .pt file can run arbitrary code when loaded by Python; Ortho never does)");
            }
            return new Global(qualified);
        }

        private Object persistent(Object pid) {
            List<?> t = (List<?>) pid;
            if (t.size() < 5 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof Global g)) {
                throw bad(file, name, "unsupported persistent id " + t);
            }
            DType dtype = switch (g.qualified()) {
                case "torch.FloatStorage" -> DType.F32;
                case "torch.DoubleStorage" -> DType.F64;
                case "torch.HalfStorage" -> DType.F16;
                case "torch.BFloat16Storage" -> DType.BF16;
                default -> throw bad(file, name, "storage type " + g.qualified() + " is not a float type");
            };
            String key = (String) t.get(2);
            if (!key.matches("[A-Za-z0-9_]{1,64}")) throw bad(file, name, "storage key '" + key + "' is not a plain name");
            return new Storage(dtype, key, (Long) t.get(4));
        }

        private Object reduce(Object fn, Object args) {
            if (!(fn instanceof Global g)) throw bad(file, name, "REDUCE on something that is not an allowed global");
            List<?> a = (List<?>) args;
            return switch (g.qualified()) {
                case "collections.OrderedDict" -> new LinkedHashMap<>();
                case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" ->
                        new TensorValue((Storage) a.get(0), (Long) a.get(1), longs(a.get(2)), longs(a.get(3)));
                case "torch._utils._rebuild_parameter" -> a.get(0);
                default -> throw bad(file, name, "global " + g.qualified() + " cannot be called");
            };
        }

        private long[] longs(Object o) {
            List<?> l = (List<?>) o;
            long[] out = new long[l.size()];
            for (int i = 0; i < out.length; i++) out[i] = (Long) l.get(i);
            return out;
        }

        private long long1() {
            int n = in.get() & 0xFF;
            if (n > 8) throw bad(file, name, "integer of " + n + " bytes is too large");
            long v = 0;
            for (int i = 0; i < n; i++) v |= (long) (in.get() & 0xFF) << (8 * i);
            if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) v -= 1L << (8 * n);
            return v;
        }

        private String utf8(long len) {
            if (len < 0 || len > in.remaining()) throw bad(file, name, "string length " + len + " runs past the pickle");
            byte[] b = new byte[(int) len];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        private String line() {
            StringBuilder sb = new StringBuilder();
            byte c;
            while ((c = in.get()) != '\n') {
                if (sb.length() > 256) throw bad(file, name, "global name too long");
                sb.append((char) c);
            }
            return sb.toString();
        }

        private Object memo(long key) {
            if (!memo.containsKey(key)) throw bad(file, name, "pickle refers to memo " + key + " before defining it");
            return memo.get(key);
        }

        private void push(Object o) {
            if (stack.size() >= MAX_STACK) throw bad(file, name, "pickle stack too deep");
            stack.add(o);
        }

        private Object pop() {
            Object o = stack.remove(stack.size() - 1);
            if (o == MARK) throw bad(file, name, "pickle pops a mark");
            return o;
        }

        private Object peek() { return stack.get(stack.size() - 1); }

        private List<Object> popMark() {
            int i = stack.size() - 1;
            while (i >= 0 && stack.get(i) != MARK) i--;
            if (i < 0) throw bad(file, name, "pickle has no mark to pop to");
            List<Object> items = new ArrayList<>(stack.subList(i + 1, stack.size()));
            stack.subList(i, stack.size()).clear();
            return items;
        }

        @SuppressWarnings("unchecked")
        private Map<Object, Object> dict(Object o) {
            if (!(o instanceof Map)) throw bad(file, name, "SETITEM on something that is not a dict");
            return (Map<Object, Object>) o;
        }

        @SuppressWarnings("unchecked")
        private List<Object> list(Object o) {
            if (!(o instanceof ArrayList)) throw bad(file, name, "APPEND on something that is not a list");
            return (List<Object>) o;
        }

        private static List<Object> tuple(Object... items) {
            return Collections.unmodifiableList(new ArrayList<>(java.util.Arrays.asList(items)));
        }
    }
}
